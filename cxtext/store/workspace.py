"""One job's workspace: its settings, the state folder's writer lock held, the working database
open. Every command and flow that writes opens one, once, and records its run through it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from cxtext.config import Settings
from cxtext.errors import ConfigError
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


#: The purposes a backfill holds the writer lock with: the nightly run queues behind them.
BACKFILL_PURPOSES = ("backfill", "cxtext backfill")
#: The purposes a nightly run holds it with: a backfill queues behind them.
NIGHTLY_PURPOSES = ("nightly run", "cxtext run")


@contextmanager
def open_workspace(
    settings: Settings,
    *,
    purpose: str,
    queue_behind: tuple[str, ...] = (),
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[Workspace]:
    """Take the writer lock (waiting lock_wait_seconds; *purpose* tells a second writer who holds
    it), open the working database under duckdb_memory_limit. A holder whose purpose is one of
    *queue_behind* (a backfill, for the nightly run; a nightly run, for a backfill) is waited for
    up to nightly_queue_hours, *on_wait* told where it stands now and then."""
    with writer_lock(
        settings.lock_path,
        purpose=purpose,
        wait_seconds=settings.lock_wait_seconds,
        queue_behind=queue_behind,
        queue_seconds=settings.nightly_queue_seconds,
        on_wait=on_wait,
    ):
        bind_state_folder(settings)
        with Store.open(settings.work_db, memory_limit=settings.duckdb_memory_limit) as store:
            yield Workspace(settings, store)


#: In the state folder: the config it belongs to and the sources it has had.
ORIGIN = "origin.json"


def bind_state_folder(settings: Settings, *, adopt: bool = False) -> None:
    """Keep a state folder to the config it was made with, so that a run never mixes in sources
    the user did not configure for it (`cxtext run --state-dir mine` from the sample's checkout
    would add the sample's sources). The first writer binds a folder; the same config may add
    sources; another config that would add sources is refused unless *adopt* (`--adopt-config`)."""
    path = settings.state_dir / ORIGIN
    config = str(settings.config_path) if settings.config_path else None
    origin = json.loads(path.read_text()) if path.exists() else None
    if origin is not None and not adopt and origin.get("config") != config:
        added = sorted(set(settings.sources) - set(origin.get("sources", [])))
        if added:
            raise ConfigError(
                f"state folder {settings.state_dir} belongs to {origin.get('config') or 'no config file'}; "
                f"{config or 'running without a config'} would add source(s) {', '.join(added)} to it: pass that "
                f"--config, another --state-dir, or --adopt-config to let this config add them"
            )
    if origin is None or adopt or origin.get("config") == config:
        known = [] if origin is None else origin.get("sources", [])
        bound = {
            "config": config if (origin is None or adopt) else origin["config"],
            "sources": sorted(set(known) | set(settings.sources)),
        }
        if bound != origin:
            settings.state_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(bound, indent=1) + "\n")
