"""Themes across industries with discovered themes: the core pack plus the themes `cxtext themes
suggest` finds, before anyone curates them.

For each set, the discovery runs on the **dev** half's feedback that the core pack leaves without a
theme (as `themes suggest` does on a state folder's feedback; the sets have no topic model, so no
candidate grows beyond its seed's topic-free pairs), with the pipeline's default settings; the
resulting `discovered` layer is added to the core pack and the **report** half is tagged with
both. Coverage (all and negative feedback) and the largest theme's share are reported beside the
core pack's. The discovered assignments' precision is checked by the labels where they check an
assignment without a map, as the core's are (a laptop aspect term inside a clause the theme was
found in, a Hu & Liu feature written in such a clause: cxtext.evaluation.themes.judge_labelled);
elsewhere (no map names a discovered theme) 100 of them drawn by hash are judged by hand
(draw_discovered_judgements; packs "core + discovered" in models/eval/theme_judgements.toml). The
precision of all assignments with core + discovered: where the labels check both kinds, over all
of them; elsewhere the core's precision as the themes section measures it and the discovered
ones' judged precision, each weighted by its number of assignments. For the complaints, the themes
section's criterion (are the 3 most frequent issues among the top pain points) with core + discovered.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from cxtext.config_tables import ThemesConfig
from cxtext.evaluation.gate import slug
from cxtext.evaluation.themes import (
    JUDGEMENTS,
    Tagged,
    analyse_items,
    append_to_judge,
    figures,
    issue_criterion,
    issue_table,
    judge_labelled,
    judged_sample,
    load_judgements,
    load_maps,
)
from cxtext.evaluation.themes_data import EvalSet, load_sets

#: The judgements' packs for the discovered themes' assignments.
CONFIGURATION = "core + discovered"
#: The sets whose labels check a discovered assignment without a map.
CHECKED_WITHOUT_MAP = {"aspect_terms": "aspect term in the clause", "features": "feature in the clause"}


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def is_discovered(theme: str) -> bool:
    return theme.startswith("discovered_")


def only_discovered(tagged: list[Tagged]) -> list[Tagged]:
    """The same feedback with only the discovered themes' assignments."""
    return [Tagged(t.item, {k: v for k, v in t.themes.items() if is_discovered(k)}) for t in tagged]


@dataclass
class Discovery:
    """What the evaluation needs of the core pack to suggest themes as `themes suggest` does."""

    settings: ThemesConfig
    core_layers: tuple
    core: object  # the core pack's tagger
    curated: list
    alone: frozenset

    @classmethod
    def load(cls) -> Discovery:
        from cxtext.text import discovery
        from cxtext.text.taxonomy import layer_paths, read_layers, tagger_from_layers

        core_layers = read_layers(layer_paths(["core"]))
        core = tagger_from_layers(core_layers)
        curated, alone = discovery.curated_words(core.taxonomy.themes)
        return cls(ThemesConfig(), core_layers, core, curated, alone)

    def suggest(self, eval_set: EvalSet) -> list:
        """The candidates suggested from the dev half's feedback the core leaves without a theme."""
        from cxtext.text import discovery

        dev = analyse_items(eval_set.half("dev"), self.core)
        uncovered = [discovery.Item(t.item.id, "review", t.item.text, t.item.negative) for t in dev if not t.themes]
        return discovery.suggest(
            uncovered,
            min_volume=self.settings.min_volume,
            max_candidates=self.settings.max_suggestions,
            taken_ids=frozenset(t.id for t in self.core.taxonomy.themes),
            curated=self.curated,
            alone=self.alone,
        )

    def tagger(self, candidates: list):
        """The core pack + the candidates as the `discovered` layer, as a run tags with them."""
        from cxtext.enrich.discovery import _as_row, discovered_layer
        from cxtext.text.taxonomy import tagger_from_layers

        layer = discovered_layer({"suggestions": [_as_row(c, None) for c in candidates]})
        return tagger_from_layers(self.core_layers + ((layer,) if layer else ()))


