"""Ingest over worker processes writes what one process writes: every row of feedback, rejects and
ingest_batches (timestamps aside; the order of rows in a table is DuckDB's, not the file's), planted
malformed records and duplicates included; also for a backfill's windowed re-read of files with
an erased record."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from cxtext.devtools.bench import bench_settings
from cxtext.errors import SourceReadError
from cxtext.ingest.load import Window, ingest_file, ingest_workers, with_following
from cxtext.store.db import Store
from tests.conftest import ROOT

TIMESTAMPS = {"feedback": "first_seen_at, updated_at", "rejects": "rejected_at", "ingest_batches": "started_at, finished_at"}

EXTRA_REVIEWS = [
    "R000001,2026-07-06 09:50,Volta Aria ANC Headphones,4,Changed,An edited review of an earlier file,C30331,GB",
    "X1,2026-07-07 10:00,Volta Aria Mini Earbuds,5,Fine,First version,C1,GB",
    "X2,2026-07-07 10:00,Volta Aria Mini Earbuds,5,Fine,Same twice,C2,GB",
    "X2,2026-07-07 10:00,Volta Aria Mini Earbuds,5,Fine,Same twice,C2,GB",
    "X3,2026-07-07 10:00,Volta Aria Mini Earbuds,9,Bad,stars out of range,C3,GB",
    'X4,2026-07-07 11:00,Volta Aria Mini Earbuds,2,Quote,"never closed,C4,GB',
    "X5,yesterday,Volta Aria Mini Earbuds,2,Date,bad date,C5,GB",
    'X6,2026-07-08 12:00,Volta Aria Mini Earbuds,1,Lines,"two\nlines, call +44 20 7946 0958",C6,GB',
    "X1,2026-07-07 10:00,Volta Aria Mini Earbuds,5,Fine,Second version wins,C1,GB",
    "X7,2026-07-08 12:00,Volta Aria Mini Earbuds,1,Short",
    "",
    'X8,2026-07-08 12:00,Volta Aria Mini Earbuds,3,Inch,"a 12"" screen\r\nover lines",C8,GB',
    'X9,2026-07-08 12:00,Volta Aria Mini Earbuds,3,Inch,12" screen,C9,GB',
    "X10,2026-07-08 12:00,Volta Aria Mini Earbuds,3,NUL,a \x00 byte,C10,GB",
]
EXTRA_SOCIAL = [
    '{"created_at": "2026-07-09T10:00:00Z", "id": "Y1", "platform": "x", "text": "fine", "user": {"handle": "@a"}}',
    '{"created_at": "2026-07-09T10:00:00Z", "id": "Y2", "text": ',
    '["not", "an", "object"]',
    '{"created_at": "2026-07-09T10:00:00Z", "id": "Y3", "text": {"nested": "object"}}',
    '{"created_at": "2026-07-09T10:00:00Z", "id": "Y1", "platform": "x", "text": "changed", "user": {"handle": "@a"}}',
]


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    """The sample data (its planted malformed records and duplicates) and a file of each format
    with more: in-file conflicts and duplicates, an unclosed quote, multi-line records, a blank
    line, a NUL byte, bad JSON."""
    folder = tmp_path_factory.mktemp("landing")
    for name in ("reviews.csv", "survey_comments.csv", "social_mentions.jsonl"):
        stem, suffix = name.split(".")
        shutil.copyfile(ROOT / "sample_data" / name, folder / f"{stem}-a.{suffix}")
    header = (ROOT / "sample_data" / "reviews.csv").read_text(encoding="utf-8").splitlines()[0]
    (folder / "reviews-b.csv").write_text("\n".join([header, *EXTRA_REVIEWS]) + "\n", encoding="utf-8")
    (folder / "social_mentions-b.jsonl").write_text("\n".join(EXTRA_SOCIAL) + "\n", encoding="utf-8")
    return folder


def _settings(root: Path, landing: Path, workers: int):
    # Small chunks and no minimum: many chunks in flight in two processes, out of step.
    return replace(bench_settings(root, root / "state", landing, workers=workers), chunk_rows=97, parallel_min_rows=0)


def _tables(store: Store) -> dict[str, list[tuple]]:
    return {t: store.execute(f"SELECT * EXCLUDE ({c}) FROM {t} ORDER BY ALL") for t, c in TIMESTAMPS.items()}


def _ingest(
    root: Path, landing: Path, workers: int, window: Window | None = None, erase: str | None = None, follow: bool = False
):
    settings = _settings(root, landing, workers)
    files = [(spec, path) for spec in settings.sources.values() for path in sorted(landing.glob(spec.pattern))]
    with Store.open(settings.work_db) as store, ingest_workers(settings) as shared:
        results = []
        for spec, path, after in with_following(files):
            following = after if follow else None
            results.append(ingest_file(store, settings, path, spec, workers=shared, following=following))
            # the next file's first chunks went to the workers while this one merged
            assert (shared._ahead is not None) == (following is not None and workers > 1)
        if erase:  # a tombstone, as `cxtext forget` leaves it, then the files read again
            from cxtext.ingest.tombstones import id_hash

            erased = id_hash("shop_reviews", erase, settings.salt())
            store.execute("INSERT INTO tombstones (source, id_hash) VALUES ('shop_reviews', ?)", [erased])
        if window:
            archived = dict(store.execute("SELECT file_sha256, archive_path FROM archived_files"))
            results += [
                ingest_file(
                    store,
                    settings,
                    settings.state_dir / archived[result.file_sha256],
                    spec,
                    workers=shared,
                    window=window,
                    archived_as=result.file_sha256,
                )
                for (spec, _), result in zip(files, results)
            ]
        started = shared.started
        tables = _tables(store)
    return [{**r.as_dict(), "seconds": None} for r in results], tables, started


def test_two_workers_write_what_one_writes(landing, tmp_path):
    one = _ingest(tmp_path / "one", landing, 1)
    two = _ingest(tmp_path / "two", landing, 2)
    assert not one[2] and two[2]  # one process, then worker processes
    assert two[0] == one[0]
    assert two[1] == one[1]
    reasons = {reason for result in one[0] for reason in result["reasons"]}
    assert {"conflicting_duplicate_id", "unbalanced_quote", "bad_created_at", "out_of_range", "invalid_json"} <= reasons
    assert {"not_an_object", "not_text", "field_count", "missing_text"} <= reasons
    assert sum(r["rows_duplicate"] for r in one[0]) >= 6 and len(one[1]["feedback"]) > 4000


def test_the_next_files_chunks_prepared_ahead_write_what_one_process_writes(landing, tmp_path):
    one = _ingest(tmp_path / "one", landing, 1, follow=True)
    two = _ingest(tmp_path / "two", landing, 2, follow=True)
    assert two[2] and two[0] == one[0] and two[1] == one[1]
    batches = {r["file_name"]: r["batch_id"] for r in two[0]}  # rejects prepared ahead carry their own batch
    rejected = {(row[0], row[1]) for row in two[1]["rejects"]}  # (batch_id, source)
    assert {(batches["reviews-b.csv"], "shop_reviews"), (batches["social_mentions-b.jsonl"], "social_listening")} <= rejected


def test_a_next_file_that_cannot_be_read_ahead_meets_its_error_at_its_own_turn(landing, tmp_path):
    settings = _settings(tmp_path, landing, 2)
    reviews = settings.sources["shop_reviews"]
    broken = tmp_path / "reviews-c.csv"
    broken.write_bytes(b"\x00\x01\x02" * 4000)  # binary: refused before any record
    with Store.open(settings.work_db) as store, ingest_workers(settings) as shared:
        first = ingest_file(store, settings, landing / "reviews-a.csv", reviews, workers=shared, following=(reviews, broken))
        assert first.status == "loaded" and first.rows_loaded > 1000 and shared._ahead is None
        with pytest.raises(SourceReadError, match="binary"):
            ingest_file(store, settings, broken, reviews, workers=shared)
        assert store.scalar("SELECT status FROM ingest_batches WHERE file_name = 'reviews-c.csv'") == "failed"


def test_chunks_sent_ahead_for_a_file_the_caller_does_not_ingest_next_are_dropped(landing, tmp_path):
    files = ["reviews-a.csv", "survey_comments-a.csv", "reviews-b.csv"]  # announced: reviews-b.csv second
    tables = []
    for workers in (2, 1):
        settings = _settings(tmp_path / str(workers), landing, workers)
        spec = {name: s for s in settings.sources.values() for name in files if (landing / name).match(s.pattern)}
        with Store.open(settings.work_db) as store, ingest_workers(settings) as shared:
            following = (spec["reviews-b.csv"], landing / "reviews-b.csv")
            ingest_file(store, settings, landing / files[0], spec[files[0]], workers=shared, following=following)
            assert (shared._ahead is not None) == (workers == 2)
            for name in files[1:]:
                ingest_file(store, settings, landing / name, spec[name], workers=shared)
                assert shared._ahead is None
            tables.append(_tables(store))
    assert tables[0] == tables[1] and len(tables[0]["rejects"]) > 10


def test_a_windowed_reread_with_an_erased_record_is_the_same_over_workers(landing, tmp_path):
    window = Window(date(2026, 7, 6), date(2026, 7, 31), "Europe/London")
    one = _ingest(tmp_path / "one", landing, 1, window=window, erase="X6")
    two = _ingest(tmp_path / "two", landing, 2, window=window, erase="X6")
    assert two[2] and two[0] == one[0] and two[1] == one[1]
    assert sum(r["rows_passed_over"] for r in one[0]) > 1000


def test_files_smaller_than_parallel_min_rows_stay_in_process(landing, tmp_path):
    settings = replace(bench_settings(tmp_path, tmp_path / "state", landing, workers=2), parallel_min_rows=len(EXTRA_REVIEWS) + 1)
    with Store.open(settings.work_db) as store, ingest_workers(settings) as shared:
        result = ingest_file(store, settings, landing / "reviews-b.csv", settings.sources["shop_reviews"], workers=shared)
        assert result.rows_read == len(EXTRA_REVIEWS) - 1 and not shared.started  # a blank line is not a record


@pytest.mark.parametrize("workers", [1, 2])
def test_merges_run_on_one_duckdb_thread_only_beside_worker_processes(workers, landing, tmp_path, monkeypatch):
    """Worker processes keep every core busy: the file's merges then run on one DuckDB thread,
    and the store's thread count is back after the file."""
    import cxtext.ingest.load as load

    seen, real_load = [], load._load

    def spying_load(store, *args):
        seen.append(store.scalar("SELECT current_setting('threads')"))
        return real_load(store, *args)

    monkeypatch.setattr(load, "_load", spying_load)
    settings = _settings(tmp_path, landing, workers)
    with Store.open(settings.work_db) as store, ingest_workers(settings) as shared:
        before = store.scalar("SELECT current_setting('threads')")
        ingest_file(store, settings, landing / "reviews-a.csv", settings.sources["shop_reviews"], workers=shared)
        assert seen == [1 if workers > 1 else before] and shared.started == (workers > 1)
        assert store.scalar("SELECT current_setting('threads')") == before
