import multiprocessing
import os
import time

import pytest

from cxtext.errors import SourceReadError, WriterLockHeld
from cxtext.ingest.load import ingest_file, scan_landing
from cxtext.store.lock import writer_lock
from tests.conftest import REVIEW_HEADER

ROWS = [
    "R1,2026-07-06 10:00,5,Great,Love it,C1",
    "R2,2026-07-06 11:00,7,Bad,stars out of range,C2",
    "R3,2026-07-07 11:00,2,Meh,,C3",
    "R4,2026-07-07 12:00,2,Broken",
    'R5,2026-07-08 12:00,1,Awful,"call +44 20 7946 0958, card 4111 1111 1111 1111",C5',
    "R1,2026-07-06 10:00,5,Great,Love it,C1",
]


def write(path, rows, header=REVIEW_HEADER):
    path.write_text(header + "\n".join(rows) + "\n")
    return path


def counts(store):
    return store.execute("SELECT count(*) FROM feedback")[0][0]


def reconciles(store):
    return store.execute(
        "SELECT bool_and(rows_read = rows_loaded + rows_duplicate + rows_rejected AND rows_loaded = rows_new + rows_updated) "
        "FROM ingest_batches WHERE status = 'loaded'"
    )[0][0]


def test_every_record_is_loaded_duplicate_or_rejected(store, review_settings, tmp_path):
    spec = review_settings.sources["reviews"]
    result = ingest_file(store, review_settings, write(tmp_path / "landing/reviews.csv", ROWS), spec)
    assert (result.rows_read, result.rows_new, result.rows_duplicate, result.rows_rejected) == (6, 2, 1, 3)
    assert result.reasons == {"out_of_range": 1, "missing_text": 1, "field_count": 1}
    assert reconciles(store)
    rejects = store.execute("SELECT position, reason, raw FROM rejects ORDER BY position")
    assert [(p, r) for p, r, _ in rejects] == [(3, "out_of_range"), (4, "missing_text"), (5, "field_count")]
    assert rejects[2][2] == "R4,2026-07-07 12:00,2,Broken"
    text = store.scalar("SELECT text FROM feedback WHERE source_record_id = 'R5'")
    assert text == "call [PHONE], card [CARD]"
    assert store.scalar("SELECT created_at FROM feedback WHERE source_record_id = 'R1'").hour == 9  # BST → UTC
    archived = store.execute("SELECT archive_path FROM archived_files")
    assert (review_settings.state_dir / archived[0][0]).read_text().startswith(REVIEW_HEADER)


def test_same_file_twice_adds_nothing(store, review_settings, tmp_path):
    spec = review_settings.sources["reviews"]
    path = write(tmp_path / "landing/reviews.csv", ROWS)
    ingest_file(store, review_settings, path, spec)
    before = store.execute("SELECT * FROM feedback ORDER BY feedback_id")
    again = ingest_file(store, review_settings, path, spec)
    assert (again.rows_new, again.rows_updated, again.rows_duplicate, again.rows_rejected) == (0, 0, 3, 3)
    assert store.execute("SELECT * FROM feedback ORDER BY feedback_id") == before
    assert reconciles(store)


def test_resent_record_with_changed_text_is_updated(store, review_settings, tmp_path):
    spec = review_settings.sources["reviews"]
    ingest_file(store, review_settings, write(tmp_path / "landing/reviews.csv", ROWS), spec)
    old_hash = store.scalar("SELECT text_hash FROM feedback WHERE source_record_id = 'R1'")
    changed = [ROWS[0].replace("Love it", "Loved it until it broke"), ROWS[4]]
    result = ingest_file(store, review_settings, write(tmp_path / "landing/reviews-2.csv", changed), spec)
    assert (result.rows_new, result.rows_updated, result.rows_duplicate) == (0, 1, 1)
    row = store.execute(
        "SELECT text, text_hash, batch_id, first_seen_at < updated_at FROM feedback WHERE source_record_id = 'R1'"
    )[0]
    assert row[0] == "Loved it until it broke" and row[1] != old_hash and row[2] == result.batch_id
    assert counts(store) == 2


def test_conflicting_ids_in_one_file_keep_the_last_and_reject_the_earlier(store, review_settings, tmp_path):
    spec = review_settings.sources["reviews"]
    rows = [
        "R1,2026-07-06 10:00,5,A,first text to jo@example.com,C1",
        "R1,2026-07-06 10:00,5,A,second text,C1",
        "R1,2026-07-06 10:00,5,A,second text,C1",
    ]
    result = ingest_file(store, review_settings, write(tmp_path / "landing/reviews.csv", rows), spec)
    assert (result.rows_new, result.rows_duplicate, result.rows_rejected) == (1, 1, 1)
    assert store.scalar("SELECT text FROM feedback") == "second text"
    assert store.execute("SELECT position, reason FROM rejects") == [(2, "conflicting_duplicate_id")]
    assert store.scalar("SELECT raw FROM rejects") == "R1,2026-07-06 10:00,5,A,first text to [EMAIL],C1"


def test_chunks_do_not_change_the_outcome(store, review_settings, tmp_path):
    from dataclasses import replace

    settings = replace(review_settings, chunk_rows=2)
    rows = [f"R{i},2026-07-06 10:00,4,t,text {i},C{i}" for i in range(7)] + ["R3,2026-07-06 10:00,4,t,text 3,C3"]
    seen = []
    result = ingest_file(
        store,
        settings,
        write(tmp_path / "landing/reviews.csv", rows),
        settings.sources["reviews"],
        on_progress=seen.append,
    )
    assert (result.rows_read, result.rows_new, result.rows_duplicate) == (8, 7, 1)
    assert seen == [2, 4, 6, 8]


