"""The nightly flow: ingest what is new in the landing folders, enrich, report, record the run, publish.

Thin on purpose: every step is one cxtext call; Prefect adds retries, logs and the run's state.
Runs unchanged with Prefect's temporary local server (no PREFECT_API_URL) or against a server.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.runtime import flow_run

from cxtext.config import Settings, SourceSpec, load_settings
from cxtext.enrich.discovery import refresh_if_due, suggestions_path
from cxtext.enrich.run import EnrichResult, Selection, enrich
from cxtext.errors import CxtextError
from cxtext.ingest.load import BatchResult, IngestWorkers, ingest_file, ingest_workers, scan_landing, with_following
from cxtext.ops.workspace import open_workspace
from cxtext.store.db import Store
from cxtext.store.ledger import nothing_since_last_publish
from cxtext.store.workspace import BACKFILL_PURPOSES
from cxtext.text.topic_files import current_meta

from .tasks import (
    PROGRESS_EVERY,
    RETRYING,
    WRITING,
    aggregate_task,
    alert_failed_run,
    alerts_task,
    checks_task,
    every,
    publish_task,
    report_task,
    retention_task,
    where_to_look,
)


@task(name="ingest-file", task_run_name="ingest {spec.name}: {path.name}", **RETRYING, **WRITING)
def ingest_file_task(
    store: Store,
    settings: Settings,
    spec: SourceSpec,
    path: Path,
    run_id: int,
    workers: IngestWorkers | None = None,
    following: tuple[SourceSpec, Path] | None = None,
) -> BatchResult:
    logger = get_run_logger()
    logger.info("ingesting %s (%.1f MB)...", path.name, path.stat().st_size / 1e6)
    progress = every(PROGRESS_EVERY, lambda n: logger.info("%s: %d records read so far", path.name, n))
    result = ingest_file(store, settings, path, spec, run_id=run_id, on_progress=progress, workers=workers, following=following)
    logger.info(
        "%s: read %d, loaded %d (new %d, updated %d), duplicate %d, rejected %d %s in %.1f s",
        path.name,
        result.rows_read,
        result.rows_loaded,
        result.rows_new,
        result.rows_updated,
        result.rows_duplicate,
        result.rows_rejected,
        result.reasons or "",
        result.seconds,
    )
    return result


@task(name="enrich", **RETRYING, **WRITING)
def enrich_task(store: Store, settings: Settings) -> EnrichResult:
    """Sentences, sentiment, themes and topics for new and edited feedback, and for rows stale by a
    version up to the nightly budget; chunk by chunk, each committed on its own (a retry resumes
    after the last)."""
    logger = get_run_logger()
    budget = settings.nightly_recompute_budget
    logger.info(
        "enrich: looking for new, edited and stale feedback%s...",
        "" if current_meta(settings.topic_models_dir) else " (no topic model yet: one is fitted first)",
    )

    def enrich_new():
        return enrich(
            store,
            settings,
            selection=Selection(timezone=settings.reporting_timezone),
            budget=None if budget < 0 else budget,
            on_progress=lambda p: logger.info("enrich: %s", p),
        )

    result = enrich_new()
    if refresh_if_due(store, settings):  # new or changed discovered themes: tag with them too
        logger.info("theme suggestions refreshed (%s): re-tagging with them", suggestions_path(settings))
        again = enrich_new()
        result.retagged, result.mentions, result.left, result.versions = (
            again.enriched,
            again.mentions,
            again.left,
            again.versions,
        )
    logger.info(
        "enrichment: %d stale %s, %d enriched, %d topic assignments renewed, %d theme mentions, %.1f s%s",
        result.stale,
        result.reasons or "",
        result.enriched,
        result.topics_reassigned,
        result.mentions,
        result.seconds,
        f"; fitted topic model {result.versions.topics}" if result.topic_model_fitted else "",
    )
    if result.left:
        logger.warning(
            "%d row(s) stale by a new version left for later (nightly_recompute_budget = %d): the next "
            "nights take them, or run `cxtext backfill` now; until then the views count only current rows",
            result.left,
            budget,
        )
    return result


@flow(name="nightly", on_failure=[alert_failed_run])
def nightly(config: str | None = None, state_dir: str | None = None) -> dict:
    """Ingest new landing files (one task per file), enrich what is new or stale, record the run,
    publish the analysts' file."""
    logger = get_run_logger()
    settings = load_settings(config, state_dir=state_dir)
    parameters = {
        "config": str(settings.config_path),
        "state_dir": str(settings.state_dir),
        "prefect_flow_run_id": str(flow_run.id) if flow_run.id else None,
    }
    with open_workspace(
        settings,
        purpose="nightly run",
        queue_behind=BACKFILL_PURPOSES,
        on_wait=lambda holder: logger.info("queued behind a backfill: %s", holder),
    ) as workspace:
        store = workspace.store
        with workspace.run("nightly", parameters, where=where_to_look()) as run:
            counts = run.counts
            counts.update(
                {
                    "files_new": 0,
                    "files_known": 0,
                    "files_failed": 0,
                    "files_unsettled": 0,
                    "rows_read": 0,
                    "rows_loaded": 0,
                    "rows_duplicate": 0,
                    "rows_rejected": 0,
                }
            )
            scan = scan_landing(store, settings)
            counts.update(files_new=len(scan.new), files_known=scan.known, files_unsettled=len(scan.unsettled))
            logger.info(
                "landing: %d new file(s), %d already ingested, %d still being written, %d failed before",
                len(scan.new),
                scan.known,
                len(scan.unsettled),
                len(scan.failed_before),
            )
            for _path, error in scan.failed_before:
                logger.warning("not retried (unchanged since it failed): %s", error)
            for reason in scan.refused:
                logger.warning("refused: %s", reason)
            with ingest_workers(settings) as workers:  # started once for the files that need them
                for spec, path, following in with_following(scan.new):  # the next file's reading starts early
                    try:
                        batch = ingest_file_task(store, settings, spec, path, run.run_id, workers, following)
                    except CxtextError as exc:
                        counts["files_failed"] += 1
                        logger.error("file not ingested, the run goes on: %s", exc)
                        continue
                    for key in ("rows_read", "rows_loaded", "rows_duplicate", "rows_rejected"):
                        counts[key] += getattr(batch, key)
            counts["retention"] = retention_task(store, settings)
            enriched = enrich_task(store, settings)
            counts.update(
                enriched=enriched.enriched,
                topics_reassigned=enriched.topics_reassigned,
                stale_before=enriched.stale,
                stale_reasons=enriched.reasons,
                stale_left=enriched.left,
                theme_mentions=enriched.mentions,
                retagged_with_suggestions=enriched.retagged,
            )
            run.versions = enriched.versions.as_dict()
            daily = aggregate_task(store, settings)
            if (
                counts["rows_read"] == 0
                and counts["files_failed"] == 0
                and enriched.enriched == 0
                and enriched.topics_reassigned == 0
                and enriched.retagged == 0
                and daily.recomputed == 0
                and settings.published_db.exists()
                and nothing_since_last_publish(store, run.run_id)
            ):
                counts["published"] = False  # the analysts' file and the report stay: no snapshot, no growth
                logger.info("nothing new since the last publish: the analysts' file and the report stay as they are")
            else:
                report_task(store, settings)
                publish_task(store, settings, run, aggregated=True)  # records the run completed
        logger.info("run %d completed: %s", run.run_id, counts)
        # After publishing, outside the ledger's bracket: the run did its work (its row stays
        # completed, with the failed checks counted and named); a failed check is a result.
        checks = checks_task(store, settings, run.run_id)
        alerts = alerts_task(store, settings, checks["failed"])
    return {"run_id": run.run_id, **counts, "checks": checks, "alerts_sent": alerts}
