"""The public labelled data sets, each read in its documented file format (the data folder is an
argument and only read; nothing from it is copied into the project)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from cxtext.errors import CxtextError
from cxtext.text.sentiment import label_for

THREE = ("negative", "neutral", "positive")


TWO = ("negative", "positive")


VADER_SETS = {
    "tweets": "tweets",
    "movie": "movieReviewSnippets",
    "amazon": "amazonReviewSnippets",
    "nyt": "nytEditorialSnippets",
}


@dataclass(frozen=True)
class Dataset:
    """Texts with gold labels, and human mean ratings when the set has them."""

    name: str
    texts: list[str]
    labels: list[str]
    classes: tuple[str, ...]
    review: bool  # customer review text (the lexicon's target) or other text
    ratings: list[float] | None = None
    note: str = ""


class DataMissing(CxtextError):
    """A data set's files are not in the data folder."""


def _read_lines(path: Path, encoding: str = "utf-8-sig") -> list[str]:
    if not path.is_file():
        raise DataMissing(f"{path.parent.name}/{path.name} not found in the data folder")
    return [line for line in path.read_text(encoding=encoding).splitlines() if line.strip()]


def rating_label(mean: float, scale: float = 4.0) -> str:
    """Gold label of a human mean rating on -4..+4: normalised to [-1, 1], then the same ±0.05
    thresholds as the predictions (the paper does not say how it binned the gold means)."""
    return label_for(mean / scale)


def load_vader_set(data_dir: Path, key: str) -> Dataset:
    """One ICWSM-2014 set: `id<TAB>mean<TAB>text`, CRLF, some files with a BOM."""
    path = data_dir / "vader_icwsm2014" / f"{VADER_SETS[key]}_GroundTruth.txt"
    rows = [line.split("\t", 2) for line in _read_lines(path)]
    ratings = [float(row[1]) for row in rows]
    return Dataset(
        name=f"VADER {key}",
        texts=[row[2] for row in rows],
        labels=[rating_label(r) for r in ratings],
        classes=THREE,
        review=key == "amazon",
        ratings=ratings,
    )


def load_uci(data_dir: Path, part: str) -> Dataset:
    """Kotzias et al. 2015: `sentence<TAB>label`, 1 positive, 0 negative, no neutral sentences."""
    rows = [line.rsplit("\t", 1) for line in _read_lines(data_dir / "uci_sentiment_sentences" / f"{part}_labelled.txt")]
    return Dataset(
        name=f"UCI {part.split('_')[0]}",
        texts=[row[0].strip() for row in rows],
        labels=["positive" if row[1].strip() == "1" else "negative" for row in rows],
        classes=TWO,
        review=part != "imdb",
        note="2-class",
    )


_HULIU_TAG = re.compile(r"\[([+-])(\d?)")


_PTB_CONTRACTION = re.compile(r" (n't|'s|'re|'ve|'m|'ll|'d)\b", re.IGNORECASE)


def detokenise(text: str) -> str:
    """Undo the PTB tokenisation of contractions ("does n't" -> "doesn't"): real feedback is not
    tokenised, and VADER and the lexicon read contractions as written."""
    return _PTB_CONTRACTION.sub(r"\1", text.strip())


def huliu_label(tags: str) -> str | None:
    """Sentence label from Hu & Liu's feature tags: the sign of the summed opinion strengths
    (`[+n]`, `[-n]`, a missing n counts 1); None for no opinion tag or a sum of 0 (mixed)."""
    total = sum((1 if sign == "+" else -1) * int(n or 1) for sign, n in _HULIU_TAG.findall(tags))
    return None if total == 0 else ("positive" if total > 0 else "negative")


def load_huliu(data_dir: Path) -> Dataset:
    """Hu & Liu 2004: `tags##sentence` lines (Latin-1); `[t]` lines are titles."""
    folder = data_dir / "huliu2004_customer_reviews"
    files = sorted(p for p in folder.glob("*.txt") if p.name.lower() != "readme.txt") if folder.is_dir() else []
    if not files:
        raise DataMissing(f"{folder} has no review files")
    texts, labels, untagged, mixed = [], [], 0, 0
    for path in files:
        for line in _read_lines(path, encoding="latin-1"):
            if "##" not in line or line.startswith("[t]"):
                continue
            tags, sentence = line.split("##", 1)
            label = huliu_label(tags)
            if label is None:
                untagged += not _HULIU_TAG.search(tags)
                mixed += bool(_HULIU_TAG.search(tags))
                continue
            texts.append(detokenise(sentence))
            labels.append(label)
    note = f"2-class; {untagged:,} sentences without opinion tags and {mixed:,} with a zero sum left out"
    return Dataset("Hu & Liu 2004", texts, labels, TWO, review=True, note=note)


def combine_polarities(polarities: list[str]) -> str | None:
    """One sentence label from its aspect polarities: positive (or negative) if every aspect is
    that or neutral, neutral if all are neutral; None (left out) when positive and negative
    aspects meet or any is 'conflict'."""
    kinds = set(polarities)
    if not kinds or "conflict" in kinds or {"positive", "negative"} <= kinds:
        return None
    for label in ("positive", "negative"):
        if label in kinds:
            return label
    return "neutral"


def semeval_sentences(path: Path, element: str) -> list[tuple[str, list[ET.Element]]]:
    if not path.is_file():
        raise DataMissing(f"{path.parent.name}/{path.name} not found in the data folder")
    root = ET.parse(path).getroot()
    return [(s.findtext("text", "").strip(), s.findall(f".//{element}")) for s in root.iter("sentence")]


def load_semeval(data_dir: Path, file_name: str, element: str, name: str) -> Dataset:
    """SemEval-2014 task 4 sentences labelled by :func:`combine_polarities` over `element`
    (aspectCategory for restaurants, aspectTerm for laptops, which have no categories)."""
    texts, labels, left_out = [], [], 0
    for text, aspects in semeval_sentences(data_dir / "semeval2014_absa" / file_name, element):
        label = combine_polarities([a.get("polarity", "") for a in aspects])
        if label is None:
            left_out += 1
            continue
        texts.append(text)
        labels.append(label)
    what = "aspect categories" if element == "aspectCategory" else "aspect terms"
    note = f"labels from {what}; {left_out:,} sentences without any, or mixed/conflict, left out"
    return Dataset(name, texts, labels, THREE, review=True, note=note)


def load_datasets(data_dir: Path) -> tuple[list[Dataset], list[str]]:
    """Every data set found, and a line for each one that is missing."""
    loaders = [(lambda k=k: load_vader_set(data_dir, k)) for k in VADER_SETS]
    loaders += [
        lambda: load_uci(data_dir, "amazon_cells"),
        lambda: load_uci(data_dir, "yelp"),
        lambda: load_uci(data_dir, "imdb"),
        lambda: load_huliu(data_dir),
        lambda: load_semeval(data_dir, "Restaurants_Train_v2.xml", "aspectCategory", "SemEval-14 restaurants train"),
        lambda: load_semeval(data_dir, "Restaurants_Test_Gold.xml", "aspectCategory", "SemEval-14 restaurants test"),
        lambda: load_semeval(data_dir, "Laptop_Train_v2.xml", "aspectTerm", "SemEval-14 laptops train"),
        lambda: load_semeval(data_dir, "Laptops_Test_Gold.xml", "aspectTerm", "SemEval-14 laptops test"),
    ]
    found, missing = [], []
    for load in loaders:
        try:
            found.append(load())
        except DataMissing as exc:
            missing.append(str(exc))
    return found, missing
