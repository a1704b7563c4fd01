"""Ingest: load one file into ``feedback`` in one transaction, quarantining what is bad.

Every record read ends up in exactly one of three places, and the batch row says how many:
loaded (new or updated), duplicate (identical to a stored record or to another in the file), or
rejected (in ``rejects`` with its reason, position and raw content). A file that cannot be read
at all loads nothing and leaves a ``failed`` batch row with the reason.

Records are read here (a CSV record's or JSONL line's text, unparsed) and parsed, mapped, validated
and redacted in chunks (by `workers` processes for a big file: cxtext.ingest.prepare), staged with Arrow in the file's order; deduplication and the
upsert into ``feedback`` are set-based SQL over the staged file, in this process, DuckDB's writer.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa

from cxtext.config import Settings, SourceSpec
from cxtext.errors import SourceReadError
from cxtext.ingest.prepare import (
    FEEDBACK_COLUMNS,
    REJECTS_SCHEMA,
    FileContext,
    IngestWorkers,
    Window,
    clip_raw,
    with_batch_id,
)
from cxtext.ingest.readers import OpenedFile, open_records
from cxtext.ingest.redact import HandlePolicy, redact_text
from cxtext.ingest.tombstones import Tombstones
from cxtext.store.db import Store, utcnow

#: Errors a file's content can cause beyond what the readers foresee: the file is recorded as
#: failed (and not retried until it changes) and the run goes on with the other files. Disk, lock
#: and database errors are not among them: they say nothing about the file, and the run retries.
UNREADABLE = (
    ValueError,
    TypeError,
    OverflowError,
    RecursionError,
    MemoryError,
    UnicodeError,
    LookupError,
    pa.ArrowException,
)


@dataclass
class BatchResult:
    """What one file's ingest did; rows_read = rows_loaded + rows_duplicate + rows_rejected."""

    source: str
    file_name: str
    file_sha256: str
    status: str
    batch_id: int | None = None
    rows_read: int = 0
    rows_new: int = 0
    rows_updated: int = 0
    rows_duplicate: int = 0
    rows_rejected: int = 0
    error: str | None = None
    seconds: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)
    #: A windowed re-read (a backfill) passes over records outside its days and rejects that the
    #: file's earlier batches already recorded; they are not counted as read.
    rows_passed_over: int = 0

    @property
    def rows_loaded(self) -> int:
        return self.rows_new + self.rows_updated

    def as_dict(self) -> dict:
        return asdict(self) | {"rows_loaded": self.rows_loaded}


def file_sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
    except FileNotFoundError:
        raise SourceReadError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SourceReadError(f"{path}: is a directory, not a file") from None
    return digest.hexdigest(), size


def archive_file(settings: Settings, path: Path, digest: str) -> Path:
    """Copy *path* into the content-addressed archive (idempotent, atomic). Returns the archive path."""
    target = settings.archive_dir / digest[:2] / f"{digest}{''.join(path.suffixes[-2:]).lower()}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + f".tmp{os.getpid()}")
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
    return target


def _check_columns(columns: list[str] | None, spec: SourceSpec, path: Path) -> None:
    if not columns:  # JSONL (no header) or an empty CSV
        return
    present = set(columns)  # a set: a header may have tens of thousands of columns
    missing = sorted({c for c in spec.columns.values() if c not in present and c.split(".")[0] not in present})
    if missing:
        raise SourceReadError(
            f"{path.name}: mapped column(s) {', '.join(missing)} not in the file (it has: {', '.join(columns[:30])})"
        )


