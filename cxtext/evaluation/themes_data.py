"""The public labelled sets that measure the taxonomy across industries, each cut in two halves.

Each item has a stable id; ``half_of(id)`` puts it in the **dev** half (patterns are written and
tuned there) or the **report** half (figures are reported there, texts not read while writing):
the SHA-256 of the id's UTF-8 bytes, its first 8 hex digits read as an integer, even -> dev, odd
-> report. Ids are the data set's own where it has them (complaint id, review id, sentence id),
else the row number (clothing reviews) or product and review number (Hu & Liu, so a review's
sentences stay together). Each id is prefixed with the set's name, so two sets never share a cut.
"""

from __future__ import annotations

import csv
import hashlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from cxtext.evaluation.datasets import DataMissing, detokenise

HALVES = ("dev", "report")

#: CFPB issue names that changed over the years, merged into the current name.
CFPB_ISSUE_RENAMES = {
    "Incorrect information on credit report": "Incorrect information on your report",
    "Credit reporting company's investigation": "Problem with a credit reporting company's investigation into an existing problem",
    "Cont'd attempts collect debt not owed": "Attempts to collect debt not owed",
    "Problem with a company's investigation into an existing issue": "Problem with a company's investigation into an existing problem",
    "Dealing with my lender or servicer": "Dealing with your lender or servicer",
    "Charged fees or interest I didn't expect": "Charged fees or interest you didn't expect",
    "Closing your account": "Closing an account",
    "Struggling to repay your loan": "Struggling to pay your loan",
    "Getting the loan": "Getting a loan or lease",
    "Improper contact or sharing of info": "Threatened to contact someone or share information improperly",
    "Taking/threatening an illegal action": "Took or threatened to take negative or legal action",
    "Payoff process": "Problem with the payoff process at the end of the loan",
}


def half_of(item_id: str) -> str:
    """'dev' or 'report' (see the module's docstring)."""
    return HALVES[int(hashlib.sha256(item_id.encode("utf-8")).hexdigest()[:8], 16) % 2]


@dataclass(frozen=True)
class Item:
    """One unit of feedback: a complaint narrative, a review or a review sentence."""

    id: str
    text: str
    negative: bool
    gold: dict = field(default_factory=dict)
    group: str = ""  # what the half is cut on when not the id: a Hu & Liu sentence goes with its review

    @property
    def half(self) -> str:
        return half_of(self.group or self.id)


@dataclass(frozen=True)
class EvalSet:
    """A labelled set; *precision* names how its theme assignments are checked."""

    name: str
    unit: str
    industry: str
    precision: str  # "issues" | "categories" | "aspect_terms" | "features" | "judged"
    items: tuple[Item, ...]
    retail: bool = False  # reported with core alone and with core + retail

    def half(self, name: str) -> list[Item]:
        return [item for item in self.items if item.half == name]


def load_cfpb(data_dir: Path) -> EvalSet:
    """Complaint narratives (every one is negative feedback) with their issue, older names merged."""
    folder = data_dir / "cfpb_complaints_sample"
    files = sorted(folder.glob("complaints_sample_*.csv")) if folder.is_dir() else []
    if not files:
        raise DataMissing(f"{folder} has no complaints_sample_*.csv")
    items: dict[str, Item] = {}
    for path in files:
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                text = (row.get("Consumer complaint narrative") or "").strip()
                if text:
                    issue = CFPB_ISSUE_RENAMES.get(row["Issue"], row["Issue"])
                    item_id = f"cfpb:{row['Complaint ID']}"
                    items[item_id] = Item(item_id, text, True, {"issue": issue, "product": row["Product"]})
    return EvalSet("Consumer-finance complaints (CFPB)", "narrative", "consumer finance", "issues", tuple(items.values()))


def load_app_reviews(data_dir: Path) -> EvalSet:
    path = data_dir / "maalej2015_app_reviews" / "app_reviews.csv"
    if not path.is_file():
        raise DataMissing(f"{path} not found")
    with open(path, newline="", encoding="utf-8") as handle:
        items = tuple(
            Item(
                f"app:{row['review_id']}",
                " ".join(p for p in (row["title"].strip(), row["text"].strip()) if p),
                int(row["stars"]) <= 2,
                {"labels": row["labels"].split(";")},
            )
            for row in csv.DictReader(handle)
            if row["text"].strip()
        )
    return EvalSet("App reviews (Maalej et al.)", "review", "mobile apps", "judged", items)