def discovered_precision(eval_set, tagged) -> tuple[int, int]:
    """(checked, right) over the discovered themes' assignments, where the set's labels say."""
    checked = right = 0
    for t in tagged:
        for theme in t.themes:
            verdict = judge_labelled(eval_set, t, theme, {}) if is_discovered(theme) else None
            if verdict is not None:
                checked, right = checked + 1, right + verdict
    return checked, right


def judged_discovered(eval_set, tagged, judgements) -> tuple[int, int, int]:
    """(judged, right, not judged yet) over the discovered assignments' sample to judge by hand."""
    judged = right = unjudged = 0
    for t, theme in judged_sample(eval_set, only_discovered(tagged), CONFIGURATION):
        verdict = judgements.get((t.item.id, theme))
        if verdict is None:
            unjudged += 1
        else:
            judged, right = judged + 1, right + verdict
    return judged, right, unjudged


def draw_discovered_judgements(data_dir: Path, path: Path = JUDGEMENTS) -> None:
    """Append to the judgements file the discovered assignments drawn for judging (sets whose
    labels do not check them) that it does not hold yet, with an empty verdict (ids and themes
    only: the texts stay out of the project); print each set's discovered themes (name, patterns,
    dev-half quotes: what they mean, docs/TAXONOMY.md) and each assignment's clauses and text."""
    discovery = Discovery.load()
    sets, _ = load_sets(data_dir)

    def drawn():
        for eval_set in (s for s in sets if s.precision not in CHECKED_WITHOUT_MAP):
            candidates = discovery.suggest(eval_set)
            print(f"=== {eval_set.name}: {len(candidates)} discovered themes")
            for c in candidates:
                print(f"  {c.id} | {c.name} | {c.patterns} | " + " // ".join(c.quotes))
            tagged = analyse_items(eval_set.half("report"), discovery.tagger(candidates))
            for t, theme in judged_sample(eval_set, only_discovered(tagged), CONFIGURATION):
                yield eval_set.name, CONFIGURATION, t, theme

    append_to_judge(drawn(), path)


def core_precision(eval_set: EvalSet, tagged: list[Tagged], maps: dict, judgements: dict) -> float | None:
    """The core pack's precision on the report half as the themes section states it (for complaints,
    the estimate from the label and the hand-judged unconfirmed assignments)."""
    return figures(eval_set, tagged, "core", "report", maps, judgements).headline