def ingest_file(
    store: Store,
    settings: Settings,
    path: Path,
    spec: SourceSpec,
    *,
    run_id: int | None = None,
    window: Window | None = None,
    on_progress: Callable[[int], None] | None = None,
    archived_as: str | None = None,
    workers: IngestWorkers | None = None,
    following: tuple[SourceSpec, Path] | None = None,
) -> BatchResult:
    """Ingest one file as one batch. Raises SourceReadError (after recording a failed batch)
    when the file cannot be read at all. With a *window* (a backfill re-reading the archive),
    only records of those days are merged, and rejects already recorded for this file (the same
    reason and content: an erasure may have moved them) are not recorded again, so re-reading a
    file any number of times adds nothing twice. Tombstoned records (erased) are passed over.
    A caller ingesting several files passes *workers* (:func:`ingest_workers`) to start the worker
    processes once for all of them; without, a big file starts its own. With *workers* it also
    names the file it ingests next (*following*, a landing file: no window): the workers start on
    it while this one is merged and committed."""
    path = Path(path)
    started, clock = utcnow(), time.perf_counter()
    digest, size = file_sha256(path)
    if archived_as:  # re-reading the archive: the file keeps the identity it arrived with, even
        digest = archived_as  # after an erasure rewrote it (cxtext.ops.erasure)
    result = BatchResult(source=spec.name, file_name=path.name, file_sha256=digest, status="loaded")
    try:
        opened = open_records(
            path, spec.format, delimiter=spec.delimiter, max_record_chars=settings.limits.max_record_chars, parsed=False
        )
        _check_columns(opened.columns, spec, path)
        archived = path if archived_as else archive_file(settings, path, digest)
        # A file's queries need memory for the file, not the database: under a cap of its own,
        # what they read of feedback is not kept (at 1M records it was most of ingest's growth).
        # With worker processes on every core, its merges run on one thread (Store.one_thread).
        threads = store.one_thread() if settings.workers > 1 else nullcontext()
        with store.memory_capped(settings.ingest_memory_limit), threads, store.transaction():
            result.batch_id = store.next_id("batch_id_seq")
            key = _file_key(path, digest, spec, window)
            ahead = workers.sent_ahead(key) if workers is not None else None
            if ahead is not None:  # its first chunks were prepared while the previous file merged
                started = ahead.now
            context = ahead or _file_context(store, settings, spec, opened, digest, window)
            if workers is None:
                with ingest_workers(settings) as own:
                    _load(store, settings, opened, result, on_progress, own, key, context, None)
            else:
                _load(store, settings, opened, result, on_progress, workers, key, context, following)
            result.seconds = time.perf_counter() - clock
            _record_batch(store, result, run_id, spec, size, started)
            store.execute(
                "INSERT INTO archived_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [
                    digest,
                    spec.name,
                    spec.kind,
                    spec.format,
                    path.name,
                    size,
                    json.dumps(spec.to_json()),
                    str(archived.relative_to(settings.state_dir)),
                    result.batch_id,
                    utcnow(),
                ],
            )
    except (SourceReadError, *UNREADABLE) as exc:
        # The message may quote the file (a header that is a data row): redacted like a record.
        error = redact_text(
            str(exc) if isinstance(exc, SourceReadError) else f"{path.name}: could not be ingested ({type(exc).__name__}: {exc})",
            settings.pii_handles,
        )
        result = BatchResult(
            source=spec.name,
            file_name=path.name,
            file_sha256=digest,
            status="failed",
            error=error,
            seconds=time.perf_counter() - clock,
        )
        with store.transaction():
            result.batch_id = store.next_id("batch_id_seq")
            _record_batch(store, result, run_id, spec, size, started)
        raise SourceReadError(error) from None
    return result


def with_following(files: list[tuple[SourceSpec, Path]]) -> Iterator[tuple[SourceSpec, Path, tuple[SourceSpec, Path] | None]]:
    """Each (spec, path) of *files* with the one ingested after it: ingest_file's *following*."""
    for number, (spec, path) in enumerate(files, start=1):
        yield spec, path, files[number] if number < len(files) else None


