"""The discovered themes' precision (issue 14): their assignments are judged by hand where no label
checks them, and the precision of all assignments with core + discovered weighs each kind by its
number of assignments. The hand verdicts stay usable only if the discovery gives the same ids and
patterns run to run. Runs without the public data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import pytest

from cxtext.evaluation.themes import JUDGEMENTS, Tagged
from cxtext.evaluation.themes_data import EvalSet, Item, load_sets
from cxtext.evaluation.themes_discovered import CHECKED_WITHOUT_MAP, CONFIGURATION, _precisions, only_discovered
from tests.test_evaluate_e2e import stand_in


def test_the_discovered_judgements_name_discovered_themes_of_sets_no_label_checks(tmp_path):
    raw = [j for j in tomllib.loads(JUDGEMENTS.read_text(encoding="utf-8"))["judgements"] if j["packs"] == CONFIGURATION]
    sets, _ = load_sets(stand_in(tmp_path / "data"))
    unchecked = {s.name for s in sets if s.precision not in CHECKED_WITHOUT_MAP}
    assert len(raw) >= 200
    for j in raw:
        assert j["set"] in unchecked and j["theme"].startswith("discovered_"), j
        assert j["verdict"] in ("right", "wrong"), j
    assert len({(j["id"], j["theme"]) for j in raw}) == len(raw)


def test_all_assignments_precision_weighs_core_and_discovered_by_their_assignments():
    items = [Item(f"clothing:{i}", "A review.", True, {}) for i in range(3)]
    eval_set = EvalSet("Women's clothing reviews", "review", "online fashion retail", "judged", tuple(items))
    m = [(0, 9, "A review.", "negative")]
    core = [Tagged(items[0], {"praise": m}), Tagged(items[1], {"praise": m}), Tagged(items[2], {"fit": m})]
    both = [Tagged(t.item, dict(t.themes)) for t in core]
    both[0].themes["discovered_lay_flat"] = m
    both[1].themes["discovered_lay_flat"] = m
    assert [list(t.themes) for t in only_discovered(both)] == [["discovered_lay_flat"], ["discovered_lay_flat"], []]
    judgements = {
        ("clothing:0", "praise"): True,
        ("clothing:1", "praise"): True,
        ("clothing:2", "fit"): False,
        ("clothing:0", "discovered_lay_flat"): True,
        ("clothing:1", "discovered_lay_flat"): False,
    }
    (found_cell, found), (all_cell, overall) = _precisions(eval_set, core, both, {}, judgements)
    assert found == 0.5 and "of 2 judged by hand" in found_cell
    assert overall == pytest.approx((2 / 3 * 3 + 0.5 * 2) / 5)
    assert "core 66.7% × 3 + discovered 50.0% × 2" in all_cell
    del judgements[("clothing:1", "discovered_lay_flat")]  # a drawn assignment not judged: left out, and said
    (found_cell, found), _ = _precisions(eval_set, core, both, {}, judgements)
    assert found == 1.0 and "1 not judged yet" in found_cell


SUGGEST = """
import json, sys
from cxtext.text.discovery import Item, suggest
texts = ["They lost my luggage on the way home, awful.", "Lost luggage again, the bag is in Madrid. Terrible.",
         "The pool was closed all week, annoying.", "Pool closed again, kids upset.", "The waiter was rude to us.",
         "Our waiter forgot the drinks, bad.", "The waiter spilled wine.", "Nice view and a smooth landing."]
items = [Item(f"f{i}", "review", texts[i % len(texts)], i % len(texts) != 7) for i in range(64)]
json.dump([(c.id, c.name, c.patterns, c.keys) for c in suggest(items, min_volume=5)], sys.stdout)
"""


def test_discovery_gives_the_same_ids_and_patterns_whatever_the_hash_seed():
    """Python salts str hashes per process: an order taken from a set of words would change ids."""
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", SUGGEST], env=env, capture_output=True, text=True, timeout=300, check=True)
        runs.append(json.loads(out.stdout))
    assert runs[0] and runs[0] == runs[1]
