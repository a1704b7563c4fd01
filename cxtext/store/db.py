"""The store: owns the DuckDB connection, the schema and its migrations (the only module that
runs DDL; the views are the insights' own, see cxtext.insights.views).

The pipeline writes to a private working database (``pipeline.duckdb``); analysts read a
published copy (``cx.duckdb``) that is replaced atomically at the end of each successful run, so an
analyst holding the file open never blocks a run and never sees a half-written one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from cxtext.errors import DatabaseDamaged, SchemaError
from cxtext.store.schema import SCHEMA_VERSION, create_statements

#: The newest storage format the `duckdb` CLI on PyPI (1.5.x) can read; the published file uses it.
PUBLISHED_STORAGE_VERSION = "v1.5.0"
#: How much write-ahead log a writable store gathers before DuckDB checkpoints it into the file
#: (DuckDB's default: 16 MiB). Enrichment commits a few thousand rows at a time, and checkpoints
#: every 16 MiB cost far more than the data they write (likely each one recompressing the unfilled
#: last segments again): 1M records with 2 workers, this process's CPU 49.7-53.1 s against
#: 33.1-36.5 s at 256MB, the final checkpoint 0.6 s, the same peak memory (docs/BENCHMARKS.md).
#: A crash leaves at most this much log, replayed at the next open; publish and erasure checkpoint
#: explicitly.
CHECKPOINT_THRESHOLD = "256MB"


def connect(path: str, *, read_only: bool = False, config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """duckdb.connect with DuckDB's progress bar off: it printed "100% ▕███▏ (00:00:02 elapsed)"
    into a run's output for every statement over 2 s (a session setting: the connect config
    refuses it). Every connection cxtext opens is made here."""
    con = duckdb.connect(path, read_only=read_only, config=config or {})
    con.execute("SET enable_progress_bar = false")
    return con


def utcnow() -> datetime:
    """Naive UTC now: DuckDB TIMESTAMP columns hold UTC without a zone."""
    return datetime.now(UTC).replace(tzinfo=None)


def memory_bytes(size: str) -> int:
    """Bytes in a size such as '128MB' or '1 GiB', read as DuckDB reads it (KB = 1000 bytes, KiB = 1024)."""
    number, unit, binary = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT])(i?)B", size.strip(), re.IGNORECASE).groups()
    return int(float(number) * (1024 if binary else 1000) ** ("KMGT".index(unit.upper()) + 1))


# -- writer lock ------------------------------------------------------------------------------


# -- the store --------------------------------------------------------------------------------


#: What DuckDB says of a file that is truncated or corrupted (a lock held by another process is not).
_DAMAGE = (
    "not a valid DuckDB database file",
    "Could not read enough bytes",
    "Corrupt database file",
    "checksum",
    "Serialization",
    "INTERNAL Error",
)


def damaged(exc: Exception, path) -> DatabaseDamaged | None:
    """A one-line DatabaseDamaged for a DuckDB error that says the file is damaged, else None."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if (
        "could not set lock" in message.lower()
        or "conflicting lock" in message.lower()
        or not any(sign.lower() in message.lower() for sign in _DAMAGE)
    ):
        return None
    return DatabaseDamaged(
        f"{Path(str(path)).name} is damaged or truncated ({message[:160]}); restore it with "
        "`cxtext recover --from-snapshot`, or with none `cxtext recover --rebuild` (docs/OPERATIONS.md, Recovery)"
    )


