"""Themes across industries with discovered themes: the core pack plus the themes `cxtext themes
suggest` finds, before anyone curates them.

For each set, the discovery runs on the **dev** half's feedback that the core pack leaves without a
theme (as `themes suggest` does on a state folder's feedback; the sets have no topic model, so no
candidate grows beyond its seed's topic-free pairs), with the pipeline's default settings; the
resulting `discovered` layer is added to the core pack and the **report** half is tagged with
both. Coverage (all and negative feedback) and the largest theme's share are reported beside the
core pack's. The precision of the discovered assignments is measured where the labels check an
assignment without a map, as the core's are: a laptop aspect term inside a clause the theme was
found in, a Hu & Liu feature written in such a clause (cxtext.evaluation.themes.judge_labelled);
elsewhere it is not measured (no map names a discovered theme, and no hand judgement was made).
"""

from __future__ import annotations

import time
from pathlib import Path

from cxtext.config_tables import ThemesConfig
from cxtext.evaluation.gate import slug
from cxtext.evaluation.themes import analyse_items, figures, judge_labelled
from cxtext.evaluation.themes_data import load_sets


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


#: The sets whose labels check a discovered assignment without a map.
CHECKED_WITHOUT_MAP = {"aspect_terms": "aspect term in the clause", "features": "feature in the clause"}


def discovered_precision(eval_set, tagged) -> tuple[int, int]:
    """(checked, right) over the discovered themes' assignments, where the set's labels say."""
    checked = right = 0
    for t in tagged:
        for theme in t.themes:
            verdict = judge_labelled(eval_set, t, theme, {}) if theme.startswith("discovered_") else None
            if verdict is not None:
                checked, right = checked + 1, right + verdict
    return checked, right


def evaluate_discovered(data_dir: Path, figures_out: dict[str, float] | None = None) -> str:
    """The section: per set, core alone and core + discovered, on the report half; its headline
    figures (core + discovered: negative feedback themed, the discovered assignments' precision
    where measured) go into *figures_out* for the quality gate."""
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
        "(`cxtext/evaluation/themes_discovered.py`). Precision of the discovered assignments (only theirs): "
        "where the labels check an assignment without a map, as for the core (a laptop aspect term, a Hu & Liu "
        "feature written in a clause the theme was found in); elsewhere not measured (no map names a discovered "
        "theme, and no hand judgement of them was made). Written by `cxtext eval`; took {seconds} s.",
        "",
        "| set | packs | report-half feedback | themed | negative themed | largest theme | discovered: precision | "
        "discovered themes (top 5 by negative feedback in dev) |",
        "|---|---|---:|---:|---:|---|---|---|",
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
            tagged = analyse_items(eval_set.half("report"), tagger)
            f = figures(eval_set, tagged, configuration, "report", {}, {})
            precision = "-"
            if configuration != "core":
                name = f"discovered.{slug(eval_set.name)}"
                if figures_out is not None:
                    figures_out[f"{name}.negative_coverage"] = f.negative_coverage
                precision = "not measured"
                if eval_set.precision in CHECKED_WITHOUT_MAP:
                    checked, right = discovered_precision(eval_set, tagged)
                    precision = (
                        f"{_pct(right / checked)} of {checked:,} ({CHECKED_WITHOUT_MAP[eval_set.precision]})"
                        if checked
                        else "none checked"
                    )
                    if checked and figures_out is not None:
                        figures_out[f"{name}.precision"] = right / checked
            lines.append(
                f"| {eval_set.name} | {configuration} | {f.items:,} | {_pct(f.coverage)} | "
                f"{_pct(f.negative_coverage)} of {f.negative:,} | {f.largest[0]} {_pct(f.largest[1])} | {precision} | "
                f"{names if configuration != 'core' else '-'} |"
            )
    if missing:
        lines += ["", "Not measured (data absent): " + "; ".join(missing)]
    return "\n".join(lines).replace("{seconds}", f"{time.perf_counter() - clock:.0f}") + "\n"
