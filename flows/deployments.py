"""The deployments `cxtext serve` serves: the nightly flow on its schedule and the backfill flow on
demand, each limited to one run at a time (the state folder has one writer)."""

from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron

from cxtext.config import Settings

from .backfill import backfill
from .nightly import nightly


def deployments(settings: Settings) -> list:
    where = {
        "config": str(settings.config_path) if settings.config_path else None,
        "state_dir": str(settings.state_dir),
    }
    return [
        nightly.to_deployment(
            name="nightly",
            schedules=[Cron(settings.nightly_cron, timezone=settings.schedule_timezone)],
            parameters=where,
            concurrency_limit=1,
            tags=["cxtext"],
            description="Ingest what is new in the landing folders, enrich, report, publish the analysts' file.",
        ),
        backfill.to_deployment(
            name="backfill",
            parameters=where,
            concurrency_limit=1,
            tags=["cxtext"],
            description="Recompute some days and sources (parameters start, end, sources, steps, force).",
        ),
    ]


def serve_all(settings: Settings) -> None:
    """Serve until stopped. Runs beyond one wait for the one in progress (limit=1)."""
    serve(*deployments(settings), limit=1)
