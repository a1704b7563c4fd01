"""Backfills and the nightly coexist: a nightly run started while a backfill holds the writer lock
queues behind it (saying where the backfill stands) and completes, instead of failing."""

import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from tests.conftest import REVIEW_HEADER, REVIEWS_SOURCE, write_config

#: A backfill stand-in in its own process: the writer lock held under the backfill flow's
#: purpose, its progress noted as the backfill flow notes it, for a few seconds.
LONG_BACKFILL = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from cxtext.store.lock import note_progress, writer_lock
    lock = Path(sys.argv[1])
    with writer_lock(lock, purpose="backfill"):
        for chunk in range(1, 5):
            note_progress(lock, f"enrich chunk {chunk}/4, about {(4 - chunk) * 2 / 60:.0f} min left")
            print("holding", flush=True)
            time.sleep(2)
""")


def start_backfill(lock):
    backfill = subprocess.Popen([sys.executable, "-c", LONG_BACKFILL, str(lock)], stdout=subprocess.PIPE, text=True)
    assert backfill.stdout.readline().strip() == "holding"
    return backfill


def test_a_writer_queued_behind_a_backfill_says_where_it_stands_and_gets_the_lock(tmp_path):
    from cxtext.errors import WriterLockHeld
    from cxtext.store.lock import writer_lock

    lock = tmp_path / ".writer.lock"
    backfill = start_backfill(lock)
    with pytest.raises(WriterLockHeld):  # not queued: a second writer fails at once, as before
        with writer_lock(lock, purpose="cxtext ingest x.csv"):
            pass
    told = []
    started = time.monotonic()
    with writer_lock(lock, purpose="nightly run", queue_behind=("backfill",), queue_seconds=60, on_wait=told.append):
        assert time.monotonic() - started >= 4  # it waited for the backfill's end
    assert backfill.wait(timeout=30) == 0
    assert told and ": backfill, since " in told[0] and "enrich chunk" in told[0] and "min left" in told[0], told


@pytest.mark.slow
def test_a_nightly_started_during_a_long_backfill_queues_and_completes(tmp_path):
    from cxtext_flows.nightly import nightly

    config = write_config(tmp_path, REVIEWS_SOURCE)
    (tmp_path / "landing").mkdir()
    (tmp_path / "landing/reviews_1.csv").write_text(
        REVIEW_HEADER + "".join(f"r{i},2026-09-0{1 + i % 7} 10:00,2,Late,The parcel was late again {i},c{i}\n" for i in range(20))
    )
    backfill = start_backfill(tmp_path / "state/.writer.lock")
    started = time.monotonic()
    summary = nightly(config=str(config))  # lock_wait_seconds = 0: without queueing this would fail at once
    waited = time.monotonic() - started
    assert backfill.wait(timeout=60) == 0
    assert waited >= 4 and summary["rows_loaded"] == 20
    with duckdb.connect(str(tmp_path / "state/pipeline.duckdb"), read_only=True) as con:
        assert con.execute("SELECT flow, status FROM runs").fetchall() == [("nightly", "completed")]
