"""The store: owns the DuckDB connection, the schema and its migrations, the writer lock and
publishing. It is the only module that writes SQL DDL.

The pipeline writes to a private working database (``pipeline.duckdb``); analysts read a
published copy (``cx.duckdb``) that is replaced atomically at the end of each successful run, so an
analyst holding the file open never blocks a run and never sees a half-written one.
"""

from __future__ import annotations

import fcntl
import shutil
import json
import os
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import pyarrow as pa

from cxtext import __version__
from cxtext.errors import CxtextError, SchemaError, WriterLockHeld
from cxtext.schema import SCHEMA_VERSION, create_statements, view_statements

#: The newest storage format the `duckdb` CLI on PyPI (1.5.x) can read; the published file uses it.
PUBLISHED_STORAGE_VERSION = "v1.5.0"


def utcnow() -> datetime:
    """Naive UTC now: DuckDB TIMESTAMP columns hold UTC without a zone."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


# -- writer lock ------------------------------------------------------------------------------

_held_locks: dict[Path, list] = {}
_held_guard = threading.Lock()


@contextmanager
def writer_lock(path: Path, *, purpose: str, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the state folder's single writer lock (an OS file lock, freed if the process dies).

    Re-entrant within one process, so a flow can hold it while its tasks, which also write,
    take it again. Another process waits up to *wait_seconds*, then gets WriterLockHeld naming
    the holder.
    """
    path = Path(path)
    with _held_guard:
        held = _held_locks.get(path)
        if held:
            held[1] += 1
    if held:
        try:
            yield
        finally:
            with _held_guard:
                held[1] -= 1
        return

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "unknown process"
                os.close(fd)
                raise WriterLockHeld(
                    f"another cxtext writer is running ({holder}); wait for it to finish "
                    f"or set lock_wait_seconds"
                ) from None
            time.sleep(0.2)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}: {purpose}, since {utcnow():%Y-%m-%d %H:%M:%S} UTC".encode(), 0)
    with _held_guard:
        _held_locks[path] = [fd, 1]
    try:
        yield
    finally:
        with _held_guard:
            _held_locks.pop(path, None)
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


# -- the store --------------------------------------------------------------------------------


