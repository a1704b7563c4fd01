"""Tasks the flows share. Each is one cxtext call; Prefect adds retries, logs and state."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import duckdb
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterStartTime
from prefect.runtime import flow_run

from cxtext.config import Settings, load_settings
from cxtext.errors import CxtextError
from cxtext.insights.daily import DailyRefresh
from cxtext.insights.refresh import publish_with_aggregates, refresh_aggregates
from cxtext.ops.alerts import check_alerts, emerging_alerts, run_failed_alert, send_alerts
from cxtext.ops.checks import checks_markdown, record_checks, record_state_size, run_checks, state_size, worst
from cxtext.ops.retention import enforce_retention
from cxtext.report.html import top_pain_points_markdown, write_report
from cxtext.store.db import Store
from cxtext.store.ledger import RunRecord, rollback_in_force


def retry_transient(task, task_run, state) -> bool:
    """Retry I/O hiccups (a full disk, a lock, a lost file handle), never a file or config the user
    has to fix, nor a bug that would fail the same way again."""
    try:
        state.result()
    except (OSError, duckdb.IOException, duckdb.TransactionException, duckdb.OutOfMemoryException):
        return True
    except Exception:
        return False
    return False


# Tasks write to DuckDB: never cache them (Prefect's cache knows nothing of the database).
WRITING = dict(cache_policy=NO_CACHE, persist_result=False)
RETRYING = dict(retries=2, retry_delay_seconds=5, retry_condition_fn=retry_transient)


#: Seconds between two progress lines of one step: a long step is never silent for longer.
PROGRESS_EVERY = 5.0


def every(seconds: float, log: Callable[..., None]) -> Callable[..., None]:
    """*log* at most once every *seconds*: a progress callback for steps that report often."""
    last = time.monotonic()

    def throttled(*args) -> None:
        nonlocal last
        if time.monotonic() - last >= seconds:
            last = time.monotonic()
            log(*args)

    return throttled


def where_to_look() -> str:
    """Where ops find the whole story of a failed run."""
    if flow_run.id:
        return f"see the logs of Prefect flow run {flow_run.name} ({flow_run.id}): prefect flow-run logs {flow_run.id}"
    return "see the command's output"


@task(name="aggregate", **WRITING)
def aggregate_task(store: Store, settings: Settings) -> DailyRefresh:
    get_run_logger().info("aggregate: refreshing the topics table, the views and the daily aggregates...")
    daily = refresh_aggregates(store, settings)
    get_run_logger().info(
        "topics table and views refreshed (days cut in %s); daily aggregates: %d of %d day(s) recomputed%s",
        settings.reporting_timezone,
        daily.recomputed,
        daily.days,
        " (all: versions or time zone changed)" if daily.full else "",
    )
    return daily


@task(name="report", **WRITING)
def report_task(store: Store, settings: Settings) -> str:
    """The HTML report and the top pain points as a Prefect artifact, from the snapshot about to be published."""
    get_run_logger().info("report: writing %s...", settings.report_path)
    target = write_report(store, settings.report_path)
    create_markdown_artifact(
        top_pain_points_markdown(store),
        key="top-pain-points",
        description="cxtext: the top pain points of the last run",
    )
    get_run_logger().info("report written to %s", target)
    return str(target)


@task(name="publish", **RETRYING, **WRITING)
def publish_task(store: Store, settings: Settings, run: RunRecord, *, aggregated: bool = False) -> str:
    """Publish the analysts' file with *run* completed in its ledger, then record it completed in
    the working ledger: a run killed before its snapshot is in place stays 'running' there, and
    the next run marks it crashed. *aggregated*: the run's aggregate step ran just before, with
    nothing written since (see publish_with_aggregates)."""
    logger = get_run_logger()
    logger.info(
        "publish: %sa copy of the working database to %s...",
        "" if aggregated else "daily aggregates, then ",
        settings.published_db,
    )
    rolled_back = rollback_in_force(store, run.run_id)
    if rolled_back:
        logger.warning(
            "the analysts' file was rolled back by run %d to %s; this run publishes the working database "
            "over it (a rollback lasts until the next publish)",
            rolled_back[0],
            rolled_back[1],
        )
    published = publish_with_aggregates(
        store,
        settings.published_db,
        snapshots=settings.snapshots_dir,
        timezone=settings.reporting_timezone,
        aggregated=aggregated,
        keep=settings.snapshots_kept,
        label=f"run{run.run_id}",
        finish=lambda database: run.complete(store, database=database),
    )
    run.complete(store)
    if published.wal_set_aside:
        logger.warning(
            "an analyst session wrote to the previous snapshot of %s; its WAL, which would stop new "
            "connections to the new snapshot, was set aside as %s (analysts: connect read-only, docs/ANALYSIS.md)",
            published.path.name,
            published.wal_set_aside.name,
        )
    logger.info(
        "published %s (%.1f MB); snapshot kept as %s (the last %d are kept)",
        published.path,
        published.size / 1e6,
        published.snapshot.name,
        settings.snapshots_kept,
    )
    return str(published.path)


@task(name="health-checks", **WRITING)
def checks_task(store: Store, settings: Settings, run_id: int) -> dict:
    """Run the health checks after publishing: log each line, publish them as the `health-checks`
    artifact, keep the state folder's size for the next run's growth check. A failed check is a
    result, not a crash: the run stays completed, its ledger row counts the failed checks and
    names them, and the caller decides (`cxtext run` exits 3, alerts go out)."""
    logger = get_run_logger()
    logger.info("health checks...")
    size = state_size(settings.state_dir)
    checks = run_checks(store, settings, size=size, exclude_run=run_id)
    record_state_size(store, run_id, size)
    for check in checks:
        {"ok": logger.info, "warn": logger.warning, "fail": logger.error}[check.level]("check %s", check.line())
    create_markdown_artifact(
        checks_markdown(checks), key="health-checks", description="cxtext: health and freshness checks of the last run"
    )
    failed = [c.line() for c in checks if c.level == "fail"]
    summary = {level: sum(c.level == level for c in checks) for level in ("ok", "warn", "fail")}
    record_checks(store, run_id, summary, failed)
    return summary | {"worst": worst(checks), "failed": failed}


@task(name="alerts", **WRITING)
def alerts_task(store: Store, settings: Settings, failed_checks: list[str]) -> int:
    """Send the emerging issues and failed checks not sent before to the [alerts] channels. An
    alert that cannot be delivered is a warning, not a failed run: it is sent at the next run."""
    logger = get_run_logger()
    try:
        sent = send_alerts(settings, emerging_alerts(store, settings) + check_alerts(failed_checks), passing_checks=True)
    except CxtextError as exc:
        logger.warning("alerts not sent (the next run tries again): %s", exc)
        return 0
    if sent:
        logger.info(
            "sent %d alert(s) to %d channel(s): %s",
            len(sent),
            len(settings.alerts.urls),
            ", ".join(a.key for a in sent),
        )
    return len(sent)


def alert_failed_run(flow, flow_run, state) -> None:
    """A flow's on_failure hook: the failed run goes to the [alerts] channels, once."""
    try:
        settings = load_settings(flow_run.parameters.get("config"), state_dir=flow_run.parameters.get("state_dir"))
        send_alerts(settings, [run_failed_alert(flow_run.id, flow.name, state.message or "failed")])
    except Exception as exc:  # a hook must not hide the run's own failure
        get_run_logger().warning("the failed run could not be alerted: %s", exc)


@task(cache_policy=NO_CACHE)
def retention_task(store: Store, settings: Settings) -> dict[str, int]:
    """The [retention] policy: old archived files, rejects and snapshots dropped (cxtext.ops.retention),
    and Prefect's flow runs (with their logs) older than prefect_runs_days deleted through its API."""
    logger = get_run_logger()
    dropped = enforce_retention(store, settings)
    days = settings.retention.prefect_runs_days
    if days:
        cutoff = datetime.now(UTC) - timedelta(days=days)
        with get_client(sync_client=True) as client:
            old = client.read_flow_runs(flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(before_=cutoff)))
            for run in old:
                if run.id != flow_run.id:
                    client.delete_flow_run(run.id)
        dropped["prefect_runs"] = len(old)
    if dropped:
        logger.info("retention: dropped %s", dropped)
    return dropped
