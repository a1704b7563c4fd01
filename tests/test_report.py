"""The report: built from the views, every piece of feedback text escaped."""

import os
import re
import subprocess
from contextlib import contextmanager
from datetime import datetime
from html import escape

import pytest

from cxtext.insights.views import define_views
from cxtext.report.html import RENDER_CHECK, build_report, top_pain_points_markdown
from cxtext.store.db import Store

def aggregate(store):
    """What a run's aggregate step does after the rows changed: the daily tables the views add up."""
    from cxtext.insights.daily import refresh_daily

    with store.transaction():
        refresh_daily(store.con)


NASTY = '<script>alert("x")</script> =HYPERLINK("http://evil") & "quotes"'


def test_feedback_text_is_escaped_and_every_section_is_there(tmp_path):
    with Store.open(tmp_path / "w.duckdb") as store:
        define_views(store, "Europe/London")
        store.execute("INSERT INTO journey_stages VALUES ('support', 6, 'Support', '')")
        store.execute("INSERT INTO themes VALUES ('support_wait_time', 'Support <wait> times', 'support', '', 'v1')")
        for key, value in (("sentiment_version", "s"), ("taxonomy_version", "v1"), ("topic_version", "none")):
            store.set_meta(key, value)
        store.execute("INSERT INTO ingest_batches (batch_id, source, kind, status, rows_read, rows_loaded, rows_duplicate, "
                      "rows_rejected) VALUES (1, 'src<1>', 'review', 'loaded', 1, 1, 0, 0)")
        store.execute("INSERT INTO feedback (feedback_id, kind, source, created_at, text, text_hash, nps) "
                      "VALUES ('f1', 'review', 'src<1>', ?, ?, 'h', 3)", [datetime(2026, 7, 6, 10), NASTY])
        store.execute("INSERT INTO enrichment VALUES ('f1', 'h', 's', 'v1', 'none', now(), true)")
        store.execute("INSERT INTO sentiment VALUES ('f1', -0.8, 0, 0.2, 0.8, 'negative', -0.8, 'negative', 1, false)")
        store.execute("INSERT INTO theme_mentions VALUES ('f1', 0, 'support_wait_time', 'support', 0, 0, 8, 'script', ?, "
                      "-0.8, 'negative', 'clause')", [NASTY])
        aggregate(store)
        html = build_report(store)
        markdown = top_pain_points_markdown(store)
    assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "Support &lt;wait&gt; times" in html and "src&lt;1&gt;" in html
    assert html.count("<script>") == 1 and RENDER_CHECK in html  # only the render check
    for section in ("journey", "pain-points", "trends", "emerging", "topics", "quality"):
        assert f"id='{section}'" in html
    assert "| support | Support <wait> times | 1 |" in markdown


@contextmanager
def store_with_mentions(path, rows):
    """A database with views and one theme; rows: (feedback_id, created_at, nps, label)."""
    with Store.open(path) as store:
        _fill(store, rows)
        aggregate(store)
        yield store


def _fill(store, rows):
    define_views(store, "UTC")
    store.execute("INSERT INTO journey_stages VALUES ('support', 6, 'Support', '')")
    store.execute("INSERT INTO themes VALUES ('support_wait_time', 'Support wait times', 'support', '', 'v1')")
    for key, value in (("sentiment_version", "s"), ("taxonomy_version", "v1"), ("topic_version", "none")):
        store.set_meta(key, value)
    for feedback_id, created_at, nps, label in rows:
        store.execute("INSERT INTO feedback (feedback_id, kind, source, created_at, text, text_hash, nps) "
                      "VALUES (?, 'survey', 's', ?, 'text', 'h', ?)", [feedback_id, created_at, nps])
        store.execute("INSERT INTO enrichment VALUES (?, 'h', 's', 'v1', 'none', now(), true)", [feedback_id])
        if label:
            store.execute("INSERT INTO theme_mentions VALUES (?, 0, 'support_wait_time', 'support', 0, 0, 4, 'text', "
                          "'on hold', ?, ?, 'clause')", [feedback_id, -0.5 if label == "negative" else 0.5, label])


def test_nps_impact_is_what_the_negative_mentioners_cost(tmp_path):
    rows = [(f"n{i}", datetime(2026, 7, 6), 0, "negative") for i in range(40)]
    rows += [(f"p{i}", datetime(2026, 7, 7), 10, None) for i in range(60)]
    with store_with_mentions(tmp_path / "w.duckdb", rows) as store:
        impact, low, high, responses, pain = store.execute(
            "SELECT nps_impact, nps_impact_low, nps_impact_high, nps_responses, pain_score FROM pain_points "
            "WHERE period = 'all'")[0]
    # NPS of everyone: 60% promoters - 40% detractors = 20; without the 40 detractors: 100.
    assert responses == 40 and round(impact, 6) == 80.0 and round(low, 6) == round(high, 6) == 80.0
    assert round(pain, 3) == round(100 * 40 / 100 * (0.5 + 0.5 * 0.5), 3)


