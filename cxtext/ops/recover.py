"""Recovery of a damaged working database, the damaged file set aside: replaced by a kept
snapshot, or rebuilt from the archive.

A snapshot is a copy of the working database at a publish (cxtext.store.publish), erasures
included (cxtext.ops.erasure rewrites every snapshot and carries the archive's index and the
tombstones into it), so it is a working database as it was then. What was ingested after it is
not in its archive index, so the next run reads those files again from the landing folders.

A rebuild needs no snapshot: a new working database is filled from the archive's files, re-read
as a backfill re-reads them (tombstones honoured), and enriched again. The archive's index, the
tombstones and the erasure audit come from the newest readable published copy (the analysts' file
or a snapshot) when there is one, and from the erasures' ledger beside the database (the
tombstones, and the rows of the files erasures rewrote: ``erasure.ledger.json``); an archived file that index does not name (ingested after it, or
with no copy at all) is read as the configured source whose format and mapped columns fit it, and
left out, named, when no single source does.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cxtext.config import Settings
from cxtext.errors import CxtextError
from cxtext.store.db import Store, utcnow
from cxtext.store.ledger import recorded_run
from cxtext.store.lock import writer_lock
from cxtext.store.publish import fsync, snapshot_files
from cxtext.store.schema import sql_literal


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
        aside = _set_aside(work)
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


def _set_aside(work: Path) -> Path | None:
    aside = None
    if work.exists():
        aside = work.with_name(f"{work.name}.damaged-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
        os.replace(work, aside)
    work.with_name(work.name + ".wal").unlink(missing_ok=True)
    return aside


#: What a rebuild carries from a published copy: what the archive's files cannot say.
CARRIED = ("archived_files", "tombstones", "erasures")


def _newest_readable(candidates: list[Path]) -> Path | None:
    """The first of *candidates* (newest first) that opens and reads whole."""
    for path in candidates:
        try:
            with Store.open(path, read_only=True) as copy:
                copy.verify_readable()
            return path
        except Exception:  # noqa: BLE001  (a damaged or foreign copy: try the next)
            continue
    return None


def _carry(store: Store, copy: Path) -> None:
    store.execute(f"ATTACH {sql_literal(str(copy))} AS cxtext_copy (READ_ONLY)")
    try:
        with store.transaction():
            for table in CARRIED:
                mine = [c for (c,) in store.execute(f"SELECT name FROM pragma_table_info('{table}')")]
                theirs = {c for (c,) in store.execute(f"SELECT name FROM pragma_table_info('cxtext_copy.{table}')")}
                columns = ", ".join(f'"{c}"' for c in mine if c in theirs)
                if columns:
                    store.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM cxtext_copy.{table}")
    finally:
        store.execute("DETACH cxtext_copy")


def _carry_ledger(store: Store, settings: Settings) -> None:
    """Add what the erasures' ledger beside the database holds and the database lacks: tombstones,
    and the index rows of the archive files erasures rewrote (cxtext.ops.erasure.LEDGER)."""
    from cxtext.ops.erasure import LEDGER

    path = settings.state_dir / LEDGER
    if not path.is_file():
        return
    ledger = json.loads(path.read_text())
    known = set(store.execute("SELECT source, id_hash, content_hash FROM tombstones"))
    indexed = set(store.execute("SELECT file_sha256, source FROM archived_files"))
    with store.transaction():
        for source, id_hash, content, erasure_id, erased_at in ledger["tombstones"]:
            if (source, id_hash, content) not in known:
                store.execute("INSERT INTO tombstones VALUES (?, ?, ?, ?, ?)", [source, id_hash, content, erasure_id, erased_at])
        for row in ledger["rewritten"]:
            if (row["file_sha256"], row["source"]) not in indexed:
                columns = ", ".join(f'"{c}"' for c in row)
                store.execute(f"INSERT INTO archived_files ({columns}) VALUES ({', '.join('?' * len(row))})", list(row.values()))


def _source_of(path: Path, settings: Settings):
    """The one configured source that reads *path*: its pattern's suffix and its mapped columns fit."""
    from cxtext.ingest.readers import open_records

    suffix = "".join(path.suffixes[-2:]).lower()
    fitting = []
    for spec in settings.sources.values():
        if not suffix.endswith("".join(Path(spec.pattern).suffixes[-2:]).lower() or f".{spec.format}"):
            continue
        try:
            opened = open_records(path, spec.format, delimiter=spec.delimiter)
            columns = set(opened.columns or [])
            if not columns:  # JSONL: the first record's keys
                first = next(iter(opened.records), None)
                columns = set(first.data or {}) if first is not None else set()
        except Exception:  # noqa: BLE001  (not this source's format)
            continue
        if all(c in columns or c.split(".")[0] in columns for c in spec.columns.values()):
            fitting.append(spec)
    return fitting[0] if len(fitting) == 1 else None


@dataclass
class Rebuilt:
    index_from: Path | None
    aside: Path | None
    counts: dict = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)


def rebuild_from_archive(settings: Settings) -> Rebuilt:
    """Set the working database aside and make it again from the archive (see the module's doc),
    as one `recover` run in the new ledger. The next `cxtext publish` (or run) publishes it."""
    from cxtext.ingest.load import ingest_file
    from cxtext.ops.backfill import BackfillRequest, run_backfill

    with writer_lock(settings.lock_path, purpose="cxtext recover", wait_seconds=settings.lock_wait_seconds):
        index_from = _newest_readable([settings.published_db, *snapshot_files(settings.snapshots_dir)])
        rebuilt = Rebuilt(index_from, _set_aside(settings.work_db))
        with Store.open(settings.work_db, memory_limit=settings.duckdb_memory_limit) as store:
            if index_from is not None:
                _carry(store, index_from)
            _carry_ledger(store, settings)
            known = {p for (p,) in store.execute("SELECT archive_path FROM archived_files WHERE archive_path IS NOT NULL")}
            parameters = {"rebuild": True, "index_from": index_from.name if index_from else None}
            with recorded_run(store, "recover", parameters) as run:
                started = utcnow()
                counts = run_backfill(
                    store, settings, BackfillRequest(steps=("reingest",)), run_id=run.run_id, forced_before=started
                ).counts
                for path in sorted(settings.archive_dir.rglob("*")) if settings.archive_dir.is_dir() else []:
                    relative = str(path.relative_to(settings.state_dir))
                    if not path.is_file() or relative in known or ".tmp" in path.name or path.name.startswith("."):
                        continue
                    spec = _source_of(path, settings)
                    if spec is None:
                        rebuilt.unread.append(relative)
                        continue
                    ingest_file(store, settings, path, spec, run_id=run.run_id, archived_as=path.name.split(".")[0])
                    counts["reingested_files"] = counts.get("reingested_files", 0) + 1
                request = BackfillRequest(steps=("enrich", "topics", "aggregate"))
                counts |= run_backfill(store, settings, request, run_id=run.run_id, forced_before=started).counts
                counts["unread_files"] = len(rebuilt.unread)
                run.counts = rebuilt.counts = counts
    return rebuilt
