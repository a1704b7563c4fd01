"""The backfill flow: recompute some days and sources after a change, then publish.

Parameters are plain strings and lists so that a run can be started from the Prefect UI, the
API or `prefect deployment run ... --param`. All the work is `cxtext.ops.backfill.run_backfill`.
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.runtime import flow_run

from cxtext.config import Settings, load_settings
from cxtext.ops.backfill import BackfillRequest, BackfillResult, resume_point, run_backfill
from cxtext.ops.workspace import open_workspace
from cxtext.store.db import Store, utcnow
from cxtext.store.lock import note_progress
from cxtext.store.workspace import NIGHTLY_PURPOSES

from .tasks import RETRYING, WRITING, alert_failed_run, publish_task, report_task, where_to_look


@task(name="recompute", **RETRYING, **WRITING)
def recompute_task(store: Store, settings: Settings, request: BackfillRequest, run_id: int, forced_before) -> BackfillResult:
    """The request's steps up to publishing; a retry resumes after the last committed chunk."""
    logger = get_run_logger()

    def progress(step: str, p) -> None:
        logger.info("%s: %s", step, p)
        left = (p.records_total - p.records_done) / p.rate if p.rate else None
        note_progress(settings.lock_path, f"{step} {p}" + (f", about {left / 60:.0f} min left" if left is not None else ""))

    result = run_backfill(store, settings, request, run_id=run_id, forced_before=forced_before, log=logger, on_progress=progress)
    logger.info("backfill rewrote %d row(s): %s", result.rewritten, result.counts)
    return result


@flow(name="backfill", on_failure=[alert_failed_run])
def backfill(
    start: str | None = None,
    end: str | None = None,
    sources: list[str] | None = None,
    steps: list[str] | None = None,
    force: bool = False,
    config: str | None = None,
    state_dir: str | None = None,
) -> dict:
    """Recompute feedback created from *start* to *end* (inclusive days, reporting time zone) of
    *sources* (default all): steps reingest, enrich, topics, aggregate, publish (default all but
    reingest). *force* recomputes even what is current. Safe to re-run; resumes a killed run."""
    logger = get_run_logger()
    settings = load_settings(config, state_dir=state_dir)
    request = BackfillRequest.parse(settings, start=start, end=end, sources=sources, steps=steps, force=force)
    with open_workspace(
        settings,
        purpose="backfill",
        queue_behind=NIGHTLY_PURPOSES,
        on_wait=lambda holder: logger.info("queued behind the nightly run: %s", holder),
    ) as workspace:
        store = workspace.store
        resumed = resume_point(store, request)
        forced_before = resumed[1] if resumed else utcnow()
        if resumed and request.force:
            logger.info("resuming backfill run %d: what it finished before it stopped is kept", resumed[0])
        parameters = request.parameters() | {
            "forced_before": forced_before.isoformat(),
            "resumes": resumed[0] if resumed else None,
            "prefect_flow_run_id": str(flow_run.id) if flow_run.id else None,
        }
        with workspace.run("backfill", parameters, where=where_to_look()) as run:
            logger.info("backfill run %d: %s", run.run_id, request.describe())
            result = recompute_task(store, settings, request, run.run_id, forced_before)
            run.counts, run.versions = result.counts | {"rewritten": result.rewritten}, result.versions
            if "aggregate" in request.steps:
                report_task(store, settings)
            if "publish" in request.steps:
                publish_task(store, settings, run)  # records the run completed
    logger.info("backfill run %d completed: %s", run.run_id, run.counts)
    return {"run_id": run.run_id, **run.counts}