class Store:
    """A DuckDB database with cxtext's schema. Use :meth:`open` (a context manager)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str):
        self.con = con
        self.path = path

    @classmethod
    @contextmanager
    def open(cls, path: str | Path = ":memory:", *, read_only: bool = False,
             memory_limit: str | None = None) -> Iterator["Store"]:
        """Open (creating and migrating when writable) the database at *path*. *memory_limit*
        (e.g. '1GB') caps DuckDB's own memory; beyond it DuckDB spills to a temporary folder
        beside the database instead of growing with the data (its default is 80% of the RAM)."""
        path = str(path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        config = {"memory_limit": memory_limit} if memory_limit else {}
        if not read_only:  # a new file in the format the published copy needs: publishing is then a file copy
            config["storage_compatibility_version"] = PUBLISHED_STORAGE_VERSION
        con = duckdb.connect(path, read_only=read_only, config=config)
        store = cls(con, path)
        try:
            if read_only:
                store.check_version()
            else:
                store.migrate()
            yield store
        finally:
            con.close()

    # queries --------------------------------------------------------------------------------

    def execute(self, sql: str, params: list | tuple | dict | None = None) -> list[tuple]:
        """Run one statement with bound parameters and fetch its result (DuckDB 2 keeps a
        result pending until it is consumed)."""
        return self.con.execute(sql, params).fetchall() if params is not None else self.con.execute(sql).fetchall()

    def scalar(self, sql: str, params: list | tuple | dict | None = None):
        rows = self.execute(sql, params)
        return rows[0][0] if rows else None

    def dicts(self, sql: str, params: list | tuple | dict | None = None) -> list[dict]:
        cur = self.con.execute(sql, params) if params is not None else self.con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        self.con.begin()
        try:
            yield self
        except BaseException:
            self.con.rollback()
            raise
        else:
            self.con.commit()

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        """Bulk insert an Arrow table whose column names match *table*'s."""
        if data.num_rows == 0:
            return
        view = f"_arrow_{table}"
        self.con.register(view, data)
        try:
            cols = ", ".join(data.column_names)
            self.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view}")
        finally:
            self.con.unregister(view)

    @contextmanager
    def scratch_table(self, name: str, as_select: str, params: list | None = None) -> Iterator[str]:
        """A temporary table made from a query, dropped afterwards (staging for bulk work)."""
        self.execute(f"DROP TABLE IF EXISTS {name}")
        self.execute(f"CREATE TEMP TABLE {name} AS {as_select}", params)
        try:
            yield name
        finally:
            self.execute(f"DROP TABLE IF EXISTS {name}")

    def next_id(self, sequence: str) -> int:
        return self.scalar(f"SELECT nextval('{sequence}')")

    # schema ---------------------------------------------------------------------------------

    def schema_version(self) -> int | None:
        exists = self.scalar(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = 'cxtext_meta'"
        )
        if not exists:
            return None
        value = self.scalar("SELECT value FROM cxtext_meta WHERE key = 'schema_version'")
        return int(value) if value is not None else None

    def check_version(self) -> None:
        version = self.schema_version()
        if version is not None and version > SCHEMA_VERSION:
            raise SchemaError(
                f"{self.path} has schema version {version}, newer than this cxtext knows ({SCHEMA_VERSION}): upgrade cxtext"
            )

    def migrate(self) -> None:
        """Create the schema, or bring an older one up to SCHEMA_VERSION, in one transaction."""
        self.check_version()
        version = self.schema_version()
        if version == SCHEMA_VERSION:
            return
        with self.transaction():
            for statement in create_statements(from_version=version or 0):
                self.execute(statement)
            self.set_meta("schema_version", str(SCHEMA_VERSION))

    def define_views(self, reporting_timezone: str) -> None:
        """(Re)create the analysts' views, cutting days and weeks in *reporting_timezone*."""
        with self.transaction():
            for statement in view_statements(reporting_timezone):
                self.execute(statement)
            self.set_meta("reporting_timezone", reporting_timezone)

    def set_meta(self, key: str, value: str) -> None:
        self.execute(
            "INSERT INTO cxtext_meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    # publishing -----------------------------------------------------------------------------

    def publish(self, target: Path, *, snapshots: Path | None = None, keep: int = 0, label: str = "",
                finish: Callable[[str], None] | None = None) -> "Published":
        """Copy this database into *target* atomically, keeping a snapshot of it.

        The copy is written beside the target in the storage format the PyPI duckdb CLI reads (a
        file copy of a working database created in that format, the default; ``COPY FROM
        DATABASE`` for an older working database), flushed to disk, then renamed over the target:
        readers see the old file or the new one, never a mix, and never block this. With
        *snapshots*, a copy is kept there too (``cx-<UTC time>-<label>.duckdb``), and only the
        newest *keep* of them stay. *finish(database)*, when given, is called on the attached copy
        before it is closed: a run records itself completed in the snapshot it publishes (see
        :func:`finish_run`), while the working ledger says so only once the snapshot is in place.
        """
        from cxtext.aggregates import refresh_daily

        target = Path(target)
        tmp = target.with_name(f".{target.name}.publishing")
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
        with self.transaction():  # a published file's daily tables always match its rows
            refresh_daily(self.con)
        self.execute("CHECKPOINT")
        source, storage = self.execute(
            "SELECT database_name, tags['storage_version'] FROM duckdb_databases() "
            "WHERE database_name = current_database()")[0]
        copied = self.path != ":memory:" and (storage or "").startswith(PUBLISHED_STORAGE_VERSION)
        if copied:  # checkpointed, idle and ours alone (the writer lock): the file is the database
            shutil.copyfile(self.path, tmp)
        option = "" if copied else f" (STORAGE_VERSION '{PUBLISHED_STORAGE_VERSION}')"
        if finish is not None or not copied:
            self.execute(f"ATTACH {_quote(str(tmp))} AS cxtext_publish{option}")
            try:
                if not copied:  # a database created in a newer format (or in memory): rewrite it in the old one
                    self.execute(f'COPY FROM DATABASE "{source}" TO cxtext_publish')
                if finish is not None:
                    finish("cxtext_publish")
                self.execute("CHECKPOINT cxtext_publish")
            finally:
                self.execute("DETACH cxtext_publish")
        _fsync(tmp)
        snapshot = None
        if snapshots is not None:
            snapshot = keep_snapshot(tmp, Path(snapshots), label, keep)
        set_aside = replace_atomically(tmp, target)
        return Published(target, target.stat().st_size, set_aside, snapshot)


@dataclass(frozen=True)
class Published:
    path: Path
    size: int
    #: Where a WAL left by an analyst who wrote to the previous snapshot was moved, if there was one.
    wal_set_aside: Path | None = None
    #: The snapshot kept for rollback, if one was.
    snapshot: Path | None = None


def replace_atomically(tmp: Path, target: Path) -> Path | None:
    """Rename a complete, flushed database file over the analysts' file, set aside an analyst's
    foreign WAL, and flush the folder. Returns where that WAL went, if there was one."""
    os.replace(tmp, target)
    set_aside = _set_aside_foreign_wal(target)
    _fsync(target.parent)
    return set_aside


def snapshot_files(folder: Path) -> list[Path]:
    """The kept snapshots, newest first (their names start with the UTC time of the publish)."""
    return sorted(Path(folder).glob("cx-*.duckdb"), reverse=True)


def keep_snapshot(published: Path, folder: Path, label: str, keep: int) -> Path:
    """Copy a published file into the snapshots folder and drop all but the newest *keep*."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"cx-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}{'-' + label if label else ''}.duckdb"
    part = folder / f".{name}.part"
    shutil.copyfile(published, part)
    _fsync(part)
    os.replace(part, folder / name)
    for old in snapshot_files(folder)[max(keep, 1):]:
        old.unlink(missing_ok=True)
    _fsync(folder)
    return folder / name


def rollback(snapshots: Path, target: Path, back: int = 1) -> tuple[Path, Path | None]:
    """Republish the snapshot published *back* publishes before the newest one, atomically (a
    copy is renamed over *target*; the snapshot stays). Returns it and any WAL set aside."""
    kept = snapshot_files(snapshots)
    if back < 1 or back >= len(kept):
        raise CxtextError(f"cannot roll back {back} publish(es): {len(kept)} snapshot(s) kept in {snapshots} "
                          f"(the newest is the one published now; `cxtext publish --list` shows them)")
    chosen = kept[back]
    tmp = target.with_name(f".{target.name}.publishing")
    tmp.unlink(missing_ok=True)
    shutil.copyfile(chosen, tmp)
    _fsync(tmp)
    return chosen, replace_atomically(tmp, target)


def _set_aside_foreign_wal(target: Path) -> Path | None:
    """Move away the .wal of an analyst session that wrote to the previous snapshot.

    DuckDB tools open read-write by default, and a session that wrote (even a scratch table)
    keeps a WAL at ``<file>.wal``, beside whatever file has that name: next to the new snapshot
    it makes every new connection fail ("WAL does not match database file"). The session keeps
    its open handle on the moved file, so it goes on working; its writes were to the old
    snapshot and were never part of the published data.
    """
    wal = target.with_name(target.name + ".wal")
    if not wal.exists():
        return None
    aside = target.with_name(f".{target.name}.wal.previous-snapshot")
    os.replace(wal, aside)
    return aside


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- the run ledger ---------------------------------------------------------------------------


def start_run(store: Store, flow: str, parameters: dict) -> int:
    """Record a run as running (committed at once, so ops see it). The caller holds the writer
    lock, so any run still marked running was killed: mark it crashed."""
    with store.transaction():
        store.execute("UPDATE runs SET status = 'crashed' WHERE status = 'running'")
        run_id = store.next_id("run_id_seq")
        store.execute(
            "INSERT INTO runs (run_id, flow, status, parameters, versions, started_at, pid) VALUES (?, ?, 'running', ?, ?, ?, ?)",
            [run_id, flow, json.dumps(parameters, default=str), json.dumps(versions()), utcnow(), os.getpid()],
        )
    return run_id


def finish_run(store: Store, run_id: int, status: str, counts: dict | None = None, error: str | None = None,
               *, versions: dict | None = None, database: str | None = None) -> None:
    """Close a run's ledger row; *versions* (e.g. the taxonomy and scorer versions it applied) are
    added to the ones recorded at its start. *database*: the ledger of another attached database
    (the copy being published) instead of this one's."""
    runs = f"{database}.runs" if database else "runs"
    store.execute(
        f"UPDATE {runs} SET status = ?, counts = ?, error = ?, finished_at = ?, "
        "versions = json_merge_patch(coalesce(versions, '{}'), ?) WHERE run_id = ?",
        [status, json.dumps(counts or {}), error, utcnow(), json.dumps(versions or {}), run_id],
    )


def error_line(exc: BaseException, where: str) -> str:
    """A failure for the ledger: one readable line, then where the whole story is."""
    first = (str(exc).strip().splitlines() or [""])[0]
    if isinstance(exc, duckdb.OutOfMemoryException):
        first += " — raise duckdb_memory_limit in cxtext.toml"
    return f"{type(exc).__name__}: {first[:300]} ({where})"


@dataclass
class RunRecord:
    """A run being recorded: fill in counts and versions before the block ends."""

    run_id: int
    counts: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)


