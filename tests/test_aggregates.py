"""The daily tables the aggregate views add up: recomputed for the days that changed, and always
equal to computing every day afresh."""

from datetime import datetime

import duckdb
import pytest

from cxtext.insights import refresh
from cxtext.insights.daily import DAILY_TABLES, refresh_daily
from cxtext.store.db import Store
from tests.test_report import _fill


def _daily(store) -> dict[str, list]:
    return {table: sorted(map(repr, store.execute(f"SELECT * FROM {table}"))) for table in DAILY_TABLES}


def _refresh(store, **options):
    with store.transaction():
        return refresh_daily(store.con, **options)


def test_only_the_days_that_changed_are_recomputed_and_the_result_equals_a_full_recompute(tmp_path):
    days = [datetime(2026, 7, d, 12) for d in (6, 7, 8, 9)]
    rows = [(f"d{d}-{i}", day, i % 11, "negative" if i % 3 else "positive") for d, day in enumerate(days) for i in range(6)]
    with Store.open(tmp_path / "w.duckdb") as store:
        _fill(store, rows)
        first = _refresh(store)
        assert (first.days, first.recomputed, first.full) == (4, 4, True)
        assert _refresh(store).recomputed == 0  # nothing changed: nothing recomputed

        # A new feedback on a new day, a re-enrichment on 7 July, an erasure on 8 July.
        store.execute(
            "INSERT INTO feedback (feedback_id, kind, source, created_at, text, text_hash, nps) "
            "VALUES ('new', 'survey', 's', ?, 'text', 'h', 2)",
            [datetime(2026, 7, 20, 9)],
        )
        store.execute("INSERT INTO enrichment VALUES ('new', 'h', 's', 'v1', 'none', now(), true)")
        store.execute(
            "INSERT INTO theme_mentions VALUES ('new', 0, 'support_wait_time', 'support', 0, 0, 4, 'text', "
            "'on hold for ever', -0.9, 'negative', 'clause')"
        )
        store.execute("UPDATE theme_mentions SET label = 'negative', compound = -0.7 WHERE feedback_id = 'd1-0'")
        store.execute("UPDATE enrichment SET enriched_at = now() + INTERVAL 1 MINUTE WHERE feedback_id = 'd1-0'")
        for table in ("theme_mentions", "enrichment", "feedback"):
            store.execute(f"DELETE FROM {table} WHERE feedback_id = 'd2-1'")
        second = _refresh(store)
        assert (second.days, second.recomputed, second.full) == (5, 3, False)
        incremental = _daily(store)
        assert _refresh(store, full=True).recomputed == 5
        assert _daily(store) == incremental
        quotes = store.execute("SELECT clause FROM daily_quotes WHERE day = DATE '2026-07-20'")
        assert quotes == [("on hold for ever",)]

        # The versions in force change: every row is stale now, every day recomputed.
        store.set_meta("taxonomy_version", "v2")
        third = _refresh(store)
        assert (third.recomputed, third.full) == (5, True)
        assert store.scalar("SELECT sum(mentions) FROM daily_stages") == 0
        assert store.scalar("SELECT sum(stale_feedback) FROM daily_stages") == 24  # 4 days × 6, one erased, one new


def test_days_are_recomputed_in_batches_with_the_same_result(tmp_path, monkeypatch):
    import cxtext.insights.daily as aggregates

    rows = [(f"f{d}-{i}", datetime(2026, 7, 1 + d, 23, 30), i, "negative") for d in range(10) for i in range(5)]
    with Store.open(tmp_path / "w.duckdb") as store:
        _fill(store, rows)
        whole = _refresh(store)
        expected = _daily(store)
        monkeypatch.setattr(aggregates, "batch_feedback", lambda con: 7)  # about one day and a half per batch
        batched = _refresh(store, full=True)
    assert (whole.batches, batched.batches) == (1, 10)
    with Store.open(tmp_path / "w.duckdb") as store:
        assert _daily(store) == expected


def test_a_batch_holds_fewer_feedback_under_a_smaller_cap_or_with_more_mentions(tmp_path):
    from cxtext.insights.daily import ROWS_PER_MB, batch_feedback

    rows = [(f"f{i}", datetime(2026, 7, 1, 12), i, "negative") for i in range(10)]  # a mention each
    with Store.open(tmp_path / "w.duckdb", memory_limit="160MB") as store:
        _fill(store, rows)
        one_each = batch_feedback(store.con)
        assert one_each == pytest.approx(160 * ROWS_PER_MB / 2, rel=0.01)  # DuckDB says 152.5 MiB
        store.execute("INSERT INTO theme_mentions SELECT * FROM theme_mentions")  # two mentions each
        assert batch_feedback(store.con) == pytest.approx(one_each * 2 / 3, rel=0.01)
        store.execute("SET memory_limit = '64MB'")
        assert batch_feedback(store.con) == pytest.approx(64 * ROWS_PER_MB / 3, rel=0.01)


def test_a_repeated_feedback_id_fails_the_unique_ids_check(review_settings, store):
    """feedback has no primary key (schema 4): cxtext check is what notices a repeated id."""
    from cxtext.ops.checks import run_checks

    def unique_ids():
        return next(c for c in run_checks(store, review_settings) if c.name == "unique_feedback_ids")

    insert = (
        "INSERT INTO feedback (feedback_id, kind, source, created_at, text, text_hash) "
        "VALUES ('r:1', 'review', 's', now(), 'text', 'h')"
    )
    store.execute(insert)
    assert unique_ids().level == "ok"
    store.execute(insert)
    check = unique_ids()
    assert check.level == "fail" and check.figure.startswith("1 feedback row")


def test_a_publish_refreshes_the_aggregates_unless_the_caller_just_did(tmp_path, monkeypatch):
    """publish_with_aggregates brings the daily tables up to date before the copy; told that the
    aggregate step ran with nothing written since (the nightly run), it copies without a second
    pass over the feedback, and the published tables are the same."""
    rows = [(f"d{d}-{i}", datetime(2026, 7, 6 + d, 12), i % 11, "negative") for d in range(3) for i in range(4)]
    with Store.open(tmp_path / "w.duckdb") as store:
        _fill(store, rows)
        refresh.publish_with_aggregates(store, tmp_path / "first.duckdb", timezone="UTC")  # refreshes: daily rows appear
        aggregates = _daily(store)
        assert aggregates["daily_feedback"]
        monkeypatch.setattr(refresh, "refresh_daily", lambda con: (_ for _ in ()).throw(AssertionError("refreshed")))
        monkeypatch.setattr(refresh, "define_views", lambda *a: (_ for _ in ()).throw(AssertionError("redefined")))
        refresh.publish_with_aggregates(store, tmp_path / "second.duckdb", timezone="UTC", aggregated=True)
    for name in ("first", "second"):
        with duckdb.connect(str(tmp_path / f"{name}.duckdb"), read_only=True) as published:
            assert _daily(_Plain(published)) == aggregates, name


class _Plain:
    """A DuckDB connection with the Store's execute, for _daily."""

    def __init__(self, con):
        self.con = con

    def execute(self, sql):
        return self.con.execute(sql).fetchall()
