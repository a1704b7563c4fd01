"""The report: built from the views, every piece of feedback text escaped."""

from datetime import datetime

from cxtext.report import RENDER_CHECK, build_report, top_pain_points_markdown
from cxtext.store import Store

NASTY = '<script>alert("x")</script> =HYPERLINK("http://evil") & "quotes"'


def test_feedback_text_is_escaped_and_every_section_is_there(tmp_path):
    with Store.open(tmp_path / "w.duckdb") as store:
        store.define_views("Europe/London")
        store.execute("INSERT INTO journey_stages VALUES ('support', 6, 'Support', '')")
        store.execute("INSERT INTO themes VALUES ('support_wait_time', 'Support <wait> times', 'support', '', 'v1')")
        for key, value in (("sentiment_version", "s"), ("taxonomy_version", "v1"), ("topic_version", "none")):
            store.set_meta(key, value)
        store.execute("INSERT INTO ingest_batches (batch_id, source, kind, status, rows_read, rows_loaded, rows_duplicate, "
                      "rows_rejected) VALUES (1, 'src<1>', 'review', 'loaded', 1, 1, 0, 0)")
        store.execute("INSERT INTO feedback (feedback_id, kind, source, created_at, text, text_hash, nps) "
                      "VALUES ('f1', 'review', 'src<1>', ?, ?, 'h', 3)", [datetime(2026, 7, 6, 10), NASTY])
        store.execute("INSERT INTO enrichment VALUES ('f1', 'h', 's', 'v1', 'none', now())")
        store.execute("INSERT INTO sentiment VALUES ('f1', -0.8, 0, 0.2, 0.8, 'negative', -0.8, 'negative', 1, false)")
        store.execute("INSERT INTO theme_mentions VALUES ('f1', 0, 'support_wait_time', 'support', 0, 0, 8, 'script', ?, "
                      "-0.8, 'negative', 'clause')", [NASTY])
        html = build_report(store)
        markdown = top_pain_points_markdown(store)
    assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "Support &lt;wait&gt; times" in html and "src&lt;1&gt;" in html
    assert html.count("<script>") == 1 and RENDER_CHECK in html  # only the render check
    for section in ("journey", "pain-points", "trends", "emerging", "topics", "quality"):
        assert f"id='{section}'" in html
    assert "| support | Support <wait> times | 1 |" in markdown
