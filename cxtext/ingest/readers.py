"""Readers: turn a CSV, JSONL or Parquet file into a stream of raw records with their position.

A reader never stops at a bad record: it yields it with a reject reason, so the ingest step can
quarantine it and carry on. Only a file that cannot be read at all (missing, binary, UTF-16, a
CSV without the mapped columns, a broken Parquet file) raises SourceReadError, before anything
is yielded whenever that can be known up front.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from cxtext.errors import SourceReadError

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # size limits are a validation rule, not a parse error

_SURROGATE_RE = re.compile("[\udc80-\udcff]")
_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_SNIFF_BYTES = 8192
#: Deeper JSON records are rejected: mapping, redaction and storage walk them recursively.
MAX_JSON_DEPTH = 100


@dataclass(frozen=True)
class RawRecord:
    """One record as read. Either *data* is set, or *reason*/*detail* say why it is unreadable."""

    position: int
    raw: str
    data: dict | None = None
    reason: str | None = None
    detail: str | None = None


@dataclass
class OpenedFile:
    columns: list[str] | None  # CSV header; None for formats without one
    records: Iterator[RawRecord]


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
    if b"\x00" in head:
        raise SourceReadError(f"{path.name}: looks like a binary file (it contains NUL bytes), not text")
    return head


def open_records(path: Path, fmt: str, *, delimiter: str = ",") -> OpenedFile:
    """Open *path* and return its columns (CSV) and a lazy stream of records."""
    path = Path(path)
    if fmt == "parquet":
        return _open_parquet(path)
    _sniff(path)
    if fmt == "csv":
        return _open_csv(path, delimiter)
    if fmt == "jsonl":
        return OpenedFile(None, _jsonl_records(path))
    raise SourceReadError(f"{path.name}: unknown format {fmt!r}")


# -- CSV --------------------------------------------------------------------------------------


class _Lines:
    """Numbered physical lines with push-back, feeding csv.reader.

    After each record, ``taken`` holds the (line number, text) pairs it was made of; a record that
    went wrong across several lines can push all but its first line back to be parsed again.
    """

    def __init__(self, lines: Iterable[str]):
        self._source = enumerate(lines, start=1)
        self._pending: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        item = self._pending.popleft() if self._pending else next(self._source)
        self.taken.append(item)
        return item[1]

    def push_back(self, items: list[tuple[int, str]]) -> None:
        self._pending.extendleft(reversed(items))


def _open_csv(path: Path, delimiter: str) -> OpenedFile:
    handle = open(path, encoding="utf-8-sig", errors="surrogateescape", newline="")
    lines = _Lines(handle)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        handle.close()
        raise SourceReadError(f"{path.name}: cannot read the header: {exc}") from None
    if header is None:
        handle.close()
        return OpenedFile([], iter(()))
    columns = [name.strip() for name in header]
    if _SURROGATE_RE.search("".join(columns)):
        handle.close()
        raise SourceReadError(f"{path.name}: the header is not valid UTF-8")
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        handle.close()
        raise SourceReadError(f"{path.name}: the header repeats column(s) {', '.join(duplicated)}")
    lines.taken.clear()
    return OpenedFile(columns, _csv_records(handle, lines, reader, columns))


def _csv_records(handle, lines: _Lines, reader, columns: list[str]) -> Iterator[RawRecord]:
    with handle:
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a NUL byte further down the file
                taken, lines.taken = lines.taken, []
                yield RawRecord(taken[0][0] if taken else -1, printable("".join(t for _, t in taken)), reason="unreadable_row", detail=str(exc))
                continue
            taken, lines.taken = lines.taken, []
            if not taken:
                continue
            position = taken[0][0]
            raw = "".join(text for _, text in taken).rstrip("\r\n")
            if not fields or (len(fields) == 1 and not fields[0].strip() and len(columns) > 1):
                continue  # a blank line is not a record
            if _SURROGATE_RE.search(raw):
                yield RawRecord(position, printable(raw), reason="invalid_utf8", detail="the record is not valid UTF-8")
                continue
            if len(taken) > 1 and raw.count('"') % 2:
                # A quote that never closed swallowed the lines after it: reject the line it
                # started on and parse the rest again.
                lines.push_back(taken[1:])
                yield RawRecord(position, taken[0][1].rstrip("\r\n"), reason="unbalanced_quote",
                                detail="a quoted field is opened on this line and never closed")
                continue
            if len(fields) != len(columns):
                yield RawRecord(position, raw, reason="field_count",
                                detail=f"expected {len(columns)} fields, got {len(fields)}")
                continue
            yield RawRecord(position, raw, data=dict(zip(columns, fields)))


# -- JSONL ------------------------------------------------------------------------------------


def _jsonl_records(path: Path) -> Iterator[RawRecord]:
    with open(path, "rb") as handle:
        for position, line in enumerate(handle, start=1):
            if position == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            line = line.rstrip(b"\r\n")
            if not line.strip():
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                yield RawRecord(position, line.decode("utf-8", "backslashreplace"), reason="invalid_utf8",
                                detail="the line is not valid UTF-8")
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                yield RawRecord(position, text, reason="invalid_json", detail=f"not valid JSON: {exc.msg} (column {exc.colno})")
                continue
            except RecursionError:
                yield RawRecord(position, text, reason="invalid_json", detail="JSON nested too deeply")
                continue
            if not isinstance(value, dict):
                yield RawRecord(position, text, reason="not_an_object", detail=f"expected a JSON object, got {type(value).__name__}")
                continue
            problem = _json_problem(value) if "\\u" in text or text.count("{") + text.count("[") > MAX_JSON_DEPTH else None
            if problem:
                yield RawRecord(position, text, reason="invalid_json", detail=problem)
                continue
            yield RawRecord(position, text, data=value)


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


def _open_parquet(path: Path) -> OpenedFile:
    import pyarrow.parquet as pq

    if not path.is_file():
        raise SourceReadError(f"{path}: no such file")
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise SourceReadError(f"{path.name}: not a readable Parquet file: {exc}") from None
    return OpenedFile(list(parquet.schema_arrow.names), _parquet_records(parquet))


def _parquet_records(parquet) -> Iterator[RawRecord]:
    position = 0
    for batch in parquet.iter_batches(batch_size=10_000):
        for row in batch.to_pylist():
            position += 1
            yield RawRecord(position, json.dumps(row, default=str, ensure_ascii=False), data=row)
