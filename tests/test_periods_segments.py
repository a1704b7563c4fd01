"""Honest periods (partial first and last weeks flagged, empty weeks 0) and segments (a pain worse
in one product than in the rest, with its two-proportion z)."""

import math
from datetime import datetime

from tests.test_report import aggregate, store_with_mentions


def test_partial_edge_weeks_are_flagged_and_an_empty_week_is_zero(tmp_path):
    # Wednesday 2026-07-08 .. Tuesday 2026-07-28: the first week has 5 days, the last 2, and the
    # week of 2026-07-13 has feedback but no mention of the theme.
    rows = [
        ("a", datetime(2026, 7, 8, 9), None, "negative"),
        ("b", datetime(2026, 7, 15, 9), None, None),
        ("c", datetime(2026, 7, 22, 9), None, "negative"),
        ("d", datetime(2026, 7, 28, 9), None, "negative"),
    ]
    with store_with_mentions(tmp_path / "w.duckdb", rows) as store:
        trends = store.execute(
            "SELECT CAST(week AS VARCHAR), mentions, negative_mentions, share_negative, days, partial "
            "FROM theme_trends ORDER BY week"
        )
        stages = store.execute("SELECT CAST(week AS VARCHAR), negative_mentions, days, partial FROM stage_trends ORDER BY week")
        weeks = store.execute(
            "SELECT CAST(period_start AS VARCHAR), days, partial FROM pain_points WHERE period = 'week' ORDER BY period_start"
        )
        whole = store.execute("SELECT days, partial FROM pain_points WHERE period = 'all'")
        month = store.execute("SELECT days, partial FROM pain_points WHERE period = 'month'")
        types = dict(
            store.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'theme_trends'")
        )
    assert trends == [
        ("2026-07-06", 1, 1, 1.0, 5, True),
        ("2026-07-13", 0, 0, None, 7, False),
        ("2026-07-20", 1, 1, 1.0, 7, False),
        ("2026-07-27", 1, 1, 1.0, 2, True),
    ]
    assert stages == [
        ("2026-07-06", 1, 5, True),
        ("2026-07-13", 0, 7, False),
        ("2026-07-20", 1, 7, False),
        ("2026-07-27", 1, 2, True),
    ]
    assert weeks == [("2026-07-06", 5, True), ("2026-07-20", 7, False), ("2026-07-27", 2, True)]
    assert whole == [(21, False)] and month == [(21, True)]
    assert types["mentions"] == types["negative_mentions"] == "BIGINT"


def test_a_pain_worse_in_one_product_is_a_significant_segment(tmp_path):
    from cxtext.insights.views import SEGMENT_Z

    # 60 feedback on product A (30 complain), 60 on B (6 complain).
    rows = [(f"a{i}", datetime(2026, 7, 6, 9), None, "negative" if i < 30 else None) for i in range(60)]
    rows += [(f"b{i}", datetime(2026, 7, 6, 9), None, "negative" if i < 6 else None) for i in range(60)]
    with store_with_mentions(tmp_path / "w.duckdb", rows) as store:
        store.execute("UPDATE feedback SET product = CASE WHEN feedback_id LIKE 'a%' THEN 'A' ELSE 'B' END")
        aggregate(store)  # the view reads the daily tables: a changed product is seen after the aggregate step
        seg = store.dicts("SELECT * FROM segments WHERE dimension = 'product' AND level = 'theme' ORDER BY segment")
        stage = store.dicts("SELECT * FROM segments WHERE dimension = 'product' AND level = 'stage' ORDER BY segment")
        source = store.dicts("SELECT * FROM segments WHERE dimension = 'source' AND level = 'theme'")
    a, b = seg
    assert (a["segment"], a["feedback"], a["negative_feedback"], a["rest_feedback"], a["rest_negative_feedback"]) == (
        "A",
        60,
        30,
        60,
        6,
    )
    assert a["share_negative"] == 0.5 and a["rest_share_negative"] == 0.1 and a["difference"] == 40.0
    pooled = 36 / 120
    assert a["z"] == round(0.4 / math.sqrt(pooled * (1 - pooled) * (2 / 60)), 2) >= SEGMENT_Z and a["significant"]
    assert b["z"] == -a["z"] and b["significant"] and a["quotes"] == ["on hold"]
    assert [(s["segment"], s["negative_feedback"], s["theme"]) for s in stage] == [("A", 30, None), ("B", 6, None)]
    assert [(s["rest_feedback"], s["z"], s["significant"]) for s in source] == [(0, None, False)]  # one source: no rest
