"""The right to erasure: remove a customer's feedback (or one source record) and everything
derived from it from the working database, the archive, every kept snapshot and the report.

Deleted rows stay in a DuckDB file's free blocks until it is rewritten, so every database touched
is rewritten (``COPY FROM DATABASE`` into a new file, renamed over the old one). The archive keeps
original files by content: each one holding the records is rewritten without them (the lines of
those records dropped, every other byte kept) under the hash of its new content; its
``archived_files.file_sha256`` stays the hash of the file as it arrived, so the landing scan still
knows the original and does not ingest it again. Nothing identifying is recorded: the audit row
(``erasures``) has a random request id and counts.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cxtext.insights.daily import refresh_daily
from cxtext.insights.refresh import publish_with_aggregates, refresh_aggregates
from cxtext.config import Settings, make_source_spec
from cxtext.errors import CxtextError
from cxtext.ingest.readers import open_records
from cxtext.ingest.records import lookup
from cxtext.ingest.redact import hash_customer_key
from cxtext.store.db import PUBLISHED_STORAGE_VERSION, Store, utcnow
from cxtext.store.publish import Published, fsync, snapshot_files
from cxtext.store.schema import PER_FEEDBACK_RESULTS, sql_literal
from cxtext.store.workspace import Workspace

#: Tables whose rows hang off a feedback id, removed with the feedback.


@dataclass(frozen=True)
class Target:
    """Whom to forget: a customer (the raw key, as the source sends it) or one source record."""

    customer: str | None = None
    source: str | None = None
    record_id: str | None = None

    def __post_init__(self):
        if bool(self.customer) == bool(self.source and self.record_id):
            raise CxtextError("give either --customer KEY, or --source SOURCE with --record-id ID")

    @property
    def kind(self) -> str:
        return "customer" if self.customer else "record"

    def where(self, salt: str) -> tuple[str, list]:
        """SQL condition on feedback, and its parameters."""
        if self.customer:
            return "customer_key = ?", [hash_customer_key(self.customer, salt)]
        return "source = ? AND source_record_id = ?", [self.source, self.record_id]

    def rejects_where(self) -> tuple[str, list]:
        """Rejected raw records that mention the key (or the record id, in its source) as a word."""
        token = self.customer.strip() if self.customer else self.record_id
        condition = "regexp_matches(raw, ?)"
        params = ["(?i)(^|[^0-9A-Za-z])" + re.escape(token) + "($|[^0-9A-Za-z])"]
        if self.source:
            condition += " AND source = ?"
            params.append(self.source)
        return condition, params


@dataclass
class Erasure:
    erasure_id: str
    rows: dict[str, int] = field(default_factory=dict)
    archive_files: int = 0
    snapshots: int = 0


def erase_rows(con: duckdb.DuckDBPyConnection, target: Target, salt: str) -> dict[str, int]:
    """Delete the target's feedback, what derives from it and its rejects; rows removed per table."""
    where, params = target.where(salt)
    ids = [r[0] for r in con.execute(f"SELECT feedback_id FROM feedback WHERE {where}", params).fetchall()]
    counts: dict[str, int] = {}
    con.execute("CREATE OR REPLACE TEMP TABLE _forget AS SELECT unnest(?::VARCHAR[]) AS feedback_id", [ids])
    for table in (*PER_FEEDBACK_RESULTS, "feedback"):
        counts[table] = con.execute(f"DELETE FROM {table} WHERE feedback_id IN (SELECT feedback_id FROM _forget)").fetchone()[0]
    con.execute("DROP TABLE _forget")
    condition, params = target.rejects_where()
    counts["rejects"] = con.execute(f"DELETE FROM rejects WHERE {condition}", params).fetchone()[0]
    return counts


