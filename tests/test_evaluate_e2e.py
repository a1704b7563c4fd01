"""`cxtext eval --gate` end to end on a tiny stand-in for the public data folder, so that the
evaluation cannot rot unnoticed (it once stopped with a KeyError and nothing noticed). The stand-in
copies the layout and file formats the loaders read (a handful of made-up rows per set; UCI's imdb
is left out, as in the data folder CI reads), and a small generated sample stands in for
sample_data/. It also checks that models/eval/floors.toml names exactly the figures produced."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import quoteattr

from cxtext.devtools.sampledata import generate
from tests.conftest import ROOT

FLOORS = ROOT / "models" / "eval" / "floors.toml"

VADER_ROWS = [
    (2.6, "I love this, it is great!"),
    (-2.9, "This is terrible and awful."),
    (0.1, "The box is blue."),
    (1.4, "Pretty good overall, works fine."),
    (-1.8, "Delivery was late and support was useless."),
    (0.0, "It arrived on Tuesday."),
]
UCI_ROWS = [
    ("Great phone, love it.", 1),
    ("Battery died after a week.", 0),
    ("Works as described.", 1),
    ("Terrible customer service.", 0),
]
HULIU_LINES = [
    "[t]great camera",
    "picture quality[+2]##the picture quality is great .",
    "battery[-1]##the battery does n't last .",
    "##we bought it at the café .",
    "zoom[+1],lens[-1]##the zoom is fine but the lens is soft .",
    "menu[-2]##the menu is confusing .",
]
# (stars, title, text) of the clothing and app reviews
STARS_ROWS = [
    (5, "Love it", "Fits well and the fabric is soft."),
    (1, "", "It fell apart after one wash. Very sad."),
    (4, "Nice", "Good colour, a bit long."),
    (2, "Meh", "Too small and the seams are rough."),
    (3, "", "It is fine."),
    (5, "", "Great, crashes never! Five stars."),
]
# (text, {term: polarity}, {category: polarity}); laptops have no categories
RESTAURANTS = [
    (
        "The food was delicious but the service was terribly slow.",
        {"food": "positive", "service": "negative"},
        {"food": "positive", "service": "negative"},
    ),
    ("Prices are too high for what you get.", {"Prices": "negative"}, {"price": "negative"}),
    ("Lovely decor and quiet music.", {"decor": "positive", "music": "positive"}, {"ambience": "positive"}),
    ("We went there for my birthday.", {}, {"anecdotes/miscellaneous": "neutral"}),
    (
        "The pizza was good but the waiter was rude.",
        {"pizza": "positive", "waiter": "negative"},
        {"food": "positive", "service": "negative"},
    ),
    (
        "The pasta is great, the bill less so.",
        {"pasta": "positive", "bill": "negative"},
        {"food": "positive", "price": "conflict"},
    ),
    ("Molto bene!", {}, {"anecdotes/miscellaneous": "positive"}),  # taken for Italian: left unscored
]
LAPTOPS = [
    ("The battery life is great but the screen is dim.", {"battery life": "positive", "screen": "negative"}),
    ("The keyboard feels cheap.", {"keyboard": "negative"}),
    ("It boots fast.", {"boots": "positive"}),
    ("I use it for work.", {}),
]


def semeval_xml(rows) -> str:
    body = []
    for number, (text, terms, *categories) in enumerate(rows, start=1):
        parts = [f'<sentence id="{number}"><text>{text}</text>']
        if terms:
            spans = {t: (text.index(t), text.index(t) + len(t)) for t in terms}
            parts.append(
                "<aspectTerms>"
                + "".join(
                    f'<aspectTerm term={quoteattr(t)} polarity="{p}" from="{spans[t][0]}" to="{spans[t][1]}"/>'
                    for t, p in terms.items()
                )
                + "</aspectTerms>"
            )
        if categories:
            parts.append(
                "<aspectCategories>"
                + "".join(f'<aspectCategory category="{c}" polarity="{p}"/>' for c, p in categories[0].items())
                + "</aspectCategories>"
            )
        body.append("".join(parts) + "</sentence>")
    return '<?xml version="1.0" encoding="UTF-8"?>\n<sentences>\n' + "\n".join(body) + "\n</sentences>\n"


def stand_in(folder: Path) -> Path:
    """The data folder's layout with a few rows per set, in each set's own format."""
    vader = folder / "vader_icwsm2014"
    vader.mkdir(parents=True)
    for name in ("tweets", "movieReviewSnippets", "amazonReviewSnippets", "nytEditorialSnippets"):
        lines = "".join(f"{i}\t{mean}\t{text}\r\n" for i, (mean, text) in enumerate(VADER_ROWS, start=1))
        (vader / f"{name}_GroundTruth.txt").write_text(lines, encoding="utf-8-sig" if name == "tweets" else "utf-8")
    uci = folder / "uci_sentiment_sentences"
    uci.mkdir()
    for name in ("amazon_cells", "yelp"):
        (uci / f"{name}_labelled.txt").write_text("".join(f"{t}\t{label}\n" for t, label in UCI_ROWS), encoding="utf-8")
    huliu = folder / "huliu2004_customer_reviews"
    huliu.mkdir()
    (huliu / "Readme.txt").write_text("[t] not a review file\nx[+3]##never read .\n", encoding="latin-1")
    (huliu / "Canon G3.txt").write_text("\n".join(HULIU_LINES) + "\n", encoding="latin-1")
    semeval = folder / "semeval2014_absa"
    semeval.mkdir()
    for name, rows in (
        ("Restaurants_Train_v2.xml", RESTAURANTS),
        ("Restaurants_Test_Gold.xml", RESTAURANTS[:-1]),
        ("Laptop_Train_v2.xml", LAPTOPS),
        ("Laptops_Test_Gold.xml", LAPTOPS[:3]),
    ):
        (semeval / name).write_text(semeval_xml(rows), encoding="utf-8")
    clothing = folder / "womens_clothing_reviews"
    clothing.mkdir()
    rows = "".join(
        f'{i},{100 + i},30,{title},"{text}",{stars},1,0,General,Tops,Knits\n' for i, (stars, title, text) in enumerate(STARS_ROWS)
    )
    (clothing / "womens_clothing_reviews.csv").write_text(
        ",Clothing ID,Age,Title,Review Text,Rating,Recommended IND,Positive Feedback Count,Division Name,"
        "Department Name,Class Name\n" + rows,
        encoding="utf-8",
    )
    apps = folder / "maalej2015_app_reviews"
    apps.mkdir()
    rows = "".join(f'm{i},{stars},{title},"{text}",Rating,AppStore_Random\n' for i, (stars, title, text) in enumerate(STARS_ROWS))
    (apps / "app_reviews.csv").write_text("review_id,stars,title,text,labels,data_source\n" + rows, encoding="utf-8")
    suggestions = folder / "semeval2019_suggestions"
    suggestions.mkdir()
    rows = [
        ("Please add a dark mode.", 1),
        ("The app opened fine.", 0),
        ("It would be nice to export to PDF.", 1),
        ("I use it every day.", 0),
    ]
    (suggestions / "SubtaskA_Trial_Test_Labeled.csv").write_text(
        "id,sentence,label\n" + "".join(f'{i}_1,"{t}",{y}\n' for i, (t, y) in enumerate(rows)), encoding="latin-1"
    )
    (suggestions / "SubtaskA_EvaluationData_labeled.csv").write_text(
        "".join(f'{i},"{t}",{y}\n' for i, (t, y) in enumerate(rows)), encoding="latin-1"
    )
    reviews = [("It crashes on start", "Bug"), ("Please add a widget", "Feature"), ("Love it", "Rating")] * 5
    with (apps / "app_reviews.csv").open("a", encoding="utf-8") as labelled:  # 3 stars: outside the stars task
        labelled.write("".join(f"b{i},3,,{t} {i},{label},x\n" for i, (t, label) in enumerate(reviews)))
    cfpb = folder / "cfpb_complaints_sample"
    cfpb.mkdir()
    (cfpb / "complaints_sample_ZiyuYan9.csv").write_text(
        "Complaint ID,Product,Issue,Consumer complaint narrative\n1,Credit reporting,Incorrect information on your report,"
        "I called them 4 times and never heard back.\n2,Checking account,Managing an account,\n",
        encoding="utf-8",
    )
    return folder


def test_eval_runs_end_to_end_and_the_gate_checks_every_figure(tmp_path):
    data = stand_in(tmp_path / "data")
    sample = tmp_path / "sample"
    generate(sample, n_reviews=20, n_surveys=20, n_social=20, weeks=2, start=datetime.date(2026, 8, 17))
    out = tmp_path / "EVALUATION.md"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cxtext.cli",
            "eval",
            "--data",
            str(data),
            "--sample",
            str(sample),
            "--out",
            str(out),
            "--gate",
            str(FLOORS),
            "--config",
            str(ROOT / "cxtext.toml"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in result.stderr, result.stderr
    report = out.read_text(encoding="utf-8")
    for heading in (
        "## Sentiment",
        "### Default (CX lexicon) against plain",
        "### Theme-level: clause against sentence",
        "### SemEval-2014 restaurant aspect categories",
        "## The sample data's planted pain points",
        "### Suggestions (SemEval-2019",
        "## Effort signals",
        "### App reviews",
    ):
        assert heading in report, heading
    assert "imdb_labelled.txt not found" in report  # the sets the themes section needs are partly absent
    assert "1 of the 7 train sentences for another language" in report  # the unscored sentence is counted
    # On a handful of rows the figures are far below the real floors: the gate fails, one line each,
    # and no figure is missing or without a floor, so the floors file names exactly what is measured.
    gate_lines = [line for line in result.stderr.splitlines() if line.startswith("eval gate: ")]
    assert result.returncode == 1, result.stderr
    assert gate_lines[-1].startswith("eval gate: FAILED"), result.stderr
    assert not [line for line in gate_lines if "have no floor" in line], result.stderr
    failures = gate_lines[:-1]
    # A handful of rows leaves some themes figures without anything to measure (the stand-in's
    # judged sets have no judgements, nor its complaints, whose report half may be empty): missing, not wrong.
    missing = [line for line in failures if ": missing (floor" in line]
    assert all(
        line.startswith(("eval gate: themes.", "eval gate: discovered."))
        and (".precision" in line or ".top_issues_found:" in line)
        for line in missing
    ), result.stderr
    assert failures and all("is below its floor" in line for line in failures if line not in missing), result.stderr
    assert f"FAILED, {len(failures)} of " in gate_lines[-1]


def test_a_bad_floors_file_is_a_one_line_error_before_the_run(tmp_path):
    floors = tmp_path / "floors.toml"
    floors.write_text('[sentiment.uci_yelp]\nmacro_f1 = "high"\n')
    command = [sys.executable, "-m", "cxtext.cli", "eval", "--data", str(tmp_path), "--gate", str(floors)]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "sentiment.uci_yelp.macro_f1: a floor must be a number" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "docs").exists()


def test_only_names_known_sections(tmp_path):
    command = [sys.executable, "-m", "cxtext.cli", "eval", "--data", str(tmp_path), "--only", "themes,nope"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "--only themes,nope: sections are sentiment, aspects" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "docs").exists()