class Store:
    """A DuckDB database with cxtext's schema. Use :meth:`open` (a context manager)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str, config: dict | None = None):
        self.con = con
        self.path = path
        self._config = config or {}

    @classmethod
    @contextmanager
    def open(cls, path: str | Path = ":memory:", *, read_only: bool = False, memory_limit: str | None = None) -> Iterator[Store]:
        """Open (creating and migrating when writable) the database at *path*. *memory_limit*
        (e.g. '1GB') caps DuckDB's own memory; beyond it DuckDB spills to a temporary folder
        beside the database instead of growing with the data (its default is 80% of the RAM)."""
        path = str(path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        config = {"memory_limit": memory_limit} if memory_limit else {}
        if not read_only:  # a new file in the format the published copy needs: publishing is then a file copy
            config["storage_compatibility_version"] = PUBLISHED_STORAGE_VERSION
            config["checkpoint_threshold"] = CHECKPOINT_THRESHOLD
        try:
            con = connect(path, read_only=read_only, config=config)
        except duckdb.Error as exc:
            raise damaged(exc, path) or exc  # noqa: B904  (the damage, or the error itself, with its traceback)
        store = cls(con, path, config | {"access_mode": "READ_ONLY"} if read_only else config)
        try:
            try:
                if read_only:
                    store.check_version()
                else:
                    store.migrate()
            except duckdb.Error as exc:
                raise damaged(exc, path) or exc  # noqa: B904  (the damage, or the error itself, with its traceback)
            yield store
        finally:
            store.con.close()

    def verify_readable(self) -> int:
        """Read every table of the database whole (DuckDB checks each block's checksum as it reads
        it); raise DatabaseDamaged on a damaged block. Returns the tables read."""
        tables = [
            t
            for (t,) in self.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary"
            )
        ]
        for table in tables:
            try:
                self.execute(f'SELECT count(*), sum(hash(x)) FROM "{table}" x')
            except duckdb.Error as exc:
                raise damaged(exc, self.path) or exc  # noqa: B904  (the damage, or the error itself)
        return len(tables)

    @contextmanager
    def released(self) -> Iterator[None]:
        """Close the connection for the block (a rewrite of the file needs it closed; the writer
        lock stays held), then open the same file again with the same settings."""
        self.con.close()
        try:
            yield
        finally:
            self.con = connect(self.path, config=self._config)

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
    def transaction(self) -> Iterator[Store]:
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
        # DuckDB reads the Arrow table by this local variable's name (a replacement scan): half the
        # cost of registering and unregistering a view, which thousands of small inserts paid.
        arrow_rows = data  # noqa: F841
        self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM arrow_rows").fetchall()

    @contextmanager
    def memory_capped(self, limit: str) -> Iterator[None]:
        """Run the block with DuckDB's memory capped at *limit* (at most the store's own cap), then
        put the store's cap back. Lowering the cap evicts cached blocks down to it: DuckDB keeps
        every block a query read until its cap is reached, so a step whose queries scan a table
        would otherwise hold more of it the larger the database is."""
        configured = self._config.get("memory_limit")
        if configured and memory_bytes(configured) < memory_bytes(limit):
            limit = configured
        self.execute(f"SET memory_limit = '{limit}'")
        try:
            yield
        finally:
            self.execute(f"SET memory_limit = '{configured}'" if configured else "RESET memory_limit")

    @contextmanager
    def one_thread(self) -> Iterator[None]:
        """Run the block with DuckDB on one thread, then put the thread count back: while worker
        processes keep every core busy, a statement's parallel plan costs more CPU than the wall
        it saves (1M records with 2 workers, this process's CPU: enrichment 49.1-57.0 s against
        60.1-63.1 s, ingest 21.8-27.5 s against 27.7-29.0 s; docs/BENCHMARKS.md)."""
        self.execute("SET threads = 1")
        try:
            yield
        finally:
            self.execute("RESET threads")

    @contextmanager
    def scratch_table(self, name: str, as_select: str, params: list | None = None, *, view: bool = False) -> Iterator[str]:
        """A temporary table made from a query (*view*: a view, read where its rows are), dropped
        afterwards (staging for bulk work)."""
        kind = "VIEW" if view else "TABLE"
        self.execute(f"DROP {kind} IF EXISTS {name}")
        self.execute(f"CREATE TEMP {kind} {name} AS {as_select}", params)
        try:
            yield name
        finally:
            self.execute(f"DROP {kind} IF EXISTS {name}")

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

    def set_meta(self, key: str, value: str) -> None:
        self.execute(
            "INSERT INTO cxtext_meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )
