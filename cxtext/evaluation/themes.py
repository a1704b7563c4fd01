"""Themes across industries: the core taxonomy (and core + retail) on public labelled data.

    cxtext eval --data ../shared/data     (the section "Themes across industries")
    cxtext eval --data ../shared/data                                       (the whole report)

Each set is cut in two halves by a hash of its ids (cxtext.evaluation.themes_data): patterns were
written and tuned on the dev half; the figures that count are the report half's. Feedback runs
through the pipeline's own analysis (cxtext.enrich.analyse), so mentions, clauses and theme-level
labels are the pipeline's. Measured per set: coverage (all and negative feedback), precision of
the theme assignments where labels allow it (else judged by hand, models/eval/theme_judgements.toml),
the largest theme's share of themed feedback; for the complaints, whether the 3 most frequent
issues are found among the top pain points (docs/EVALUATION.md states each rule).
"""

from __future__ import annotations

import hashlib
import time
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cxtext.evaluation.gate import slug
from cxtext.evaluation.themes_data import EvalSet, Item, load_sets
from cxtext.evaluation.themes_history import COMPLAINTS_JUDGED, FIRST_MEASUREMENT, REMEASUREMENT, THIRD_ROUND
from cxtext.resources import models_dir

MAPS = models_dir() / "eval" / "theme_maps.toml"
JUDGEMENTS = models_dir() / "eval" / "theme_judgements.toml"
#: The targets of the issue, on the report half.
TARGET_NEGATIVE_COVERAGE, TARGET_PRECISION, TARGET_LARGEST_SHARE = 0.60, 0.70, 0.50
JUDGED_SAMPLE, JUDGED_SEED = 100, 14
TOP_ISSUES, TOP_THEMES, MIN_THEME_FEEDBACK, LIFT = 3, 8, 30, 2.0
#: The configurations measured (a judgement's `packs`): label -> packs combined.
CONFIGURATIONS = {"core": ("core",), "core + retail": ("core", "retail")}


@dataclass
class Tagged:
    """One item's theme assignments: theme -> its mentions' (clause start, clause end, clause, label)."""

    item: Item
    themes: dict[str, list[tuple[int, int, str, str]]]


def analyse_items(items: list[Item], tagger) -> list[Tagged]:
    """Run the pipeline's analysis (language, sentences, sentiment, themes) on the items."""
    from cxtext.enrich.analyse import Versions, analyse

    rows = [(str(i), "review", item.text, "") for i, item in enumerate(items)]
    out = [Tagged(item, {}) for item in items]
    for start in range(0, len(rows), 2000):
        tables = analyse(
            rows[start : start + 2000],
            tagger,
            Versions("eval", tagger.taxonomy.version),
            now=datetime.now(UTC),
            languages=("en",),
        )
        sentences = {(r["feedback_id"], r["sentence_index"]): r for r in tables["sentences"].to_pylist()}
        for m in tables["theme_mentions"].to_pylist():
            sentence = sentences[(m["feedback_id"], m["sentence_index"])]
            offset = sentence["text"].find(m["clause"])
            begin = sentence["start_char"] + max(offset, 0)
            span = (begin, begin + len(m["clause"])) if offset >= 0 else (sentence["start_char"], sentence["end_char"])
            out[int(m["feedback_id"])].themes.setdefault(m["theme"], []).append((*span, m["clause"], m["label"]))
    return out


# --- precision ---------------------------------------------------------------------------------


def load_maps(path: Path = MAPS) -> dict:
    """The theme -> label maps; a missing file is an error, not empty maps (empty maps once made
    every labelled assignment count as wrong, unnoticed)."""
    return tomllib.loads(path.read_text(encoding="utf-8"))


