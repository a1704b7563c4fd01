import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from cxtext.errors import SchemaError
from cxtext.insights.views import define_views
from cxtext.store.db import Store
from cxtext.store.introspection import schema_markdown
from cxtext.store.ledger import finish_run, start_run
from cxtext.store.publish import publish
from cxtext.store.schema import SCHEMA_VERSION, TABLES

DUCKDB_CLI = shutil.which("duckdb", path=str(Path(sys.executable).parent)) or shutil.which("duckdb")


def test_migrate_creates_documented_schema_once(tmp_path):
    path = tmp_path / "w.duckdb"
    with Store.open(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        store.execute("INSERT INTO cxtext_meta VALUES ('marker', 'kept')")
    with Store.open(path) as store:  # reopening does not recreate
        assert store.scalar("SELECT value FROM cxtext_meta WHERE key = 'marker'") == "kept"
        undocumented = store.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND (comment IS NULL OR comment = '')"
        )
        assert undocumented == []
        assert {t.name for t in TABLES} <= {r[0] for r in store.execute("SELECT table_name FROM duckdb_tables()")}


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "w.duckdb"
    with Store.open(path) as store:
        store.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    with pytest.raises(SchemaError, match="newer"):
        with Store.open(path):
            pass


def test_ledger_marks_runs_left_running_as_crashed(tmp_path):
    with Store.open(tmp_path / "w.duckdb") as store:
        first = start_run(store, "nightly", {})
        second = start_run(store, "nightly", {"a": 1})  # the first never finished: it was killed
        finish_run(store, second, "completed", {"rows_read": 3})
        rows = store.execute("SELECT run_id, status, finished_at IS NOT NULL FROM runs ORDER BY run_id")
    assert rows == [(first, "crashed", False), (second, "completed", True)]


def test_a_run_is_completed_in_its_snapshot_and_in_the_working_ledger_only_once_published(tmp_path):
    """A run killed while publishing must not read 'completed' in the working ledger: the flows
    record it completed in the copy being published, and in the working ledger after the rename."""
    target = tmp_path / "cx.duckdb"

    class Killed(BaseException):
        pass

    def killed_before_the_rename(database):
        finish_run(store, run_id, "completed", {"rows_read": 1}, database=database)
        raise Killed

    with Store.open(tmp_path / "w.duckdb") as store:
        run_id = start_run(store, "nightly", {})
        with pytest.raises(Killed):
            publish(store, target, finish=killed_before_the_rename)
        assert not target.exists()
        assert store.execute("SELECT status FROM runs") == [("running",)]
        publish(
            store,
            target,
            finish=lambda database: finish_run(store, run_id, "completed", {"rows_read": 1}, database=database),
        )
        assert store.execute("SELECT status FROM runs") == [("running",)]  # the flow finishes it next
    with Store.open(target, read_only=True) as published:
        assert published.execute("SELECT run_id, status, counts->>'$.rows_read' FROM runs") == [(run_id, "completed", "1")]


