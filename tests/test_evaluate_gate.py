"""The evaluation's quality gate (cxtext/evaluation/gate.py), fed figures by hand: no data needed."""

from __future__ import annotations

import math

import pytest

from cxtext.errors import ConfigError
from cxtext.evaluation.gate import gate_failures, load_floors, slug, unfloored
from tests.conftest import ROOT

FLOORS = {"sentiment.uci_yelp.macro_f1": 0.773, "sentiment.vader_tweets.gain": -0.008, "sample.x.recall": 0.9}


def test_figures_at_or_above_their_floors_pass():
    figures = {"sentiment.uci_yelp.macro_f1": 0.773, "sentiment.vader_tweets.gain": -0.002, "sample.x.recall": 1.0}
    assert gate_failures(figures, FLOORS) == []


def test_each_failure_is_one_line_naming_the_figure_its_value_and_floor():
    figures = {"sentiment.uci_yelp.macro_f1": 0.7729, "sentiment.vader_tweets.gain": -0.0081}
    assert gate_failures(figures, FLOORS) == [
        "sample.x.recall: missing (floor 0.900): the evaluation did not produce it",
        "sentiment.uci_yelp.macro_f1: 0.7729 is below its floor 0.773",
        "sentiment.vader_tweets.gain: -0.0081 is below its floor -0.008",
    ]


@pytest.mark.parametrize("value", [math.nan, None])
def test_a_figure_that_is_not_a_number_fails(value):
    figures = {"sentiment.uci_yelp.macro_f1": value, "sentiment.vader_tweets.gain": 0.0, "sample.x.recall": 1.0}
    (line,) = gate_failures(figures, FLOORS)
    assert line.startswith("sentiment.uci_yelp.macro_f1: ")


def test_a_figure_without_a_floor_is_reported_but_does_not_fail():
    figures = {
        "sentiment.uci_yelp.macro_f1": 0.8,
        "sentiment.vader_tweets.gain": 0.0,
        "sample.x.recall": 1.0,
        "sentiment.uci_imdb.macro_f1": 0.1,
    }
    assert gate_failures(figures, FLOORS) == []
    assert unfloored(figures, FLOORS) == ["sentiment.uci_imdb.macro_f1"]


def test_floors_file_nested_tables_are_dotted_names(tmp_path):
    path = tmp_path / "floors.toml"
    path.write_text(
        "[aspects.test]\ndetection_micro_f1 = 0.846\n[aspects.test.detection_f1]\nfood = 0.9\n"
        "[sentiment.vader_tweets]\ngain = -0.008\n"
    )
    assert load_floors(path) == {
        "aspects.test.detection_micro_f1": 0.846,
        "aspects.test.detection_f1.food": 0.9,
        "sentiment.vader_tweets.gain": -0.008,
    }


@pytest.mark.parametrize(
    "text, message",
    [
        ("[a]\nb = true\n", "a.b: a floor must be a number"),
        ("[a]\nb = 'high'\n", "a.b: a floor must be a number"),
        ("[a]\nb = nan\n", "a.b: a floor must be a number"),
        ("# nothing\n", "no floors in it"),
        ("[a\n", "not valid TOML"),
    ],
)
def test_a_bad_floors_file_is_a_config_error(tmp_path, text, message):
    path = tmp_path / "floors.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_floors(path)
    with pytest.raises(ConfigError, match="floors file not found"):
        load_floors(tmp_path / "missing.toml")


def test_the_committed_floors_load():
    floors = load_floors(ROOT / "models" / "eval" / "floors.toml")
    assert {name.split(".")[0] for name in floors} == {
        "sentiment",
        "phrases",
        "stars",
        "aspects",
        "language",
        "sample",
        "intent",
        "effort",
        "themes",
        "discovered",
    }
    assert all(-1 <= floor <= 1 for floor in floors.values())


def test_slug():
    assert slug("Hu & Liu 2004") == "hu_liu_2004"
    assert slug("SemEval-14 restaurants test") == "semeval_14_restaurants_test"
    assert slug("anecdotes/miscellaneous") == "anecdotes_miscellaneous"