@contextmanager
def ingest_workers(settings: Settings) -> Iterator[IngestWorkers]:
    """The `workers` processes that map, validate and redact the records of the files ingested in
    the block, started by the first file of at least `parallel_min_rows` records, stopped at its end."""
    shared = IngestWorkers(settings.workers, settings.parallel_min_rows)
    try:
        yield shared
    finally:
        shared.close()


def _record_batch(store: Store, result: BatchResult, run_id, spec: SourceSpec, size: int, started) -> None:
    store.execute(
        "INSERT INTO ingest_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.batch_id,
            run_id,
            spec.name,
            spec.kind,
            result.file_name,
            result.file_sha256,
            size,
            spec.format,
            result.status,
            result.rows_read,
            result.rows_loaded,
            result.rows_new,
            result.rows_updated,
            result.rows_duplicate,
            result.rows_rejected,
            result.error,
            started,
            utcnow(),
        ],
    )


def _file_key(path: Path, digest: str, spec: SourceSpec, window: Window | None) -> tuple:
    """What chunks prepared ahead must have been prepared for (IngestWorkers.sent_ahead)."""
    return (str(path), digest, spec, window)


def _file_context(
    store: Store, settings: Settings, spec: SourceSpec, opened: OpenedFile, digest: str, window: Window | None
) -> FileContext:
    """What every chunk of the file is prepared with: its source, the salt and PII policy, the
    erased records of its source and, for a re-read, the rejects its earlier batches recorded."""
    known_rejects = (
        set()
        if window is None
        else set(
            store.execute(
                "SELECT r.reason, r.raw FROM rejects r JOIN ingest_batches b USING (batch_id) "
                "WHERE b.file_sha256 = ? AND b.source = ?",
                [digest, spec.name],
            )
        )
    )
    salt = settings.salt()
    return FileContext(
        spec,
        opened.parse,
        salt,
        utcnow(),
        settings.pii_handles,
        settings.limits,
        settings.max_text_chars,
        Tombstones(store.execute("SELECT id_hash, content_hash FROM tombstones WHERE source = ?", [spec.name]), spec.name, salt),
        frozenset(known_rejects),
        window,
    )


def _read_ahead(store: Store, settings: Settings, spec: SourceSpec, path: Path):
    """The next file's key, context and records for IngestWorkers.prepared's *following*; None
    when it cannot be opened now (its own turn records why)."""
    try:
        digest, _ = file_sha256(path)
        opened = open_records(
            path, spec.format, delimiter=spec.delimiter, max_record_chars=settings.limits.max_record_chars, parsed=False
        )
        _check_columns(opened.columns, spec, path)
    except (SourceReadError, OSError, *UNREADABLE):
        return None
    return _file_key(path, digest, spec, None), _file_context(store, settings, spec, opened, digest, None), opened.records


def _load(
    store: Store,
    settings: Settings,
    opened: OpenedFile,
    result: BatchResult,
    on_progress,
    workers: IngestWorkers,
    key: tuple,
    context: FileContext,
    following: tuple[SourceSpec, Path] | None,
) -> None:
    now, handles = context.now, context.handles
    empty_staging = (
        f"SELECT NULL::BIGINT AS position, {', '.join(FEEDBACK_COLUMNS)}, NULL::VARCHAR AS raw FROM feedback WHERE false"
    )
    read_ahead = (lambda: _read_ahead(store, settings, *following)) if following else None
    with store.scratch_table("staging", empty_staging):
        with closing(workers.prepared(context, opened.records, settings.chunk_rows, key=key, following=read_ahead)) as chunks:
            for prepared in chunks:  # in the file's order, whichever process prepared them
                result.rows_read += prepared.staged.num_rows + prepared.rejected.num_rows
                result.rows_passed_over += prepared.passed_over
                for reason, count in prepared.reasons.items():
                    result.reasons[reason] = result.reasons.get(reason, 0) + count
                store.insert_arrow("staging", prepared.staged)
                store.insert_arrow("rejects", with_batch_id(prepared.rejected, result.batch_id))
                if on_progress:
                    on_progress(result.rows_read)
        _merge(store, result, now, handles, context.known_rejects)


