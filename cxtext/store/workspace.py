"""One job's workspace: its settings, the state folder's writer lock held, the working database
open. Every command and flow that writes opens one, once, and records its run through it."""

from __future__ import annotations

from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Iterator

from cxtext.config import Settings
from cxtext.store.db import Store
from cxtext.store.ledger import RunRecord, recorded_run
from cxtext.store.lock import writer_lock


@dataclass(frozen=True)
class Workspace:
    settings: Settings
    store: Store

    def run(self, flow: str, parameters: dict, *, where: str = "see the command's output") -> AbstractContextManager[RunRecord]:
        """Record a block as one run of *flow* in the ledger (see :func:`recorded_run`)."""
        return recorded_run(self.store, flow, parameters, where=where)


@contextmanager
def open_workspace(settings: Settings, *, purpose: str) -> Iterator[Workspace]:
    """Take the writer lock (waiting lock_wait_seconds; *purpose* tells a second writer who holds
    it), open the working database under duckdb_memory_limit."""
    with writer_lock(settings.lock_path, purpose=purpose, wait_seconds=settings.lock_wait_seconds), \
            Store.open(settings.work_db, memory_limit=settings.duckdb_memory_limit) as store:
        yield Workspace(settings, store)
