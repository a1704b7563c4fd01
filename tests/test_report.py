"""The report: built from the views, every value it shows escaped, its inlined data unbreakable."""

import json
import os
import re
import subprocess
from contextlib import contextmanager
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from cxtext.insights.views import define_views
from cxtext.report.html import RENDER_CHECK, build_report, json_script, top_pain_points_markdown
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
        store.execute(
            "INSERT INTO themes (theme, name, stage, description, taxonomy_version) VALUES ('support_wait_time', 'Support <wait> times', 'support', '', 'v1')"
        )
        for key, value in (("sentiment_version", "s"), ("taxonomy_version", "v1"), ("topic_version", "none")):
            store.set_meta(key, value)
        store.execute(
            "INSERT INTO ingest_batches (batch_id, source, kind, status, rows_read, rows_loaded, rows_duplicate, "
            "rows_rejected) VALUES (1, 'src<1>', 'review', 'loaded', 1, 1, 0, 0)"
        )
        store.execute(
            "INSERT INTO feedback (feedback_id, kind, source, created_at, text, text_hash, nps) "
            "VALUES ('f1', 'review', 'src<1>', ?, ?, 'h', 3)",
            [datetime(2026, 7, 6, 10), NASTY],
        )
        store.execute("INSERT INTO enrichment VALUES ('f1', 'h', 's', 'v1', 'none', now(), true)")
        store.execute("INSERT INTO sentiment VALUES ('f1', -0.8, 0, 0.2, 0.8, 'negative', -0.8, 'negative', 1, false)")
        store.execute(
            "INSERT INTO theme_mentions VALUES ('f1', 0, 'support_wait_time', 'support', 0, 0, 8, 'script', ?, "
            "-0.8, 'negative', 'clause')",
            [NASTY],
        )
        store.execute("INSERT INTO sentences VALUES ('f1', 0, 0, 8, 'Please add <b>chat</b>', -0.8, 'negative')")
        store.execute("INSERT INTO sentence_intents VALUES ('f1', 0, 'suggestion', 2, 0, 10, 'Please add')")
        store.execute("INSERT INTO feedback_effort VALUES ('f1', ['suggestion'], 3.5, 2)")
        aggregate(store)
        html = build_report(store)
        markdown = top_pain_points_markdown(store)
    assert "<script>alert" not in html and str(escape(NASTY)) in html
    assert "Support &lt;wait&gt; times" in html and "src&lt;1&gt;" in html
    assert html.count("<script>") == 2 and RENDER_CHECK in html  # the page's script and the render check
    assert "“Please add &lt;b&gt;chat&lt;/b&gt;”" in html and "effort 3.50" in html  # requests and effort, escaped
    for section in (
        "journey",
        "pain-points",
        "requests",
        "detail",
        "segments",
        "trends",
        "emerging",
        "topics",
        "quality",
    ):
        assert f'id="{section}"' in html
    assert "| support | Support <wait> times | 1 |" in markdown
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "too few NPS answers (1)" in html and ">Support</span>" in html  # stage names, not ids


def test_rows_without_any_nps_answer_say_so_and_quotes_are_not_repeated(tmp_path):
    rows = [(f"n{i}", datetime(2026, 7, 6, 9), None, "negative") for i in range(5)]
    with store_with_mentions(tmp_path / "w.duckdb", rows) as store:
        store.execute(
            "INSERT INTO themes (theme, name, stage, description, taxonomy_version) VALUES ('support_hold', 'On hold', 'support', '', 'v1')"
        )
        for i in range(5):  # the same clause carries a second theme
            store.execute(
                "INSERT INTO theme_mentions VALUES (?, 1, 'support_hold', 'support', 0, 0, 4, 'text', "
                "'On hold!', -0.5, 'negative', 'clause')",
                [f"n{i}"],
            )
        aggregate(store)
        html = build_report(store)
    table = html.split('id="pain-table"')[1].split("</table>")[0]
    assert "no NPS answers" in table and "too few NPS answers" not in table
    assert table.count('class="quote"') == 1  # "on hold" and "On hold!" are one quote, shown once


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
    store.execute(
        "INSERT INTO themes (theme, name, stage, description, taxonomy_version) VALUES ('support_wait_time', 'Support wait times', 'support', '', 'v1')"
    )
    for key, value in (("sentiment_version", "s"), ("taxonomy_version", "v1"), ("topic_version", "none")):
        store.set_meta(key, value)
    for feedback_id, created_at, nps, label in rows:
        store.execute(
            "INSERT INTO feedback (feedback_id, kind, source, created_at, text, text_hash, nps) "
            "VALUES (?, 'survey', 's', ?, 'text', 'h', ?)",
            [feedback_id, created_at, nps],
        )
        store.execute("INSERT INTO enrichment VALUES (?, 'h', 's', 'v1', 'none', now(), true)", [feedback_id])
        if label:
            store.execute(
                "INSERT INTO theme_mentions VALUES (?, 0, 'support_wait_time', 'support', 0, 0, 4, 'text', "
                "'on hold', ?, ?, 'clause')",
                [feedback_id, -0.5 if label == "negative" else 0.5, label],
            )