def test_unreadable_file_loads_nothing_and_records_a_failed_batch(store, review_settings, tmp_path):
    spec = review_settings.sources["reviews"]
    path = write(tmp_path / "landing/reviews.csv", ["R1,2026-07-06 10:00,5,x,y"], header="review_id,when,stars,title,body\n")
    with pytest.raises(SourceReadError, match="submitted_at"):
        ingest_file(store, review_settings, path, spec)
    assert counts(store) == 0
    assert store.execute("SELECT status, rows_read FROM ingest_batches") == [("failed", 0)]
    assert "submitted_at" in store.scalar("SELECT error FROM ingest_batches")


def test_scan_landing_takes_new_content_only(store, review_settings, tmp_path):
    spec = review_settings.sources["reviews"]
    path = write(tmp_path / "landing/reviews.csv", ROWS)
    (tmp_path / "landing/other.txt").write_text("not matched")
    scan = scan_landing(store, review_settings)
    assert [p.name for _, p in scan.new] == ["reviews.csv"]
    ingest_file(store, review_settings, path, spec)
    write(tmp_path / "landing/reviews-copy.csv", ROWS)  # same content, another name
    scan = scan_landing(store, review_settings)
    assert scan.new == [] and scan.known == 2


def test_scan_landing_does_not_retry_an_unchanged_failed_file(store, review_settings, tmp_path):
    path = write(tmp_path / "landing/reviews.csv", ["x"], header="nope\n")
    with pytest.raises(SourceReadError):
        ingest_file(store, review_settings, path, review_settings.sources["reviews"])
    scan = scan_landing(store, review_settings)
    assert scan.new == [] and len(scan.failed_before) == 1
    write(path, ROWS)  # fixed
    assert [p.name for _, p in scan_landing(store, review_settings).new] == ["reviews.csv"]


def _grow(path, stop_at):
    while time.time() < stop_at:
        with open(path, "a") as handle:
            handle.write("R9,2026-07-06 10:00,5,t,growing,C9\n")
        time.sleep(0.05)


def test_scan_landing_skips_a_file_still_being_written(store, review_settings, tmp_path):
    from dataclasses import replace

    settings = replace(review_settings, settle_seconds=0.5)
    path = write(tmp_path / "landing/reviews.csv", ROWS)
    writer = multiprocessing.Process(target=_grow, args=(path, time.time() + 2))
    writer.start()
    try:
        scan = scan_landing(store, settings)
    finally:
        writer.join()
    assert scan.new == [] and scan.unsettled == [path]


def _hold_lock(path, ready, release):
    with writer_lock(path, purpose="test holder"):
        ready.set()
        release.wait(10)


def test_writer_lock_is_exclusive_across_processes_and_names_the_holder(tmp_path):
    lock = tmp_path / ".writer.lock"
    ready, release = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(lock, ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(WriterLockHeld, match=f"pid {holder.pid}.*test holder"):
            with writer_lock(lock, purpose="second", wait_seconds=0.3):
                pass
    finally:
        release.set()
        holder.join()
    with writer_lock(lock, purpose="after"):
        with writer_lock(lock, purpose="re-entrant in one process"):
            assert os.path.exists(lock)


def test_parquet_source_with_native_types(store, review_settings, tmp_path):
    from datetime import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    from cxtext.config import make_source_spec

    path = tmp_path / "landing/survey.parquet"
    pq.write_table(
        pa.table(
            {
                "rid": ["P1", "P2", "P3"],
                "ts": [dt(2026, 7, 6, 10), dt(2026, 7, 6, 11), dt(2026, 7, 6, 12)],
                "nps": [9, 11, None],
                "comment": ["Great support", "Out of range", "Fine"],
            }
        ),
        path,
    )
    spec = make_source_spec(
        "pq_survey",
        {
            "kind": "survey",
            "format": "parquet",
            "timezone": "Europe/London",
            "columns": {"id": "rid", "created_at": "ts", "nps": "nps", "text": "comment"},
        },
    )
    result = ingest_file(store, review_settings, path, spec)
    assert (result.rows_read, result.rows_new, result.rows_rejected) == (3, 2, 1)
    assert store.execute("SELECT source_record_id, nps, created_at FROM feedback ORDER BY 1") == [
        ("P1", 9, dt(2026, 7, 6, 9)),
        ("P3", None, dt(2026, 7, 6, 11)),
    ]
    assert store.execute("SELECT position, reason FROM rejects") == [(2, "out_of_range")]


def test_scan_landing_reads_only_inside_the_landing_folder(store, review_settings, tmp_path):
    from dataclasses import replace

    outside = tmp_path / "outside"
    outside.mkdir()
    write(outside / "reviews-secret.csv", ROWS)
    write(tmp_path / "landing/reviews-ok.csv", ROWS[:1])
    (tmp_path / "landing/reviews-link.csv").symlink_to(outside / "reviews-secret.csv")
    (tmp_path / "landing/reviews-inner-link.csv").symlink_to(tmp_path / "landing/reviews-ok.csv")
    spec = review_settings.sources["reviews"]
    scan = scan_landing(store, review_settings)
    assert [p.name for _, p in scan.new] == ["reviews-inner-link.csv", "reviews-ok.csv"]
    assert len(scan.refused) == 1 and "reviews-link.csv is outside its landing folder" in scan.refused[0]
    for pattern, message in (
        ("../outside/*.csv", "reviews-secret.csv is outside"),
        (str(outside / "*.csv"), "cannot be used"),
    ):
        settings = replace(review_settings, sources={"reviews": replace(spec, pattern=pattern)})
        scan = scan_landing(store, settings)
        assert scan.new == [] and message in scan.refused[0], scan.refused
