"""The right to erasure as a journaled operation: remove a customer's feedback (or one source
record) and everything derived from it from the working database, the archive, every kept
snapshot, the analysts' file, the report, theme suggestions, fitted models and recorded exports
(:mod:`cxtext.ops.erasure_derived`), and keep the erased records out for good.

A journal in the state folder (``erasure.journal.json``: the keyed hash of the key, or the source
and record id; never the key) is written before anything changes and removed after the last step;
every step is idempotent, so an erasure killed at any point is finished by the next writer (see
:func:`finish_interrupted`, called by :func:`cxtext.ops.workspace.open_workspace`) before it does
anything else. Files are never changed in place: each is written new and renamed over the old one
(a reader holding a snapshot open keeps the old file's inode and does not stop the erasure).

Deleted rows stay in a DuckDB file's free blocks until it is rewritten, so every database touched
is rewritten (``COPY FROM DATABASE`` into a new file, renamed over the old one). The archive keeps
original files by content: each one holding the records is rewritten without them
(:mod:`cxtext.ops.erasure_files`); its ``archived_files.file_sha256`` stays the hash of the file
as it arrived, so the landing scan still knows the original and does not ingest it again.
Tombstones (salted hashes of each erased record's id and content) keep them out of every later
ingest and archive re-read. The audit row (``erasures``) has a random request id and counts.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cxtext.config import Settings
from cxtext.enrich.discovery import load_suggestions_table
from cxtext.errors import ConfigError, CxtextError
from cxtext.ingest.redact import hash_customer_key
from cxtext.ingest.tombstones import id_hash, raw_words
from cxtext.insights.daily import refresh_daily
from cxtext.insights.refresh import publish_with_aggregates, refresh_aggregates
from cxtext.ops.erasure_derived import refit_models, rewrite_exports, scrub_suggestions
from cxtext.ops.erasure_files import Match, scrub_archive, sweep_archive
from cxtext.store.db import PUBLISHED_STORAGE_VERSION, Store, connect, utcnow
from cxtext.store.publish import Published, fsync, snapshot_files
from cxtext.store.schema import PER_FEEDBACK_RESULTS, TABLES, sql_literal
from cxtext.store.workspace import Workspace

JOURNAL = "erasure.journal.json"
#: The erasures' ledger beside the database: the tombstones and the index rows of the archive files
#: erasures rewrote (the hash each arrived with is no longer their name), so that a rebuild from the
#: archive (cxtext.ops.recover) keeps erased records out and knows those files even when no readable
#: copy of the database is left. Salted hashes, paths and source definitions only.
LEDGER = "erasure.ledger.json"


@dataclass(frozen=True)
class Target:
    """Whom to forget: a customer (the raw key, as the source sends it) or one source record."""

    customer: str | None = None
    source: str | None = None
    record_id: str | None = None

    def __post_init__(self):
        if self.customer is not None and not self.customer.strip():
            raise CxtextError("refused: the customer key is empty or blank (it would match no one, or everyone)")
        if self.record_id is not None and not self.record_id.strip():
            raise CxtextError("refused: the record id is empty or blank")
        if bool(self.customer) == bool(self.source and self.record_id):
            raise CxtextError("give either --customer KEY, or --source SOURCE with --record-id ID")

    @property
    def kind(self) -> str:
        return "customer" if self.customer else "record"

    def match(self, salt: str) -> Match:
        if self.customer:
            return Match(customer_hash=hash_customer_key(self.customer, salt))
        return Match(source=self.source, record_id=self.record_id.strip())


@dataclass
class Erasure:
    erasure_id: str
    rows: dict[str, int] = field(default_factory=dict)
    archive_files: int = 0
    snapshots: int = 0
    exports_not_rewritten: list[str] = field(default_factory=list)


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {
        c
        for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND table_name = ?",
            [table],
        ).fetchall()
    }


def _reject_rowids(con: duckdb.DuckDBPyConnection, match: Match, salt: str) -> list[int]:
    """Rejects of the target: by the keyed hash of their customer key or of a word of their raw
    text, or by their exact record id; a reject stored before those columns existed (schema < 5,
    an old snapshot) by the keyed hashes of the words of its (redacted) raw text."""
    keyed = {"customer_key", "key_hashes", "source_record_id"} <= _columns(con, "rejects")
    ids = []
    if keyed and match.customer_hash:
        ids += [
            r
            for (r,) in con.execute(
                "SELECT rowid FROM rejects WHERE customer_key = ? OR list_contains(key_hashes, ?)",
                [match.customer_hash, match.customer_hash],
            ).fetchall()
        ]
    elif keyed:
        ids += [
            r
            for (r,) in con.execute(
                "SELECT rowid FROM rejects WHERE source = ? AND source_record_id = ?", [match.source, match.record_id]
            ).fetchall()
        ]
    if match.customer_hash:  # rows without keys: a record id is never guessed from raw text
        legacy = "customer_key IS NULL AND key_hashes IS NULL AND source_record_id IS NULL" if keyed else "true"
        for rowid, raw in con.execute(f"SELECT rowid, raw FROM rejects WHERE {legacy}").fetchall():
            if raw and any(hash_customer_key(w, salt) == match.customer_hash for w in raw_words(raw)):
                ids.append(rowid)
    return ids


def _where(match: Match) -> tuple[str, list]:
    if match.customer_hash:
        return "customer_key = ?", [match.customer_hash]
    return "source = ? AND source_record_id = ?", [match.source, match.record_id]


def erase_rows(con: duckdb.DuckDBPyConnection, match: Match, salt: str) -> tuple[dict[str, int], list[tuple]]:
    """Delete the target's feedback, what derives from it and its rejects. Returns the rows removed
    per table and the tombstones of the feedback's ids."""
    where, params = _where(match)
    found = con.execute(f"SELECT feedback_id, source, source_record_id FROM feedback WHERE {where}", params).fetchall()
    stones = [(source, id_hash(source, rid, salt), None) for _, source, rid in found if rid]
    counts: dict[str, int] = {}
    con.execute("CREATE OR REPLACE TEMP TABLE _forget AS SELECT unnest(?::VARCHAR[]) AS feedback_id", [[f[0] for f in found]])
    for table in (*PER_FEEDBACK_RESULTS, "feedback"):
        counts[table] = con.execute(f"DELETE FROM {table} WHERE feedback_id IN (SELECT feedback_id FROM _forget)").fetchone()[0]
    con.execute("DROP TABLE _forget")
    rowids = _reject_rowids(con, match, salt)
    counts["rejects"] = con.execute("DELETE FROM rejects WHERE rowid IN (SELECT unnest(?::BIGINT[]))", [rowids]).fetchone()[0]
    return counts, stones