@contextmanager
def recorded_run(store: Store, flow: str, parameters: dict, *, where: str = "see the command's output") -> Iterator[RunRecord]:
    """Record the block as one run in the ledger: completed when it ends, failed (with the error
    and where to look) when it raises."""
    run = RunRecord(start_run(store, flow, parameters))
    try:
        yield run
    except BaseException as exc:
        finish_run(store, run.run_id, "failed", run.counts, error=error_line(exc, where), versions=run.versions)
        raise
    finish_run(store, run.run_id, "completed", run.counts, versions=run.versions)


#: Runs that publish the working database (a rollback publishes a kept snapshot instead).
PUBLISHING_FLOWS = ("nightly", "backfill", "publish", "forget")


def rollback_in_force(store: Store, run_id: int | None = None) -> tuple[int, str] | None:
    """(run id, snapshot) of a rollback no publish of the working database has replaced since;
    *run_id* is the run about to publish (left out)."""
    row = store.execute(
        "SELECT run_id, parameters->>'$.snapshot' FROM runs WHERE flow = 'rollback' AND status = 'completed' "
        "AND run_id > coalesce((SELECT max(run_id) FROM runs WHERE flow IN (SELECT unnest(?::VARCHAR[])) "
        "AND status = 'completed' AND run_id IS DISTINCT FROM ?), 0) ORDER BY run_id DESC LIMIT 1",
        [list(PUBLISHING_FLOWS), run_id])
    return (row[0][0], row[0][1]) if row else None


