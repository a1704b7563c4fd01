"""The report: one self-contained HTML file a CX lead can open offline and forward.

Everything is inline (CSS and SVG charts drawn here, no CDN, no JavaScript library), read from the
analysts' views, and every piece of feedback text is HTML-escaped. :func:`top_pain_points_markdown`
gives the same headline as Markdown for a Prefect artifact.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from html import escape
from pathlib import Path

from cxtext.insights.views import CURRENT_SQL, STATUS_SQL, local_time_sql
from cxtext.store.db import Store

# Counts the charts the browser actually laid out, for the browser test (--dump-dom shows it).
RENDER_CHECK = ("<script>document.body.dataset.chartsRendered = Array.from(document.querySelectorAll('svg.chart'))"
                ".filter(c => c.getBBox().width > 0).length;</script>")

STAGE_COLOURS = {
    "awareness": "#6c8ebf", "consideration": "#8e7cc3", "purchase": "#e69138", "onboarding": "#c27ba0",
    "usage": "#6aa84f", "support": "#cc4125", "loyalty": "#3d85c6",
}
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


def _quote(clause: str) -> str:
    """A clause as a quote: a leading 'but' / 'and' becomes an ellipsis, the words stay verbatim."""
    trimmed = _LEADING_JOIN.sub("", clause.strip())
    return escape(("…" + trimmed) if trimmed != clause.strip() else trimmed)


def _num(value, digits: int = 1, suffix: str = "") -> str:
    return "–" if value is None else f"{value:,.{digits}f}{suffix}"


def _stage(stage: str) -> str:
    return f'<span class="stage" style="background:{STAGE_COLOURS.get(stage, "#888")}">{escape(stage)}</span>'


def _bar(share_negative: float | None, share_positive: float | None, width: int = 160) -> str:
    """A stacked negative / neutral / positive bar."""
    neg, pos = share_negative or 0.0, share_positive or 0.0
    parts, x = [], 0.0
    for share, colour in ((neg, NEGATIVE), (max(0.0, 1 - neg - pos), NEUTRAL), (pos, POSITIVE)):
        parts.append(f'<rect x="{x:.1f}" y="0" width="{share * width:.1f}" height="12" fill="{colour}"/>')
        x += share * width
    return f'<svg class="chart" width="{width}" height="12" role="img" aria-label="sentiment">{"".join(parts)}</svg>'


def _impact(value, low, high, scale: float) -> str:
    """NPS impact as a bar with its 95% interval."""
    if value is None:
        return '<span class="muted">too few NPS answers</span>'
    width = 150
    x = lambda v: max(0.0, min(width, v / scale * width))  # noqa: E731
    return (f'<svg class="chart" width="{width + 50}" height="16" role="img" aria-label="NPS impact">'
            f'<rect x="0" y="3" width="{x(value):.1f}" height="10" fill="#1f2a44" opacity=".75"/>'
            f'<line x1="{x(low):.1f}" x2="{x(high):.1f}" y1="8" y2="8" stroke="#000" stroke-width="1.5"/>'
            f'<text x="{width + 4}" y="12" font-size="11">{value:+.1f}</text></svg>')


def _trend_chart(series: dict[str, list[tuple[str, int]]], weeks: list[str]) -> str:
    """Weekly negative mentions of a few themes as lines."""
    width, height, left, bottom = 900, 260, 40, 30
    peak = max((n for points in series.values() for _, n in points), default=1) or 1
    step = (width - left - 10) / max(1, len(weeks) - 1)
    ys = lambda n: height - bottom - n / peak * (height - bottom - 10)  # noqa: E731
    out = [f'<svg class="chart" width="{width}" height="{height + 20 * len(series)}" role="img" aria-label="theme trends">']
    for tick in range(0, 5):
        value = peak * tick / 4
        out.append(f'<line x1="{left}" x2="{width}" y1="{ys(value):.1f}" y2="{ys(value):.1f}" stroke="#eee"/>'
                   f'<text x="4" y="{ys(value) + 4:.1f}" font-size="10" fill="#888">{value:.0f}</text>')
    for i, week in enumerate(weeks):
        if i % 2 == 0:
            out.append(f'<text x="{left + i * step:.1f}" y="{height - 10}" font-size="10" fill="#888" '
                       f'text-anchor="middle">{escape(week[5:])}</text>')
    for k, (theme, points) in enumerate(series.items()):
        colour = LINE_COLOURS[k % len(LINE_COLOURS)]
        counts = dict(points)
        coords = " ".join(f"{left + i * step:.1f},{ys(counts.get(w, 0)):.1f}" for i, w in enumerate(weeks))
        out.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
        out.append(f'<rect x="{left}" y="{height + 20 * k + 2}" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{left + 18}" y="{height + 20 * k + 12}" font-size="12">{escape(theme)}</text>')
    out.append("</svg>")
    return "".join(out)


def build_report(store: Store) -> str:
    """The report's HTML, from a database with the analysts' views."""
    meta = dict(store.execute("SELECT key, value FROM cxtext_meta"))
    # Each view is read once, and never feedback_enriched (texts, theme lists): at a million feedback
    # a pass over it costs seconds and hundreds of MB. The aggregates add up small daily tables.
    local = local_time_sql(meta.get("reporting_timezone", "UTC"))
    by_status = store.execute(
        f"SELECT {STATUS_SQL}, min(CAST({local} AS DATE)), max(CAST({local} AS DATE)), count(*) "
        f"FROM feedback f LEFT JOIN enrichment e ON {CURRENT_SQL} GROUP BY 1")
    dates = [d for _, a, b, _ in by_status for d in (a, b) if d is not None]
    first, last = (min(dates), max(dates)) if dates else (None, None)
    total = sum(n for *_, n in by_status)
    status = {s: n for s, _, _, n in by_status}
    stages = store.dicts("SELECT * FROM stage_summary ORDER BY position")
    pains = store.dicts("SELECT * FROM pain_points WHERE period = 'all' ORDER BY pain_score DESC LIMIT 10")
    emerging = store.dicts("SELECT * FROM emerging_issues ORDER BY week DESC, z DESC LIMIT 10")
    topics = store.dicts("SELECT * FROM topic_summary ORDER BY size DESC LIMIT 15")
    quality = store.dicts(
        "SELECT source, count(*) AS files, count(*) FILTER (WHERE status = 'failed') AS failed, sum(rows_read) AS read, "
        "sum(rows_loaded) AS loaded, sum(rows_duplicate) AS duplicate, sum(rows_rejected) AS rejected "
        "FROM ingest_batches GROUP BY source ORDER BY source")
    reasons = dict(store.execute("SELECT source, string_agg(reason || ' ' || n, ', ' ORDER BY n DESC) FROM "
                                 "(SELECT source, reason, count(*) AS n FROM rejects GROUP BY ALL) GROUP BY source"))
    languages = store.execute("SELECT language, feedback, scored_feedback FROM language_summary")
    trends = store.execute("SELECT theme, week, negative_mentions FROM theme_trends ORDER BY week, theme")
    negative: dict[str, int] = {}
    for theme, _, n in trends:
        negative[theme] = negative.get(theme, 0) + n
    top_themes = sorted(negative, key=lambda t: (-negative[t], t))[:5]
    weeks = sorted({str(w) for _, w, _ in trends})
    series = {t: [(str(w), n) for theme, w, n in trends if theme == t] for t in top_themes}

    html = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>cxtext: customer pain points</title>"
            f"<style>{CSS}</style></head><body>",
            "<header><h1>Where the customer journey hurts</h1>"
            f"<p>{total:,} pieces of feedback from {escape(str(first))} to {escape(str(last))} "
            f"(weeks in {escape(meta.get('reporting_timezone', 'UTC'))}) · generated "
            f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC</p></header><main>"]

    html.append("<section id='journey'><h2>The journey at a glance</h2><p class='lead'>Feedback per stage, the tone of "
                "what is said about it (red negative, green positive) and NPS of the customers who talk about it.</p>"
                "<div class='journey'>")
    for s in stages:
        pains_here = ", ".join(escape(p) for p in (s["top_pain_themes"] or [])[:2]) or "–"
        html.append(f"<div class='card' style='border-color:{STAGE_COLOURS.get(s['stage'], '#888')}'>"
                    f"<h3>{escape(s['name'])}</h3><div class='big'>{s['feedback']:,}</div><small>feedback</small>"
                    f"<div>{_bar(s['share_negative'], s['share_positive'], 140)}</div>"
                    f"<small>NPS {_num(s['nps'], 0)} · CSAT {_num(s['csat'], 0, '%')}</small><br>"
                    f"<small>hurts: {pains_here}</small></div>")
    html.append("</div></section>")

    scale = max([abs(p["nps_impact_high"] or 0) for p in pains] + [1.0])
    html.append("<section id='pain-points'><h2>Top pain points</h2><p class='lead'>Ranked by pain score (how common the "
                "complaint is, weighted by how strongly it is put). NPS impact: the NPS points gained if these customers "
                "scored like the rest, with its 95% interval.</p><table><tr><th>stage</th><th>theme</th>"
                "<th class='num'>negative mentions</th><th>tone</th><th class='num'>pain score</th><th>NPS impact</th>"
                "<th>what customers say</th></tr>")
    for p in pains:
        quotes = "".join(f"<p class='quote'>“{_quote(q)}”</p>" for q in (p["quotes"] or []))
        html.append(f"<tr><td>{_stage(p['stage'])}</td><td>{escape(p['theme_name'])}</td>"
                    f"<td class='num'>{p['negative_mentions']:,}</td>"
                    f"<td>{_bar(p['share_negative'], 1 - p['share_negative'] if p['share_negative'] is not None else 0, 100)}</td>"
                    f"<td class='num'>{p['pain_score']:.2f}</td>"
                    f"<td>{_impact(p['nps_impact'], p['nps_impact_low'], p['nps_impact_high'], scale)}</td>"
                    f"<td>{quotes}</td></tr>")
    html.append("</table></section>")

    html.append("<section id='trends'><h2>Trends of the most complained-about themes</h2><p class='lead'>Negative "
                f"mentions per week.</p>{_trend_chart(series, weeks)}</section>")

    html.append("<section id='emerging'><h2>Emerging issues</h2><p class='lead'>Weeks in which a theme's negative "
                "mentions (or an uncovered topic's feedback) rose beyond what the four weeks before explain (Poisson test, "
                "Anscombe z ≥ 3.09).</p>")
    if emerging:
        html.append("<table><tr><th>week</th><th>stage</th><th>theme or topic</th><th class='num'>count</th>"
                    "<th class='num'>expected</th><th class='num'>× usual</th><th class='num'>z</th></tr>")
        html += [f"<tr><td>{escape(str(e['week']))}</td><td>{_stage(e['stage']) if e['stage'] else 'new topic'}</td>"
                 f"<td>{escape(e['theme_name'])}</td>"
                 f"<td class='num'>{e['count']:,}</td><td class='num'>{e['expected']:.1f}</td>"
                 f"<td class='num'>{e['ratio']:.1f}</td><td class='num'>{e['z']:.1f}</td></tr>" for e in emerging]
        html.append("</table>")
    else:
        html.append("<p class='muted'>Nothing unusual.</p>")
    html.append("</section>")

    html.append("<section id='topics'><h2>Topics the data suggests</h2><p class='lead'>Clusters of similar feedback; "
                "a flag marks topics the taxonomy barely covers (candidates for a new theme).</p><table><tr>"
                "<th>topic</th><th class='num'>feedback</th><th>tone</th><th class='num'>covered by themes</th><th></th></tr>")
    for t in topics:
        negative = t["share_negative"] or 0.0
        html.append(f"<tr><td>{escape(t['label'])}</td><td class='num'>{t['size'] or 0:,}</td>"
                    f"<td>{_bar(negative, 0, 100)}</td><td class='num'>{_num((t['theme_coverage'] or 0) * 100, 0, '%')}</td>"
                    f"<td>{'<span class=flag>candidate theme</span>' if t['candidate_theme'] else ''}</td></tr>")
    html.append("</table></section>")

    html.append("<section id='quality'><h2>Data quality</h2><p class='lead'>Every record read is loaded, a duplicate or "
                "rejected with a reason. Enrichment: "
                + ", ".join(f"{escape(k)} {v:,}" for k, v in sorted(status.items())) + ". Languages: "
                + ", ".join(f"{escape(str(lang))} {n:,}" + ("" if scored == n else f" ({n - scored:,} not scored)")
                            for lang, n, scored in languages)
                + " (sentiment and themes read English only; other languages are counted, not scored).</p><table><tr><th>source</th>"
                "<th class='num'>files</th><th class='num'>read</th><th class='num'>loaded</th><th class='num'>duplicate</th>"
                "<th class='num'>rejected</th><th>reject reasons</th></tr>")
    for q in quality:
        failed = f" <span class='flag'>({q['failed']} failed)</span>" if q["failed"] else ""
        html.append(f"<tr><td>{escape(q['source'])}</td><td class='num'>{q['files']}{failed}</td>"
                    f"<td class='num'>{q['read']:,}</td><td class='num'>{q['loaded']:,}</td>"
                    f"<td class='num'>{q['duplicate']:,}</td><td class='num'>{q['rejected']:,}</td>"
                    f"<td>{escape(reasons.get(q['source']) or '–')}</td></tr>")
    html.append("</table></section>")
    versions = {k: v for k, v in meta.items() if k.endswith("_version")}
    html.append(f"<p class='muted'>cxtext · {escape(json.dumps(versions))}</p></main>{RENDER_CHECK}</body></html>")
    return "\n".join(html)


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
