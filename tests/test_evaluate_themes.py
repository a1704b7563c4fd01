"""The themes evaluation reads its committed maps and judgements, and they name what exists: a
restructure once left both unread (the maps silently empty, so every labelled assignment counted
as wrong and every judged one as not judged yet). Runs without the public data."""

from __future__ import annotations

import tomllib
from collections import Counter

import pytest

from cxtext.evaluation.themes import (
    CONFIGURATIONS,
    Tagged,
    draw_judgements,
    figures,
    judge_labelled,
    judged_sample,
    load_judgements,
    load_maps,
    wilson,
)
from cxtext.evaluation.themes_data import EvalSet, Item, load_sets
from cxtext.text.taxonomy import layer_paths, load_taxonomy
from tests.test_evaluate_e2e import stand_in


def _theme_ids(packs) -> set[str]:
    return {theme.id for theme in load_taxonomy(layer_paths(packs)).themes}


def test_the_maps_are_read_and_name_existing_themes():
    maps = load_maps()
    core = _theme_ids(CONFIGURATIONS["core"])
    for table in ("semeval_categories", "cfpb_issues"):
        assert len(maps[table]) >= 10, table
        assert set(maps[table]) <= core, (table, sorted(set(maps[table]) - core))


def test_the_judgements_are_read_and_match_the_draw(tmp_path):
    from cxtext.evaluation.themes import JUDGEMENTS

    raw = tomllib.loads(JUDGEMENTS.read_text(encoding="utf-8"))["judgements"]
    assert len(load_judgements()) >= 200
    sets, _ = load_sets(stand_in(tmp_path / "data"))
    judged_sets = {s.name for s in sets if s.precision in ("judged", "issues")}  # complaints: the unconfirmed
    themes = {label: _theme_ids(packs) for label, packs in CONFIGURATIONS.items()}
    for j in (j for j in raw if j["packs"] != "core + discovered"):  # tests/test_evaluate_discovered.py
        assert j["set"] in judged_sets and j["packs"] in CONFIGURATIONS, j
        assert j["theme"] in themes[j["packs"]], j
        assert j["verdict"] in ("right", "wrong", ""), j
    assert Counter((j["set"], j["packs"]) for j in raw if j["verdict"])


def test_a_labelled_assignment_is_checked_against_the_committed_map():
    item = Item("restaurants:x:1", "The soup was cold.", True, {"terms": [], "categories": [("food", "negative")]})
    eval_set = EvalSet("SemEval-2014 restaurants", "sentence", "restaurants", "categories", (item,))
    maps = load_maps()
    right = Tagged(item, {"food_and_drink": [(0, 18, "The soup was cold.", "negative")]})
    wrong = Tagged(item, {"staff_attitude": [(0, 18, "The soup was cold.", "negative")]})
    assert judge_labelled(eval_set, right, "food_and_drink", maps) is True
    assert judge_labelled(eval_set, wrong, "staff_attitude", maps) is False
    row = figures(eval_set, [right], "core", "report", maps, {})
    assert (row.checked, row.correct, row.precision) == (1, 1, 1.0)


def test_complaints_precision_takes_the_label_where_it_confirms_and_the_judged_share_elsewhere():
    """One issue label per narrative confirms an assignment but cannot refute one: the unconfirmed
    assignments are estimated from the hand-judged ones, the strict figure stays beside it."""
    issue = "Incorrect information on your report"
    items = [Item(f"cfpb:{i}", "A narrative.", True, {"issue": issue}) for i in range(4)]
    eval_set = EvalSet("Consumer-finance complaints (CFPB)", "narrative", "consumer finance", "issues", tuple(items))
    maps = {"cfpb_issues": {"wrong_information": [issue]}}
    m = [(0, 12, "A narrative.", "negative")]
    tagged = [
        Tagged(items[0], {"wrong_information": m, "billing_and_charges": m}),
        Tagged(items[1], {"wrong_information": m}),
        Tagged(items[2], {"staff_attitude": m}),
        Tagged(items[3], {"billing_and_charges": m}),
    ]
    drawn = sorted((t.item.id, theme) for t, theme in judged_sample(eval_set, tagged, "core", maps))
    assert drawn == [("cfpb:0", "billing_and_charges"), ("cfpb:2", "staff_attitude"), ("cfpb:3", "billing_and_charges")]
    judgements = {("cfpb:0", "billing_and_charges"): True, ("cfpb:2", "staff_attitude"): False}
    row = figures(eval_set, tagged, "core", "report", maps, judgements)
    assert (row.checked, row.correct, row.judged, row.judged_right, row.unjudged) == (5, 2, 2, 1, 1)
    assert row.precision == pytest.approx(0.4)  # strict: every unconfirmed assignment wrong
    value, low, high = row.estimate
    low_share, high_share = wilson(1, 2)
    assert value == pytest.approx((2 + 3 * 0.5) / 5) == row.headline
    assert (low, high) == (pytest.approx((2 + 3 * low_share) / 5), pytest.approx((2 + 3 * high_share) / 5))
    assert figures(eval_set, tagged, "core", "dev", maps, judgements).estimate is None  # judged on the report half


def test_wilson_interval():
    low, high = wilson(70, 100)
    assert (round(low, 4), round(high, 4)) == (0.6041, 0.7811)
    assert wilson(0, 5)[0] == 0.0 and wilson(5, 5)[1] == 1.0


def test_a_draw_appends_what_it_lacks_and_keeps_every_entry_there(tmp_path):
    path = tmp_path / "judgements.toml"
    kept = (
        '# a comment\n\n[[judgements]]\nset = "App reviews (Maalej et al.)"\npacks = "core + discovered"\n'
        'id = "app:x"\ntheme = "discovered_x"\nverdict = "right"\n'
    )
    path.write_text(kept, encoding="utf-8")
    data = stand_in(tmp_path / "data")
    draw_judgements(data, path)
    once = path.read_text(encoding="utf-8")
    assert once.startswith(kept)
    added = tomllib.loads(once)["judgements"][1:]
    assert added and all(j["verdict"] == "" and j["packs"] in CONFIGURATIONS for j in added)
    draw_judgements(data, path)
    assert path.read_text(encoding="utf-8") == once