def test_nps_impact_is_what_the_negative_mentioners_cost(tmp_path):
    rows = [(f"n{i}", datetime(2026, 7, 6), 0, "negative") for i in range(40)]
    rows += [(f"p{i}", datetime(2026, 7, 7), 10, None) for i in range(60)]
    with store_with_mentions(tmp_path / "w.duckdb", rows) as store:
        impact, low, high, responses, pain = store.execute(
            "SELECT nps_impact, nps_impact_low, nps_impact_high, nps_responses, pain_score FROM pain_points WHERE period = 'all'"
        )[0]
    # NPS of everyone: 60% promoters - 40% detractors = 20; without the 40 detractors: 100.
    assert responses == 40 and round(impact, 6) == 80.0 and round(low, 6) == round(high, 6) == 80.0
    assert round(pain, 3) == round(100 * 40 / 100 * (0.5 + 0.5 * 0.5), 3)


def test_a_weekly_burst_is_an_emerging_issue_and_a_steady_level_is_not(tmp_path):
    weeks = [
        datetime(2026, 7, 6),
        datetime(2026, 7, 13),
        datetime(2026, 7, 20),
        datetime(2026, 7, 27),
        datetime(2026, 8, 3),
    ]
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


# Each payload would change the page's title (or mark its root element) if the browser ran it.
PAYLOADS = [
    "</script><script>document.title='PWNED-close'</script>",
    "<script>document.title='PWNED-script'</script>",
    "<img src=x onerror=\"document.title='PWNED-img'\">",
    '"><img src=x onerror="document.documentElement.dataset.pwned=1">',
    "'><svg onload=\"document.title='PWNED-svg'\"></svg>",
    "<a href=\"javascript:document.title='PWNED-link'\">click</a>",
    "javascript:document.title='PWNED-url'",
    "' onmouseover='document.title=`PWNED-attr`' x='",
    "</p></td></tr></table></svg></style><script>document.title='PWNED-break'</script>",
    "<iframe srcdoc=\"<script>parent.document.title='PWNED-iframe'</script>\"></iframe>",
    "<!-- {{7*7}} {% raw %} ${7*7} \u2028\u2029 &amp; -->",
]
HOSTILE = " ".join(PAYLOADS)
# Every text the report shows or inlines that comes from data: feedback, a hostile taxonomy, sources,
# versions, segments (product, channel, region).
FIELDS = (
    "stage",
    "stage_name",
    "theme",
    "theme_name",
    "quote",
    "source",
    "reason",
    "language",
    "topic",
    "version",
    "product",
    "channel",
    "region",
)
SHOWN = ("stage_name", "theme_name", "quote", "source", "reason", "language", "topic", "version")


def hostile(field: str) -> str:
    return f"{field}: {HOSTILE}"


@contextmanager
def hostile_store(path):
    """A database in which every field the report shows holds every payload, and every section has rows."""
    with Store.open(path) as store:
        _fill_hostile(store)
        yield store