def _semeval(data_dir: Path, file_names: tuple[str, ...], prefix: str) -> list[Item]:
    items = []
    for file_name in file_names:
        path = data_dir / "semeval2014_absa" / file_name
        if not path.is_file():
            raise DataMissing(f"{path} not found")
        for sentence in ET.parse(path).getroot().iter("sentence"):
            text = sentence.findtext("text", "").strip()
            terms = [
                (t.get("term"), int(t.get("from")), int(t.get("to")), t.get("polarity")) for t in sentence.iter("aspectTerm")
            ]
            categories = [(c.get("category"), c.get("polarity")) for c in sentence.iter("aspectCategory")]
            negative = any(p == "negative" for *_, p in terms) or any(p == "negative" for _, p in categories)
            items.append(
                Item(
                    f"{prefix}:{file_name.split('_')[1].lower()}:{sentence.get('id')}",
                    text,
                    negative,
                    {"terms": terms, "categories": categories},
                )
            )
    return items


def load_restaurants(data_dir: Path) -> EvalSet:
    items = _semeval(data_dir, ("Restaurants_Train_v2.xml", "Restaurants_Test_Gold.xml"), "restaurants")
    return EvalSet("SemEval-2014 restaurants", "sentence", "restaurants", "categories", tuple(items))


def load_laptops(data_dir: Path) -> EvalSet:
    items = _semeval(data_dir, ("Laptop_Train_v2.xml", "Laptops_Test_Gold.xml"), "laptops")
    return EvalSet("SemEval-2014 laptops", "sentence", "consumer electronics", "aspect_terms", tuple(items))


_HULIU_FEATURE = re.compile(r"([^,\[\]]+?)\s*((?:\[[^\]]*\])+)")


def huliu_features(tags: str) -> list[tuple[str, int, bool]]:
    """(feature, summed opinion strength, written in the sentence) of a line's tag part."""
    features = []
    for name, marks in _HULIU_FEATURE.findall(tags):
        strength = sum((1 if s == "+" else -1) * int(n or 1) for s, n in re.findall(r"\[([+-])(\d?)\]", marks))
        features.append((name.strip(), strength, "[u]" not in marks and "[p]" not in marks))
    return features


def load_huliu(data_dir: Path) -> EvalSet:
    """Review sentences of 5 products; a sentence is negative when a feature's opinion is."""
    folder = data_dir / "huliu2004_customer_reviews"
    files = sorted(p for p in folder.glob("*.txt") if p.name.lower() != "readme.txt") if folder.is_dir() else []
    if not files:
        raise DataMissing(f"{folder} has no review files")
    items = []
    for path in files:
        review, line_number = 0, 0
        for line in path.read_text(encoding="latin-1").splitlines():
            if line.startswith("[t]"):
                review += 1
            if "##" not in line or line.startswith("[t]"):
                continue
            line_number += 1
            tags, sentence = line.split("##", 1)
            features = huliu_features(tags)
            items.append(
                Item(
                    f"huliu:{path.stem}#{review}/{line_number}",
                    detokenise(sentence),
                    any(s < 0 for _, s, _ in features),
                    {"features": features},
                    f"huliu:{path.stem}#{review}",
                )
            )
    return EvalSet("Product reviews (Hu & Liu)", "sentence", "consumer electronics", "features", tuple(items))


def load_clothing(data_dir: Path) -> EvalSet:
    path = data_dir / "womens_clothing_reviews" / "womens_clothing_reviews.csv"
    if not path.is_file():
        raise DataMissing(f"{path} not found")
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        col = {name: i for i, name in enumerate(header)}
        items = tuple(
            Item(
                f"clothing:{row[0]}",
                " ".join(p for p in (row[col["Title"]].strip(), row[col["Review Text"]].strip()) if p),
                int(row[col["Rating"]]) <= 2,
                {"rating": int(row[col["Rating"]]), "class": row[col["Class Name"]]},
            )
            for row in reader
            if row[col["Review Text"]].strip()
        )
    return EvalSet("Women's clothing reviews", "review", "online fashion retail", "judged", items, retail=True)


LOADERS = (load_cfpb, load_app_reviews, load_restaurants, load_laptops, load_huliu, load_clothing)


def load_sets(data_dir: Path) -> tuple[list[EvalSet], list[str]]:
    """Every set found, and a line for each one that is missing."""
    found, missing = [], []
    for load in LOADERS:
        try:
            found.append(load(data_dir))
        except DataMissing as exc:
            missing.append(str(exc))
    return found, missing
