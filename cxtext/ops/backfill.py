"""Backfills: recompute some days (and some sources) after a taxonomy, lexicon, scorer or topic
model change, or re-read the archive after a mapping fix.

A backfill is a list of steps over a selection of feedback. Each step does only what is out of
date (or, with ``force``, everything in the selection whose result is older than the backfill),
in chunks of whole days, one transaction per chunk. So the same backfill run twice changes
nothing the second time, and one killed half-way, run again with the same parameters, resumes:
a forced backfill picks up the start time of the run it resumes, and what that run finished is
newer than it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from cxtext.config import Settings, make_source_spec
from cxtext.enrich.analyse import versions_of
from cxtext.enrich.learned import learned_version, load_models
from cxtext.enrich.run import (
    FULL_REASONS,
    TOPIC_REASONS,
    Progress,
    Selection,
    count_reasons,
    day_chunks,
    enrich,
    pending,
    with_reasons,
)
from cxtext.errors import ConfigError, CxtextError, SourceReadError
from cxtext.ingest.load import Window, ingest_file, ingest_workers
from cxtext.insights.refresh import refresh_aggregates
from cxtext.store.db import Store

STEPS = ("reingest", "enrich", "topics", "aggregate", "publish")
DEFAULT_STEPS = ("enrich", "topics", "aggregate", "publish")
STEP_HELP = {
    "reingest": "re-read the archived files of the selected sources with their current definition, merging the records of the selected days",
    "enrich": "sentences, sentiment and themes for what is missing, changed or of an older scorer/taxonomy",
    "topics": "topic assignment where only the topic model changed",
    "aggregate": "the topics table, the analysts' views and the report",
    "publish": "replace the analysts' file atomically",
}


@dataclass(frozen=True)
class BackfillRequest:
    """What ops asked for. Days are inclusive and cut in the reporting time zone."""

    start: date | None = None
    end: date | None = None
    sources: tuple[str, ...] = ()
    steps: tuple[str, ...] = DEFAULT_STEPS
    force: bool = False

    @classmethod
    def parse(
        cls,
        settings: Settings,
        *,
        start: str | date | None = None,
        end: str | date | None = None,
        sources: list[str] | str | None = None,
        steps: list[str] | str | None = None,
        force: bool = False,
    ) -> BackfillRequest:
        """Validate parameters as they come from the command line or a Prefect run (strings or lists)."""
        first, last = _day(start, "start"), _day(end, "end")
        if first and last and first > last:
            raise ConfigError(f"backfill: start {first} is after end {last}")
        names = _names(sources)
        unknown = [n for n in names if n not in settings.sources]
        if unknown:
            raise ConfigError(
                f"backfill: unknown source(s) {', '.join(unknown)} (configured: {', '.join(settings.sources) or 'none'})"
            )
        chosen = _names(steps) or list(DEFAULT_STEPS)
        bad = [s for s in chosen if s not in STEPS]
        if bad:
            raise ConfigError(f"backfill: unknown step(s) {', '.join(bad)} (steps: {', '.join(STEPS)})")
        return cls(first, last, tuple(sorted(set(names))), tuple(s for s in STEPS if s in chosen), bool(force))

    def parameters(self) -> dict:
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "sources": list(self.sources),
            "steps": list(self.steps),
            "force": self.force,
        }

    def selection(self, settings: Settings, forced_before: datetime | None = None) -> Selection:
        return Selection(self.start, self.end, self.sources, forced_before if self.force else None, settings.reporting_timezone)

    def describe(self) -> str:
        days = f"{self.start or 'the first day'} to {self.end or 'the last day'}"
        return f"{days}, sources {', '.join(self.sources) or 'all'}, steps {', '.join(self.steps)}" + (
            ", forced" if self.force else ""
        )


def _day(value, name: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"backfill: {name} must be a date like 2026-08-01, got {value!r}") from None


def _names(value) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(i).strip() for i in items if str(i).strip()]


@dataclass
class StepPlan:
    step: str
    records: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    chunks: int = 0
    note: str = ""


def resume_point(store: Store, request: BackfillRequest) -> tuple[int, datetime] | None:
    """The run this backfill resumes: the latest backfill with the same parameters, when it did
    not complete. Its start time is the forced backfill's threshold. (The caller holds the writer
    lock, so a run still marked running died.)"""
    for run_id, status, parameters in store.execute(
        "SELECT run_id, status, parameters FROM runs WHERE flow = 'backfill' ORDER BY run_id DESC"
    ):
        params = json.loads(parameters or "{}")
        if {k: params.get(k) for k in request.parameters()} != request.parameters():
            continue
        if status in ("running", "crashed", "failed") and params.get("forced_before"):
            return run_id, datetime.fromisoformat(params["forced_before"])
        return None
    return None


def plan(store: Store, settings: Settings, request: BackfillRequest, *, forced_before: datetime | None = None) -> list[StepPlan]:
    """How many records each step would recompute and why, without writing anything."""
    from cxtext.enrich.discovery import taxonomy_layers
    from cxtext.text.taxonomy import layers_version
    from cxtext.text.topic_files import current_meta

    # The versions as enrich computes them, from their strings (a tagger and the topic model take
    # seconds to load), with the learned sentiment models' part (without it every row of a source
    # with a learned model would be planned as stale).
    meta = current_meta(settings.topic_models_dir)
    versions = versions_of(
        layers_version(taxonomy_layers(settings)),
        meta["version"] if meta else "none",
        settings.languages,
        learned_version(load_models(settings)),
    )
    todo = pending(store, versions, request.selection(settings, forced_before))
    plans = []
    for step in request.steps:
        if step == "reingest":
            files, records = _archived(store, settings, request)
            plans.append(
                StepPlan(
                    step,
                    records,
                    {"stored in the selected days": records},
                    len(files),
                    note=f"{len(files)} archived file(s) re-read",
                )
            )
        elif step in ("enrich", "topics"):
            full = set(FULL_REASONS) | ({"forced"} if "enrich" in request.steps else set())
            items = with_reasons(todo, full if step == "enrich" else set(TOPIC_REASONS) | ({"forced"} - full))
            note = "a topic model is fitted first" if meta is None and step == "enrich" else ""
            plans.append(
                StepPlan(step, len(items), count_reasons(items), len(day_chunks(items, settings.enrich_chunk_rows)), note)
            )
        else:
            plans.append(StepPlan(step, note=STEP_HELP[step]))
    return plans


def _archived(store: Store, settings: Settings, request: BackfillRequest) -> tuple[list[tuple], int]:
    """The archived files of the selected sources, and how many stored feedback they hold in the
    selected days."""
    sources = list(request.sources) or list(settings.sources) or [""]
    files = store.execute(
        "SELECT source, mapping, archive_path, file_sha256 FROM archived_files "
        "WHERE archive_path IS NOT NULL AND (? OR source IN (SELECT unnest(?::VARCHAR[]))) "  # no path: past retention
        "ORDER BY archived_at, file_sha256",
        [not request.sources, sources],
    )
    records = store.scalar(
        "SELECT count(*) FROM (SELECT source, CAST((created_at AT TIME ZONE 'UTC') AT TIME ZONE ? AS DATE) AS day "
        "FROM feedback) WHERE (? IS NULL OR day >= ?) AND (? IS NULL OR day <= ?) "
        "AND (? OR source IN (SELECT unnest(?::VARCHAR[])))",
        [
            settings.reporting_timezone,
            request.start,
            request.start,
            request.end,
            request.end,
            not request.sources,
            sources,
        ],
    )
    return files, records


@dataclass
class BackfillResult:
    counts: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)

    @property
    def rewritten(self) -> int:
        return sum(self.counts.get(k, 0) for k in ("reingested_loaded", "enriched", "topics_reassigned"))


def run_backfill(
    store: Store,
    settings: Settings,
    request: BackfillRequest,
    *,
    run_id: int,
    forced_before: datetime,
    log: logging.Logger | None = None,
    on_progress: Callable[[str, Progress], None] | None = None,
) -> BackfillResult:
    """Carry out the request's steps but publish (the caller publishes after recording the run).
    The caller holds the writer lock."""
    log = log or logging.getLogger("cxtext.ops.backfill")
    result = BackfillResult()
    counts = result.counts
    if "reingest" in request.steps:
        files, _ = _archived(store, settings, request)
        window = Window(request.start, request.end, settings.reporting_timezone)
        counts.update(reingested_files=0, reingested_read=0, reingested_loaded=0, reingested_rejected=0)
        with ingest_workers(settings) as workers:  # started once for the files that need them
            for number, (source, mapping, archive_path, sha) in enumerate(files, start=1):
                # The source's definition today (a fixed mapping is the point of re-reading); the one
                # archived beside the file for a source no longer (or never) configured.
                spec = settings.sources.get(source) or make_source_spec(source, json.loads(mapping))
                path = (settings.state_dir / archive_path).resolve()
                if not path.is_relative_to(settings.archive_dir.resolve()):  # the index is data: never trust a path in it
                    raise CxtextError(
                        f"archived_files names {archive_path!r} for source {source}, outside the archive "
                        f"{settings.archive_dir}; not read"
                    )
                if not path.is_file():
                    raise CxtextError(f"archived file {path} (source {source}, sha256 {sha[:12]}…) is missing from the archive")
                try:
                    batch = ingest_file(
                        store, settings, path, spec, run_id=run_id, window=window, archived_as=sha, workers=workers
                    )
                except SourceReadError as exc:
                    counts["reingest_failed"] = counts.get("reingest_failed", 0) + 1
                    log.error(
                        "reingest %d/%d: %s could not be re-read, the backfill goes on: %s",
                        number,
                        len(files),
                        archive_path,
                        exc,
                    )
                    continue
                counts["reingested_files"] += 1
                counts["reingested_read"] += batch.rows_read
                counts["reingested_loaded"] += batch.rows_loaded
                counts["reingested_rejected"] += batch.rows_rejected
                log.info(
                    "reingest %d/%d: %s (%s): read %d, loaded %d (new %d, updated %d), duplicate %d, rejected %d, passed over %d",
                    number,
                    len(files),
                    spec.name,
                    archive_path,
                    batch.rows_read,
                    batch.rows_loaded,
                    batch.rows_new,
                    batch.rows_updated,
                    batch.rows_duplicate,
                    batch.rows_rejected,
                    batch.rows_passed_over,
                )
    steps = tuple(s for s in ("enrich", "topics") if s in request.steps)
    if steps:
        enriched = enrich(
            store,
            settings,
            selection=request.selection(settings, forced_before),
            steps=steps,
            on_progress=(lambda p: on_progress(" and ".join(steps), p)) if on_progress else None,
        )
        counts.update(
            stale=enriched.stale,
            reasons=enriched.reasons,
            enriched=enriched.enriched,
            topics_reassigned=enriched.topics_reassigned,
            left=enriched.left,
            chunks=enriched.chunks,
            theme_mentions=enriched.mentions,
        )
        result.versions = enriched.versions.as_dict()
    if "aggregate" in request.steps:
        refresh_aggregates(store, settings)
    return result