def _merge(store: Store, result: BatchResult, now, handles: HandlePolicy, known_rejects: set) -> None:
    """Deduplicate the staged file and upsert it into feedback, counting each outcome.

    Within the file the last record of an id wins (a later line is a correction); an earlier one
    with identical content is a duplicate, with different content it is rejected as a conflict,
    raw content kept. Each id reaches the upsert once: DuckDB keeps the first of two rows with one
    key in an upsert batch without an error.
    """
    repeats = not store.scalar("SELECT count(*) = count(DISTINCT feedback_id) FROM staging")
    # A file of distinct ids (the usual one) ranks every row first and is read where it is staged:
    # copying 1M staged rows into ranked tables took 2-4 s of the main process's 20-25 s of ingest.
    rank = "row_number() OVER (PARTITION BY feedback_id ORDER BY position DESC)" if repeats else "1"
    with store.scratch_table("ranked", f"SELECT *, {rank} AS rn FROM staging", view=not repeats):
        _upsert_ranked(store, result, now, handles, known_rejects, repeats)


def _upsert_ranked(store: Store, result: BatchResult, now, handles: HandlePolicy, known_rejects: set, repeats: bool) -> None:
    """Reject in-file conflicts (where the file has an id more than once), count every outcome,
    then update changed rows and insert new ones."""
    earlier = (
        store.execute(
            "SELECT r.source, r.position, k.position, r.record_hash = k.record_hash, r.raw, r.customer_key, "
            "r.source_record_id FROM ranked r JOIN ranked k ON k.feedback_id = r.feedback_id AND k.rn = 1 WHERE r.rn > 1"
        )
        if repeats
        else []
    )
    conflicts = [row for row in earlier if not row[3]]
    already = [row for row in conflicts if ("conflicting_duplicate_id", clip_raw(row[4], handles)) in known_rejects]
    if already:  # a re-read: recorded by an earlier batch of this file
        conflicts = [row for row in conflicts if row not in already]
        result.rows_read -= len(already)
        result.rows_passed_over += len(already)
    in_file_duplicates = len(earlier) - len(conflicts)
    store.insert_arrow(
        "rejects",
        pa.Table.from_pylist(
            [
                {
                    "batch_id": result.batch_id,
                    "source": source,
                    "position": position,
                    "reason": "conflicting_duplicate_id",
                    "detail": f"same id as the record at position {kept} later in this file, with different content; the later one was kept",
                    "raw": clip_raw(raw, handles),
                    "rejected_at": now,
                    "customer_key": key,
                    "source_record_id": record_id,
                }
                for source, position, kept, _, raw, key, record_id in conflicts
            ],
            schema=REJECTS_SCHEMA,
        ),
    )
    new, updated, same = store.execute(
        "SELECT count(*) FILTER (f.feedback_id IS NULL), count(*) FILTER (f.record_hash <> k.record_hash), "
        "count(*) FILTER (f.record_hash = k.record_hash) "
        "FROM ranked k LEFT JOIN feedback f ON f.feedback_id = k.feedback_id WHERE k.rn = 1"
    )[0]
    changing = [c for c in FEEDBACK_COLUMNS if c != "feedback_id"]
    if updated:  # each statement scans feedback: a file of new records needs neither the update...
        store.execute(
            f"UPDATE feedback SET {', '.join(f'{c} = k.{c}' for c in changing)}, batch_id = ?, updated_at = ? "
            "FROM ranked k WHERE k.rn = 1 AND feedback.feedback_id = k.feedback_id AND feedback.record_hash <> k.record_hash",
            [result.batch_id, now],
        )
    cols = ", ".join(FEEDBACK_COLUMNS)
    if new:  # ... nor, of known ones, the insert
        store.execute(
            f"INSERT INTO feedback ({cols}, batch_id, first_seen_at, updated_at) SELECT {cols}, ?, ?, ? FROM ranked k "
            "WHERE k.rn = 1 AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.feedback_id = k.feedback_id)",
            [result.batch_id, now, now],
        )
    result.rows_new, result.rows_updated = new, updated
    result.rows_duplicate = same + in_file_duplicates
    result.rows_rejected = sum(result.reasons.values()) + len(conflicts)
    if conflicts:
        result.reasons["conflicting_duplicate_id"] = len(conflicts)


