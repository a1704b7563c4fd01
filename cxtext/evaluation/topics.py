"""Evaluation of cxtext's topic discovery on labelled public data and on the sample data.

    python -m cxtext.evaluation.topics --data ../shared/data --sample sample_data --out docs/TOPICS.md

Compares the feature spaces of :class:`cxtext.text.topics.TopicModel` side by side:

- (a) SemEval-2014 restaurant sentences with exactly one aspect category: NMI and adjusted Rand
  index against the categories, with k = the number of categories and with k chosen by silhouette;
- (b) the sample data: how well the records of each planted theme (manifest.json) concentrate in
  one topic (share of the theme's records in its best-matching topic, and that topic's purity);
- fit time on the sample (~4,200 docs) and on 20,000 public review sentences.

The data folders are only read; nothing from them is copied into the project.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shlex
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from cxtext.evaluation.report import package_version, write_report
from cxtext.text.topics import FEATURES, MIN_SIMILARITY, TopicModel

SEEDS = (0, 1, 2)
SEMEVAL_FILES = ("Restaurants_Train_v2.xml", "Restaurants_Test_Gold.xml")
SEMEVAL_K_RANGE = (3, 24)  # wide enough to contain the 5 categories
SAMPLE_FIXED_K = 12
TIMING_DOCS = 20_000
TIMING_FILES = {
    "semeval2014_absa": (
        "Restaurants_Train_v2.xml",
        "Restaurants_Test_Gold.xml",
        "Laptop_Train_v2.xml",
        "Laptops_Test_Gold.xml",
    ),
    "vader_icwsm2014": ("amazonReviewSnippets_GroundTruth.txt", "movieReviewSnippets_GroundTruth.txt"),
}
#: In the output file, everything after this line is written by hand and kept by main().
NOTES_MARKER = "<!-- hand-written notes below: kept when the file is regenerated -->"
SAMPLE_FILES = (
    ("reviews.csv", "review_id", "text", "review"),
    ("survey_comments.csv", "response_id", "comment", "survey"),
    ("social_mentions.jsonl", "id", "text", "social"),
)


@dataclass
class Corpus:
    name: str
    docs: list[str]  # analysis-ready lemma text
    labels: list[str] | None = None  # gold categories (SemEval)
    ids: list[str] | None = None  # record ids (sample data)


# --- data ------------------------------------------------------------------------------------


def lemmatise(texts: list[str]) -> list[str]:
    """The analysis text the pipeline gives the topic model: alphabetic lemmas joined by spaces."""
    from cxtext.text.nlp import load_nlp

    nlp = load_nlp()
    return [" ".join(t.lemma_ for t in doc if t.is_alpha) for doc in nlp.pipe(texts, batch_size=256)]


def load_semeval(data_dir: Path) -> Corpus:
    """Restaurant sentences (train + test gold) whose aspect categories are exactly one."""
    texts, labels = [], []
    for name in SEMEVAL_FILES:
        path = data_dir / "semeval2014_absa" / name
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found")
        for sentence in ET.parse(path).getroot().iter("sentence"):
            categories = {c.get("category") for c in sentence.findall(".//aspectCategory")}
            if len(categories) == 1:
                texts.append(sentence.findtext("text", "").strip())
                labels.append(categories.pop())
    return Corpus("SemEval-2014 restaurants", lemmatise(texts), labels=labels)


def load_sample(sample_dir: Path) -> tuple[Corpus, dict[str, set[str]]]:
    """Every good record of the sample data (not malformed, first of exact duplicates), social
    text cleaned, and the record ids of each planted theme."""
    from cxtext.text.nlp import clean_text

    manifest = json.loads((sample_dir / "manifest.json").read_text(encoding="utf-8"))
    malformed = {m["record_id"] for m in manifest["malformed"]}
    ids, texts, seen = [], [], set()
    for file_name, id_field, text_field, kind in SAMPLE_FILES:
        path = sample_dir / file_name
        if path.suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                records = list(csv.DictReader(handle))
        else:
            records = []
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        for record in records:
            record_id, text = record.get(id_field), (record.get(text_field) or "").strip()
            if not text or record_id in malformed or record_id in seen:
                continue
            seen.add(record_id)
            ids.append(record_id)
            texts.append(clean_text(text, kind=kind).text)
    planted = {p["id"]: {r for rs in p["records"].values() for r in rs} for p in manifest["planted"]}
    return Corpus("sample data", lemmatise(texts), ids=ids), planted


def load_timing_pool(data_dir: Path, n: int = TIMING_DOCS) -> list[str]:
    """Up to n public review sentences (SemEval restaurants and laptops, VADER Amazon and movie
    snippets), for timing only."""
    texts: list[str] = []
    for folder, names in TIMING_FILES.items():
        for name in names:
            path = data_dir / folder / name
            if not path.is_file():
                continue
            if path.suffix == ".xml":
                texts += [s.findtext("text", "").strip() for s in ET.parse(path).getroot().iter("sentence")]
            else:
                for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                    parts = line.split("\t")
                    if len(parts) >= 3:
                        texts.append(parts[2])
    return lemmatise(texts[:n])


# --- metrics ---------------------------------------------------------------------------------


def planted_concentration(ids: list[str], topics: np.ndarray, planted: dict[str, set[str]]) -> dict[str, tuple]:
    """Per planted theme: (share of its records in its best-matching topic, that topic's purity,
    the topic id)."""
    result = {}
    for theme, records in planted.items():
        member = np.array([i in records for i in ids])
        counts = Counter(topics[member].tolist())
        best, hits = counts.most_common(1)[0]
        result[theme] = (hits / member.sum(), hits / np.sum(topics == best), best)
    return result


def _fit(corpus: Corpus, features: str, seed: int, **params) -> tuple[TopicModel, np.ndarray, float]:
    started = time.perf_counter()
    model = TopicModel(features=features, random_state=seed, **params).fit(corpus.docs)
    return model, model.predict(corpus.docs), time.perf_counter() - started


def _ms(values: list[float], digits: int = 3) -> str:
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}"


# --- sections --------------------------------------------------------------------------------


def semeval_section(corpus: Corpus, features: list[str]) -> str:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    k_true = len(set(corpus.labels))
    counts = ", ".join(f"{c} {n:,}" for c, n in Counter(corpus.labels).most_common())
    lines = [
        "## (a) SemEval-2014 restaurant sentences, one aspect category each\n",
        f"{len(corpus.docs):,} sentences (train + test gold) whose aspect categories are exactly one: {counts}. "
        f"Mean ± standard deviation over random_state {', '.join(map(str, SEEDS))}. NMI and adjusted Rand index "
        f"(ARI) against the categories; ARI is 0 for a random partition. Chosen k: silhouette in "
        f"[{SEMEVAL_K_RANGE[0]}, {SEMEVAL_K_RANGE[1]}].\n",
        f"| features | NMI, k={k_true} | ARI, k={k_true} | fit s, k={k_true} "
        "| chosen k | NMI, chosen k | ARI, chosen k | fit s, chosen k |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in features:
        row = {key: [] for key in ("nmi", "ari", "s", "k", "nmi_c", "ari_c", "s_c")}
        for seed in SEEDS:
            _, topics, seconds = _fit(corpus, name, seed, n_topics=k_true)
            row["nmi"].append(normalized_mutual_info_score(corpus.labels, topics))
            row["ari"].append(adjusted_rand_score(corpus.labels, topics))
            row["s"].append(seconds)
            model, topics, seconds = _fit(corpus, name, seed, k_min=SEMEVAL_K_RANGE[0], k_max=SEMEVAL_K_RANGE[1])
            row["k"].append(model.n_topics_)
            row["nmi_c"].append(normalized_mutual_info_score(corpus.labels, topics))
            row["ari_c"].append(adjusted_rand_score(corpus.labels, topics))
            row["s_c"].append(seconds)
        lines.append(
            f"| {name} | {_ms(row['nmi'])} | {_ms(row['ari'])} | {np.mean(row['s']):.1f} | "
            f"{', '.join(map(str, row['k']))} | {_ms(row['nmi_c'])} | {_ms(row['ari_c'])} | {np.mean(row['s_c']):.1f} |"
        )
    return "\n".join(lines) + "\n"


def sample_section(corpus: Corpus, planted: dict[str, set[str]], features: list[str]) -> str:
    themes = list(planted)
    sizes = ", ".join(f"{t} {len(planted[t])}" for t in themes)
    lines = [
        "## (b) Sample data: do the planted themes concentrate?\n",
        f"All {len(corpus.docs):,} good records of the sample data (reviews `text`, survey `comment`, social "
        f"`text` cleaned), clustered together, with k chosen by silhouette in [6, 24] (the defaults) and with "
        f"k fixed at {SAMPLE_FIXED_K}. For each planted theme ({sizes} records): the share of its records in its "
        f"best-matching topic / that topic's purity (the share of the topic's records that belong to the "
        f"theme). Mean over random_state {', '.join(map(str, SEEDS))}. Records mix several of the generator's "
        f"33 ideas, so share and purity cannot both reach 1; more topics trade share for purity.\n",
        "| features | k | " + " | ".join(themes) + " | mean share / purity | fit s |",
        "|---|---|" + "---|" * len(themes) + "---|---|",
    ]
    examples = {}
    for name in features:
        for n_topics in (None, SAMPLE_FIXED_K):
            per_theme = {t: [] for t in themes}
            ks, seconds = [], []
            for seed in SEEDS:
                model, topics, took = _fit(corpus, name, seed, n_topics=n_topics)
                ks.append(model.n_topics_)
                seconds.append(took)
                found = planted_concentration(corpus.ids, topics, planted)
                for t in themes:
                    per_theme[t].append(found[t][:2])
                if seed == SEEDS[0] and n_topics is None:
                    examples[name] = {t: model.labels_.get(found[t][2], "(no topic)") for t in themes}
            cells = [f"{np.mean([s for s, _ in per_theme[t]]):.2f} / {np.mean([p for _, p in per_theme[t]]):.2f}" for t in themes]
            share = np.mean([s for t in themes for s, _ in per_theme[t]])
            purity = np.mean([p for t in themes for _, p in per_theme[t]])
            k_text = f"chosen: {', '.join(map(str, ks))}" if n_topics is None else str(n_topics)
            lines.append(
                f"| {name} | {k_text} | " + " | ".join(cells) + f" | {share:.2f} / {purity:.2f} | {np.mean(seconds):.1f} |"
            )
    lines += [
        "",
        f"Label of each theme's best-matching topic (k chosen, random_state {SEEDS[0]}):",
        "",
        "| features | " + " | ".join(themes) + " |",
        "|---|" + "---|" * len(themes),
    ]
    for name, labels in examples.items():
        lines.append(f"| {name} | " + " | ".join(labels[t] for t in themes) + " |")
    return "\n".join(lines) + "\n"


def stability_section(corpus: Corpus, features: list[str]) -> str:
    """How many topic ids survive a refit on more data with another random_state (align_to)."""
    rng = np.random.RandomState(0)
    n = len(corpus.docs)
    before_docs = [corpus.docs[i] for i in np.sort(rng.choice(n, int(0.8 * n), replace=False))]
    lines = [
        "## Topic ids across a refit\n",
        f"A model fitted on a random 80% of the sample data (random_state 0), then a refit on all of it with "
        f"random_state 1, renumbered by `align_to` (Hungarian matching of top-term weights, cosine >= "
        f"{MIN_SIMILARITY}). Kept: refit topics that kept an id; similarity of the kept pairs; same id: the share "
        f"of all {len(corpus.docs):,} records that get the same topic id from both models.\n",
        "| features | topics before / after | kept ids | new ids | similarity of kept (min / median) | same id |",
        "|---|---|---|---|---|---|",
    ]
    for name in features:
        before = TopicModel(features=name, random_state=0).fit(before_docs)
        after = TopicModel(features=name, random_state=1).fit(corpus.docs).align_to(before)
        kept = [v for v in after.alignment_.values() if v is not None]
        same = np.mean(before.predict(corpus.docs) == after.predict(corpus.docs))
        lines.append(
            f"| {name} | {before.n_topics_} / {after.n_topics_} | {len(kept)} | "
            f"{after.n_topics_ - len(kept)} | "
            f"{min(kept, default=0):.2f} / {np.median(kept) if kept else 0:.2f} | {same:.2f} |"
        )
    return "\n".join(lines) + "\n"


def timing_section(sample: Corpus, pool: list[str], features: list[str]) -> str:
    lines = [
        "## Fit and predict time\n",
        f"One process, one thread (`cxtext.text.topics.THREADS`), {os.cpu_count()} cores, random_state 0; k chosen "
        f"by silhouette in [6, 24] unless fixed. The 20,000 documents are public review sentences (SemEval-2014 "
        f"restaurants and laptops, VADER Amazon and movie snippets; only their text, for timing). Lemmatising "
        f"is not included.\n",
        "| features | docs | fit s, k chosen (k) | fit s, k=24 | predict docs/s |",
        "|---|---|---|---|---|",
    ]
    for name in features:
        for corpus in (sample, Corpus("pool", pool)):
            model, _, chosen = _fit(corpus, name, 0)
            _, _, fixed = _fit(corpus, name, 0, n_topics=24)
            started = time.perf_counter()
            model.predict(corpus.docs)
            rate = len(corpus.docs) / (time.perf_counter() - started)
            lines.append(f"| {name} | {len(corpus.docs):,} | {chosen:.1f} ({model.n_topics_}) | {fixed:.1f} | {rate:,.0f} |")
    return "\n".join(lines) + "\n"


def available_features() -> tuple[list[str], str]:
    """The feature spaces that can run here, and a note on any that cannot."""
    from cxtext.text.topics import load_wordllama

    try:
        load_wordllama()
    except ImportError as exc:
        return [f for f in FEATURES if f != "wordllama"], f"wordllama not measured: {exc}\n"
    return list(FEATURES), ""


def evaluate_topics(data_dir: Path, sample_dir: Path) -> str:
    """The Markdown body of docs/TOPICS.md: every table measured now, on the given folders."""
    features, note = available_features()
    semeval = load_semeval(Path(data_dir))
    sample, planted = load_sample(Path(sample_dir))
    pool = load_timing_pool(Path(data_dir))
    parts = [
        note,
        semeval_section(semeval, features),
        sample_section(sample, planted, features),
        stability_section(sample, features),
        timing_section(sample, pool, features),
    ]
    return "\n".join(p for p in parts if p)


def header(argv: list[str], seconds: float, started: datetime) -> str:
    names = ("cxtext", "scikit-learn", "numpy", "scipy", "spacy", "wordllama")
    packages = ", ".join(f"{n} {package_version(n)}" for n in names)
    command = "python -m cxtext.evaluation.topics " + " ".join(shlex.quote(a) for a in argv)
    return (
        "# Topic discovery: measurements\n\n"
        "Generated by `cxtext/evaluation/topics.py`: re-run the command to refresh the tables. The notes at "
        "the end are written by hand and kept when the file is regenerated.\n\n"
        f"- Command: `{command}`\n"
        f"- Date: {started:%Y-%m-%d %H:%M} UTC\n"
        f"- Python {platform.python_version()}; {packages}\n"
        f"- Took {seconds:.0f} s\n"
    )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m cxtext.evaluation.topics", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of the public labelled data sets")
    parser.add_argument("--sample", type=Path, default=Path("sample_data"), help="the sample data folder")
    parser.add_argument("--out", type=Path, help="Markdown file to write (default: print it)")
    args = parser.parse_args(argv)
    for option, folder in (("--data", args.data), ("--sample", args.sample)):
        if not folder.is_dir():
            parser.error(f"{option} {folder}: not a folder")
    started, clock = datetime.now(UTC), time.perf_counter()
    body = evaluate_topics(args.data, args.sample)
    report = header(argv, time.perf_counter() - clock, started) + "\n" + body
    if args.out:  # the hand-written notes at the end of the file are kept
        old = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
        report += "\n" + (old[old.index(NOTES_MARKER) :] if NOTES_MARKER in old else NOTES_MARKER + "\n")
    write_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