def evaluate_discovered(data_dir: Path, figures_out: dict[str, float] | None = None) -> str:
    """The section: per set, core alone and core + discovered, on the report half; its headline
    figures (core + discovered: negative feedback themed, the discovered assignments' precision
    and all assignments' precision where measured) go into *figures_out* for the quality gate."""
    clock = time.perf_counter()
    discovery = Discovery.load()
    settings = discovery.settings
    maps, judgements = load_maps(), load_judgements()
    sets, missing = load_sets(data_dir)
    lines = [
        "## Themes across industries, with discovered themes",
        "",
        "The core pack alone, and core + the themes `cxtext themes suggest` discovers (uncurated, default "
        f"`[themes]` settings: at least {settings.min_volume} feedback, at most {settings.max_suggestions}), "
        "suggested from the dev half's feedback the core leaves without a theme and applied to the report half "
        "(`cxtext/evaluation/themes_discovered.py`). **Discovered: precision** (their assignments only): where the "
        "labels check an assignment without a map, as for the core (a laptop aspect term, a Hu & Liu feature "
        "written in a clause the theme was found in); elsewhere (no map names a discovered theme) judged by hand: "
        "up to 100 of the report half's discovered assignments, the smallest SHA-256 of seed, packs "
        '("core + discovered"), id and theme, judged against the guide in `docs/TAXONOMY.md` (a discovered theme '
        "means what its name names, in the sense its patterns match), kept in `models/eval/theme_judgements.toml`. "
        "**All assignments: precision** (core and discovered, with core + discovered): where the labels check both "
        "kinds, over all the assignments they check; elsewhere a weighted estimate: the core's precision as the "
        "themes section measures it (the map, or the core's judged sample) and the discovered assignments' judged "
        "precision, each weighted by its number of assignments on the report half. The discovery on the dev half "
        "gives the same ids and patterns run to run (it is deterministic), so the verdicts stay usable. "
        "Written by `cxtext eval`; took {seconds} s.",
        "",
        "| set | packs | report-half feedback | themed | negative themed | largest theme | discovered: precision | "
        "all assignments: precision | discovered themes (top 5 by negative feedback in dev) |",
        "|---|---|---:|---:|---:|---|---|---|---|",
    ]
    issue_lines = []
    for eval_set in sets:
        candidates = discovery.suggest(eval_set)
        names = ", ".join(f"{c.name} ({c.stage})" for c in candidates[:5]) or "none"
        name = f"discovered.{slug(eval_set.name)}"
        core_tagged = analyse_items(eval_set.half("report"), discovery.core)
        tagged = analyse_items(eval_set.half("report"), discovery.tagger(candidates))
        for configuration, rows in (("core", core_tagged), (CONFIGURATION, tagged)):
            f = figures(eval_set, rows, configuration, "report", {}, {})
            cells = ["-", "-", "-"]
            if configuration != "core":
                if figures_out is not None:
                    figures_out[f"{name}.negative_coverage"] = f.negative_coverage
                found, overall = _precisions(eval_set, core_tagged, tagged, maps, judgements)
                cells = [found[0], overall[0], names]
                if figures_out is not None:
                    figures_out.update(
                        {
                            k: v
                            for k, v in ((f"{name}.precision", found[1]), (f"{name}.all.precision", overall[1]))
                            if v is not None
                        }
                    )
            if configuration != "core" and eval_set.precision == "issues":
                top, checks = issue_criterion(rows)
                issue_lines = issue_table(f"report half, {CONFIGURATION}", top, checks)
                if figures_out is not None and checks:
                    figures_out[f"{name}.top_issues_found"] = sum(c.found for c in checks) / len(checks)
            lines.append(
                f"| {eval_set.name} | {configuration} | {f.items:,} | {_pct(f.coverage)} | "
                f"{_pct(f.negative_coverage)} of {f.negative:,} | {f.largest[0]} {_pct(f.largest[1])} | "
                + " | ".join(cells)
                + " |"
            )
    lines += issue_lines
    if missing:
        lines += ["", "Not measured (data absent): " + "; ".join(missing)]
    return "\n".join(lines).replace("{seconds}", f"{time.perf_counter() - clock:.0f}") + "\n"


def _precisions(eval_set, core_tagged, tagged, maps, judgements) -> tuple[tuple[str, float | None], tuple[str, float | None]]:
    """(cell, figure) for the discovered assignments' precision and for all assignments'."""
    assignments = sum(len(t.themes) for t in tagged)
    found_n = sum(is_discovered(theme) for t in tagged for theme in t.themes)
    if eval_set.precision in CHECKED_WITHOUT_MAP:
        how = CHECKED_WITHOUT_MAP[eval_set.precision]
        checked, right = discovered_precision(eval_set, tagged)
        found = (f"{_pct(right / checked)} of {checked:,} ({how})", right / checked) if checked else ("none checked", None)
        every = figures(eval_set, tagged, CONFIGURATION, "report", maps, judgements)
        overall = (
            (f"{_pct(every.precision)} of {every.checked:,} ({how})", every.precision)
            if every.checked
            else ("none checked", None)
        )
        return found, overall
    judged, right, unjudged = judged_discovered(eval_set, tagged, judgements)
    later = f"; {unjudged} not judged yet" if unjudged else ""
    if not found_n:
        found = ("no discovered assignment", None)
    elif judged:
        found = (f"{_pct(right / judged)} of {judged} judged by hand{later}", right / judged)
    else:
        found = (f"not judged yet ({unjudged} drawn)", None)
    core = core_precision(eval_set, core_tagged, maps, judgements)
    core_n = assignments - found_n
    if core is None or (found_n and found[1] is None):
        return found, ("not measured", None)
    estimate = (core * core_n + (found[1] or 0.0) * found_n) / assignments if assignments else core
    parts = f"core {_pct(core)} × {core_n:,}" + (f" + discovered {_pct(found[1])} × {found_n:,}" if found_n else "")
    return found, (f"{_pct(estimate)} ({parts})", estimate)
