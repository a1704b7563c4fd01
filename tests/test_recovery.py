"""Recovery and retention: a damaged working database is named by `cxtext check` and restored by
`cxtext recover --from-snapshot`, or rebuilt from the archive by `cxtext recover --rebuild`; a
publish always carries the views; [retention] drops old history."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import duckdb
import pytest

from tests.conftest import REVIEWS_SOURCE, write_config

ROWS = [
    "R1,2026-09-01 10:00,5,Great,Lovely strap and fast delivery,C1",
    "R2,2026-09-01 11:00,1,Bad,The buckle snapped on day two,C2",
    "R3,2026-09-02 11:00,,,,C3",
]  # a reject: no text


def _state(tmp_path, retention: str = ""):
    from cxtext.config import load_settings
    from cxtext.ingest.load import ingest_file, scan_landing
    from cxtext.insights.refresh import publish_with_aggregates
    from cxtext.ops.workspace import open_workspace

    (tmp_path / "landing").mkdir()
    (tmp_path / "landing/reviews-1.csv").write_text(
        "review_id,submitted_at,stars,title,text,customer_id\n" + "\n".join(ROWS) + "\n"
    )
    settings = load_settings(write_config(tmp_path, REVIEWS_SOURCE + retention))
    with open_workspace(settings, purpose="test") as workspace:
        for spec, path in scan_landing(workspace.store, settings).new:
            ingest_file(workspace.store, settings, path, spec)
        for _ in range(2):  # right after an ingest: no enrichment, no aggregate step
            publish_with_aggregates(
                workspace.store,
                settings.published_db,
                snapshots=settings.snapshots_dir,
                keep=settings.snapshots_kept,
                label="t",
                timezone=settings.reporting_timezone,
            )
    return settings


def cli(settings, *args):
    return subprocess.run(
        [sys.executable, "-m", "cxtext.cli", *args, "--config", str(settings.config_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_publish_right_after_an_ingest_carries_the_views(tmp_path):
    settings = _state(tmp_path)
    with duckdb.connect(str(settings.published_db), read_only=True) as con:
        views = {v for (v,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        assert {"pain_points", "stage_summary"} <= views
        assert con.execute("SELECT count(*) FROM pain_points").fetchone() is not None


@pytest.mark.parametrize("damage", ["truncated", "overwritten block"])
def test_a_damaged_working_database_fails_check_in_one_line_and_is_recovered(tmp_path, damage):
    settings = _state(tmp_path)
    size = settings.work_db.stat().st_size
    if damage == "truncated":
        os.truncate(settings.work_db, size // 3)
    else:
        with open(settings.work_db, "r+b") as handle:
            handle.seek(size // 2)
            handle.write(os.urandom(256 * 1024))
    checked = cli(settings, "check")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "Traceback" not in checked.stderr and "busy" not in checked.stderr
    failing = [line for line in checked.stdout.splitlines() if line.startswith("fail  database:")]
    assert len(failing) == 1 and "damaged or truncated" in failing[0] and "cxtext recover --from-snapshot" in failing[0]

    recovered = cli(settings, "recover", "--from-snapshot")
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    again = cli(settings, "check")
    assert "fail  database" not in again.stdout and "Traceback" not in again.stderr, again.stdout + again.stderr
    with duckdb.connect(str(settings.work_db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM feedback").fetchone()[0] == 2
        assert con.execute("SELECT flow FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()[0] == "recover"
    assert len(list(settings.state_dir.glob("pipeline.duckdb.damaged-*"))) == 1


FEEDBACK = (
    "SELECT source, source_record_id, feedback_id, text, title, rating, customer_key, created_at FROM feedback ORDER BY ALL"
)


def _rows(path):
    with duckdb.connect(str(path), read_only=True) as con:
        return (
            con.execute(FEEDBACK).fetchall(),
            con.execute("SELECT source, reason, raw FROM rejects ORDER BY ALL").fetchall(),
            con.execute("SELECT count(*) FROM enrichment").fetchone()[0],
        )


@pytest.mark.parametrize("left", ["the analysts' file", "the archive alone"])
def test_a_damaged_working_database_without_a_snapshot_is_rebuilt_from_the_archive(tmp_path, left):
    """After an erasure (its tombstones and rewritten archive file), a later delivery and the last
    publish: the working database is corrupted, no snapshot is kept (nor, in the second case, the
    analysts' file): `cxtext recover --rebuild` makes the same feedback and rejects again, enriched,
    and the erased customer does not come back, not even from the landing file that still holds them."""
    settings = _state(tmp_path)
    forgot = cli(settings, "forget", "--customer", "C2")
    assert forgot.returncode == 0, forgot.stdout + forgot.stderr
    (tmp_path / "landing/reviews-2.csv").write_text(  # ingested after the last publish: in no copy's index
        "review_id,submitted_at,stars,title,text,customer_id\nR4,2026-09-03 10:00,4,Fine,Comfortable fit all day,C4\n"
    )
    ran = cli(settings, "ingest", str(tmp_path / "landing/reviews-2.csv"), "--source", "reviews")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    enriched = cli(settings, "enrich")
    assert enriched.returncode == 0, enriched.stdout + enriched.stderr
    feedback, rejects, n_enriched = _rows(settings.work_db)
    assert [r[1] for r in feedback] == ["R1", "R4"] and n_enriched == 2

    for snapshot in settings.snapshots_dir.glob("*.duckdb"):
        snapshot.unlink()
    if left == "the archive alone":
        settings.published_db.unlink()
    with open(settings.work_db, "r+b") as handle:
        handle.seek(settings.work_db.stat().st_size // 2)
        handle.write(os.urandom(256 * 1024))
    assert "recover --rebuild" in cli(settings, "check").stdout

    rebuilt = cli(settings, "recover", "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "Traceback" not in rebuilt.stderr and "not read" not in rebuilt.stdout, rebuilt.stdout
    assert _rows(settings.work_db) == (feedback, rejects, n_enriched)
    with duckdb.connect(str(settings.work_db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM tombstones").fetchone()[0] >= 1
        assert con.execute("SELECT flow FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()[0] == "recover"
    from cxtext.ingest.load import ingest_file, scan_landing
    from cxtext.ops.workspace import open_workspace

    with open_workspace(settings, purpose="test") as workspace:  # the landing files, C2's record still in the first
        for spec, path in scan_landing(workspace.store, settings).new:
            ingest_file(workspace.store, settings, path, spec)
    assert _rows(settings.work_db)[:2] == (feedback, rejects)  # nothing comes back, nothing doubles
    assert "fail  database" not in cli(settings, "check").stdout


def test_retention_drops_old_archive_rejects_and_snapshots_and_keeps_the_newest(tmp_path):
    from cxtext.ops.retention import enforce_retention
    from cxtext.ops.workspace import open_workspace

    settings = _state(tmp_path, "\n[retention]\narchive_days = 30\nrejects_days = 30\nsnapshots_days = 30\n")
    old = time.time() - 40 * 86400
    for snapshot in settings.snapshots_dir.glob("*.duckdb"):
        os.utime(snapshot, (old, old))
    with open_workspace(settings, purpose="test") as workspace:
        store = workspace.store
        assert enforce_retention(store, settings) == {"archive_files": 0, "rejects": 0, "snapshots": 1}
        store.execute("UPDATE rejects SET rejected_at = rejected_at - INTERVAL 40 DAY")
        store.execute("UPDATE archived_files SET archived_at = archived_at - INTERVAL 40 DAY")
        assert enforce_retention(store, settings) == {"archive_files": 1, "rejects": 1, "snapshots": 0}
        assert store.scalar("SELECT count(*) FROM archived_files WHERE archive_path IS NULL") == 1
        assert store.scalar("SELECT count(*) FROM feedback") == 2
    assert [p for p in settings.archive_dir.rglob("*") if p.is_file()] == []
    assert len(list(settings.snapshots_dir.glob("*.duckdb"))) == 1
    from cxtext.ingest.load import scan_landing
    from cxtext.store.db import Store

    with Store.open(settings.work_db) as store:  # the landing file is still known: not ingested again
        assert scan_landing(store, settings).new == []


def test_a_publish_without_the_time_zone_refuses_a_database_without_views(tmp_path):
    from cxtext.errors import CxtextError
    from cxtext.insights.refresh import publish_with_aggregates
    from cxtext.store.db import Store

    with Store.open(tmp_path / "w.duckdb") as store:
        with pytest.raises(CxtextError, match="no analysts' views"):
            publish_with_aggregates(store, tmp_path / "cx.duckdb")
    assert not (tmp_path / "cx.duckdb").exists()
