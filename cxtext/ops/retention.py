"""Retention: the nightly run drops what is older than [retention] allows (docs/OPERATIONS.md).

Archived files past archive_days are deleted, their index rows kept with no path (the landing
scan still knows the file by its hash and does not ingest it again; a backfill no longer re-reads
it); rejects past rejects_days are deleted; snapshots past snapshots_days are deleted, the newest
always kept. Prefect's runs are pruned by the flow (cxtext_flows.tasks), which knows Prefect.
"""

from __future__ import annotations

from datetime import timedelta

from cxtext.config import Settings
from cxtext.store.db import Store, utcnow
from cxtext.store.publish import fsync, snapshot_files


def enforce_retention(store: Store, settings: Settings) -> dict[str, int]:
    """Apply the policy; returns how many archived files, rejects and snapshots were dropped."""
    policy, now, out = settings.retention, utcnow(), {}
    if policy.archive_days:
        cutoff = now - timedelta(days=policy.archive_days)
        with store.transaction():
            old = store.execute(
                "SELECT DISTINCT archive_path FROM archived_files WHERE archive_path IS NOT NULL AND archived_at < ?",
                [cutoff],
            )
            store.execute("UPDATE archived_files SET archive_path = NULL WHERE archived_at < ?", [cutoff])
        still = {p for (p,) in store.execute("SELECT archive_path FROM archived_files WHERE archive_path IS NOT NULL")}
        for (path,) in old:
            if path not in still:
                (settings.state_dir / path).unlink(missing_ok=True)
        out["archive_files"] = len(old)
    if policy.rejects_days:
        with store.transaction():
            out["rejects"] = store.execute(
                "DELETE FROM rejects WHERE rejected_at < ?", [now - timedelta(days=policy.rejects_days)]
            )[0][0]
    if policy.snapshots_days:
        cutoff = (now - timedelta(days=policy.snapshots_days)).timestamp()
        old = [p for p in snapshot_files(settings.snapshots_dir)[1:] if p.stat().st_mtime < cutoff]
        for path in old:
            path.unlink()
        if old:
            fsync(settings.snapshots_dir)
        out["snapshots"] = len(old)
    return out
