"""The per-record work of ingest, a chunk of a file at a time: parse, map, validate, redact, pass
over erased records, and build the Arrow tables the main process stages.

This is most of ingest's CPU (the mapping and redaction of every record), and it needs no
database, so a big file's chunks go to `workers` processes (started with 'spawn', as enrichment's
are) while the main process reads the file and stays DuckDB's one writer. The results come back in
the file's order, so the staged rows, the rejects and their positions are those of one process.
"""

from __future__ import annotations

import itertools
import pickle
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from multiprocessing import get_context
from zoneinfo import ZoneInfo

import pyarrow as pa

from cxtext.config import LimitsConfig, SourceSpec
from cxtext.ingest.readers import RawRecord
from cxtext.ingest.records import Rejection, to_canonical
from cxtext.ingest.redact import HandlePolicy, redact_text
from cxtext.ingest.tombstones import Tombstones, reject_keys
from cxtext.store.schema import arrow_schema

RAW_LIMIT = 64 * 1024
#: Records per task when a file's chunks go to worker processes: small enough that a file of a
#: few tasks' records keeps every worker busy to its end, big enough that a task's overhead (its
#: pickling, an insert into the staging table) stays small against its work.
TASK_ROWS = 5_000

FEEDBACK_COLUMNS = (
    "feedback_id",
    "kind",
    "source",
    "source_record_id",
    "created_at",
    "title",
    "text",
    "text_hash",
    "record_hash",
    "rating",
    "nps",
    "csat",
    "ces",
    "product",
    "channel",
    "touchpoint",
    "region",
    "customer_key",
    "extra",
)
#: A parsed record waiting to be merged: its position in the file, feedback's columns, the raw line.
STAGING_SCHEMA = pa.schema([("position", pa.int64()), *arrow_schema("feedback", FEEDBACK_COLUMNS), ("raw", pa.string())])
REJECTS_SCHEMA = arrow_schema("rejects")


@dataclass(frozen=True)
class Window:
    """Days (inclusive, in *timezone*) a backfill re-reads; records outside are passed over."""

    first_day: date | None
    last_day: date | None
    timezone: str = "UTC"

    def contains(self, created_at) -> bool:
        day = created_at.replace(tzinfo=UTC).astimezone(ZoneInfo(self.timezone)).date()
        return (self.first_day is None or day >= self.first_day) and (self.last_day is None or day <= self.last_day)


def clip_raw(raw: str, handles: HandlePolicy) -> str:
    """Redact a raw record and cut it to RAW_LIMIT characters, saying how much was cut."""
    if len(raw) > RAW_LIMIT:
        raw = raw[:RAW_LIMIT] + f"…[cut: {len(raw) - RAW_LIMIT:,} more characters]"
    return redact_text(raw, handles)


@dataclass(frozen=True)
class FileContext:
    """What every chunk of one file is prepared with (sent to each worker process once)."""

    spec: SourceSpec
    #: Parses the reader's unparsed records (JSONL lines, CSV records): OpenedFile.parse.
    parse: Callable[[RawRecord], RawRecord | None] | None
    batch_id: int
    salt: str
    now: datetime
    handles: HandlePolicy
    limits: LimitsConfig
    max_text_chars: int
    tombstones: Tombstones
    #: (reason, redacted raw) of the rejects this file's earlier batches recorded (a backfill's re-read).
    known_rejects: frozenset = frozenset()
    window: Window | None = None


@dataclass
class Prepared:
    """One chunk, prepared: rows to stage, rejects to insert, and what was counted."""

    staged: pa.Table
    rejected: pa.Table
    reasons: dict[str, int] = field(default_factory=dict)
    passed_over: int = 0