def judge_labelled(eval_set: EvalSet, tagged: Tagged, theme: str, maps: dict) -> bool | None:
    """Is this assignment right by the set's labels? None where the labels cannot say."""
    gold = tagged.item.gold
    if eval_set.precision == "issues":
        return gold["issue"] in maps.get("cfpb_issues", {}).get(theme, [])
    if eval_set.precision == "categories":
        wanted = set(maps.get("semeval_categories", {}).get(theme, []))
        return any(category in wanted for category, _ in gold["categories"])
    if eval_set.precision == "aspect_terms":
        if not gold["terms"]:  # the laptop itself is never an aspect term: silence says nothing
            return None
        return any(
            start < c_end and c_start < end for _, start, end, _ in gold["terms"] for c_start, c_end, *_ in tagged.themes[theme]
        )
    if eval_set.precision == "features":
        written = [name.lower() for name, _, in_text in gold["features"] if in_text]
        if not gold["features"]:  # the annotators tagged only opinions on features: silence says nothing
            return None
        if not written:  # only implicit features: the annotators found an opinion on a feature here
            return True
        return any(_mentions(clause.lower(), name) for name in written for _, _, clause, _ in tagged.themes[theme])
    return None


def _mentions(clause: str, feature: str) -> bool:
    """A feature (e.g. "picture quality", "menue") is in a clause: every word's first 4 letters."""
    words = clause.replace("-", " ").split()
    return all(any(w.startswith(part[:4]) for w in words) for part in feature.replace("-", " ").split())


def judged_sample(
    eval_set: EvalSet, tagged: list[Tagged], configuration: str, maps: dict | None = None
) -> list[tuple[Tagged, str]]:
    """The assignments drawn for judging by hand: the report half's assignments with the smallest
    SHA-256 of (seed, packs, id, theme), a random sample that a changed pattern changes only where
    it adds or removes an assignment (the verdicts already given stay usable). For the complaints,
    only among the assignments their issue label does not confirm (*maps*, default the committed
    ones): one label per narrative confirms an assignment but cannot refute one."""

    def rank(pair: tuple[Tagged, str]) -> str:
        return hashlib.sha256(f"{JUDGED_SEED}:{configuration}:{pair[0].item.id}:{pair[1]}".encode()).hexdigest()

    pairs = [(t, theme) for t in tagged for theme in t.themes]
    if eval_set.precision == "issues":
        maps = load_maps() if maps is None else maps
        pairs = [(t, theme) for t, theme in pairs if not judge_labelled(eval_set, t, theme, maps)]
    return sorted(pairs, key=rank)[:JUDGED_SAMPLE]


