"""The report: one self-contained HTML file a CX lead can open offline and forward.

Everything is inline (CSS, SVG charts and one small script, no CDN, no JavaScript library) and read
from the analysts' views: the page holds aggregates and at most QUOTES_PER_THEME quotes per theme and
segment, so it stays small whatever the number of records. The script (templates/report.js) adds the
drill-down, the period and segment filters and the CSV downloads; without it the page still reads. The page is a Jinja2 template (cxtext/report/templates/report.html.j2) with autoescape on, so a value
is escaped unless it is Markup made here from constants; data for scripts goes through
:func:`json_script`, and a Content-Security-Policy lets only the page's own SCRIPTS run, as a second
wall should an escape ever be missed. :func:`top_pain_points_markdown` gives the same headline as
Markdown for a Prefect artifact.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from cxtext.journey import JOURNEY_STAGES
from cxtext.store.db import Store

# Counts the charts the browser actually laid out, for the browser test (--dump-dom shows it).
RENDER_CHECK_JS = (
    "document.body.dataset.chartsRendered = Array.from(document.querySelectorAll('svg.chart'))"
    ".filter(c => c.getBBox().width > 0).length;"
)
#: Drill-down, filters and downloads: reads the cxtext-data block and writes text only (textContent).
APP_JS = (Path(__file__).parent / "templates" / "report.js").read_text(encoding="utf-8")
#: The page's own scripts: constants, each allowed by its hash in the page's Content-Security-Policy.
SCRIPTS = (APP_JS, RENDER_CHECK_JS)


def _script_tag(js: str) -> Markup:
    """One of SCRIPTS as a script element (a constant, never data: data goes through json_script)."""
    return Markup(f"<script>{js}</script>")


RENDER_CHECK = _script_tag(RENDER_CHECK_JS)

STAGE_COLOURS = dict(zip(JOURNEY_STAGES, ("#6c8ebf", "#8e7cc3", "#e69138", "#c27ba0", "#6aa84f", "#cc4125", "#3d85c6")))
NEGATIVE, POSITIVE, NEUTRAL = "#d9534f", "#5cb85c", "#c8c8c8"
LINE_COLOURS = ("#cc4125", "#3d85c6", "#e69138", "#6aa84f", "#8e7cc3")

CSS = """
*{box-sizing:border-box}
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0;background:#f4f5f7;color:#222}
header{background:#1f2a44;color:#fff;padding:20px 24px}header h1{margin:0 0 6px;font-size:24px}
header p{margin:0;opacity:.85}main{padding:20px 24px;max-width:1280px;margin:0 auto}
section{background:#fff;border-radius:8px;padding:18px 20px;margin:0 0 20px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{margin:0 0 4px;font-size:19px}.lead{margin:0 0 14px;color:#555;font-size:14px}
table{border-collapse:collapse;width:100%;font-size:13.5px}th,td{text-align:left;padding:7px 8px;border-bottom:1px solid #eee;vertical-align:top;overflow-wrap:anywhere}
th{color:#666;font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.quote{color:#444;font-style:italic;margin:2px 0}
.stage{display:inline-block;padding:2px 8px;border-radius:10px;color:#fff;font-size:12px;max-width:12em;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;vertical-align:top}
.journey{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.card{border-radius:6px;padding:10px;background:#fafafa;border:0;border-top:5px solid;text-align:left;font:inherit;color:inherit;cursor:pointer;min-width:0;overflow-wrap:anywhere}
.card h3{margin:0 0 6px;font-size:14px}.card .big{font-size:22px;font-weight:700}.card small{color:#666}
.flag{color:#cc4125;font-weight:600}.muted{color:#888}svg{max-width:100%;height:auto}
.link{background:none;border:0;padding:0;font:inherit;color:#1f4e99;text-decoration:underline;cursor:pointer;text-align:left;overflow-wrap:anywhere}
.tools{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;margin:0 0 12px;font-size:14px}
.tools label{display:block;max-width:100%;min-width:0}.tools select{max-width:100%;font:inherit}.tools button{font:inherit}
footer{padding:0 24px 24px;max-width:1280px;margin:0 auto;color:#666;font-size:13px}footer dl{display:flex;flex-wrap:wrap;gap:4px 16px;margin:6px 0}
footer dt{font-weight:600}footer dd{margin:0;overflow-wrap:anywhere}
@media (max-width:700px){header,main{padding:14px}section{padding:14px}
table.stack,table.stack tbody{display:block}table.stack thead{display:none}table.stack tr{display:block;border-bottom:1px solid #ddd;padding:6px 0}
table.stack td{display:block;border:0;padding:2px 4px;text-align:left;overflow-wrap:anywhere}
table.stack td[data-label]::before{content:attr(data-label) ": ";color:#666;font-size:12px;font-style:normal}}
"""


_LEADING_JOIN = re.compile(r"^(?:but|and|however|although|though|yet|whereas|except)\b[\s,]*", re.IGNORECASE)
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_script(data, element_id: str) -> Markup:
    """*data* as a ``<script type="application/json">`` block for the page's scripts to read.

    <, > and & (inside JSON they occur only in strings) and the JavaScript line separators U+2028/9
    are written as \\u escapes, so no value can close the block (``</script>``) or open a comment.
    """
    text = json.dumps(data, ensure_ascii=False, default=str)
    text = re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group()], text)
    return Markup(f'<script type="application/json" id="{escape(element_id)}">{text}</script>')


def _csp(scripts: tuple[str, ...]) -> str:
    """A policy that runs only *scripts* (by hash) and loads nothing from anywhere."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts)
    return f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _quote(clause: str) -> str:
    """A clause as a quote: a leading 'but' / 'and' becomes an ellipsis, the words stay verbatim."""
    trimmed = _LEADING_JOIN.sub("", clause.strip())
    return ("…" + trimmed) if trimmed != clause.strip() else trimmed


def _num(value, digits: int = 1, suffix: str = "") -> str:
    return "–" if value is None else f"{value:,.{digits}f}{suffix}"


def _bar_segments(share_negative: float | None, share_positive: float | None, width: int):
    """(x, width, colour) of a stacked negative / neutral / positive bar."""
    neg, pos = share_negative or 0.0, share_positive or 0.0
    segments, x = [], 0.0
    for share, colour in ((neg, NEGATIVE), (max(0.0, 1 - neg - pos), NEUTRAL), (pos, POSITIVE)):
        segments.append((x, share * width, colour))
        x += share * width
    return segments


def _impact(value, low, high, scale: float) -> dict | None:
    """NPS impact as a bar with its 95% interval, in pixels; None below the answers' minimum."""
    if value is None:
        return None
    width = 150
    x = lambda v: max(0.0, min(width, v / scale * width))  # noqa: E731
    return {"width": width, "value": x(value), "low": x(low), "high": x(high), "text": f"{value:+.1f}"}


def _trend_chart(series: dict[str, list[tuple[str, int, int]]], weeks: list[str], names: dict[str, str]) -> dict:
    """Weekly negative mentions of a few themes as lines: the chart's geometry. A partial first or
    last week (fewer days of data) is drawn as its rate per day × 7, on a dashed stretch."""
    width, height, left, right, bottom = 900, 260, 40, 30, 30
    scaled = {t: {w: n * 7 / days for w, n, days in points} for t, points in series.items()}
    peak = max((n for points in scaled.values() for n in points.values()), default=1) or 1
    step = (width - left - right) / max(1, len(weeks) - 1)
    ys = lambda n: height - bottom - n / peak * (height - bottom - 10)  # noqa: E731
    partial = {w for points in series.values() for w, _, days in points if days < 7}
    lines = []
    for k, (theme, points) in enumerate(scaled.items()):
        xy = [(left + i * step, ys(points.get(w, 0))) for i, w in enumerate(weeks)]
        full = [i for i, w in enumerate(weeks) if w not in partial]
        edges = [(i, i + 1) for i in range(len(weeks) - 1) if weeks[i] in partial or weeks[i + 1] in partial]
        lines.append(
            {
                "theme": names.get(theme, theme),
                "colour": LINE_COLOURS[k % len(LINE_COLOURS)],
                "legend_y": height + 20 * k,
                "points": " ".join(f"{xy[i][0]:.1f},{xy[i][1]:.1f}" for i in full),
                "dashed": [(xy[a], xy[b]) for a, b in edges],
            }
        )
    return {
        "width": width,
        "height": height + 20 * len(series),
        "left": left,
        "axis_y": height - 10,
        "grid": [(ys(peak * tick / 4), peak * tick / 4) for tick in range(5)],
        "lines": lines,
        "ticks": [
            (left + i * step, week[5:] + ("*" if week in partial else ""), "end" if i == len(weeks) - 1 else "middle")
            for i, week in enumerate(weeks)
            if (len(weeks) - 1 - i) % 2 == 0
        ],
    }


_ENV = Environment(loader=PackageLoader("cxtext.report", "templates"), autoescape=True, undefined=StrictUndefined)
_ENV.filters.update(grouped=lambda v: f"{v:,}", fixed=lambda v: f"{v:.1f}", num=_num)
_ENV.globals.update(bar_segments=_bar_segments, colours=STAGE_COLOURS)


def _same(quote: str) -> str:
    """What two quotes that differ only in case, punctuation or a leading 'but' share."""
    return " ".join(re.findall(r"\w+", _quote(quote).lower()))


def _unique_quotes(pools: dict[tuple[str, str], list[str]], order: list[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """Each (stage, theme)'s quotes (most negative first) without any given to a theme earlier in
    *order* or said in other words, clauses of four words or more before shorter ones (a fragment
    only when nothing else is there): no two themes show the same quote."""
    seen: set[str] = set()
    unique = {}
    for key in dict.fromkeys(order + sorted(pools)):
        pool = pools.get(key, [])
        unique[key] = []
        for q in [q for q in pool if len(q.split()) >= 4] + [q for q in pool if len(q.split()) < 4]:
            if _same(q) not in seen:
                seen.add(_same(q))
                unique[key].append(_quote(q))
    return unique


def _nps_note(responses) -> str:
    """Why a row has no NPS impact: no answers at all, or too few for an interval."""
    return "no NPS answers" if not responses else f"too few NPS answers ({responses})"


def _columns(rows: list[dict]) -> dict:
    """View rows for the page's data, as column names and value lists (about half the size of one
    object per row): dates as text, floats at 4 decimals."""
    cell = lambda v: round(v, 4) if isinstance(v, float) else str(v) if hasattr(v, "isoformat") else v  # noqa: E731
    return {"columns": list(rows[0]) if rows else [], "rows": [[cell(v) for v in row.values()] for row in rows]}


def _group(rows, weeks: set[str]) -> dict[str, list[list]]:
    """(key, week, count, days) rows as each key's [week, count, days] of *weeks*, in order."""
    grouped: dict[str, list[list]] = {}
    for key, week, n, days in rows:
        if week in weeks:
            grouped.setdefault(key, []).append([week, n, days])
    return grouped


def build_report(store: Store) -> str:
    """The report's HTML, from a database with the analysts' views."""
    meta = dict(store.execute("SELECT key, value FROM cxtext_meta"))
    # Each view is read once, and never feedback_enriched (texts, theme lists): at a million feedback
    # a pass over it costs seconds and hundreds of MB. The aggregates and segments add up small
    # daily tables; only segments' strongest rows are inlined.
    reporting_timezone = meta.get("reporting_timezone", "UTC")
    by_status = store.execute("SELECT status, first_day, last_day, feedback FROM enrichment_status")
    dates = [d for _, a, b, _ in by_status for d in (a, b) if d is not None]
    first, last = (min(dates), max(dates)) if dates else (None, None)
    total = sum(n for *_, n in by_status)
    stages = store.dicts("SELECT * FROM stage_summary ORDER BY position")
    pain_rows = store.dicts(
        f"SELECT period, period_start, days, partial, stage, theme, {_LABELLED}, negative_mentions, share_negative, "
        "pain_score, nps_impact, nps_impact_low, nps_impact_high, nps_responses FROM pain_points "
        "QUALIFY row_number() OVER (PARTITION BY period, period_start ORDER BY pain_score DESC, theme) <= 10 "
        "AND dense_rank() OVER (PARTITION BY period ORDER BY period_start DESC NULLS FIRST) <= 13 "
        "ORDER BY period, period_start DESC NULLS FIRST, pain_score DESC, theme"
    )
    names = dict(store.execute(f"SELECT DISTINCT theme, {_LABELLED} FROM pain_points WHERE period = 'all'"))
    stage_names = {s["stage"]: s["name"] for s in stages}
    quotes: dict[tuple[str, str], list[str]] = {}
    for stage, theme, quote in store.execute(
        "SELECT stage, theme, quote FROM pain_quotes ORDER BY stage, theme, compound, quote"
    ):
        quotes.setdefault((stage, theme), []).append(quote)
    emerging = store.dicts("SELECT * FROM emerging_issues ORDER BY week DESC, z DESC LIMIT 10")
    requests = store.dicts("SELECT * FROM requests ORDER BY requests DESC, stage, theme LIMIT 10")
    effort_themes = store.dicts(
        "SELECT stage, theme_name, mean_effort, complaint_mentions, question_mentions FROM pain_points "
        "WHERE period = 'all' AND mean_effort > 0 ORDER BY mean_effort DESC, theme LIMIT 5"
    )
    topics = store.dicts("SELECT * FROM topic_summary ORDER BY size DESC LIMIT 15")
    suggestions = store.dicts("SELECT theme, name, stage, stage_cues, volume, share_negative FROM theme_suggestions LIMIT 10")
    quality = store.dicts("SELECT source, files, failed, read, loaded, duplicate, rejected FROM source_quality")
    reasons = dict(store.execute("SELECT source, reject_reasons FROM source_quality WHERE reject_reasons IS NOT NULL"))
    languages = store.execute("SELECT language, feedback, scored_feedback FROM language_summary")
    segments = store.dicts(
        "SELECT dimension, segment, level, stage, theme, feedback, negative_feedback, share_negative, rest_share_negative, "
        "difference, z, significant, quotes FROM segments "
        "QUALIFY row_number() OVER (PARTITION BY dimension, segment, level ORDER BY negative_feedback DESC, stage, theme) <= 10 "
        "ORDER BY dimension, segment, level DESC, negative_feedback DESC, stage, theme LIMIT 2000"
    )
    trends = store.execute("SELECT theme, CAST(week AS VARCHAR), negative_mentions, days FROM theme_trends ORDER BY week, theme")
    stage_trends = store.execute(
        "SELECT stage, CAST(week AS VARCHAR), negative_mentions, days FROM stage_trends ORDER BY week, position"
    )
    recent = set(sorted({w for _, w, _, _ in trends})[-52:])  # the last year's weeks
    weeks = sorted(recent)
    by_theme = _group(trends, recent)
    negative: dict[str, int] = {}
    for theme, _, n, _ in trends:
        negative[theme] = negative.get(theme, 0) + n
    top_themes = sorted((t for t in negative if negative[t]), key=lambda t: (-negative[t], t))[:5]
    series = {t: [tuple(point) for point in by_theme[t]] for t in top_themes}
    drill = {p["theme"] for p in pain_rows} | set(top_themes)
    quotes = _unique_quotes(quotes, [(p["stage"], p["theme"]) for p in pain_rows if p["period"] == "all"])
    top = [p for p in pain_rows if p["period"] == "all"]
    scale = max([abs(p["nps_impact_high"] or 0) for p in top] + [1.0])
    pains = [
        {
            **p,
            "stage_name": stage_names.get(p["stage"], p["stage"]),
            "note": _nps_note(p["nps_responses"]),
            "quotes": quotes.get((p["stage"], p["theme"]), [])[:3],
            "impact": _impact(p["nps_impact"], p["nps_impact_low"], p["nps_impact_high"], scale),
        }
        for p in top
    ]
    versions = {k: v for k, v in meta.items() if k.endswith("_version")}
    generated = datetime.now(UTC)
    run_info = {
        "feedback": total,
        "first_day": first,
        "last_day": last,
        "reporting_timezone": reporting_timezone,
        "generated_at": generated.isoformat(timespec="seconds"),
        "versions": versions,
    }
    data = {
        "stages": [[s["stage"], s["name"]] for s in stages],
        "themes": sorted(names.items()),
        "pains": _columns([{k: v for k, v in p.items() if not k.startswith("nps_impact_")} for p in pain_rows]),
        "segments": _columns(segments),
        "theme_trends": [[t, by_theme.get(t, [])] for t in sorted(drill)],
        "stage_trends": [[stage, points] for stage, points in _group(stage_trends, recent).items()],
        "quotes": [[stage, theme, qs] for (stage, theme), qs in sorted(quotes.items()) if qs],
    }
    return _ENV.get_template("report.html.j2").render(
        css=Markup(CSS),
        csp=_csp(SCRIPTS),
        scripts=[_script_tag(js) for js in SCRIPTS],
        total=total,
        first=first,
        last=last,
        timezone=reporting_timezone,
        generated=f"{generated:%Y-%m-%d %H:%M}",
        stages=[
            {
                **s,
                "pain_names": [names.get(t, t) for t in (s["top_pain_themes"] or [])[:2]],
                "effort_names": [names.get(t, t) for t in (s.get("top_effort_themes") or [])[:2]],
            }
            for s in stages
        ],
        emerging=emerging,
        requests=requests,
        effort_themes=effort_themes,
        topics=topics,
        suggestions=suggestions,
        languages=languages,
        trend=_trend_chart(series, weeks, names),
        pains=pains,
        segments=[s for s in segments if s["significant"] and s["level"] == "theme"][:20],
        stage_names=stage_names,
        theme_names=names,
        stage_index={s: i for i, (s, _) in enumerate(data["stages"])},
        theme_index={t: i for i, (t, _) in enumerate(data["themes"])},
        status=sorted((s, n) for s, _, _, n in by_status),
        quality=[{**q, "reasons": reasons.get(q["source"])} for q in quality],
        versions=sorted(versions.items()),
        run_info=json_script(run_info, "cxtext-run"),
        data=json_script(data, "cxtext-data"),
    )


def write_report(store: Store, target: Path) -> Path:
    """Write the report atomically next to the analysts' file."""
    target = Path(target)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(build_report(store), encoding="utf-8")
    tmp.replace(target)
    return target


#: A discovered theme's name, labelled so wherever the report shows it.
_LABELLED = "theme_name || CASE WHEN discovered THEN ' (discovered)' ELSE '' END AS theme_name"


def top_pain_points_markdown(store: Store, limit: int = 5) -> str:
    """The top pain points as a Markdown table (for a Prefect artifact)."""
    rows = store.execute(
        "SELECT stage, theme_name, negative_mentions, pain_score, nps_impact FROM pain_points WHERE period = 'all' "
        "ORDER BY pain_score DESC LIMIT ?",
        [limit],
    )
    lines = ["| stage | theme | negative mentions | pain score | NPS impact |", "|---|---|---:|---:|---:|"]
    lines += [f"| {s} | {t} | {n:,} | {p:.2f} | {'–' if i is None else f'{i:+.1f}'} |" for s, t, n, p, i in rows]
    return "## Top pain points\n\n" + "\n".join(lines) + "\n"