def prepare_chunk(context: FileContext, records: list[RawRecord]) -> Prepared:
    """Parse (JSONL lines, CSV records), map, validate and redact *records* (in the file's order);
    blank lines, erased records, rejects an earlier batch of the file recorded and records outside
    a backfill's window are passed over."""
    spec, handles, salt, now = context.spec, context.handles, context.salt, context.now
    staged: list[dict] = []
    rejected: list[dict] = []
    reasons: dict[str, int] = {}
    passed_over = 0
    for record in records:
        if record.unparsed:  # parsed here, in a worker process when there are workers
            record = context.parse(record)
            if record is None:  # a blank line: not a record
                continue
        outcome = (
            Rejection(record.reason, record.detail or record.reason)
            if record.reason
            else to_canonical(
                record.data,
                spec,
                salt=salt,
                max_text_chars=context.max_text_chars,
                now=now,
                handles=handles,
                limits=context.limits,
            )
        )
        if context.tombstones.erased(record, spec):  # erased (cxtext forget): never loaded again
            passed_over += 1
        elif isinstance(outcome, Rejection) and (outcome.reason, clip_raw(record.raw, handles)) in context.known_rejects:
            passed_over += 1
        elif isinstance(outcome, Rejection):
            rejected.append(
                {
                    "batch_id": context.batch_id,
                    "source": spec.name,
                    "position": record.position,
                    "reason": outcome.reason,
                    "detail": outcome.detail,
                    "raw": clip_raw(record.raw, handles),
                    "rejected_at": now,
                    **reject_keys(record, spec, salt),
                }
            )
            reasons[outcome.reason] = reasons.get(outcome.reason, 0) + 1
        elif context.window is not None and not context.window.contains(outcome["created_at"]):
            passed_over += 1
        else:
            outcome["position"] = record.position
            outcome["raw"] = record.raw  # redacted only if it ever becomes a reject (rare)
            staged.append(outcome)
    return Prepared(
        pa.Table.from_pylist(staged, schema=STAGING_SCHEMA),
        pa.Table.from_pylist(rejected, schema=REJECTS_SCHEMA),
        reasons,
        passed_over,
    )


# -- the chunks of a file, in-process or over worker processes ----------------------------------

#: A worker process's current file: (its number, its context), unpickled once per file.
_current: tuple[int, FileContext | None] = (-1, None)
_files = itertools.count()


def _prepare_task(number: int, context: bytes, records: list[tuple]) -> Prepared:
    global _current
    if _current[0] != number:
        _current = (number, pickle.loads(context))
    return prepare_chunk(_current[1], [RawRecord(*fields) for fields in records])


def _chunks(records: Iterator[RawRecord], rows: int) -> Iterator[list[RawRecord]]:
    while chunk := list(itertools.islice(records, rows)):
        yield chunk


class IngestWorkers:
    """Worker processes for the per-record work of ingest, shared by the files ingested while it
    is open (starting them costs about a second), started by the first file big enough to repay
    it: at least *min_rows* records. With one worker every file is prepared in this process."""

    def __init__(self, workers: int, min_rows: int):
        self.workers, self.min_rows = workers, min_rows
        self._pool: ProcessPoolExecutor | None = None

    @property
    def started(self) -> bool:
        return self._pool is not None

    def prepared(self, context: FileContext, records: Iterable[RawRecord], chunk_rows: int) -> Iterator[Prepared]:
        """The file's records prepared chunk by chunk, in the file's order; with worker processes
        at most two chunks each in flight, so memory stays bounded whatever the file's size."""
        records = iter(records)
        head = list(itertools.islice(records, self.min_rows)) if self.workers > 1 and self._pool is None else []
        records = itertools.chain(head, records)
        if self.workers <= 1 or (self._pool is None and len(head) < self.min_rows):
            for chunk in _chunks(records, chunk_rows):
                yield prepare_chunk(context, chunk)
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"))
        number, pickled = next(_files), pickle.dumps(context)
        running: deque = deque()
        try:
            for chunk in _chunks(records, min(chunk_rows, TASK_ROWS)):
                fields = [(r.position, r.raw) if r.unparsed else tuple(r) for r in chunk]  # cheaper to pickle
                running.append(self._pool.submit(_prepare_task, number, pickled, fields))
                if len(running) >= 2 * self.workers:
                    yield running.popleft().result()
            while running:
                yield running.popleft().result()
        except BrokenProcessPool:  # a worker died (killed, out of memory): the next file starts anew
            self.close()
            raise
        finally:
            for future in running:  # the file failed: its chunks still waiting are not prepared
                future.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
