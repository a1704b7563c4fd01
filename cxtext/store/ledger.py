"""The run ledger: a row per run (nightly, backfill, ingest, ...) with its parameters, versions,
counts, status and a one-line error."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb

from cxtext import __version__
from cxtext.store.db import Store, utcnow
from cxtext.store.schema import SCHEMA_VERSION


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


def finish_run(
    store: Store,
    run_id: int,
    status: str,
    counts: dict | None = None,
    error: str | None = None,
    *,
    versions: dict | None = None,
    database: str | None = None,
) -> None:
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
    """A run being recorded: fill in counts and versions before the block ends. A run that
    publishes records itself completed in the published copy and then here (:meth:`complete`)."""

    run_id: int
    counts: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    finished: bool = False

    def complete(self, store: Store, *, database: str | None = None) -> None:
        """Mark the run completed: in the ledger of the attached *database* (the copy being
        published), or in this one's, which ends the record."""
        finish_run(store, self.run_id, "completed", self.counts, versions=self.versions, database=database)
        self.finished = self.finished or database is None


@contextmanager
def recorded_run(store: Store, flow: str, parameters: dict, *, where: str = "see the command's output") -> Iterator[RunRecord]:
    """The ledger bracket, the one place a run is started and ended: the block is one run,
    completed when it ends (unless it completed itself by publishing), failed with the error
    and where to look when it raises."""
    run = RunRecord(start_run(store, flow, parameters))
    try:
        yield run
    except BaseException as exc:
        if not run.finished:
            finish_run(store, run.run_id, "failed", run.counts, error=error_line(exc, where), versions=run.versions)
        raise
    if not run.finished:
        run.complete(store)


#: Runs that publish the working database (a rollback publishes a kept snapshot instead).
PUBLISHING_FLOWS = ("nightly", "backfill", "publish", "forget")


def rollback_in_force(store: Store, run_id: int | None = None) -> tuple[int, str] | None:
    """(run id, snapshot) of a rollback no publish of the working database has replaced since;
    *run_id* is the run about to publish (left out)."""
    row = store.execute(
        "SELECT run_id, parameters->>'$.snapshot' FROM runs WHERE flow = 'rollback' AND status = 'completed' "
        "AND run_id > coalesce((SELECT max(run_id) FROM runs WHERE flow IN (SELECT unnest(?::VARCHAR[])) "
        "AND status = 'completed' AND run_id IS DISTINCT FROM ?), 0) ORDER BY run_id DESC LIMIT 1",
        [list(PUBLISHING_FLOWS), run_id],
    )
    return (row[0][0], row[0][1]) if row else None


def nothing_since_last_publish(store: Store, run_id: int) -> bool:
    """Whether the run before *run_id* published the working database and completed: then a run
    that itself found nothing new has nothing to publish (no new snapshot, no growth)."""
    row = store.execute("SELECT flow, status FROM runs WHERE run_id < ? ORDER BY run_id DESC LIMIT 1", [run_id])
    return bool(row) and row[0][0] in PUBLISHING_FLOWS and row[0][1] == "completed"


def versions() -> dict:
    return {"cxtext": __version__, "schema": SCHEMA_VERSION}
