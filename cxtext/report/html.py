"""The report: one self-contained HTML file a CX lead can open offline and forward.

Everything is inline (CSS and SVG charts, no CDN, no JavaScript library) and read from the analysts'
views. The page is a Jinja2 template (cxtext/report/templates/report.html.j2) with autoescape on, so a value
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
from datetime import datetime, timezone
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from cxtext.journey import JOURNEY_STAGES
from cxtext.store.db import Store

# Counts the charts the browser actually laid out, for the browser test (--dump-dom shows it).
RENDER_CHECK_JS = ("document.body.dataset.chartsRendered = Array.from(document.querySelectorAll('svg.chart'))"
                   ".filter(c => c.getBBox().width > 0).length;")
#: The page's own scripts: constants, each allowed by its hash in the page's Content-Security-Policy.
SCRIPTS = (RENDER_CHECK_JS,)


def _script_tag(js: str) -> Markup:
    """One of SCRIPTS as a script element (a constant, never data: data goes through json_script)."""
    return Markup(f"<script>{js}</script>")


RENDER_CHECK = _script_tag(RENDER_CHECK_JS)

STAGE_COLOURS = dict(zip(JOURNEY_STAGES, ("#6c8ebf", "#8e7cc3", "#e69138", "#c27ba0", "#6aa84f", "#cc4125", "#3d85c6")))
NEGATIVE, POSITIVE, NEUTRAL = "#d9534f", "#5cb85c", "#c8c8c8"
LINE_COLOURS = ("#cc4125", "#3d85c6", "#e69138", "#6aa84f", "#8e7cc3")

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0;background:#f4f5f7;color:#222}
header{background:#1f2a44;color:#fff;padding:24px 40px}header h1{margin:0 0 6px;font-size:26px}
header p{margin:0;opacity:.85}main{padding:24px 40px;max-width:1280px}
section{background:#fff;border-radius:8px;padding:20px 24px;margin:0 0 22px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{margin:0 0 4px;font-size:19px}.lead{margin:0 0 14px;color:#555;font-size:14px}
table{border-collapse:collapse;width:100%;font-size:13.5px}th,td{text-align:left;padding:7px 8px;border-bottom:1px solid #eee;vertical-align:top}
th{color:#666;font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.quote{color:#444;font-style:italic;margin:2px 0}
.stage{display:inline-block;padding:2px 8px;border-radius:10px;color:#fff;font-size:12px;white-space:nowrap}
.journey{display:grid;grid-template-columns:repeat(7,1fr);gap:10px}.card{border-radius:6px;padding:10px;background:#fafafa;border-top:5px solid}
.card h3{margin:0 0 6px;font-size:14px}.card .big{font-size:22px;font-weight:700}.card small{color:#666}
.flag{color:#cc4125;font-weight:600}.muted{color:#888}
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
    return (f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; "
            "base-uri 'none'; form-action 'none'")


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


def _trend_chart(series: dict[str, list[tuple[str, int]]], weeks: list[str]) -> dict:
    """Weekly negative mentions of a few themes as lines: the chart's geometry."""
    width, height, left, bottom = 900, 260, 40, 30
    peak = max((n for points in series.values() for _, n in points), default=1) or 1
    step = (width - left - 10) / max(1, len(weeks) - 1)
    ys = lambda n: height - bottom - n / peak * (height - bottom - 10)  # noqa: E731
    lines = []
    for k, (theme, points) in enumerate(series.items()):
        counts = dict(points)
        lines.append({"theme": theme, "colour": LINE_COLOURS[k % len(LINE_COLOURS)], "legend_y": height + 20 * k,
                      "points": " ".join(f"{left + i * step:.1f},{ys(counts.get(w, 0)):.1f}" for i, w in enumerate(weeks))})
    return {"width": width, "height": height + 20 * len(series), "left": left, "axis_y": height - 10,
            "grid": [(ys(peak * tick / 4), peak * tick / 4) for tick in range(5)],
            "ticks": [(left + i * step, week[5:]) for i, week in enumerate(weeks) if i % 2 == 0], "lines": lines}


_ENV = Environment(loader=PackageLoader("cxtext.report", "templates"), autoescape=True, undefined=StrictUndefined)
_ENV.filters.update(grouped=lambda v: f"{v:,}", fixed=lambda v: f"{v:.1f}", num=_num)
_ENV.globals.update(bar_segments=_bar_segments, colours=STAGE_COLOURS)


