"""Readers: turn a CSV, JSONL or Parquet file into a stream of raw records with their position.

A reader never stops at a bad record: it yields it with a reject reason, so the ingest step can
quarantine it and carry on. Only a file that cannot be read at all (missing, binary, UTF-16, a
CSV without the mapped columns, a broken Parquet file) raises SourceReadError, before anything
is yielded whenever that can be known up front.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import NamedTuple

from cxtext.errors import SourceReadError

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # size limits are a validation rule, not a parse error

_SURROGATE_RE = re.compile("[\udc80-\udcff]")
_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_SNIFF_BYTES = 8192
#: Deeper JSON records are rejected: mapping, redaction and storage walk them recursively.
MAX_JSON_DEPTH = 100
#: The default of [limits] max_record_chars.
MAX_RECORD_CHARS = 4_000_000
#: A file whose first block is more than this share of control bytes is binary, not text; a few
#: NUL bytes in a text file cost only the records holding them.
_BINARY_SHARE = 0.10
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r")


class RawRecord(NamedTuple):
    """One record as read. Either *data* is set, or *reason*/*detail* say why it is unreadable.
    A named tuple: made for every record, and again in a worker process, it costs a third of a
    frozen dataclass."""

    position: int
    raw: str
    data: dict | None = None
    reason: str | None = None
    detail: str | None = None

    @property
    def unparsed(self) -> bool:
        """Read but not parsed yet: a JSONL line or CSV record from open_records(..., parsed=False)."""
        return self.data is None and self.reason is None


@dataclass
class OpenedFile:
    columns: list[str] | None  # CSV header; None for formats without one
    records: Iterator[RawRecord]
    #: Parses an unparsed record (None: a blank line, not a record); picklable, for worker processes.
    parse: Callable[[RawRecord], RawRecord | None] | None = None


def printable(raw: str) -> str:
    """Show undecodable bytes as \\xNN so a raw record can be stored as valid text."""
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _sniff(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise SourceReadError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SourceReadError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise SourceReadError(f"{path}: cannot be read: {exc.strerror}") from None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceReadError(f"{path.name}: is UTF-16 encoded; save it as UTF-8 and ingest it again")
    if head and len(head) - len(head.translate(None, _CONTROL_BYTES)) > _BINARY_SHARE * len(head):
        raise SourceReadError(f"{path.name}: looks like a binary file (it is mostly control bytes), not text")
    return head


def open_records(
    path: Path, fmt: str, *, delimiter: str = ",", max_record_chars: int = MAX_RECORD_CHARS, parsed: bool = True
) -> OpenedFile:
    """Open *path* and return its columns (CSV) and a lazy stream of records. A record longer
    than *max_record_chars* is rejected (record_too_large) without being held in memory whole.
    With parsed=False a JSONL line or CSV record comes unparsed (RawRecord.unparsed; the opened
    file's parse parses it), so that ingest can parse in its worker processes."""
    path = Path(path)
    if fmt == "parquet":
        return _open_parquet(path, max_record_chars)
    _sniff(path)
    if fmt == "csv":
        opened = _open_csv(path, delimiter, max_record_chars)
    elif fmt == "jsonl":
        opened = OpenedFile(None, _jsonl_lines(path, max_record_chars), parse_jsonl)
    else:
        raise SourceReadError(f"{path.name}: unknown format {fmt!r}")
    if parsed:
        opened.records = _parsed(opened.records, opened.parse)
    return opened


def _parsed(records: Iterator[RawRecord], parse) -> Iterator[RawRecord]:
    for record in records:
        if record.unparsed:
            record = parse(record)
        if record is not None:
            yield record


# -- CSV --------------------------------------------------------------------------------------


class RecordTooLarge(Exception):
    """Raised through csv.reader when the record being read passes the size limit."""


class _Lines:
    """Numbered physical lines with push-back, feeding csv.reader.

    After each record, ``take()`` gives the (line number, text) pairs it was made of; a record that
    went wrong across several lines can push all but its first line back to be parsed again. A
    record longer than *limit* characters raises RecordTooLarge once the reader is past it (its
    long lines, and while a quote is open the lines after them), read in pieces of *limit* and
    dropped but for its start: it is never held whole.
    """

    def __init__(self, handle, limit: int):
        self._handle, self.limit = handle, limit
        self._number, self._line_ended = 0, True
        self._pending: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []
        self._size = 0

    def __iter__(self):
        return self

    def _read(self, size: int) -> tuple[int, str] | None:
        if self._pending:
            return self._pending.popleft()
        line = self._handle.readline(size)
        if not line:
            return None
        if self._line_ended:
            self._number += 1
        self._line_ended = line.endswith(("\n", "\r"))
        return self._number, line

    def __next__(self) -> str:
        item = self._read(self.limit + 1)
        if item is None:
            raise StopIteration
        self.taken.append(item)
        self._size += len(item[1])
        if self._size > self.limit:
            self._skip_rest()
            raise RecordTooLarge
        return item[1]

    def _skip_rest(self) -> None:
        quotes = sum(text.count('"') for _, text in self.taken)
        ended = self.taken[-1][1].endswith(("\n", "\r"))
        self.taken = [(self.taken[0][0], "".join(text for _, text in self.taken)[:_SNIFF_BYTES])]
        while not ended or quotes % 2:
            item = self._read(self.limit)
            if item is None:
                return
            quotes += item[1].count('"')
            ended = item[1].endswith(("\n", "\r"))

    def take(self) -> list[tuple[int, str]]:
        taken, self.taken, self._size = self.taken, [], 0
        return taken

    def push_back(self, items: list[tuple[int, str]]) -> None:
        self._pending.extendleft(reversed(items))


def _open_csv(path: Path, delimiter: str, max_record_chars: int) -> OpenedFile:
    handle = open(path, encoding="utf-8-sig", errors="surrogateescape", newline="")
    lines = _Lines(handle, max_record_chars)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        handle.close()
        raise SourceReadError(f"{path.name}: cannot read the header: {exc}") from None
    except RecordTooLarge:
        handle.close()
        raise SourceReadError(f"{path.name}: the header is longer than max_record_chars={max_record_chars:,}") from None
    if header is None:
        handle.close()
        return OpenedFile([], iter(()))
    columns = [name.strip() for name in header]
    if _SURROGATE_RE.search("".join(columns)):
        handle.close()
        raise SourceReadError(f"{path.name}: the header is not valid UTF-8")
    counts = Counter(columns)  # not columns.count(): a header may have tens of thousands of columns
    duplicated = sorted(c for c, n in counts.items() if n > 1)
    if duplicated:
        handle.close()
        raise SourceReadError(f"{path.name}: the header repeats column(s) {', '.join(duplicated[:30])}")
    lines.take()
    records = _csv_records(handle, lines, tuple(columns), delimiter)
    return OpenedFile(columns, records, partial(parse_csv, tuple(columns), delimiter))


@lru_cache
def _quote_left_open(delimiter: str):
    """The match of a line that leaves a quoted field open, so that its record goes on past the
    line's end. As csv.reader reads (the default dialect): a quote opens a quoted field only at a
    field's start (the line's start or after a delimiter; elsewhere it is plain text); inside, ""
    is a quote and the next single quote closes the field. (A line's only line end is its last.)"""
    d = re.escape(delimiter)
    text = '[^"]*+(?:""[^"]*+)*+'  # a quoted field's text, up to its closing quote
    plain, literal, opens = '[^"]++', f'(?<=[^{d}])"', f'(?<![^{d}])"'
    return re.compile(f'(?:{plain}|{literal}|{opens}{text}")*+{opens}{text}\\Z').match


def _csv_records(handle, lines: _Lines, columns: tuple[str, ...], delimiter: str) -> Iterator[RawRecord]:
    """The records of a CSV file, unparsed (parse_csv parses one, in ingest's worker processes):
    here only where each ends is found, the line that closes its last quoted field. A record too
    large, or a quote that never closed, is rejected here: where the next record starts depends on it."""
    opens = _quote_left_open(delimiter)
    with handle:
        while True:
            try:
                line = next(lines)
                if '"' in line and opens(line):
                    while (line := next(lines, None)) is not None and opens('"' + line):
                        pass
            except StopIteration:
                return
            except RecordTooLarge:  # the record's lines were passed over: a new one starts on the next line
                taken = lines.take()
                yield RawRecord(
                    taken[0][0] if taken else -1,
                    printable("".join(t for _, t in taken)[:_SNIFF_BYTES]),
                    reason="record_too_large",
                    detail=f"the record is longer than max_record_chars={lines.limit:,}",
                )
                continue
            taken = lines.take()
            if len(taken) == 1:
                yield RawRecord(*taken[0])
                continue
            record = RawRecord(taken[0][0], "".join(text for _, text in taken))
            if _swallowed(record, columns, delimiter):
                # A quote that never closed swallowed the lines after it: reject the line it
                # started on and read the rest again. (An odd quote in an unquoted field, an inch
                # mark, is valid CSV and stays.)
                lines.push_back(taken[1:])
                yield RawRecord(
                    record.position,
                    taken[0][1].rstrip("\r\n"),
                    reason="unbalanced_quote",
                    detail="a quoted field is opened on this line and never closed",
                )
                continue
            yield record


def _swallowed(record: RawRecord, columns: tuple[str, ...], delimiter: str) -> bool:
    """Whether a record read across several lines is a quote that never closed swallowing the
    lines after it: not valid CSV as it stands (a quoted field not closed, or not followed by a
    delimiter or the end). A blank record is passed over, and one not UTF-8 or holding a NUL
    byte rejected, whole, before that is asked."""
    parsed = parse_csv(columns, delimiter, record)
    if parsed is None or parsed.reason in ("unreadable_row", "invalid_utf8", "nul_byte"):
        return False
    try:
        strict = list(csv.reader(io.StringIO(parsed.raw), delimiter=delimiter, strict=True))
    except csv.Error:
        return True
    return strict != [next(csv.reader((record.raw,), _dialect(delimiter)))]


@lru_cache
def _dialect(delimiter: str):
    """A reader's dialect, made once: csv.reader makes a new one from keywords (a third of a short record's parse)."""
    return csv.reader((), delimiter=delimiter).dialect


def parse_csv(columns: tuple[str, ...], delimiter: str, record: RawRecord) -> RawRecord | None:
    """An unparsed CSV record (from open_records(..., parsed=False)) parsed, or rejected; None
    for a blank line, which is not a record. (The record comes last: a partial with positional
    arguments is the cheaper call, once a record.)"""
    position, text = record.position, record.raw
    try:
        fields = next(csv.reader((text,), _dialect(delimiter)))
    except csv.Error as exc:
        return RawRecord(position, printable(text), reason="unreadable_row", detail=str(exc))
    if not fields or (len(fields) == 1 and not fields[0].strip() and len(columns) > 1):
        return None
    raw = text.rstrip("\r\n")
    if not raw.isascii() and _SURROGATE_RE.search(raw):  # isascii() costs nothing: a flag of the string
        return RawRecord(position, printable(raw), reason="invalid_utf8", detail="the record is not valid UTF-8")
    if "\x00" in raw:
        return RawRecord(
            position, printable(raw.replace("\x00", "\\x00")), reason="nul_byte", detail="the record contains a NUL byte"
        )
    if len(fields) != len(columns):
        return RawRecord(position, raw, reason="field_count", detail=f"expected {len(columns)} fields, got {len(fields)}")
    return RawRecord(position, raw, data=dict(zip(columns, fields)))


# -- JSONL ------------------------------------------------------------------------------------


def _jsonl_lines(path: Path, limit: int) -> Iterator[RawRecord]:
    """The lines of a JSONL file as unparsed records (see parse_jsonl), or rejected when too
    large or not UTF-8: what must be read in order, so ingest's main process does only this and
    its worker processes parse."""
    with open(path, "rb") as handle:
        for position, line in enumerate(iter(lambda: handle.readline(limit + 1), b""), start=1):
            if len(line) > limit:
                head = line[:_SNIFF_BYTES].decode("utf-8", "backslashreplace")
                while line and not line.endswith(b"\n"):  # the rest of the line, in pieces
                    line = handle.readline(limit)
                yield RawRecord(
                    position,
                    head,
                    reason="record_too_large",
                    detail=f"the line is longer than max_record_chars={limit:,}",
                )
                continue
            if position == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            line = line.rstrip(b"\r\n")
            if not line.strip():
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                yield RawRecord(
                    position,
                    line.decode("utf-8", "backslashreplace"),
                    reason="invalid_utf8",
                    detail="the line is not valid UTF-8",
                )
                continue
            yield RawRecord(position, text)


def parse_jsonl(record: RawRecord) -> RawRecord:
    """An unparsed JSONL record (from open_records(..., parsed=False)) parsed, or rejected."""
    text, position = record.raw, record.position
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return RawRecord(position, text, reason="invalid_json", detail=f"not valid JSON: {exc.msg} (column {exc.colno})")
    except RecursionError:
        return RawRecord(position, text, reason="invalid_json", detail="JSON nested too deeply")
    if not isinstance(value, dict):
        return RawRecord(position, text, reason="not_an_object", detail=f"expected a JSON object, got {type(value).__name__}")
    problem = _json_problem(value) if "\\u" in text or text.count("{") + text.count("[") > MAX_JSON_DEPTH else None
    if problem:
        return RawRecord(position, text, reason="invalid_json", detail=problem)
    return RawRecord(position, text, data=value)


def _json_problem(value) -> str | None:
    """What makes a parsed JSON value unusable although it parsed: nesting deeper than
    MAX_JSON_DEPTH, or a \\ud800-\\udfff escape that is not half of a pair (no Unicode character,
    so no UTF-8 to store it as)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"nested deeper than {MAX_JSON_DEPTH} levels"
        if isinstance(node, str):
            if _LONE_SURROGATE_RE.search(node):
                return "a \\u escape names a lone surrogate, not a Unicode character"
        elif isinstance(node, dict):
            stack.extend((k, depth) for k in node)
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return None


# -- Parquet ----------------------------------------------------------------------------------


def _open_parquet(path: Path, limit: int) -> OpenedFile:
    import pyarrow.parquet as pq

    if not path.is_file():
        raise SourceReadError(f"{path}: no such file")
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise SourceReadError(f"{path.name}: not a readable Parquet file: {exc}") from None
    return OpenedFile(list(parquet.schema_arrow.names), _parquet_records(parquet, limit))


def _parquet_records(parquet, limit: int) -> Iterator[RawRecord]:
    """Rows in batches of 1,000; a row whose text and binary values pass *limit* characters is
    rejected before it becomes Python objects."""
    import pyarrow as pa
    import pyarrow.compute as pc

    position = 0
    for batch in parquet.iter_batches(batch_size=1_000):
        sizes = pa.array([0] * batch.num_rows, pa.int64())
        for column in batch.columns:
            if (
                pa.types.is_string(column.type)
                or pa.types.is_binary(column.type)
                or pa.types.is_large_string(column.type)
                or pa.types.is_large_binary(column.type)
            ):
                sizes = pc.add(sizes, pc.fill_null(pc.binary_length(column), 0))
        fits = pc.less_equal(sizes, limit)
        rows = iter(batch.filter(fits).to_pylist())
        for ok in fits.to_pylist():
            position += 1
            if not ok:
                yield RawRecord(
                    position, "", reason="record_too_large", detail=f"the row is longer than max_record_chars={limit:,}"
                )
                continue
            row = next(rows)
            yield RawRecord(position, json.dumps(row, default=str, ensure_ascii=False), data=row)
