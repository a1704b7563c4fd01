"""Themes across industries with discovered themes: the core pack plus the themes `cxtext themes
suggest` finds, before anyone curates them.

For each set, the discovery runs on the **dev** half's feedback that the core pack leaves without a
theme (as `themes suggest` does on a state folder's feedback; the sets have no topic model, so no
candidate grows beyond its seed's topic-free pairs), with the pipeline's default settings; the
resulting `discovered` layer is added to the core pack and the **report** half is tagged with
both. Coverage (all and negative feedback) and the largest theme's share are reported beside the
core pack's. The precision of discovered assignments is not measured: no label map names them, and
no hand judgement of them was made.
"""

from __future__ import annotations

import time
from pathlib import Path

from cxtext.config_tables import ThemesConfig
from cxtext.evaluation.themes import analyse_items, figures
from cxtext.evaluation.themes_data import load_sets


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def evaluate_discovered(data_dir: Path) -> str:
    """The section: per set, core alone and core + discovered, on the report half."""
    from cxtext.enrich.discovery import _as_row, discovered_layer
    from cxtext.text import discovery
    from cxtext.text.taxonomy import layer_paths, read_layers, tagger_from_layers

    clock = time.perf_counter()
    settings = ThemesConfig()
    core_layers = read_layers(layer_paths(["core"]))
    core = tagger_from_layers(core_layers)
    curated, alone = discovery.curated_words(core.taxonomy.themes)
    sets, missing = load_sets(data_dir)
    lines = [
        "## Themes across industries, with discovered themes",
        "",
        "The core pack alone, and core + the themes `cxtext themes suggest` discovers (uncurated, default "
        f"`[themes]` settings: at least {settings.min_volume} feedback, at most {settings.max_suggestions}), "
        "suggested from the dev half's feedback the core leaves without a theme and applied to the report half "
        "(`cxtext/evaluation/themes_discovered.py`). Precision of the discovered assignments is not measured "
        "(no label map or hand judgement names them). Written by `cxtext eval`; took {seconds} s.",
        "",
        "| set | packs | report-half feedback | themed | negative themed | largest theme | discovered themes (top 5 by negative feedback in dev) |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for eval_set in sets:
        dev = analyse_items(eval_set.half("dev"), core)
        uncovered = [discovery.Item(t.item.id, "review", t.item.text, t.item.negative) for t in dev if not t.themes]
        candidates = discovery.suggest(
            uncovered,
            min_volume=settings.min_volume,
            max_candidates=settings.max_suggestions,
            taken_ids=frozenset(t.id for t in core.taxonomy.themes),
            curated=curated,
            alone=alone,
        )
        layer = discovered_layer({"suggestions": [_as_row(c, None) for c in candidates]})
        taggers = {"core": core, "core + discovered": tagger_from_layers(core_layers + ((layer,) if layer else ()))}
        names = ", ".join(f"{c.name} ({c.stage})" for c in candidates[:5]) or "none"
        for configuration, tagger in taggers.items():
            f = figures(eval_set, analyse_items(eval_set.half("report"), tagger), configuration, "report", {}, {})
            lines.append(
                f"| {eval_set.name} | {configuration} | {f.items:,} | {_pct(f.coverage)} | "
                f"{_pct(f.negative_coverage)} of {f.negative:,} | {f.largest[0]} {_pct(f.largest[1])} | "
                f"{names if configuration != 'core' else '-'} |"
            )
    if missing:
        lines += ["", "Not measured (data absent): " + "; ".join(missing)]
    return "\n".join(lines).replace("{seconds}", f"{time.perf_counter() - clock:.0f}") + "\n"