def build_report(store: Store) -> str:
    """The report's HTML, from a database with the analysts' views."""
    meta = dict(store.execute("SELECT key, value FROM cxtext_meta"))
    # Each view is read once, and never feedback_enriched (texts, theme lists): at a million feedback
    # a pass over it costs seconds and hundreds of MB. The aggregates add up small daily tables.
    reporting_timezone = meta.get("reporting_timezone", "UTC")
    by_status = store.execute("SELECT status, first_day, last_day, feedback FROM enrichment_status")
    dates = [d for _, a, b, _ in by_status for d in (a, b) if d is not None]
    first, last = (min(dates), max(dates)) if dates else (None, None)
    total = sum(n for *_, n in by_status)
    stages = store.dicts("SELECT * FROM stage_summary ORDER BY position")
    pains = store.dicts("SELECT * FROM pain_points WHERE period = 'all' ORDER BY pain_score DESC LIMIT 10")
    emerging = store.dicts("SELECT * FROM emerging_issues ORDER BY week DESC, z DESC LIMIT 10")
    requests = store.dicts("SELECT * FROM requests ORDER BY requests DESC, stage, theme LIMIT 10")
    effort_themes = store.dicts("SELECT stage, theme_name, mean_effort, complaint_mentions, question_mentions FROM pain_points "
                                "WHERE period = 'all' AND mean_effort > 0 ORDER BY mean_effort DESC, theme LIMIT 5")
    topics = store.dicts("SELECT * FROM topic_summary ORDER BY size DESC LIMIT 15")
    quality = store.dicts("SELECT source, files, failed, read, loaded, duplicate, rejected FROM source_quality")
    reasons = dict(store.execute("SELECT source, reject_reasons FROM source_quality WHERE reject_reasons IS NOT NULL"))
    languages = store.execute("SELECT language, feedback, scored_feedback FROM language_summary")
    trends = store.execute("SELECT theme, week, negative_mentions FROM theme_trends ORDER BY week, theme")
    negative: dict[str, int] = {}
    for theme, _, n in trends:
        negative[theme] = negative.get(theme, 0) + n
    top_themes = sorted(negative, key=lambda t: (-negative[t], t))[:5]
    weeks = sorted({str(w) for _, w, _ in trends})
    series = {t: [(str(w), n) for theme, w, n in trends if theme == t] for t in top_themes}
    scale = max([abs(p["nps_impact_high"] or 0) for p in pains] + [1.0])
    versions = {k: v for k, v in meta.items() if k.endswith("_version")}
    generated = datetime.now(timezone.utc)
    run_info = {"feedback": total, "first_day": first, "last_day": last, "reporting_timezone": reporting_timezone,
                "generated_at": generated.isoformat(timespec="seconds"), "versions": versions}
    return _ENV.get_template("report.html.j2").render(
        css=Markup(CSS), csp=_csp(SCRIPTS), scripts=[_script_tag(js) for js in SCRIPTS],
        total=total, first=first, last=last, timezone=reporting_timezone, generated=f"{generated:%Y-%m-%d %H:%M}",
        stages=stages, emerging=emerging, requests=requests, effort_themes=effort_themes, topics=topics, languages=languages, trend=_trend_chart(series, weeks),
        pains=[{**p, "quotes": [_quote(q) for q in p["quotes"] or []],
                "impact": _impact(p["nps_impact"], p["nps_impact_low"], p["nps_impact_high"], scale)} for p in pains],
        status=sorted((s, n) for s, _, _, n in by_status),
        quality=[{**q, "reasons": reasons.get(q["source"])} for q in quality],
        versions_text=json.dumps(versions), run_info=json_script(run_info, "cxtext-run"))


def write_report(store: Store, target: Path) -> Path:
    """Write the report atomically next to the analysts' file."""
    target = Path(target)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(build_report(store), encoding="utf-8")
    tmp.replace(target)
    return target


def top_pain_points_markdown(store: Store, limit: int = 5) -> str:
    """The top pain points as a Markdown table (for a Prefect artifact)."""
    rows = store.execute(
        "SELECT stage, theme_name, negative_mentions, pain_score, nps_impact FROM pain_points WHERE period = 'all' "
        "ORDER BY pain_score DESC LIMIT ?",
        [limit])
    lines = ["| stage | theme | negative mentions | pain score | NPS impact |", "|---|---|---:|---:|---:|"]
    lines += [f"| {s} | {t} | {n:,} | {p:.2f} | {'–' if i is None else f'{i:+.1f}'} |" for s, t, n, p, i in rows]
    return "## Top pain points\n\n" + "\n".join(lines) + "\n"
