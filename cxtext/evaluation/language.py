"""Language identification measured: accuracy on short labelled feedback texts, the share of
English sentences taken for another language, and speed. `python -m cxtext.evaluation.language
[--data ../shared/data]`; the figures are in docs/LANGUAGE.md."""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from cxtext.config import DEFAULT_LANGUAGES
from cxtext.text.language import SCORED_LANGUAGES, detect

LABELLED = Path(__file__).parent / "data" / "language_short_texts.tsv"
UCI_FILES = ("amazon_cells_labelled.txt", "yelp_labelled.txt")


def labelled(path: Path = LABELLED) -> list[tuple[str, str]]:
    return [
        tuple(line.split("\t", 1))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def evaluate(languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> dict:
    rows = labelled()
    wrong = [(gold, text, detect(text, languages)) for gold, text in rows if detect(text, languages) != gold]
    per = Counter(gold for gold, _ in rows)
    misses = Counter(gold for gold, _, _ in wrong)
    return {
        "total": len(rows),
        "correct": len(rows) - len(wrong),
        "wrong": wrong,
        "per_language": {k: f"{per[k] - misses[k]}/{per[k]}" for k in per},
    }


def english_false_alarms(data: Path, languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> dict:
    """English review sentences (UCI sentiment sentences) detected as another language."""
    texts = []
    for name in UCI_FILES:
        texts += [
            line.rsplit("\t", 1)[0]
            for line in (data / "uci_sentiment_sentences" / name).read_text(encoding="utf-8", errors="replace").splitlines()
            if line.strip()
        ]
    clock = time.perf_counter()
    found = [detect(t, languages) for t in texts]
    seconds = time.perf_counter() - clock
    short = [f for t, f in zip(texts, found) if len(t.split()) <= 5]
    return {
        "texts": len(texts),
        "not_english": sum(f not in ("en", "und") for f in found),
        "short": len(short),
        "short_not_english": sum(f not in ("en", "und") for f in short),
        "per_second": len(texts) / seconds,
    }


if __name__ == "__main__":
    result = evaluate()
    print(f"labelled short texts: {result['correct']}/{result['total']} {result['per_language']}")
    for gold, text, got in result["wrong"]:
        print(f"  {gold} taken for {got}: {text}")
    if "--data" in sys.argv:
        print(english_false_alarms(Path(sys.argv[sys.argv.index("--data") + 1])))


def evaluate_language(data: Path, figures: dict[str, float] | None = None) -> str:
    """The language section of EVALUATION.md: English kept among the VADER tweets (short social
    posts) and the UCI review sentences, and the labelled short texts (in the repository)."""
    lines = [
        "## Language identification\n",
        f"Detector among {', '.join(DEFAULT_LANGUAGES)} (`cxtext.text.language.detect`; details and "
        "other candidates in docs/LANGUAGE.md). English is kept unless another language is "
        "5 times likelier.\n",
        "| set | texts | result |",
        "|---|---:|---|",
    ]
    result = evaluate()
    non_english = [(g, t) for g, t in labelled() if g != "en"]
    right = sum(detect(t, DEFAULT_LANGUAGES) == g for g, t in non_english)
    lines.append(
        f"| short labelled texts (ours) | {result['total']} | {result['correct']} right; non-English "
        f"{right} / {len(non_english)} |"
    )
    kept = {
        "short_texts.accuracy": result["correct"] / result["total"],
        "short_texts.non_english_accuracy": right / len(non_english),
    }
    tweets_file = data / "vader_icwsm2014" / "tweets_GroundTruth.txt"
    if tweets_file.is_file():
        tweets = [
            line.split("\t", 2)[2] for line in tweets_file.read_text(encoding="utf-8-sig").splitlines() if line.count("\t") >= 2
        ]
        other = sum(detect(t, DEFAULT_LANGUAGES) not in SCORED_LANGUAGES for t in tweets)
        lines.append(
            f"| VADER tweets (English) | {len(tweets):,} | {other} taken for another language "
            f"({other / max(len(tweets), 1):.2%}) |"
        )
        kept["vader_tweets.english_kept"] = 1 - other / max(len(tweets), 1)
    if all((data / "uci_sentiment_sentences" / name).is_file() for name in UCI_FILES):
        uci = english_false_alarms(data)
        lines.append(
            f"| UCI amazon + yelp sentences (English) | {uci['texts']:,} | {uci['not_english']} taken for another language |"
        )
        kept["uci.english_kept"] = 1 - uci["not_english"] / max(uci["texts"], 1)
    if figures is not None:
        figures.update({f"language.{k}": v for k, v in kept.items()})
    return "\n".join(lines) + "\n"