def _fill_hostile(store):
    define_views(store, "UTC")
    version = hostile("version")
    store.execute("INSERT INTO journey_stages VALUES (?, 6, ?, '')", [hostile("stage"), hostile("stage_name")])
    store.execute(
        "INSERT INTO themes (theme, name, stage, description, taxonomy_version) VALUES (?, ?, ?, '', ?)",
        [hostile("theme"), hostile("theme_name"), hostile("stage"), version],
    )
    for key in ("sentiment_version", "taxonomy_version", "topic_version", f"{HOSTILE}_version"):
        store.set_meta(key, version)
    store.execute(
        "INSERT INTO ingest_batches (batch_id, source, kind, status, rows_read, rows_loaded, rows_duplicate, "
        "rows_rejected) VALUES (1, ?, 'survey', 'failed', 31, 30, 0, 1)",
        [hostile("source")],
    )
    store.execute(
        "INSERT INTO rejects (batch_id, source, position, reason) VALUES (1, ?, 2, ?)",
        [hostile("source"), hostile("reason")],
    )
    store.execute("INSERT INTO topics VALUES (0, ?, [], 30, '{}', 0.0, true, ?)", [hostile("topic"), version])
    # Four quiet weeks and a burst: the theme and the topic are emerging issues in the fifth.
    for week, n in enumerate((3, 2, 3, 2, 20)):
        for i in range(n):
            feedback_id = f"w{week}-{i}"
            segment = "" if i % 2 else "other "  # two values of each segment, so the rest is not empty
            store.execute(
                "INSERT INTO feedback (feedback_id, kind, source, created_at, text, text_hash, nps, language, "
                "product, channel, region) VALUES (?, 'survey', ?, ?, 'text', 'h', 0, ?, ?, ?, ?)",
                [
                    feedback_id,
                    hostile("source"),
                    datetime(2026, 7, 6) + timedelta(weeks=week),
                    hostile("language"),
                    segment + hostile("product"),
                    segment + hostile("channel"),
                    segment + hostile("region"),
                ],
            )
            store.execute(
                "INSERT INTO enrichment VALUES (?, 'h', ?, ?, ?, now(), true)", [feedback_id, version, version, version]
            )
            store.execute(
                "INSERT INTO sentiment VALUES (?, -0.8, 0, 0.2, 0.8, 'negative', -0.8, 'negative', 1, false)",
                [feedback_id],
            )
            store.execute(
                "INSERT INTO theme_mentions VALUES (?, 0, ?, ?, 0, 0, 4, 'text', ?, -0.8, 'negative', 'clause')",
                [feedback_id, hostile("theme"), hostile("stage"), hostile("quote")],
            )
            store.execute("INSERT INTO feedback_topics VALUES (?, 0, 0.9)", [feedback_id])
            store.execute("INSERT INTO sentences VALUES (?, 0, 0, 4, ?, -0.8, 'negative')", [feedback_id, hostile("request")])
            store.execute("INSERT INTO sentence_intents VALUES (?, 0, 'suggestion', 2, 0, 4, 'text')", [feedback_id])
            store.execute("INSERT INTO feedback_effort VALUES (?, ['suggestion'], 4.0, 2)", [feedback_id])
    aggregate(store)


class Tags(HTMLParser):
    """The start tags of a page, tokenised the way a browser does."""

    def __init__(self, html):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def injected(tags):
    """Tags or attributes that hostile text would have added."""
    return [
        (t, a)
        for t, a in tags
        if t in ("img", "iframe", "a", "object", "embed", "base", "form")
        or any(k.startswith("on") or k in ("href", "src", "srcdoc") or "javascript:" in (v or "") for k, v in a.items())
    ]


def json_blocks(html):
    return re.findall(r'<script type="application/json" id="[^"]*">(.*?)</script>', html, re.S)


def test_hostile_text_in_every_field_is_shown_escaped_and_adds_no_element(tmp_path):
    with hostile_store(tmp_path / "w.duckdb") as store:
        html = build_report(store)
        emerging = store.execute("SELECT count(*) FROM emerging_issues")[0][0]
        versions = {k: v for k, v in store.execute("SELECT key, value FROM cxtext_meta") if k.endswith("_version")}
    assert emerging == 2  # the theme and the topic
    for field in SHOWN:
        assert str(escape(hostile(field))) in html, field
    tags = Tags(html).tags
    assert injected(tags) == []
    scripts = [a for t, a in tags if t == "script"]
    # the run info, the page's data, its script and the render check
    assert scripts == [
        {"type": "application/json", "id": "cxtext-run"},
        {"type": "application/json", "id": "cxtext-data"},
        {},
        {},
    ]
    assert "PWNED" not in html.split("<main>")[0]  # nothing hostile reaches the head (title, policy, style)
    run, data = json_blocks(html)
    assert versions[f"{HOSTILE}_version"] == versions["taxonomy_version"] == hostile("version")
    assert json.loads(run)["versions"] == versions and json.loads(run)["feedback"] == 30
    inlined = json.dumps(json.loads(data), ensure_ascii=False)
    for field in FIELDS:  # the hostile fields the drill-down and filters use reach the page's data as text
        if field not in ("reason", "language", "topic", "version"):
            assert json.dumps(hostile(field), ensure_ascii=False)[1:-1] in inlined, field