def test_publish_is_a_complete_copy_the_duckdb_cli_reads(tmp_path):
    target = tmp_path / "cx.duckdb"
    with Store.open(tmp_path / "w.duckdb") as store:
        start_run(store, "nightly", {})
        publish(store, target)
        store.execute("INSERT INTO cxtext_meta VALUES ('after', 'publish')")  # not in the copy
        markdown = schema_markdown(store)
    assert "### `feedback` (table)" in markdown and "| `feedback_id` | VARCHAR |" in markdown
    con = duckdb.connect(str(target), read_only=True)
    assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM cxtext_meta WHERE key = 'after'").fetchone()[0] == 0
    assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'feedback'").fetchone()[0]
    con.close()
    assert not list(tmp_path.glob(".cx.duckdb.publishing*"))
    assert DUCKDB_CLI, "the duckdb CLI (PyPI duckdb-cli) is a dev dependency"
    out = subprocess.run(
        [DUCKDB_CLI, "-readonly", "-csv", str(target), "-c", "SELECT flow, status FROM runs"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "nightly,running" in out.stdout


def test_publish_replaces_atomically_while_a_reader_holds_the_old_file(tmp_path):
    target = tmp_path / "cx.duckdb"
    with Store.open(tmp_path / "w.duckdb") as store:
        publish(store, target)
        reader = duckdb.connect(str(target), read_only=True)
        start_run(store, "nightly", {})
        publish(store, target)  # the analyst's open file does not block this
        assert reader.execute("SELECT count(*) FROM runs").fetchone()[0] == 0  # still the old snapshot
        reader.close()
    with duckdb.connect(str(target), read_only=True) as fresh:
        assert fresh.execute("SELECT count(*) FROM runs").fetchone()[0] == 1


ANALYST = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])  # read-write, as the duckdb CLI, Python and DBeaver default to
con.execute("SET checkpoint_threshold = '1GB'")
con.execute("CREATE TABLE my_scratch AS SELECT range AS x FROM range(1000)")
print("written", flush=True)
sys.stdin.readline()
"""


def test_publish_survives_an_analyst_writing_to_the_old_file(tmp_path):
    target = tmp_path / "cx.duckdb"
    with Store.open(tmp_path / "w.duckdb") as store:
        publish(store, target)
        analyst = subprocess.Popen(
            [sys.executable, "-c", ANALYST, str(target)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        try:
            assert analyst.stdout.readline().strip() == "written"
            assert (tmp_path / "cx.duckdb.wal").exists()
            start_run(store, "nightly", {})
            publish(store, target)  # not blocked by the analyst's open read-write connection
            with duckdb.connect(str(target), read_only=True) as fresh:  # the stale .wal is not replayed
                assert fresh.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
        finally:
            analyst.communicate("\n", timeout=30)
    with duckdb.connect(str(target)) as later:  # after the analyst has gone, still the new snapshot
        assert later.execute("SELECT count(*) FROM runs").fetchone()[0] == 1


def test_a_version_1_database_is_migrated_in_place(tmp_path):
    from cxtext.store.schema import create_statements

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    for statement in create_statements(to_version=1):
        con.execute(statement)
    con.execute("INSERT INTO cxtext_meta VALUES ('schema_version', '1')")
    con.execute("INSERT INTO runs (run_id, flow, status, started_at) VALUES (7, 'nightly', 'completed', now())")
    con.close()
    with Store.open(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.scalar("SELECT count(*) FROM runs") == 1
        assert store.scalar("SELECT count(*) FROM sentiment") == 0


def test_recorded_run_completes_or_fails_with_the_error(tmp_path):
    from cxtext.store.ledger import recorded_run

    with Store.open(tmp_path / "w.duckdb") as store:
        with recorded_run(store, "enrich", {"a": 1}) as run:
            run.counts, run.versions = {"enriched": 3}, {"taxonomy": "abc"}
        with pytest.raises(ValueError):
            with recorded_run(store, "ingest", {}):
                raise ValueError("bad file")
        rows = store.execute(
            "SELECT flow, status, counts->>'$.enriched', versions->>'$.taxonomy', error FROM runs ORDER BY run_id"
        )
    assert rows == [
        ("enrich", "completed", "3", "abc", None),
        ("ingest", "failed", None, None, "ValueError: bad file (see the command's output)"),
    ]


def test_views_are_documented_column_by_column(tmp_path):
    from cxtext.insights.views import VIEWS

    with Store.open(tmp_path / "w.duckdb") as store:
        define_views(store, "Europe/London")
        define_views(store, "Europe/London")  # idempotent
        for view in VIEWS:
            columns = store.execute(
                "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
                [view.name],
            )
            assert [c for c, _ in columns] == [c for c, _ in view.columns], view.name
            assert all(comment for _, comment in columns), view.name
            assert store.scalar("SELECT comment FROM duckdb_views() WHERE view_name = ?", [view.name])
            assert store.execute(f"SELECT * FROM {view.name}") == []
        assert store.scalar("SELECT value FROM cxtext_meta WHERE key = 'reporting_timezone'") == "Europe/London"


def test_weeks_are_cut_in_the_reporting_time_zone(tmp_path):
    with Store.open(tmp_path / "w.duckdb") as store:
        define_views(store, "Europe/London")
        # Sunday 23:30 UTC in summer is Monday 00:30 in London: the next week there.
        store.execute(
            "INSERT INTO feedback (feedback_id, kind, source, created_at, text) "
            "VALUES ('a', 'review', 's', TIMESTAMP '2026-07-12 23:30', 'x')"
        )
        assert store.execute("SELECT local_date, local_week FROM feedback_enriched")[0] == (
            date(2026, 7, 13),
            date(2026, 7, 13),
        )
        define_views(store, "UTC")
        assert store.execute("SELECT local_date, local_week FROM feedback_enriched")[0] == (
            date(2026, 7, 12),
            date(2026, 7, 6),
        )


def test_a_version_2_database_gains_the_later_columns_and_tables(tmp_path):
    from cxtext.store.schema import create_statements

    path = tmp_path / "v2.duckdb"
    con = duckdb.connect(str(path))
    for statement in create_statements(to_version=2):
        con.execute(statement)
    con.execute("INSERT INTO cxtext_meta VALUES ('schema_version', '2')")
    con.execute("INSERT INTO enrichment (feedback_id, text_hash) VALUES ('f1', 'h1')")
    con.close()
    with Store.open(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.execute("SELECT feedback_id, scored FROM enrichment") == [("f1", None)]
        assert store.scalar("SELECT count(*) FROM feedback_effort") == 0  # version 5; filled by re-enrichment
        assert store.scalar("SELECT count(*) FROM daily_themes") == 0  # version 4; filled by the next run
        assert store.scalar("SELECT comment FROM duckdb_columns() WHERE table_name = 'enrichment' AND column_name = 'scored'")
        assert store.scalar("SELECT count(*) FROM erasures") == 0
        assert store.scalar("SELECT count(*) FROM tombstones") == 0  # version 5
        assert store.execute("SELECT customer_key, source_record_id, key_hashes FROM rejects") == []


def test_a_memory_cap_for_a_block_is_lifted_after_it(tmp_path):
    from cxtext.store.db import memory_bytes

    limit = lambda store: store.scalar("SELECT current_setting('memory_limit')")  # noqa: E731
    with Store.open(tmp_path / "capped.duckdb", memory_limit="256MB") as store:
        before = limit(store)
        with store.memory_capped("64MB"):
            capped = limit(store)
            assert capped != before
        assert limit(store) == before
        with store.memory_capped("1GB"):  # never above the store's own cap
            assert limit(store) == before
    with Store.open(tmp_path / "small.duckdb", memory_limit="64MB") as store:
        with store.memory_capped("128MB"):
            assert limit(store) == capped
    with Store.open(tmp_path / "default.duckdb") as store:
        before = limit(store)
        with store.memory_capped("64MB"):
            pass
        assert limit(store) == before
    assert memory_bytes("128MB") == 128_000_000 and memory_bytes("1 GiB") == 1 << 30


def test_one_thread_for_a_block_is_lifted_after_it(tmp_path):
    threads = lambda store: store.scalar("SELECT current_setting('threads')")  # noqa: E731
    with Store.open(tmp_path / "threads.duckdb") as store:
        before = threads(store)
        with store.one_thread():
            assert threads(store) == 1
        assert threads(store) == before
        with pytest.raises(RuntimeError), store.one_thread():
            raise RuntimeError("the block failed")
        assert threads(store) == before


def test_no_progress_bar_is_printed_also_when_reopened(tmp_path, monkeypatch):
    """DuckDB prints a progress bar into the run's output for statements over 2 s (seen at 1M
    records); every connection a store opens has it off, read-only and reopened ones too."""
    import duckdb

    connect = duckdb.connect

    def as_outside_pytest(*args, **kwargs):  # under pytest DuckDB's default is off; elsewhere it is on
        con = connect(*args, **kwargs)
        con.execute("SET enable_progress_bar = true")
        return con

    monkeypatch.setattr(duckdb, "connect", as_outside_pytest)
    bar = lambda store: store.scalar("SELECT current_setting('enable_progress_bar')")  # noqa: E731
    path = tmp_path / "quiet.duckdb"
    with Store.open(path) as store:
        assert bar(store) is False
        with store.released():
            pass
        assert bar(store) is False
    with Store.open(path, read_only=True) as store:
        assert bar(store) is False


def test_a_writable_store_checkpoints_after_a_large_log_also_when_reopened(tmp_path):
    """Frequent small commits checkpoint at CHECKPOINT_THRESHOLD, not DuckDB's 16 MiB (costly in
    enrichment); a read-only open has no log to gather."""
    from cxtext.store.db import CHECKPOINT_THRESHOLD, memory_bytes

    threshold = lambda store: memory_bytes(store.scalar("SELECT current_setting('checkpoint_threshold')"))  # noqa: E731
    path = tmp_path / "log.duckdb"
    with Store.open(path) as store:
        assert abs(threshold(store) - memory_bytes(CHECKPOINT_THRESHOLD)) < 1 << 20
        with store.released():
            pass
        assert abs(threshold(store) - memory_bytes(CHECKPOINT_THRESHOLD)) < 1 << 20
        store.execute("CREATE TABLE t AS SELECT range AS i FROM range(1000)")
    with Store.open(path) as store:  # the log was checkpointed at close: nothing lost
        assert store.scalar("SELECT count(*) FROM t") == 1000