#: What :func:`content_fingerprint` leaves out: the ledgers (one row per run or file read, by
#: design) and the columns that say which run or batch did something and when.
LEDGER_TABLES = ("runs", "ingest_batches")
BOOKKEEPING_COLUMNS = ("run_id", "batch_id", "first_batch_id", "first_seen_at", "updated_at", "rejected_at",
                       "archived_at", "enriched_at", "started_at", "finished_at", "pid", "inputs_hash")


def content_fingerprint(store: Store) -> dict[str, tuple[int, int]]:
    """(rows, order-independent hash of the rows) of every table but the ledgers, bookkeeping
    columns left out: equal fingerprints mean equal content, whichever runs produced it."""
    out = {}
    for (table,) in store.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary "
            "ORDER BY table_name"):
        if table in LEDGER_TABLES:
            continue
        columns = [c for (c,) in store.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND table_name = ? "
            "ORDER BY column_index", [table]) if c not in BOOKKEEPING_COLUMNS]
        quoted = ", ".join('"' + c + '"' for c in columns)
        rows, digest = store.execute(f"SELECT count(*), coalesce(sum(hash({quoted})::HUGEINT), 0) FROM {table}")[0]
        out[table] = (rows, int(digest))
    return out


def versions() -> dict:
    return {"cxtext": __version__, "schema": SCHEMA_VERSION}


def schema_markdown(store: Store) -> str:
    """The documentation of every table and view, read from the database's own comments."""
    lines: list[str] = []
    objects = store.execute(
        "SELECT table_name, comment, 'table' FROM duckdb_tables() WHERE database_name = current_database() "
        "UNION ALL SELECT view_name, comment, 'view' FROM duckdb_views() WHERE database_name = current_database() AND NOT internal "
        "ORDER BY 3, 1"
    )
    for name, comment, what in objects:
        lines += [f"### `{name}` ({what})", "", comment or "", "", "| column | type | meaning |", "|---|---|---|"]
        for col, typ, doc in store.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() WHERE database_name = current_database() "
            "AND table_name = ? ORDER BY column_index",
            [name],
        ):
            lines.append(f"| `{col}` | {typ} | {(doc or '').replace('|', '/')} |")
        lines.append("")
    return "\n".join(lines)
