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
#: Tasks per worker in flight once a file's last chunk is sent and the next file's go ahead: enough
#: to keep the workers busy while the main process merges and commits the file (about a second
#: at 50,000 records; 1M records in 50,000-record files: ingest 55 -> 51 s against two per worker).
AHEAD_TASKS = 4

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
                    "batch_id": None,  # set by the main process, which numbers the batch (with_batch_id)
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


def with_batch_id(rejected: pa.Table, batch_id: int) -> pa.Table:
    """*rejected* (prepare_chunk's rejects) with their batch: numbered when the file's transaction
    begins, which may be after its first chunks were prepared (IngestWorkers.prepared's *following*)."""
    column = rejected.schema.get_field_index("batch_id")
    return rejected.set_column(column, rejected.schema.field(column), pa.array([batch_id] * rejected.num_rows, pa.int64()))


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


@dataclass
class _Sending:
    """One file's chunks on their way to the worker processes: those in flight, in the file's order,
    and the records not sent yet."""

    key: object
    context: FileContext
    chunks: Iterator[list[RawRecord]]
    number: int = field(default_factory=lambda: next(_files))
    running: deque = field(default_factory=deque)

    def __post_init__(self):
        self.pickled = pickle.dumps(self.context)

    def send(self, pool: ProcessPoolExecutor) -> bool:
        """Send the next chunk; False when every chunk is sent."""
        chunk = next(self.chunks, None)
        if chunk is None:
            return False
        fields = [(r.position, r.raw) if r.unparsed else tuple(r) for r in chunk]  # cheaper to pickle
        self.running.append(pool.submit(_prepare_task, self.number, self.pickled, fields))
        return True

    def cancel(self) -> None:
        for future in self.running:
            future.cancel()


#: What IngestWorkers.prepared's *following* gives: the next file's key, context and records.
Following = Callable[[], tuple[object, FileContext, Iterable[RawRecord]] | None]


class IngestWorkers:
    """Worker processes for the per-record work of ingest, shared by the files ingested while it
    is open (starting them costs about a second), started by the first file big enough to repay
    it: at least *min_rows* records. With one worker every file is prepared in this process."""

    def __init__(self, workers: int, min_rows: int):
        self.workers, self.min_rows = workers, min_rows
        self._pool: ProcessPoolExecutor | None = None
        self._ahead: _Sending | None = None

    @property
    def started(self) -> bool:
        return self._pool is not None

    def sent_ahead(self, key) -> FileContext | None:
        """The context a file's first chunks were sent with while the previous file was merged
        (prepared's *following*), if that file has *key*; chunks sent ahead for another are dropped."""
        if self._ahead is not None and self._ahead.key != key:
            self._drop_ahead()
        return self._ahead.context if self._ahead else None

    def _drop_ahead(self) -> None:
        if self._ahead is not None:
            self._ahead.cancel()
            self._ahead = None

    def prepared(
        self,
        context: FileContext,
        records: Iterable[RawRecord],
        chunk_rows: int,
        *,
        key=None,
        following: Following | None = None,
    ) -> Iterator[Prepared]:
        """The file's records prepared chunk by chunk, in the file's order; with worker processes
        at most two chunks per worker in flight (AHEAD_TASKS with the next file's), so memory stays
        bounded whatever the file's size.

        With worker processes, once this file's last chunk is sent, *following* (if given) names
        the file the caller ingests next: its first chunks take the free places, so the workers
        keep busy while this file's last chunks come back and the caller merges and commits it
        (at 1M records in files of 50,000 they otherwise stood idle a fifth of ingest). The
        caller's next file takes them over by its *key* (sent_ahead, then its context here); a
        file that cannot be read ahead is left to its own turn, which meets the error itself."""
        task_rows = min(chunk_rows, TASK_ROWS)
        if self._ahead is not None and self._ahead.key == key and self._ahead.context is context:
            current, self._ahead = self._ahead, None
        else:
            self._drop_ahead()
            records = iter(records)
            head = list(itertools.islice(records, self.min_rows)) if self.workers > 1 and self._pool is None else []
            records = itertools.chain(head, records)
            if self.workers <= 1 or (self._pool is None and len(head) < self.min_rows):
                for chunk in _chunks(records, chunk_rows):
                    yield prepare_chunk(context, chunk)
                return
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"))
            current = _Sending(key, context, _chunks(records, task_rows))
        after: _Sending | None = None
        try:
            while True:
                while (
                    len(current.running) + (len(after.running) if after else 0)
                    < (2 if after is None else AHEAD_TASKS) * self.workers
                ):
                    if current.send(self._pool):
                        continue
                    try:  # a failure to read the next file is its own: its turn meets and records it
                        if following is not None:
                            ahead, following = following(), None
                            after = _Sending(ahead[0], ahead[1], _chunks(iter(ahead[2]), task_rows)) if ahead else None
                        if after is None or not after.send(self._pool):
                            break
                    except Exception:  # noqa: BLE001
                        if after is not None:
                            after.cancel()
                        after = None
                        break
                if not current.running:
                    break
                yield current.running.popleft().result()
        except BaseException as exc:  # the file failed (or its reader stopped): nothing of it goes on
            current.cancel()
            if after is not None:
                after.cancel()
            if isinstance(exc, BrokenProcessPool):  # a worker died (killed, out of memory): the next file starts anew
                self.close()
            raise
        self._ahead = after

    def close(self) -> None:
        self._drop_ahead()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