JSON_TRAPS = ["</script>", "</SCRIPT >", "</ScRiPt", "<!--", "<script>", "]]>", "\u2028", "\u2029", "&lt;", "\\u003c"]


TEXT = st.lists(st.sampled_from(JSON_TRAPS) | st.text(max_size=5), max_size=6).map("".join)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
        max_leaves=12,
    )
)
def test_inlined_json_never_closes_its_block_and_round_trips(data):
    block = str(json_script(data, "d"))
    [body] = json_blocks(block)
    assert block == f'<script type="application/json" id="d">{body}</script>'
    assert not re.search(r"</script|<!--|[\u2028\u2029]", body, re.IGNORECASE) and "<" not in body
    assert json.loads(body) == data


def test_inlined_json_in_a_hostile_report_is_whole(tmp_path):
    with hostile_store(tmp_path / "w.duckdb") as store:
        html = build_report(store)
    blocks = re.findall(r'<script type="application/json"[^>]*>(.*?)</script', html, re.S | re.IGNORECASE)
    assert blocks and all("<" not in b and json.loads(b) for b in blocks)


@pytest.mark.slow
def test_hostile_text_never_runs_in_a_browser(tmp_path):
    """The hostile report, loaded in headless Chromium: nothing of it executes or becomes an element."""
    from tests.test_nightly_e2e import CHROMIUM, CHROMIUM_FLAGS

    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (Debian package `chromium`)")
    with hostile_store(tmp_path / "w.duckdb") as store:
        html = build_report(store)
    report = tmp_path / "report.html"
    report.write_text(html, encoding="utf-8")
    dom = subprocess.run(
        [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=3000",
            "--dump-dom",
            report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    rendered = re.search(r'data-charts-rendered="(\d+)"', dom)
    assert rendered and int(rendered.group(1)) == html.count('class="chart"') > 0  # the page's own script ran
    assert "<title>cxtext: customer pain points</title>" in dom and "PWNED" not in re.search(r"<title>.*?</title>", dom).group()
    assert "data-pwned" not in dom
    tags = Tags(dom).tags
    assert injected(tags) == []
    assert [a for t, a in tags if t == "script"] == [
        {"type": "application/json", "id": "cxtext-run"},
        {"type": "application/json", "id": "cxtext-data"},
        {},
        {},
    ]
    assert "{{7*7}}" in dom  # data is never read as a template
    assert 'id="requests"' in dom and "effort 4.00" in dom  # what customers ask for, and the effort, rendered


class RecordingStore:
    """A store that remembers every query it is asked: what the report reads."""

    def __init__(self, store):
        self.store, self.queries = store, []

    def execute(self, sql, params=None):
        self.queries.append(sql)
        return self.store.execute(sql, params)

    def dicts(self, sql, params=None):
        self.queries.append(sql)
        return self.store.dicts(sql, params)

    def scalar(self, sql, params=None):
        self.queries.append(sql)
        return self.store.scalar(sql, params)


def test_the_report_reads_only_the_published_views(tmp_path):
    """The views are the report's contract with the database (and the metadata table its versions):
    it never joins tables itself, so what it shows is what analysts can query."""
    from cxtext.insights.views import VIEWS

    with hostile_store(tmp_path / "w.duckdb") as store:
        recording = RecordingStore(store)
        build_report(recording)
    read = {name.lower() for sql in recording.queries for name in re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", sql, re.I)}
    assert read and read <= {v.name for v in VIEWS} | {"cxtext_meta"}, read
