"""The themes evaluation reads its committed maps and judgements, and they name what exists: a
restructure once left both unread (the maps silently empty, so every labelled assignment counted
as wrong and every judged one as not judged yet). Runs without the public data."""

from __future__ import annotations

from collections import Counter

from cxtext.evaluation.themes import (
    CONFIGURATIONS,
    Tagged,
    figures,
    judge_labelled,
    load_judgements,
    load_maps,
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
    import tomllib

    from cxtext.evaluation.themes import JUDGEMENTS

    raw = tomllib.loads(JUDGEMENTS.read_text(encoding="utf-8"))["judgements"]
    assert len(load_judgements()) >= 200
    sets, _ = load_sets(stand_in(tmp_path / "data"))
    judged_sets = {s.name for s in sets if s.precision == "judged"}
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