def test_a_weekly_burst_is_an_emerging_issue_and_a_steady_level_is_not(tmp_path):
    weeks = [datetime(2026, 7, 6), datetime(2026, 7, 13), datetime(2026, 7, 20), datetime(2026, 7, 27), datetime(2026, 8, 3)]
    counts = [3, 2, 3, 2, 20]
    rows = [(f"w{w}-{i}", day, None, "negative") for w, (day, n) in enumerate(zip(weeks, counts)) for i in range(n)]
    with store_with_mentions(tmp_path / "w.duckdb", rows) as store:
        flagged = store.execute("SELECT week, count, expected FROM emerging_issues")
    assert [(str(w), c) for w, c, _ in flagged] == [("2026-08-03", 20)]
    assert flagged[0][2] == 2.5


def test_stale_rows_are_counted_but_never_mixed_into_the_figures(tmp_path):
    rows = [(f"n{i}", datetime(2026, 7, 6), 0, "negative") for i in range(5)]
    with store_with_mentions(tmp_path / "w.duckdb", rows) as store:
        store.execute("UPDATE enrichment SET taxonomy_version = 'old' WHERE feedback_id IN ('n0', 'n1')")
        aggregate(store)
        summary = store.execute("SELECT mentions, stale_feedback FROM stage_summary WHERE stage = 'support'")[0]
        pain = store.execute("SELECT negative_mentions FROM pain_points WHERE period = 'all'")[0][0]
        trend = store.execute("SELECT sum(negative_mentions) FROM theme_trends")[0][0]
    assert summary == (3, 2) and pain == 3 and trend == 3


# Each payload would change the page's title if the browser ran it.
PAYLOADS = [
    "<script>document.title='PWNED-script'</script>",
    "<img src=x onerror=\"document.title='PWNED-img'\">",
    "<svg onload=\"document.title='PWNED-svg'\"></svg>",
    "<a href=\"javascript:document.title='PWNED-link'\">click</a>",
    "' onmouseover='document.title=`PWNED-attr`' x='",
    "\"><script>document.title='PWNED-quote'</script>",
    "</p></td></tr></table><script>document.title='PWNED-break'</script>",
    "<iframe srcdoc=\"<script>parent.document.title='PWNED-iframe'</script>\"></iframe>",
]


@pytest.mark.slow
def test_feedback_text_never_runs_in_a_browser(tmp_path):
    """A report built from hostile feedback, loaded in headless Chromium: nothing of it executes."""
    from tests.test_nightly_e2e import CHROMIUM, CHROMIUM_FLAGS

    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (Debian package `chromium`)")
    rows = [(f"n{i}", datetime(2026, 7, 6), 0, "negative") for i in range(len(PAYLOADS))]
    with store_with_mentions(tmp_path / "w.duckdb", rows) as store:
        for i, payload in enumerate(PAYLOADS):
            store.execute("UPDATE theme_mentions SET clause = ? WHERE feedback_id = ?", [payload, f"n{i}"])
        store.execute("UPDATE enrichment SET enriched_at = now() + INTERVAL 1 MINUTE")  # as a re-enrichment would
        aggregate(store)
        store.execute("INSERT INTO topics VALUES (0, ?, [], 8, '{}', 0.0, true, 'm1')", [" ".join(PAYLOADS)])
        store.execute("INSERT INTO ingest_batches (batch_id, source, kind, status, rows_read, rows_loaded, rows_duplicate, "
                      "rows_rejected) VALUES (1, ?, 'survey', 'loaded', 8, 8, 0, 0)", [PAYLOADS[5]])
        html = build_report(store)
    assert all(escape(p) in html for p in PAYLOADS[:3])  # the quotes and the topic are in the report, escaped
    report = tmp_path / "report.html"
    report.write_text(html, encoding="utf-8")
    dom = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000",
                          "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert 'data-charts-rendered="' in dom  # the page's own script ran: scripts were enabled
    assert "<title>cxtext: customer pain points</title>" in dom and "PWNED" not in re.search(r"<title>.*?</title>", dom).group()
    tags = re.findall(r"<[a-zA-Z][^>]*>", dom)
    assert [t for t in tags if re.match(r"<(img|iframe|a)\b", t) or re.search(r"\bon\w+=|javascript:", t)] == []
    assert sum(t.startswith("<script") for t in tags) == 1