def compact(path: Path, *, storage_version: str | None = None) -> None:
    """Rewrite a database file so that deleted rows are gone from its bytes too."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.compacting")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("CHECKPOINT")
        source = con.execute("SELECT current_database()").fetchone()[0]
        option = f" (STORAGE_VERSION '{storage_version}')" if storage_version else ""
        con.execute(f"ATTACH {sql_literal(str(tmp))} AS cxtext_compact{option}")
        con.execute(f'COPY FROM DATABASE "{source}" TO cxtext_compact')
        for name, value in con.execute("SELECT sequence_name, last_value FROM duckdb_sequences() "
                                       "WHERE database_name = current_database()").fetchall():
            if value is not None:  # COPY FROM DATABASE starts sequences afresh: carry on from where they were
                con.execute(f"DROP SEQUENCE cxtext_compact.{name}")
                con.execute(f"CREATE SEQUENCE cxtext_compact.{name} START {value + 1}")
        con.execute("DETACH cxtext_compact")
    finally:
        con.close()
    fsync(tmp)
    os.replace(tmp, path)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    fsync(path.parent)


def _matches(record, spec, target: Target, salt: str) -> bool:
    if record.data is None:  # unreadable: its raw text is all there is
        token = target.customer.strip() if target.customer else target.record_id
        return re.search("(^|[^0-9A-Za-z])" + re.escape(token) + "($|[^0-9A-Za-z])", record.raw, re.IGNORECASE) is not None
    if target.customer:
        column = spec.columns.get("customer_key")
        value = lookup(record.data, column) if column else None
        return value not in (None, "") and hash_customer_key(str(value), salt) == hash_customer_key(target.customer, salt)
    column = spec.columns.get("source_record_id")
    value = lookup(record.data, column) if column else None
    return value is not None and str(value).strip() == target.record_id


def scrub_file(path: Path, spec, target: Target, salt: str) -> bytes | None:
    """The file's bytes without the target's records, or None when it holds none."""
    if spec.format == "parquet":
        return _scrub_parquet(path, spec, target, salt)
    drop: set[int] = set()
    for record in open_records(path, spec.format, delimiter=spec.delimiter).records:
        if _matches(record, spec, target, salt):
            first = record.position
            drop.update(range(first, first + record.raw.count("\n") + 1))
    if not drop:
        return None
    data = path.read_bytes()
    if spec.format == "csv":  # line numbers as the CSV reader counts them (\n, \r\n or \r)
        bom = data.startswith(b"\xef\xbb\xbf")
        text = data[3 if bom else 0:].decode("utf-8", "surrogateescape")
        lines = io.StringIO(text, newline="").readlines()
        kept = "".join(line for number, line in enumerate(lines, start=1) if number not in drop)
        return (b"\xef\xbb\xbf" if bom else b"") + kept.encode("utf-8", "surrogateescape")
    lines = data.split(b"\n")  # JSONL lines as its reader counts them
    return b"\n".join(line for number, line in enumerate(lines, start=1) if number not in drop)


def _scrub_parquet(path: Path, spec, target: Target, salt: str) -> bytes | None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    column = spec.columns.get("customer_key" if target.customer else "source_record_id")
    if not column or column not in table.column_names:
        return None
    values = table.column(column).to_pylist()
    if target.customer:
        wanted = hash_customer_key(target.customer, salt)
        keep = [v in (None, "") or hash_customer_key(str(v), salt) != wanted for v in values]
    else:
        keep = [v is None or str(v).strip() != target.record_id for v in values]
    if all(keep):
        return None
    sink = pa.BufferOutputStream()
    pq.write_table(table.filter(pc.array(keep)), sink)
    return sink.getvalue().to_pybytes()


def scrub_archive(store: Store, settings: Settings, target: Target) -> int:
    """Rewrite every archived file that holds the target's records; update the archive's index."""
    salt, rewritten = settings.salt(), 0
    rows = store.execute("SELECT file_sha256, source, mapping, archive_path FROM archived_files "
                         "WHERE ? IS NULL OR source = ?", [target.source, target.source])
    for sha, source, mapping, archive_path in rows:
        spec = make_source_spec(source, json.loads(mapping))
        path = settings.state_dir / archive_path
        if not path.is_file():
            continue
        scrubbed = scrub_file(path, spec, target, salt)
        if scrubbed is None:
            continue
        digest = hashlib.sha256(scrubbed).hexdigest()
        new_path = settings.archive_dir / digest[:2] / (digest + "".join(path.suffixes[-2:]).lower())
        new_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = new_path.with_name(new_path.name + ".tmp")
        tmp.write_bytes(scrubbed)
        fsync(tmp)
        os.replace(tmp, new_path)
        store.execute("UPDATE archived_files SET archive_path = ?, file_bytes = ? WHERE file_sha256 = ? AND source = ?",
                      [str(new_path.relative_to(settings.state_dir)), len(scrubbed), sha, source])
        still_used = store.scalar("SELECT count(*) FROM archived_files WHERE archive_path = ?", [archive_path])
        if new_path != path and not still_used:
            path.unlink()
        rewritten += 1
    return rewritten


def forget(store: Store, settings: Settings, target: Target, *, run_id: int | None = None) -> Erasure:
    """Erase the target from the working database and the archive, and record the audit row.
    The caller holds the writer lock, then compacts the working database, rewrites the snapshots
    (:func:`erase_snapshots`) and publishes."""
    erasure = Erasure(str(uuid.uuid4()))
    with store.transaction():
        erasure.rows = erase_rows(store.con, target, settings.salt())
        erasure.archive_files = scrub_archive(store, settings, target)
    return erasure


def record_erasure(store: Store, erasure: Erasure, kind: str, run_id: int | None) -> None:
    store.execute("INSERT INTO erasures VALUES (?, ?, ?, ?, ?, ?, ?)",
                  [erasure.erasure_id, run_id, kind, json.dumps(erasure.rows), erasure.archive_files,
                   erasure.snapshots, utcnow()])


def erase_snapshots(settings: Settings, target: Target) -> int:
    """Remove the target from every kept snapshot (each rewritten in the analysts' storage format),
    and drop WAL files analysts' sessions left beside old snapshots. Returns how many changed."""
    changed = 0
    for snapshot in snapshot_files(settings.snapshots_dir):
        with duckdb.connect(str(snapshot)) as con:
            counts = erase_rows(con, target, settings.salt())
            if any(counts.values()) and _has_table(con, "daily_inputs"):  # its daily quotes and sums too
                con.begin()
                refresh_daily(con)
                con.commit()
        if any(counts.values()):
            changed += 1
        compact(snapshot, storage_version=PUBLISHED_STORAGE_VERSION)
    for leftover in settings.state_dir.glob(".cx.duckdb.wal.previous-snapshot"):
        leftover.unlink()
    return changed


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Snapshots published before schema 4 have no daily tables."""
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                            "AND table_name = ?", [name]).fetchone()[0])


def forget_everywhere(workspace: Workspace, target: Target) -> tuple[Erasure, Published]:
    """The whole erasure as one run in the ledger: the rows and the archive, the kept snapshots,
    the working file's free blocks (compacted, as publishing is a file copy), the audit row, and
    a new published file in which the run is already completed."""
    store, settings = workspace.store, workspace.settings
    with workspace.run("forget", {"by": target.kind}, where="see the command's output; run it again") as run:
        erasure = forget(store, settings, target)
        refresh_aggregates(store, settings)
        erasure.snapshots = erase_snapshots(settings, target)
        with store.released():
            compact(settings.work_db, storage_version=PUBLISHED_STORAGE_VERSION)
        record_erasure(store, erasure, target.kind, run.run_id)
        run.counts = {"rows_removed": erasure.rows, "archive_files_rewritten": erasure.archive_files,
                      "snapshots_rewritten": erasure.snapshots, "erasure_id": erasure.erasure_id}
        published = publish_with_aggregates(store, settings.published_db, snapshots=settings.snapshots_dir,
                                            keep=settings.snapshots_kept, label=f"run{run.run_id}",
                                            finish=lambda database: run.complete(store, database=database))
        run.complete(store)
    return erasure, published
