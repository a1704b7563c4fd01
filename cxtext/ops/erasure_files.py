"""Erasure in files: archived source files of every format rewritten without a customer's records,
and the stray copies (a killed ingest's ``.tmp``, a killed rewrite's new file) swept away.

Every rewrite writes a new file under the hash of its new content and renames it into place; the
old file is deleted only after the archive's index points at the new one (cxtext.ops.erasure), so
index and files agree at every instant a kill can land on.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from cxtext.config import Settings, make_source_spec
from cxtext.ingest.readers import open_records
from cxtext.ingest.records import lookup
from cxtext.ingest.redact import hash_customer_key
from cxtext.ingest.tombstones import content_hash, id_hash, raw_words
from cxtext.store.db import Store
from cxtext.store.publish import fsync


@dataclass(frozen=True)
class Match:
    """Whom an erasure removes, as the journal keeps it: the keyed hash of a customer key (never
    the key), or one record by its source and exact id."""

    customer_hash: str | None = None
    source: str | None = None
    record_id: str | None = None

    def as_json(self) -> dict:
        return {"customer_hash": self.customer_hash, "source": self.source, "record_id": self.record_id}

    def record(self, data: dict | None, raw: str, spec, salt: str) -> bool:
        """Whether a record read from a file of *spec* is the target's."""
        if self.source is not None and spec.name != self.source:
            return False
        if data is None:  # unparsable: its fields are all there is (a record id is never guessed)
            return self.customer_hash is not None and any(
                hash_customer_key(word, salt) == self.customer_hash for word in raw_words(raw, spec.delimiter)
            )
        column = spec.columns.get("customer_key" if self.customer_hash else "source_record_id")
        value = lookup(data, column) if column else None
        if value is None or not str(value).strip():
            return False
        if self.customer_hash:
            return hash_customer_key(str(value), salt) == self.customer_hash
        return str(value).strip() == self.record_id


@dataclass
class Scrubbed:
    """A file's bytes without the target's records, and the tombstones of the records removed."""

    data: bytes
    tombstones: list[tuple[str, str | None, str]] = field(default_factory=list)


def _line_count(raw: str) -> int:
    """Physical lines of a record's raw text as the CSV reader counts them (\\n, \\r\\n or \\r)."""
    return max(len(io.StringIO(raw, newline="").readlines()), 1)


def scrub_file(path: Path, spec, match: Match, salt: str) -> Scrubbed | None:
    """The file without the target's records (every other byte kept), or None when it holds none."""
    drop: set[int] = set()
    stones = []
    for record in open_records(path, spec.format, delimiter=spec.delimiter).records:
        if match.record(record.data, record.raw, spec, salt):
            span = 1 if spec.format != "csv" else _line_count(record.raw)
            drop.update(range(record.position, record.position + span))
            rid_column = spec.columns.get("source_record_id")
            rid = lookup(record.data, rid_column) if rid_column and record.data is not None else None
            stones.append(
                (
                    spec.name,
                    id_hash(spec.name, str(rid), salt) if rid not in (None, "") else None,
                    content_hash(spec.name, record.raw, salt),
                )
            )
    if not drop:
        return None
    data = path.read_bytes()
    if spec.format == "parquet":
        return Scrubbed(_parquet_without(path, drop), stones)
    if spec.format == "csv":  # line numbers as the CSV reader counts them
        bom = data.startswith(b"\xef\xbb\xbf")
        text = data[3 if bom else 0 :].decode("utf-8", "surrogateescape")
        lines = io.StringIO(text, newline="").readlines()
        kept = "".join(line for number, line in enumerate(lines, start=1) if number not in drop)
        return Scrubbed((b"\xef\xbb\xbf" if bom else b"") + kept.encode("utf-8", "surrogateescape"), stones)
    lines = data.split(b"\n")  # JSONL lines as its reader counts them
    return Scrubbed(b"\n".join(line for number, line in enumerate(lines, start=1) if number not in drop), stones)


def _parquet_without(path: Path, rows: set[int]) -> bytes:
    """The Parquet file without its rows numbered *rows* (from 1, as the reader counts them)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    keep = pa.array([number not in rows for number in range(1, table.num_rows + 1)])
    sink = pa.BufferOutputStream()
    pq.write_table(table.filter(keep), sink)
    return sink.getvalue().to_pybytes()


@dataclass
class Rewrite:
    """One archived file rewritten: the index row to point at *new_path* (relative to the state folder)."""

    file_sha256: str
    source: str
    old_path: str
    new_path: str
    size: int


def scrub_archive(store: Store, settings: Settings, match: Match) -> tuple[list[Rewrite], list[tuple]]:
    """Write, beside the old ones, the archived files that hold the target's records without them.
    The index is not changed here: the caller points it at the new files in its transaction."""
    salt = settings.salt()
    rewrites, stones = [], []
    rows = store.execute(
        "SELECT file_sha256, source, mapping, archive_path FROM archived_files "
        "WHERE archive_path IS NOT NULL AND (? IS NULL OR source = ?) ORDER BY archive_path",
        [match.source, match.source],
    )
    for sha, source, mapping, archive_path in rows:
        spec = make_source_spec(source, json.loads(mapping))
        path = settings.state_dir / archive_path
        if not path.is_file():
            continue
        scrubbed = scrub_file(path, spec, match, salt)
        if scrubbed is None:
            continue
        digest = hashlib.sha256(scrubbed.data).hexdigest()
        new_path = settings.archive_dir / digest[:2] / (digest + "".join(path.suffixes[-2:]).lower())
        new_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = new_path.with_name(new_path.name + ".tmp")
        tmp.write_bytes(scrubbed.data)
        fsync(tmp)
        os.replace(tmp, new_path)
        fsync(new_path.parent)
        rewrites.append(Rewrite(sha, source, archive_path, str(new_path.relative_to(settings.state_dir)), len(scrubbed.data)))
        stones += scrubbed.tombstones
    return rewrites, stones


def sweep_archive(store: Store, settings: Settings) -> list[Path]:
    """Delete every file in the archive folder its index does not name: old versions of rewritten
    files, a killed rewrite's new file, a killed ingest's ``.tmp`` copy (its landing file is read
    again). Run under the writer lock, so no ingest is copying a file in."""
    if not settings.archive_dir.is_dir():
        return []
    named = {
        settings.state_dir / p for (p,) in store.execute("SELECT archive_path FROM archived_files WHERE archive_path IS NOT NULL")
    }
    removed = [p for p in settings.archive_dir.rglob("*") if p.is_file() and p not in named]
    for path in removed:
        path.unlink()
    return removed