def wilson(right: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval (95% by default) of a share right / n."""
    p, spread = right / n, z * z / n
    centre = (p + spread / 2) / (1 + spread)
    half = z / (1 + spread) * (p * (1 - p) / n + spread / (4 * n)) ** 0.5
    return max(0.0, centre - half), min(1.0, centre + half)


def load_judgements(path: Path = JUDGEMENTS) -> dict[tuple[str, str], bool]:
    """(item id, theme) -> correct, from the committed judgements (a missing file is an error)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {(j["id"], j["theme"]): j["verdict"] == "right" for j in data.get("judgements", []) if j.get("verdict")}


def append_to_judge(drawn, path: Path = JUDGEMENTS) -> None:
    """Append to the judgements file each drawn (set name, packs, tagged item, theme) it does not
    hold yet, with an empty verdict (ids and themes only: the data sets' texts stay out of the
    project), and print each one's clauses and feedback to read (never a label). Every entry
    already there stays as written: the verdicts given, and the entries other draws add."""
    text = path.read_text(encoding="utf-8")
    held = {(j["set"], j["packs"], j["id"], j["theme"]) for j in tomllib.loads(text).get("judgements", [])}
    lines = []
    for set_name, configuration, t, theme in drawn:
        if (set_name, configuration, t.item.id, theme) in held:
            continue
        held.add((set_name, configuration, t.item.id, theme))
        lines += ["", "[[judgements]]", f'set = "{set_name}"', f'packs = "{configuration}"']
        lines += [f'id = "{t.item.id}"', f'theme = "{theme}"', 'verdict = ""']
        print(f"{t.item.id} | {theme} | {' || '.join(c for *_, c, _ in t.themes[theme])} | {t.item.text}")
    if lines:
        path.write_text(text.rstrip("\n") + "\n" + "\n".join(lines) + "\n", encoding="utf-8")


def draw_judgements(data_dir: Path, path: Path = JUDGEMENTS) -> None:
    """Append the core's (and core + retail's) assignments drawn for judging (append_to_judge)."""
    from cxtext.text.taxonomy import get_tagger, layer_paths

    sets, _ = load_sets(data_dir)

    def drawn():
        for eval_set in (s for s in sets if s.precision in ("judged", "issues")):
            for configuration, packs in CONFIGURATIONS.items():
                if configuration != "core" and not eval_set.retail:
                    continue
                tagged = analyse_items(eval_set.half("report"), get_tagger(layer_paths(packs)))
                for t, theme in judged_sample(eval_set, tagged, configuration):
                    yield eval_set.name, configuration, t, theme

    append_to_judge(drawn(), path)


# --- figures -----------------------------------------------------------------------------------


@dataclass
class Figures:
    set_name: str
    configuration: str
    half: str
    items: int
    negative: int
    covered: int
    covered_negative: int
    assignments: int
    checked: int
    correct: int
    precision_note: str
    largest: tuple[str, float]
    per_theme: Counter
    checked_per_theme: Counter
    wrong_per_theme: Counter
    unjudged: int = 0
    judged: int = 0  # complaints: of the assignments the label does not confirm, judged by hand
    judged_right: int = 0
    judged_wrong_per_theme: Counter = field(default_factory=Counter)

    @property
    def coverage(self) -> float:
        return self.covered / self.items if self.items else 0.0

    @property
    def negative_coverage(self) -> float:
        return self.covered_negative / self.negative if self.negative else 0.0

    @property
    def precision(self) -> float | None:
        """Right / checked: the labels' verdict (for the complaints the strict map-only figure,
        every assignment the label does not confirm counted wrong), or the hand judgements'."""
        return self.correct / self.checked if self.checked else None

    @property
    def estimate(self) -> tuple[float, float, float] | None:
        """The complaints' precision (and its 95% interval): the confirmed assignments plus the
        unconfirmed ones times the right share of those judged by hand (Wilson interval on that
        share, carried over linearly); None without judgements."""
        if not self.judged:
            return None
        unconfirmed = self.checked - self.correct
        share = self.judged_right / self.judged
        low, high = wilson(self.judged_right, self.judged)
        return tuple((self.correct + unconfirmed * p) / self.checked for p in (share, low, high))

    @property
    def headline(self) -> float | None:
        """The precision the targets are checked on: the estimate where there is one."""
        return self.estimate[0] if self.estimate else self.precision


def figures(
    eval_set: EvalSet,
    tagged: list[Tagged],
    configuration: str,
    half: str,
    maps: dict,
    judgements: dict[tuple[str, str], bool],
) -> Figures:
    themed = [t for t in tagged if t.themes]
    per_theme = Counter(theme for t in themed for theme in t.themes)
    checked = correct = unjudged = judged = judged_right = 0
    wrong, checked_theme, judged_wrong = Counter(), Counter(), Counter()
    if eval_set.precision == "judged":
        pairs = judged_sample(eval_set, tagged, configuration) if half == "report" else []
        for t, theme in pairs:
            verdict = judgements.get((t.item.id, theme))
            if verdict is None:
                unjudged += 1
                continue
            checked, correct = checked + 1, correct + verdict
            wrong[theme] += not verdict
            checked_theme[theme] += 1
        note = f"{checked} judged by hand" if pairs else "judged on the report half only"
    else:
        for t in themed:
            for theme in t.themes:
                verdict = judge_labelled(eval_set, t, theme, maps)
                if verdict is None:
                    continue
                checked, correct = checked + 1, correct + verdict
                wrong[theme] += not verdict
                checked_theme[theme] += 1
        if eval_set.precision == "issues" and half == "report":
            for t, theme in judged_sample(eval_set, tagged, configuration, maps):
                verdict = judgements.get((t.item.id, theme))
                unjudged += verdict is None
                judged, judged_right = judged + (verdict is not None), judged_right + bool(verdict)
                judged_wrong[theme] += verdict is False
        note = {
            "issues": "theme -> issue map",
            "categories": "theme -> category map",
            "aspect_terms": "aspect term in the clause",
            "features": "feature in the clause",
        }[eval_set.precision]
    largest = max(per_theme.items(), key=lambda kv: kv[1]) if per_theme else ("-", 0)
    return Figures(
        eval_set.name,
        configuration,
        half,
        len(tagged),
        sum(t.item.negative for t in tagged),
        len(themed),
        sum(t.item.negative for t in themed),
        sum(len(t.themes) for t in tagged),
        checked,
        correct,
        note,
        (largest[0], largest[1] / len(themed) if themed else 0.0),
        per_theme,
        checked_theme,
        wrong,
        unjudged,
        judged,
        judged_right,
        judged_wrong,
    )


@dataclass
class IssueCheck:
    issue: str
    narratives: int
    share: float
    best: tuple[str, int, float] | None  # theme, its feedback, the issue's share of it
    found: bool


def issue_criterion(tagged: list[Tagged]) -> tuple[list[str], list[IssueCheck]]:
    """For each of the 3 most frequent issues: is there a theme among the 8 with most negative
    mentions, carried by >= 30 feedback, whose share of that issue is >= twice the issue's share
    of all narratives?"""
    issues = Counter(t.item.gold["issue"] for t in tagged)
    negatives = Counter()
    for t in tagged:
        for theme, mentions in t.themes.items():
            negatives[theme] += sum(label == "negative" for *_, label in mentions)
    top = [theme for theme, _ in sorted(negatives.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_THEMES]]
    carrying = defaultdict(list)
    for t in tagged:
        for theme in t.themes:
            carrying[theme].append(t.item.gold["issue"])
    checks = []
    for issue, n in issues.most_common(TOP_ISSUES):
        share = n / len(tagged)
        candidates = [
            (theme, len(carrying[theme]), carrying[theme].count(issue) / len(carrying[theme]))
            for theme in top
            if len(carrying[theme]) >= MIN_THEME_FEEDBACK
        ]
        best = max(candidates, key=lambda c: c[2]) if candidates else None
        checks.append(IssueCheck(issue, n, share, best, bool(best and best[2] >= LIFT * share)))
    return top, checks


def issue_table(what: str, top: list[str], checks: list[IssueCheck]) -> list[str]:
    """The complaints criterion as a paragraph and a table (*what*: the half, and the packs if not core)."""
    lines = [
        "",
        f"**Complaints, {what}: the 3 most frequent issues among the top pain points.** The 8 "
        f"themes with most negative mentions: {', '.join(top)}. An issue is found when one of them, "
        f"carried by >= {MIN_THEME_FEEDBACK} narratives, has at least {LIFT:g} times the issue's share "
        "of all narratives among its own narratives (older names of an issue merged).",
        "",
        "| issue | narratives | share | best theme (narratives, issue's share of them) | found |",
        "|---|---:|---:|---|---|",
    ]
    for c in checks:
        best = f"{c.best[0]} ({c.best[1]}, {_pct(c.best[2])})" if c.best else "none"
        lines.append(f"| {c.issue} | {c.narratives} | {_pct(c.share)} | {best} | {'yes' if c.found else '**no**'} |")
    return lines


# --- the section --------------------------------------------------------------------------------


def measure(data_dir: Path, halves: tuple[str, ...] = ("report",)) -> tuple[list[Figures], dict, list[str]]:
    """Figures per set, configuration and half; the complaints criterion per half."""
    from cxtext.text.taxonomy import get_tagger, layer_paths

    sets, missing = load_sets(data_dir)
    maps, judgements = load_maps(), load_judgements()
    taggers = {label: get_tagger(layer_paths(packs)) for label, packs in CONFIGURATIONS.items()}
    rows, criterion = [], {}
    for eval_set in sets:
        for configuration in CONFIGURATIONS if eval_set.retail else ("core",):
            for half in halves:
                tagged = analyse_items(eval_set.half(half), taggers[configuration])
                rows.append(figures(eval_set, tagged, configuration, half, maps, judgements))
                if eval_set.precision == "issues":
                    criterion[half] = issue_criterion(tagged)
    return rows, criterion, missing


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def render(rows: list[Figures], criterion: dict, missing: list[str], seconds: float) -> str:
    from cxtext.text.taxonomy import layer_paths, load_taxonomy

    core = load_taxonomy(layer_paths(["core"]))
    retail = load_taxonomy(layer_paths(["core", "retail"]))
    lines = [
        "## Themes across industries",
        "",
        f"The shipped packs on businesses nobody wrote a pack for: the core pack alone (version {core.version}, "
        f"{len(core.themes)} themes), and for the clothing shop also core + retail (version {retail.version}, "
        f"{len(retail.themes)} themes). Written by `cxtext eval`; "
        f"took {seconds:.0f} s.",
        "",
        "**How it is measured.** Each set is cut in two halves by a hash of its ids: SHA-256 of the id "
        "(prefixed with the set's name), its first 8 hex digits as an integer, even = dev, odd = report "
        "(`cxtext/evaluation/themes_data.py`; a Hu & Liu sentence goes with its review). The patterns, the "
        "theme -> category and theme -> issue maps and the judging guide were written looking only at "
        "the dev half; the report half's texts were not read until the first measurement (after the "
        "tables) had been made. "
        "Feedback goes through the pipeline's own analysis (`cxtext.enrich.analyse`). Negative "
        "feedback: 1-2 stars, every complaint narrative, a SemEval sentence with a negative aspect, a "
        "Hu & Liu sentence with a negative feature opinion. Coverage: feedback with at least one theme. "
        "An assignment is one theme on one feedback; its precision is checked by the set's labels where "
        "they allow it (restaurant categories and complaint issues through maps in "
        "`models/eval/theme_maps.toml`; a laptop aspect term inside a clause the theme was found in, on "
        "sentences with aspect terms (the laptop as a whole is never one); a "
        "Hu & Liu feature written in such a clause, or only implicit features on the sentence; Hu & Liu "
        "annotated opinions on features only, so a sentence without any is not checked), else "
        f"{JUDGED_SAMPLE} assignments drawn at random from the report half (the smallest SHA-256 of seed {JUDGED_SEED}, "
        "packs, id and theme) are "
        "judged by hand against the guide in `docs/TAXONOMY.md`, kept in `models/eval/theme_judgements.toml`. "
        "A complaint narrative has one issue label, the one the consumer picked, but tells several problems "
        "(a fee or a rude agent inside a complaint about a credit report): the label confirms an assignment "
        "whose theme maps to its issue, and cannot refute one that names a secondary problem. So the "
        "complaints' precision is (confirmed + not confirmed x the right share of the judged) / all "
        f"assignments, the judged being the {JUDGED_SAMPLE} unconfirmed assignments of the report half drawn "
        "the same way and judged without the label (the guide's section on complaint narratives), with a 95% "
        "interval (Wilson on the judged share, carried over linearly); the strict figure, every unconfirmed "
        "assignment counted wrong, stays beside it and in the quality gate, and the targets are checked on the "
        "estimate. "
        "Largest theme: the share of themed feedback carrying the most frequent theme.",
        "",
        f"Targets on the report half: negative feedback themed >= {TARGET_NEGATIVE_COVERAGE:.0%}, precision >= "
        f"{TARGET_PRECISION:.0%}, no theme on more than {TARGET_LARGEST_SHARE:.0%} of themed feedback.",
        "",
        "| set | packs | half | feedback | themed | negative themed | precision (how) | largest theme | meets targets |",
        "|---|---|---|---:|---:|---:|---|---|---|",
    ]
    for f in rows:
        ok = (
            f.negative_coverage >= TARGET_NEGATIVE_COVERAGE
            and f.headline is not None
            and f.headline >= TARGET_PRECISION
            and f.largest[1] <= TARGET_LARGEST_SHARE
        )
        verdict = "-" if f.half != "report" else "yes" if ok else "**no**"
        precision = f"{_pct(f.precision)} ({f.precision_note}"
        if f.estimate:
            value, low, high = f.estimate
            precision = (
                f"{_pct(value)} (95%: {_pct(low)}-{_pct(high)}; the {f.checked - f.correct:,} assignments the "
                f"label does not confirm estimated from {f.judged} judged by hand, {f.judged_right} right; "
                f"{_pct(f.precision)} by the {f.precision_note} alone"
            )
        lines.append(
            f"| {f.set_name} | {f.configuration} | {f.half} | {f.items:,} | {_pct(f.coverage)} | "
            f"{_pct(f.negative_coverage)} of {f.negative:,} | {precision}"
            f"{f'; {f.unjudged} not judged yet' if f.unjudged else ''}) | {f.largest[0]} {_pct(f.largest[1])} | {verdict} |"
        )
    for half, (top, checks) in criterion.items():
        lines += issue_table(f"{half} half", top, checks)
    lines += ["", "Where the assignments go wrong most (report half, wrong assignments per theme):", ""]
    for f in rows:
        if f.half == "report" and f.wrong_per_theme:
            worst = ", ".join(f"{theme} {n} of {f.checked_per_theme[theme]}" for theme, n in f.wrong_per_theme.most_common(5))
            if f.judged:  # the complaints: the label only fails to confirm; the judged sample says wrong
                judged = ", ".join(f"{theme} {n}" for theme, n in f.judged_wrong_per_theme.most_common(5)) or "none"
                worst = f"not confirmed by the issue label: {worst}; wrong of the {f.judged} judged by hand: {judged}"
            lines.append(f"- {f.set_name} ({f.configuration}): {worst}")
    for record in (FIRST_MEASUREMENT, REMEASUREMENT, THIRD_ROUND, COMPLAINTS_JUDGED):
        lines += ["", record.rstrip("\n")]
    if missing:
        lines += ["", "Not measured (data absent): " + "; ".join(missing)]
    return "\n".join(lines) + "\n"


def evaluate_themes(data_dir: Path, halves: tuple[str, ...] = ("dev", "report"), figures: dict[str, float] | None = None) -> str:
    """The section; the report half's headline figures go into *figures* for the quality gate
    (coverage of negative feedback, precision (for the complaints the strict map-only figure, and
    the estimate with hand judgements beside it), 1 - the largest theme's share, issues found)."""
    clock = time.perf_counter()
    rows, criterion, missing = measure(data_dir, halves)
    if figures is not None:
        for row in (r for r in rows if r.half == "report"):
            name = f"themes.{slug(row.set_name)}.{slug(row.configuration)}"
            figures[f"{name}.negative_coverage"] = row.negative_coverage
            figures[f"{name}.not_one_theme"] = 1 - row.largest[1]
            if row.precision is not None:
                figures[f"{name}.precision"] = row.precision
            if row.estimate:
                figures[f"{name}.precision_estimated"] = row.estimate[0]
        if criterion.get("report", (None, []))[1]:
            figures["themes.complaints.top_issues_found"] = sum(c.found for c in criterion["report"][1]) / len(
                criterion["report"][1]
            )
    return render(rows, criterion, missing, time.perf_counter() - clock)
