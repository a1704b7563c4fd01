"""The fast VADER against the library, on real and generated text: the same scores, and the CPU.

    python -m cxtext.devtools.vader_check [--data ../shared/data] [--generated 100000] [--repeats 5]

Texts: every line of every file of the data folder, every field of its CSV files, and every
sentence of those (split after . ! ?); the sample data; N generated records (the bench's
generator and seed); each distinct text once. Each is scored by the library's
``SentimentIntensityAnalyzer`` and by :class:`~cxtext.text.vader_fast.FastSentimentIntensityAnalyzer`
with VADER's own lexicon, and again, rewritten as the default scorer rewrites it, with the
CX-extended lexicon; the dicts' reprs are compared (so -0.0 against 0.0 would count). Then both
score the same texts in turns, several times (CPU time, ``time.process_time``: the machine is
shared), and the median of each is reported.
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from cxtext.text import sentiment
from cxtext.text.vader_fast import FastSentimentIntensityAnalyzer

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def _folder_texts(folder: Path) -> list[str]:
    """Every line of every file, every CSV field, and their sentences."""
    texts: list[str] = []
    csv.field_size_limit(1 << 24)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        raw = path.read_bytes().decode("utf-8", errors="replace")
        texts += raw.splitlines()
        if path.suffix == ".csv":
            texts += [field for row in csv.reader(raw.splitlines(keepends=True)) for field in row]
    return texts + [s for text in texts for s in _SENTENCE_END.split(text)]


def _generated(n: int) -> list[str]:
    from cxtext.devtools.bench import generate

    with tempfile.TemporaryDirectory() as tmp:
        return [text for _, text in generate(Path(tmp), n, seed=20261123)]


def _pairs():
    """(name, library analyzer, fast analyzer, rewrite) for VADER's lexicon and the CX one."""
    cx, rewrite = sentiment._analyzer("default", sentiment.get_scorer().lexicon_path)
    slow_cx, fast_cx = SentimentIntensityAnalyzer(), FastSentimentIntensityAnalyzer()
    slow_cx.lexicon = fast_cx.lexicon = cx.lexicon
    return [
        ("plain", SentimentIntensityAnalyzer(), FastSentimentIntensityAnalyzer(), lambda text: text),
        ("cx", slow_cx, fast_cx, rewrite),
    ]


def identity(sets: dict[str, list[str]]) -> int:
    """Print texts compared and differences per set and lexicon; return the differences."""
    differences = 0
    for name, slow, fast, rewrite in _pairs():
        for label, texts in sets.items():
            compared = different = 0
            for text in dict.fromkeys(rewrite(t) for t in texts):
                compared += 1
                if repr(slow.polarity_scores(text)) != repr(fast.polarity_scores(text)):
                    different += 1
                    print(f"  DIFFERENT ({name}): {text[:200]!r}", file=sys.stderr)
            print(f"identity {name:5} {label:10} texts compared {compared:8,}  differences {different}")
            differences += different
    return differences


def cpu(texts: list[str], repeats: int) -> None:
    """Median CPU seconds of each analyzer over the texts, run in turns, and their ratio."""
    for name, slow, fast, rewrite in _pairs():
        rewritten = [rewrite(t) for t in texts]
        seconds: dict[str, list[float]] = {"library": [], "fast": []}
        for repeat in range(repeats):
            turns = [("library", slow), ("fast", fast)]
            for label, analyzer in turns if repeat % 2 == 0 else turns[::-1]:
                clock = time.process_time()
                for text in rewritten:
                    analyzer.polarity_scores(text)
                seconds[label].append(time.process_time() - clock)
        old, new = statistics.median(seconds["library"]), statistics.median(seconds["fast"])
        print(
            f"cpu {name:5} {len(texts):,} texts, median of {repeats}: library {old:.2f} s, fast {new:.2f} s, "
            f"{old / new:.2f}x less CPU (library runs {', '.join(f'{s:.2f}' for s in seconds['library'])}; "
            f"fast {', '.join(f'{s:.2f}' for s in seconds['fast'])})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, help="a data folder (every line of every file)")
    parser.add_argument("--generated", type=int, default=100_000, help="generated records")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each analyzer")
    parser.add_argument("--timed", type=int, default=20_000, help="generated texts timed")
    args = parser.parse_args(argv)
    sets = {"sample": _folder_texts(_SAMPLE), "generated": _generated(args.generated)}
    if args.data and args.data.is_dir():
        sets["data"] = _folder_texts(args.data)
    differences = identity(sets)
    if args.repeats:
        cpu(sets["generated"][: args.timed], args.repeats)
        if "data" in sets:
            cpu(list(dict.fromkeys(sets["data"])), args.repeats)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
