"""Recovery of a damaged working database: replaced by a kept snapshot, the damaged file set aside.

A snapshot is a copy of the working database at a publish (cxtext.store.publish), erasures
included (cxtext.ops.erasure rewrites every snapshot and carries the archive's index and the
tombstones into it), so it is a working database as it was then. What was ingested after it is
not in its archive index, so the next run reads those files again from the landing folders.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from cxtext.config import Settings
from cxtext.errors import CxtextError
from cxtext.store.db import Store
from cxtext.store.ledger import recorded_run
from cxtext.store.lock import writer_lock
from cxtext.store.publish import fsync, snapshot_files


def recover_from_snapshot(settings: Settings, back: int = 0) -> tuple[Path, Path | None]:
    """Replace the working database by the snapshot *back* publishes before the newest (0: the
    newest), verified readable whole; the damaged file is renamed aside. Returns the snapshot and
    where the damaged file went (None when there was none)."""
    with writer_lock(settings.lock_path, purpose="cxtext recover", wait_seconds=settings.lock_wait_seconds):
        kept = snapshot_files(settings.snapshots_dir)
        if not 0 <= back < len(kept):
            raise CxtextError(f"no snapshot {back} to recover from: {len(kept)} kept in {settings.snapshots_dir}")
        chosen, work = kept[back], settings.work_db
        with Store.open(chosen, read_only=True) as snapshot:
            snapshot.verify_readable()
        aside = None
        if work.exists():
            aside = work.with_name(f"{work.name}.damaged-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
            os.replace(work, aside)
        work.with_name(work.name + ".wal").unlink(missing_ok=True)
        tmp = work.with_name(f".{work.name}.recovering")
        shutil.copyfile(chosen, tmp)
        fsync(tmp)
        os.replace(tmp, work)
        fsync(work.parent)
        with Store.open(work, memory_limit=settings.duckdb_memory_limit) as store:
            store.verify_readable()
            with recorded_run(store, "recover", {"snapshot": chosen.name}):
                pass
    return chosen, aside