def compact(path: Path, *, storage_version: str | None = None) -> None:
    """Rewrite a database file so that deleted rows are gone from its bytes too."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.compacting")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = connect(str(path))
    try:
        con.execute("CHECKPOINT")
        source = con.execute("SELECT current_database()").fetchone()[0]
        option = f" (STORAGE_VERSION '{storage_version}')" if storage_version else ""
        con.execute(f"ATTACH {sql_literal(str(tmp))} AS cxtext_compact{option}")
        con.execute(f'COPY FROM DATABASE "{source}" TO cxtext_compact')
        for name, value in con.execute(
            "SELECT sequence_name, last_value FROM duckdb_sequences() WHERE database_name = current_database()"
        ).fetchall():
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


def record_erasure(store: Store, erasure: Erasure, kind: str, run_id: int | None) -> None:
    """The audit row, once (an erasure finished after a kill may have written it already)."""
    store.execute(
        "INSERT INTO erasures VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [
            erasure.erasure_id,
            run_id,
            kind,
            json.dumps(erasure.rows),
            erasure.archive_files,
            erasure.snapshots,
            utcnow(),
        ],
    )


def erase_snapshots(store: Store, settings: Settings, match: Match) -> int:
    """Remove the target from every kept snapshot: each is copied, erased and compacted in the copy
    (in the analysts' storage format), and the copy renamed over it, so a reader holding it open
    neither blocks this nor sees a half-written file. The working database's archive paths and
    tombstones are carried into each (a snapshot is what `cxtext recover` restores). Drops WAL
    files analysts' sessions left beside old snapshots. Returns how many changed."""
    index = store.execute("SELECT file_sha256, source, archive_path, file_bytes FROM archived_files")
    stones = store.execute("SELECT * FROM tombstones")
    changed = 0
    for leftover in settings.snapshots_dir.glob(".cx-*.erasing*"):  # a killed earlier attempt's copy
        leftover.unlink()
    for snapshot in snapshot_files(settings.snapshots_dir):
        copy = snapshot.with_name(f".{snapshot.name}.erasing")
        shutil.copyfile(snapshot, copy)
        with connect(str(copy)) as con:
            counts, _ = erase_rows(con, match, settings.salt())
            _carry_index(con, index, stones)
            if any(counts.values()) and _has_table(con, "daily_inputs"):  # its daily quotes and sums too
                con.begin()
                for table in (t for t in TABLES if t.name.startswith("daily_segment") and not _has_table(con, t.name)):
                    con.execute(table.ddl())  # published before schema 7 (its segments view reads the feedback)
                refresh_daily(con)
                con.commit()
        changed += any(counts.values())
        compact(copy, storage_version=PUBLISHED_STORAGE_VERSION)
        os.replace(copy, snapshot)
    if settings.snapshots_dir.is_dir():
        fsync(settings.snapshots_dir)
    for leftover in settings.state_dir.glob(".cx.duckdb.wal.previous-snapshot"):
        leftover.unlink()
    return changed


def _carry_index(con: duckdb.DuckDBPyConnection, index: list[tuple], stones: list[tuple]) -> None:
    """Point a snapshot's archive index at the rewritten files, and give it the tombstones."""
    con.execute(
        "CREATE TEMP TABLE _index AS SELECT * FROM (VALUES (NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, "
        "NULL::BIGINT)) v(file_sha256, source, archive_path, file_bytes) WHERE false"
    )
    if index:
        con.executemany("INSERT INTO _index VALUES (?, ?, ?, ?)", index)
    con.execute(
        "UPDATE archived_files a SET archive_path = i.archive_path, file_bytes = i.file_bytes FROM _index i "
        "WHERE a.file_sha256 = i.file_sha256 AND a.source = i.source"
    )
    con.execute("DROP TABLE _index")
    if _has_table(con, "tombstones"):
        con.execute("DELETE FROM tombstones")
        if stones:
            con.executemany("INSERT INTO tombstones VALUES (?, ?, ?, ?, ?)", stones)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Snapshots published before schema 4 have no daily tables."""
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = ?", [name]
        ).fetchone()[0]
    )


def _write_journal(settings: Settings, journal: dict) -> None:
    path = settings.state_dir / JOURNAL
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(journal))
    fsync(tmp)
    os.replace(tmp, path)
    fsync(settings.state_dir)


def _erase_working(store: Store, settings: Settings, match: Match, erasure_id: str) -> tuple[dict, int]:
    """The working database and the archive in one transaction: rows deleted, the index pointed at
    the rewritten files (written before, beside the old ones), the tombstones recorded. Then the old
    files and any stray copy are swept away."""
    salt = settings.salt()
    where, params = _where(match)
    found = store.execute(f"SELECT feedback_id, source_record_id, text FROM feedback WHERE {where}", params)
    scrub_suggestions(settings, [t for *_, t in found if t], [i for f in found for i in f[:2] if i])
    rewrites, file_stones = scrub_archive(store, settings, match)
    with store.transaction():
        counts, row_stones = erase_rows(store.con, match, salt)
        for r in rewrites:
            store.execute(
                "UPDATE archived_files SET archive_path = ?, file_bytes = ? WHERE file_sha256 = ? AND source = ?",
                [r.new_path, r.size, r.file_sha256, r.source],
            )
        known = set(store.execute("SELECT source, id_hash, content_hash FROM tombstones"))
        now = utcnow()
        for stone in dict.fromkeys(file_stones + row_stones):
            if stone not in known:
                store.execute("INSERT INTO tombstones VALUES (?, ?, ?, ?, ?)", [*stone, erasure_id, now])
        try:  # the table quotes what the file quoted: the scrubbed file's content
            load_suggestions_table(store, settings)
        except ConfigError:  # a hand-broken file: no quote stays in the table; a run names the file
            store.execute("DELETE FROM suggested_themes")
    write_ledger(store, settings)
    sweep_archive(store, settings)
    for damaged in settings.state_dir.glob(f"{settings.work_db.name}.damaged-*"):  # set aside by `cxtext recover`
        damaged.unlink()
    return counts, len(rewrites)


def write_ledger(store: Store, settings: Settings) -> None:
    """The erasures' ledger (LEDGER), written whole and atomically after each erasure's transaction."""
    stones = store.execute("SELECT source, id_hash, content_hash, erasure_id, erased_at FROM tombstones ORDER BY ALL")
    columns = [c for (c,) in store.execute("SELECT name FROM pragma_table_info('archived_files')")]
    rewritten = store.execute(
        "SELECT * FROM archived_files WHERE archive_path IS NOT NULL AND NOT contains(archive_path, file_sha256) ORDER BY ALL"
    )
    ledger = {"tombstones": stones, "rewritten": [dict(zip(columns, row)) for row in rewritten]}
    path = settings.state_dir / LEDGER
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(ledger, default=str) + "\n")
    fsync(tmp)
    os.replace(tmp, path)
    fsync(settings.state_dir)


def _erase(workspace: Workspace, journal: dict) -> tuple[Erasure, Published]:
    """Carry out (or finish) the journaled erasure; every step may run again after a kill."""
    store, settings = workspace.store, workspace.settings
    match = Match(**journal["match"])
    erasure = Erasure(journal["erasure_id"], journal.get("rows") or {}, journal.get("archive_files", 0))
    with workspace.run("forget", {"by": journal["kind"]}, where="see the command's output; any writer finishes it") as run:
        where, params = _where(match)
        if not journal.get("refit") and store.scalar(f"SELECT count(*) FROM feedback WHERE {where}", params):
            journal = journal | {"refit": True}  # noted before the rows go: a kill after it still refits
            _write_journal(settings, journal)
        counts, files = _erase_working(store, settings, match, erasure.erasure_id)
        erasure.rows = {t: erasure.rows.get(t, 0) + n for t, n in counts.items()}
        erasure.archive_files += files
        _write_journal(settings, journal | {"rows": erasure.rows, "archive_files": erasure.archive_files})
        if journal.get("refit"):  # their words are in the fitted models' vocabularies
            refit_models(store, settings)
        refresh_aggregates(store, settings)
        erasure.snapshots = erase_snapshots(store, settings, match)
        with store.released():
            compact(settings.work_db, storage_version=PUBLISHED_STORAGE_VERSION)
        record_erasure(store, erasure, journal["kind"], run.run_id)
        run.counts = {
            "rows_removed": erasure.rows,
            "archive_files_rewritten": erasure.archive_files,
            "snapshots_rewritten": erasure.snapshots,
            "erasure_id": erasure.erasure_id,
        }
        published = publish_with_aggregates(
            store,
            settings.published_db,
            snapshots=settings.snapshots_dir,
            keep=settings.snapshots_kept,
            label=f"run{run.run_id}",
            timezone=settings.reporting_timezone,
            finish=lambda database: run.complete(store, database=database),
        )
        run.complete(store)
    _rewrite_report(settings)
    erasure.exports_not_rewritten = rewrite_exports(settings)
    (settings.state_dir / JOURNAL).unlink()
    fsync(settings.state_dir)
    return erasure, published


def _rewrite_report(settings: Settings) -> None:
    """The report is derived from the analysts' file: written again from the erased one."""
    from cxtext.report.html import write_report

    settings.report_path.unlink(missing_ok=True)
    with Store.open(settings.published_db, read_only=True) as published:
        write_report(published, settings.report_path)


def forget_everywhere(workspace: Workspace, target: Target) -> tuple[Erasure, Published]:
    """The whole erasure as one run in the ledger: the rows and the archive, the kept snapshots,
    the working file's free blocks (compacted, as publishing is a file copy), the audit row, a new
    published file in which the run is already completed, and the report. An interrupted earlier
    erasure is finished first."""
    finish_interrupted(workspace)
    journal = {
        "erasure_id": str(uuid.uuid4()),
        "kind": target.kind,
        "match": target.match(workspace.settings.salt()).as_json(),
    }
    _write_journal(workspace.settings, journal)
    return _erase(workspace, journal)


def finish_interrupted(workspace: Workspace) -> Erasure | None:
    """Finish an erasure a kill interrupted (its journal is still there), before anything else
    writes: no publish or rollback may serve what it was removing."""
    path = workspace.settings.state_dir / JOURNAL
    (path.with_name(path.name + ".tmp")).unlink(missing_ok=True)
    if not path.exists():
        return None
    return _erase(workspace, json.loads(path.read_text()))[0]
