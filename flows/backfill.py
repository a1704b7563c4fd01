"""The backfill flow: recompute some days and sources after a change, then publish.

Parameters are plain strings and lists so that a run can be started from the Prefect UI, the
API or `prefect deployment run ... --param`. All the work is `cxtext.ops.backfill.run_backfill`.
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.runtime import flow_run

from cxtext.ops.backfill import BackfillRequest, resume_point, run_backfill
from cxtext.config import Settings, load_settings
from cxtext.store.db import Store, utcnow
from cxtext.store.ledger import error_line, finish_run, start_run
from cxtext.store.lock import writer_lock
from .tasks import RETRYING, WRITING, publish_task, report_task, where_to_look


@task(name="recompute", **RETRYING, **WRITING)
def recompute_task(store: Store, settings: Settings, request: BackfillRequest, run_id: int, forced_before) -> dict:
    """The request's steps up to publishing; a retry resumes after the last committed chunk."""
    logger = get_run_logger()
    result = run_backfill(store, settings, request, run_id=run_id, forced_before=forced_before, log=logger,
                          on_progress=lambda step, p: logger.info("%s: %s", step, p))
    logger.info("backfill rewrote %d row(s): %s", result.rewritten, result.counts)
    return {"counts": result.counts | {"rewritten": result.rewritten}, "versions": result.versions}


@flow(name="backfill")
def backfill(start: str | None = None, end: str | None = None, sources: list[str] | None = None,
             steps: list[str] | None = None, force: bool = False, config: str | None = None,
             state_dir: str | None = None) -> dict:
    """Recompute feedback created from *start* to *end* (inclusive days, reporting time zone) of
    *sources* (default all): steps reingest, enrich, topics, aggregate, publish (default all but
    reingest). *force* recomputes even what is current. Safe to re-run; resumes a killed run."""
    logger = get_run_logger()
    settings = load_settings(config, state_dir=state_dir)
    request = BackfillRequest.parse(settings, start=start, end=end, sources=sources, steps=steps, force=force)
    with writer_lock(settings.lock_path, purpose="backfill", wait_seconds=settings.lock_wait_seconds), \
            Store.open(settings.work_db, memory_limit=settings.duckdb_memory_limit) as store:
        resumed = resume_point(store, request)
        forced_before = resumed[1] if resumed else utcnow()
        if resumed and request.force:
            logger.info("resuming backfill run %d: what it finished before it stopped is kept", resumed[0])
        run_id = start_run(store, "backfill", request.parameters() | {
            "forced_before": forced_before.isoformat(), "resumes": resumed[0] if resumed else None,
            "prefect_flow_run_id": str(flow_run.id) if flow_run.id else None})
        logger.info("backfill run %d: %s", run_id, request.describe())
        counts: dict = {}
        try:
            outcome = recompute_task(store, settings, request, run_id, forced_before)
            counts = outcome["counts"]
            if "aggregate" in request.steps:
                report_task(store, settings)
            if "publish" in request.steps:
                publish_task(store, settings, run_id, counts, outcome["versions"])  # records the run completed
            else:
                finish_run(store, run_id, "completed", counts, versions=outcome["versions"])
        except BaseException as exc:
            finish_run(store, run_id, "failed", counts, error=error_line(exc, where_to_look()))
            raise
    logger.info("backfill run %d completed: %s", run_id, counts)
    return {"run_id": run_id, **counts}
