"""Publishing the analysts' file: a consistent snapshot of the working database renamed over
``cx.duckdb`` atomically, the snapshots kept for rollback, an analyst's stale WAL set aside."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cxtext.errors import CxtextError
from cxtext.store.db import PUBLISHED_STORAGE_VERSION, Store
from cxtext.store.schema import sql_literal


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
    fsync(target.parent)
    return set_aside


def snapshot_files(folder: Path) -> list[Path]:
    """The kept snapshots, newest first (their names start with the UTC time of the publish)."""
    return sorted(Path(folder).glob("cx-*.duckdb"), reverse=True)


def keep_snapshot(published: Path, folder: Path, label: str, keep: int) -> Path:
    """Copy a published file into the snapshots folder and drop all but the newest *keep*."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"cx-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}{'-' + label if label else ''}.duckdb"
    part = folder / f".{name}.part"
    shutil.copyfile(published, part)
    fsync(part)
    os.replace(part, folder / name)
    for old in snapshot_files(folder)[max(keep, 1) :]:
        old.unlink(missing_ok=True)
    fsync(folder)
    return folder / name


def rollback(snapshots: Path, target: Path, back: int = 1) -> tuple[Path, Path | None]:
    """Republish the snapshot published *back* publishes before the newest one, atomically (a
    copy is renamed over *target*; the snapshot stays). Returns it and any WAL set aside."""
    kept = snapshot_files(snapshots)
    if back < 1 or back >= len(kept):
        raise CxtextError(
            f"cannot roll back {back} publish(es): {len(kept)} snapshot(s) kept in {snapshots} "
            f"(the newest is the one published now; `cxtext publish --list` shows them)"
        )
    chosen = kept[back]
    tmp = target.with_name(f".{target.name}.publishing")
    tmp.unlink(missing_ok=True)
    shutil.copyfile(chosen, tmp)
    fsync(tmp)
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


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(
    store: Store,
    target: Path,
    *,
    snapshots: Path | None = None,
    keep: int = 0,
    label: str = "",
    finish: Callable[[str], None] | None = None,
) -> Published:
    """Copy the working database into *target* atomically, keeping a snapshot of it. The caller
    brings the daily aggregates up to date first (cxtext.insights.refresh.refresh_for_publish).

    The copy is written beside the target in the storage format the PyPI duckdb CLI reads (a
    file copy of a working database created in that format, the default; ``COPY FROM
    DATABASE`` for an older working database), flushed to disk, then renamed over the target:
    readers see the old file or the new one, never a mix, and never block this. With
    *snapshots*, a copy is kept there too (``cx-<UTC time>-<label>.duckdb``), and only the
    newest *keep* of them stay. *finish(database)*, when given, is called on the attached copy
    before it is closed: a run records itself completed in the snapshot it publishes (see
    :func:`finish_run`), while the working ledger says so only once the snapshot is in place.
    """

    target = Path(target)
    tmp = target.with_name(f".{target.name}.publishing")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    store.execute("CHECKPOINT")
    source, storage = store.execute(
        "SELECT database_name, tags['storage_version'] FROM duckdb_databases() WHERE database_name = current_database()"
    )[0]
    copied = store.path != ":memory:" and (storage or "").startswith(PUBLISHED_STORAGE_VERSION)
    if copied:  # checkpointed, idle and ours alone (the writer lock): the file is the database
        shutil.copyfile(store.path, tmp)
    option = "" if copied else f" (STORAGE_VERSION '{PUBLISHED_STORAGE_VERSION}')"
    if finish is not None or not copied:
        store.execute(f"ATTACH {sql_literal(str(tmp))} AS cxtext_publish{option}")
        try:
            if not copied:  # a database created in a newer format (or in memory): rewrite it in the old one
                store.execute(f'COPY FROM DATABASE "{source}" TO cxtext_publish')
            if finish is not None:
                finish("cxtext_publish")
            store.execute("CHECKPOINT cxtext_publish")
        finally:
            store.execute("DETACH cxtext_publish")
    fsync(tmp)
    snapshot = None
    if snapshots is not None:
        snapshot = keep_snapshot(tmp, Path(snapshots), label, keep)
    set_aside = replace_atomically(tmp, target)
    return Published(target, target.stat().st_size, set_aside, snapshot)