# -- the landing folders ----------------------------------------------------------------------


@dataclass
class LandingScan:
    """What a scan of the landing folders found."""

    new: list[tuple[SourceSpec, Path]] = field(default_factory=list)
    known: int = 0
    failed_before: list[tuple[Path, str]] = field(default_factory=list)
    unsettled: list[Path] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why a match was not read


#: A text file of a source without record ids whose last line has no line end is left this long
#: after its last change: a paused upload would otherwise load its cut last record, which stays
#: beside the complete one (nothing identifies them as the same record).
UNTERMINATED_GRACE_SECONDS = 3600.0


def _paused(spec: SourceSpec, path: Path, stat: os.stat_result) -> bool:
    """Whether *path* looks like an upload stopped mid-line (see UNTERMINATED_GRACE_SECONDS)."""
    if spec.format == "parquet" or "source_record_id" in spec.columns or stat.st_size == 0:
        return False
    if time.time() - stat.st_mtime >= UNTERMINATED_GRACE_SECONDS:
        return False
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) not in (b"\n", b"\r")


def scan_landing(store: Store, settings: Settings) -> LandingScan:
    """Find files in the configured landing folders that are new by content.

    Only files inside a source's landing folder are read: a match that leaves it (a pattern with
    "..", a link pointing elsewhere) is refused with the reason, and so is a pattern glob cannot
    use. A file still being written (its size or mtime changes across settle_seconds, or, for a
    source without record ids, its last line has no line end yet) is left for the next run; a file that failed before with the same content is not retried until it changes.
    """
    scan = LandingScan()
    candidates: list[tuple[SourceSpec, Path, os.stat_result]] = []
    for spec in settings.sources.values():
        if spec.landing is None or not spec.landing.is_dir():
            continue
        root = spec.landing.resolve()
        try:
            matches = sorted(spec.landing.glob(spec.pattern))
        except (NotImplementedError, ValueError) as exc:  # an absolute or empty pattern
            scan.refused.append(f"source {spec.name!r}: pattern {spec.pattern!r} cannot be used: {exc}")
            continue
        for path in matches:
            if not path.is_file() or path.name.startswith("."):
                continue
            if not path.resolve().is_relative_to(root):
                scan.refused.append(f"source {spec.name!r}: {path} is outside its landing folder {root}; not read")
                continue
            candidates.append((spec, path, path.stat()))
    youngest = max((c[2].st_mtime for c in candidates), default=0.0)
    wait = settings.settle_seconds - (time.time() - youngest)
    if candidates and wait > 0:
        time.sleep(wait)
    known = {(sha, src) for sha, src in store.execute("SELECT file_sha256, source FROM archived_files")}
    # Logged by the run: an error stored by an older version may quote the file, so redact it again.
    failed = {
        (sha, src): redact_text(err or "", settings.pii_handles)
        for sha, src, err in store.execute(
            "SELECT file_sha256, source, arg_max(error, batch_id) FROM ingest_batches WHERE status = 'failed' GROUP BY ALL"
        )
    }
    for spec, path, before in candidates:
        after = path.stat()
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or _paused(spec, path, after):
            scan.unsettled.append(path)
            continue
        digest, _ = file_sha256(path)
        if (digest, spec.name) in known:
            scan.known += 1
        elif (digest, spec.name) in failed:
            scan.failed_before.append((path, failed[(digest, spec.name)]))
        else:
            scan.new.append((spec, path))
    return scan
