"""Stars tasks: does a review's document sentiment separate the customers who gave 1-2 stars from
those who gave 4-5? On the women's clothing reviews and the app reviews (Maalej et al.), title and
text together, macro-F1 over the two classes with a neutral label counted as a miss (3 stars left
out). Each set is split in two halves by a hash of the review id: *development* (choices such as
the document rule were made on it; the learned model is fitted on it) and *reporting* (only
measured). Figures are on the reporting half."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cxtext.evaluation.datasets import TWO, DataMissing
from cxtext.evaluation.metrics import macro_f1
from cxtext.text import learned
from cxtext.text.nlp import clean_text, load_nlp, sentences
from cxtext.text.sentiment import SentimentScorer, document_compound, label_for, peak_end

#: (key, name, folder/file, id column, stars column, title column, text column)
SETS = (
    (
        "clothing",
        "Women's clothing reviews",
        "womens_clothing_reviews/womens_clothing_reviews.csv",
        "",
        "Rating",
        "Title",
        "Review Text",
    ),
    (
        "app_reviews",
        "App reviews (Maalej et al.)",
        "maalej2015_app_reviews/app_reviews.csv",
        "review_id",
        "stars",
        "title",
        "text",
    ),
)


@dataclass(frozen=True)
class StarsSet:
    key: str
    name: str
    ids: list[str]
    stars: list[int]
    texts: list[str]


def half(review_id: str) -> str:
    """'dev' or 'report', by the parity of the id's SHA-256: stable and independent of row order."""
    return "dev" if int(hashlib.sha256(review_id.encode()).hexdigest(), 16) % 2 == 0 else "report"


def title_and_text(title: str, text: str) -> str:
    """The title as the review's first sentence (a full stop added when it has no end mark)."""
    title, text = title.strip(), text.strip()
    if not title:
        return text
    return f"{title}{'' if title[-1] in '.!?' else '.'} {text}".strip()


def load(data_dir: Path, key: str, name: str, file: str, id_col: str, stars_col: str, title_col: str, text_col: str) -> StarsSet:
    path = data_dir / file
    if not path.is_file():
        raise DataMissing(f"{path} not found")
    ids, stars, texts = [], [], []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = title_and_text(row.get(title_col) or "", row.get(text_col) or "")
            if not (row.get(text_col) or "").strip() or not (row.get(stars_col) or "").strip():
                continue
            ids.append(row[id_col])
            stars.append(int(row[stars_col]))
            texts.append(text)
    return StarsSet(key, name, ids, stars, texts)


def _methods(s: StarsSet, rows: list[int]) -> dict[str, list[str]]:
    """Each lexicon method's document label of the given rows."""
    plain, default = SentimentScorer(mode="plain"), SentimentScorer()
    texts = [s.texts[i] for i in rows]
    compounds = []
    for doc in load_nlp().pipe((clean_text(t, kind="review").text for t in texts), batch_size=256):
        compounds.append([default.polarity(doc.text[x.start_char : x.end_char]).compound for x in sentences(doc)])
    return {
        "plain": [plain.polarity(t).label for t in texts],
        "whole": [default.polarity(t).label for t in texts],
        "peak_end": [label_for(peak_end(c) or 0.0) for c in compounds],
        "document": [label_for(document_compound(c) or 0.0) for c in compounds],
    }


METHODS = {
    "plain": "plain VADER on the whole text",
    "whole": "CX lexicon, VADER on the whole text (before this rule)",
    "peak_end": "CX lexicon, peak-end of the sentences",
    "document": "**CX lexicon, document rule** (negativity-weighted mean of the sentences)",
    "learned": "learned from the development half's stars (TF-IDF + logistic regression)",
}


def evaluate_set(s: StarsSet) -> tuple[dict[str, dict[str, float]], dict]:
    """macro-F1 of every method on each half (the learned model on the reporting half only)."""
    polar = [i for i, star in enumerate(s.stars) if star != 3]
    gold = {i: "positive" if s.stars[i] >= 4 else "negative" for i in polar}
    by_half = {h: [i for i in polar if half(s.ids[i]) == h] for h in ("dev", "report")}
    scores: dict[str, dict[str, float]] = {}
    for h, rows in by_half.items():
        for method, labels in _methods(s, rows).items():
            scores.setdefault(method, {})[h] = macro_f1([gold[i] for i in rows], labels, TWO)
    info = {"dev": len(by_half["dev"]), "report": len(by_half["report"]), "learn_error": ""}
    try:
        model = learned.fit([s.texts[i] for i in by_half["dev"]], [gold[i] == "positive" for i in by_half["dev"]], source=s.key)
        predicted = model.labels([s.texts[i] for i in by_half["report"]])
        scores["learned"] = {"report": macro_f1([gold[i] for i in by_half["report"]], predicted, TWO)}
    except ValueError as exc:
        info["learn_error"] = str(exc)
        scores["learned"] = {"report": 0.0}
    return scores, info


def evaluate_stars(data_dir: Path, figures: dict[str, float] | None = None) -> str:
    """The stars section of EVALUATION.md; its figures (reporting half) go into *figures*."""
    lines = [
        "### Stars: 1-2 against 4-5 stars (document labels)\n",
        " ".join(__doc__.split()) + "\n",
        "The document rule (`document_compound`): the mean of the sentences' compounds, "
        "a negative sentence weighing twice as much as a positive or neutral one; thresholds ±0.05 as everywhere. "
        "It was chosen on the development half among the whole text's compound, the plain mean, the "
        "mean of sentence labels, peak-end, first-and-last and negative weights 1.5 / 2 / 3 (table "
        "below, development column); the reporting half was not looked at until it was chosen.\n",
    ]
    missing = []
    for key, name, *rest in SETS:
        try:
            s = load(Path(data_dir), key, name, *rest)
        except DataMissing as exc:
            missing.append(str(exc))
            continue
        scores, info = evaluate_set(s)
        lines += [
            f"**{name}**: {info['dev']:,} development and {info['report']:,} reporting reviews "
            "(3 stars and empty texts left out).\n",
            "| method | development macro-F1 | **reporting macro-F1** |",
            "|---|---:|---:|",
        ]
        for method, label in METHODS.items():
            dev = scores[method].get("dev")
            lines.append(f"| {label} | {'—' if dev is None else f'{dev:.3f}'} | {scores[method]['report']:.3f} |")
        if info["learn_error"]:
            lines.append(f"\nNot learned: {info['learn_error']}.")
        lines.append("")
        if figures is not None:
            for method in ("document", "peak_end", "learned"):
                figures[f"stars.{key}.{method}_macro_f1"] = scores[method]["report"]
            figures[f"stars.{key}.document_gain"] = scores["document"]["report"] - scores["plain"]["report"]
    if missing:
        lines.append("Not found (skipped):\n\n" + "\n".join(f"- {m}" for m in missing) + "\n")
    return "\n".join(lines)
