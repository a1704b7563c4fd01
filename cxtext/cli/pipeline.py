"""Commands that move data: ingest, the nightly run, enrichment, backfills, the schedule, topics."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Optional

import duckdb
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from cxtext.cli.app import ConfigOption, StateOption, _settings, app, console, err, working
from cxtext.config import KINDS, SourceSpec, guess_format, make_source_spec, parse_map
from cxtext.errors import EXIT_CHECKS_FAILED, ConfigError, CxtextError
from cxtext.ops.workspace import open_workspace
from cxtext.store.db import Store
from cxtext.store.lock import writer_lock
from cxtext.store.workspace import BACKFILL_PURPOSES, NIGHTLY_PURPOSES, bind_state_folder

#: Said before Prefect is imported: importing it and starting its server are most of a short run.
TEMPORARY_SERVER = "Prefect's temporary local server (15-30 s, every run without PREFECT_API_URL)"


@app.command()
def ingest(
    file: Path = typer.Argument(..., help="The file to ingest (CSV, JSONL or Parquet)."),
    source: str = typer.Option(
        ..., "--source", "-s", help="Source name: a configured source, or a new one (then give --kind and --map)."
    ),
    kind: Optional[str] = typer.Option(None, "--kind", "-k", help=f"Kind of feedback: {', '.join(KINDS)}."),
    map_: Optional[str] = typer.Option(
        None,
        "--map",
        "-m",
        help="Column map FIELD=COLUMN,...; needs created_at and text, e.g. text=body,created_at=ts,source_id=id.",
    ),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="csv, jsonl or parquet (default: from the file name)."),
    time_format: Optional[str] = typer.Option(
        None, "--time-format", help="iso, epoch_s, epoch_ms or a strptime format (default iso)."
    ),
    timezone: Optional[str] = typer.Option(None, "--timezone", help="Zone of timestamps without an offset (default UTC)."),
    delimiter: Optional[str] = typer.Option(None, "--delimiter", help="CSV delimiter (default ',')."),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Ingest one file now, into the working database (the next `cxtext run` publishes it).

    Without --map the source must be configured; with --map the file is read as a new source
    (or with a different map), and the map is archived beside the file.
    """
    from cxtext.ingest.load import ingest_file

    settings = _settings(config, state_dir)
    spec = _ad_hoc_spec(settings, file, source, kind, map_, fmt, time_format, timezone, delimiter)
    with open_workspace(settings, purpose=f"cxtext ingest {file.name}") as workspace:
        store = workspace.store
        with (
            workspace.run("ingest", {"file": str(file), "source": spec.name, "mapping": spec.to_json()}) as run,
            Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TextColumn("{task.completed:,} records"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
                disable=not err.is_terminal,
            ) as progress,
        ):
            if not err.is_terminal:
                err.print(f"ingesting {file.name}...", highlight=False)
            bar = progress.add_task(f"ingesting {file.name}", total=None)
            result = ingest_file(
                store, settings, file, spec, run_id=run.run_id, on_progress=lambda n: progress.update(bar, completed=n)
            )
            run.counts = result.as_dict()
    console.print(
        f"{file.name} → source {spec.name!r} (batch {result.batch_id}): read {result.rows_read:,}, "
        f"loaded {result.rows_loaded:,} (new {result.rows_new:,}, updated {result.rows_updated:,}), "
        f"duplicate {result.rows_duplicate:,}, rejected {result.rows_rejected:,}"
        + (f" {result.reasons}" if result.reasons else "")
    )
    console.print("It is in the working database; `cxtext run` publishes it to the analysts' file.")


def _ad_hoc_spec(settings, file, source, kind, map_, fmt, time_format, timezone, delimiter) -> SourceSpec:
    configured = settings.sources.get(source)
    if map_ is None:
        if configured is None:
            raise ConfigError(
                f"source {source!r} is not configured: give --kind and --map "
                f"(configured sources: {', '.join(settings.sources) or 'none'})"
            )
        base = configured.to_json()
    else:
        base = {"kind": configured.kind if configured else None, "columns": parse_map(map_)}
    overrides = {
        "kind": kind,
        "format": fmt,
        "created_at_format": time_format,
        "timezone": timezone,
        "delimiter": delimiter,
    }
    base.update({k: v for k, v in overrides.items() if v is not None})
    base.setdefault("format", guess_format(file))
    if base.get("kind") is None:
        raise ConfigError(f"--kind is required for a new source ({', '.join(KINDS)})")
    base.pop("name", None)
    return make_source_spec(source, base)


@app.command()
def run(
    adopt_config: bool = typer.Option(
        False, "--adopt-config", help="Let this config add its sources to a state folder made with another one."
    ),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Run the nightly flow now: ingest new landing files, publish the analysts' file.

    Exit 0, 1 on an error (the run did not complete), 3 when it completed and published but a health check failed.
    """
    settings = _settings(config, state_dir)
    if settings.config_path is None:
        raise ConfigError("no config file found (--config, $CXTEXT_CONFIG, ./cxtext.toml): start one with `cxtext init DIR`")
    # The flow takes the writer lock itself; checking first turns "another run is going" or
    # "this state folder belongs to another config" into a one-line message, not a failed flow run.
    with writer_lock(
        settings.lock_path,
        purpose="cxtext run",
        wait_seconds=settings.lock_wait_seconds,
        queue_behind=BACKFILL_PURPOSES,
        queue_seconds=settings.nightly_queue_seconds,
        on_wait=lambda holder: err.print(f"queued behind a backfill: {holder}", highlight=False),
    ):
        bind_state_folder(settings, adopt=adopt_config)
    from cxtext_flows.environment import apply_prefect_environment

    apply_prefect_environment(settings)
    from cxtext_flows.nightly import nightly  # Prefect is imported only by the commands that need it

    if not os.environ.get("PREFECT_API_URL"):
        err.print(f"starting the nightly flow on {TEMPORARY_SERVER}...")
    summary = nightly(config=str(settings.config_path) if settings.config_path else None, state_dir=str(settings.state_dir))
    console.print(
        f"run {summary['run_id']}: {summary['files_new']} new file(s), read {summary['rows_read']:,}, "
        f"loaded {summary['rows_loaded']:,}, duplicate {summary['rows_duplicate']:,}, rejected {summary['rows_rejected']:,}, "
        f"enriched {summary['enriched']:,}"
        + (f", [red]{summary['files_failed']} file(s) failed[/]" if summary["files_failed"] else "")
    )
    if summary.get("published") is False:
        console.print(f"nothing new since the last publish: {settings.published_db} and the report stay as they are")
    else:
        console.print(f"analysts' database: {settings.published_db}")
    if summary.get("alerts_sent"):
        console.print(f"{summary['alerts_sent']} alert(s) sent ([alerts] in the config)")
    failed = summary["checks"]["failed"]
    for line in failed:
        err.print(line, highlight=False, soft_wrap=True)
    if failed:
        err.print(f"{len(failed)} health check(s) failed (exit {EXIT_CHECKS_FAILED}); the run completed")
        raise typer.Exit(EXIT_CHECKS_FAILED)


@app.command()
def enrich(
    since: Optional[datetime] = typer.Option(
        None, help="Only feedback created on or after this day (reporting time zone), e.g. 2026-09-01."
    ),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Enrich now (sentences, sentiment, themes) what lacks a result for its current text and versions.

    The nightly run does the same; the analysts' file changes at the next `cxtext run`.
    """
    from cxtext.enrich.run import Selection
    from cxtext.enrich.run import enrich as run_enrich

    settings = _settings(config, state_dir)
    with open_workspace(settings, purpose="cxtext enrich") as workspace:
        store = workspace.store
        with (
            workspace.run("enrich", {"since": since}) as run,
            Progress(
                SpinnerColumn(),
                TextColumn("enriching"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=err,
                transient=True,
                disable=not err.is_terminal,
            ) as progress,
        ):
            if not err.is_terminal:
                err.print("enriching new, edited and stale feedback...", highlight=False)
            bar = progress.add_task("enrich", total=None)
            result = run_enrich(
                store,
                settings,
                selection=Selection(first_day=since.date() if since else None, timezone=settings.reporting_timezone),
                on_progress=lambda p: progress.update(bar, completed=p.records_done, total=p.records_total),
            )
            run.counts, run.versions = result.as_dict(), result.versions.as_dict()
    console.print(
        f"enriched {result.enriched:,} of {result.stale:,} stale {result.reasons or ''}: "
        f"{result.mentions:,} theme mentions in {result.seconds:.1f} s"
    )


@app.command()
def backfill(
    start: Optional[str] = typer.Option(None, "--start", help="First day (YYYY-MM-DD, reporting time zone); default: the first."),
    end: Optional[str] = typer.Option(None, "--end", help="Last day, inclusive; default: the last."),
    source: Optional[list[str]] = typer.Option(
        None, "--source", "-s", help="A source to recompute (repeat for more); default: all."
    ),
    steps: Optional[str] = typer.Option(
        None, "--steps", help="Comma-separated: reingest,enrich,topics,aggregate,publish (default: all but reingest)."
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Recompute even what is current (what a killed forced backfill finished is kept on re-run).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say how many records each step would recompute, and why."),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Recompute some days and sources after a taxonomy, lexicon or model change; re-read the archive after a mapping fix.

    Chunked by day, one transaction per chunk; safe to re-run; a killed backfill run again finishes the rest.
    """
    from cxtext.ops.backfill import BackfillRequest, plan, resume_point
    from cxtext.store.db import utcnow

    settings = _settings(config, state_dir)
    request = BackfillRequest.parse(settings, start=start, end=end, sources=source, steps=steps, force=force)
    if dry_run:
        if not settings.work_db.exists():
            raise CxtextError(f"no {settings.work_db} yet: run `cxtext run` first")
        try:
            with Store.open(settings.work_db, read_only=True, memory_limit=settings.duckdb_memory_limit) as store:
                resumed = resume_point(store, request)
                plans = plan(store, settings, request, forced_before=resumed[1] if resumed else utcnow())
        except duckdb.IOException:
            raise CxtextError(f"{settings.work_db.name} is busy: a run is writing it; try again when it is done") from None
        table = Table("step", "records", "why", "chunks (days)", "note", title=f"backfill (dry run): {request.describe()}")
        for p in plans:
            table.add_row(
                p.step,
                f"{p.records:,}" if p.step in ("reingest", "enrich", "topics") else "-",
                ", ".join(f"{k} {v:,}" for k, v in p.reasons.items()),
                str(p.chunks or "-"),
                p.note,
            )
        console.print(table)
        if resumed and request.force:
            console.print(f"would resume backfill run {resumed[0]}, which did not complete")
        return
    with writer_lock(
        settings.lock_path,
        purpose="cxtext backfill",
        wait_seconds=settings.lock_wait_seconds,
        queue_behind=NIGHTLY_PURPOSES,
        queue_seconds=settings.nightly_queue_seconds,
        on_wait=lambda holder: err.print(f"queued behind the nightly run: {holder}", highlight=False),
    ):
        pass  # a busy state folder is a one-line message, not a failed flow run
    from cxtext_flows.environment import apply_prefect_environment

    apply_prefect_environment(settings)
    if not os.environ.get("PREFECT_API_URL"):
        err.print(f"starting the backfill flow on {TEMPORARY_SERVER}...")
    from cxtext_flows.backfill import backfill as backfill_flow

    summary = backfill_flow(
        start=start,
        end=end,
        sources=list(source or []) or None,
        steps=list(request.steps),
        force=force,
        config=str(settings.config_path) if settings.config_path else None,
        state_dir=str(settings.state_dir),
    )
    console.print(
        f"backfill run {summary['run_id']} ({request.describe()}): rewrote {summary.get('rewritten', 0):,} row(s)"
        + (f", enriched {summary['enriched']:,}" if "enriched" in summary else "")
        + (f", topics reassigned {summary['topics_reassigned']:,}" if "topics_reassigned" in summary else "")
        + (f", re-read {summary['reingested_files']} archived file(s)" if "reingested_files" in summary else "")
    )
    if "publish" in request.steps:
        console.print(f"analysts' database: {settings.published_db}")


@app.command()
def serve(config: Optional[Path] = ConfigOption, state_dir: Optional[Path] = StateOption) -> None:
    """Serve the nightly flow on its schedule and the backfill flow on demand, one run at a time, until stopped.

    Needs a Prefect server (PREFECT_API_URL): see docs/OPERATIONS.md, "The nightly schedule".
    """
    settings = _settings(config, state_dir)
    if not os.environ.get("PREFECT_API_URL"):
        raise ConfigError(
            "cxtext serve needs a Prefect server: start one with `prefect server start --host 127.0.0.1` "
            "and set PREFECT_API_URL=http://127.0.0.1:4200/api (without a server schedules never fire)"
        )
    from cxtext_flows.environment import apply_prefect_environment

    apply_prefect_environment(settings)
    from cxtext_flows.deployments import serve_all

    console.print(
        f"serving nightly (cron {settings.nightly_cron!r}, {settings.schedule_timezone}) and backfill "
        f"for {settings.state_dir}; Ctrl-C stops (and pauses the schedule)"
    )
    serve_all(settings)


topics_app = typer.Typer(help="Topic discovery: the fitted model in the state folder.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")


@topics_app.command("fit")
def topics_fit(
    n_topics: Optional[int] = typer.Option(
        None, "--n-topics", help="Number of topics (default: chosen by silhouette up to topic_k_max)."
    ),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Refit the topic model on recent feedback; topics that match the old ones keep their ids.

    The next `cxtext run` (or `cxtext enrich`) assigns every feedback to the new model's topics.
    """
    from cxtext.enrich.topics import MIN_TOPIC_DOCS, fit_topic_model

    settings = _settings(config, state_dir)
    with open_workspace(settings, purpose="cxtext topics fit") as workspace:
        store = workspace.store
        with workspace.run("topics_fit", {"n_topics": n_topics}) as run, working("fitting topics"):
            model = fit_topic_model(store, settings, n_topics=n_topics)
            if model is None:
                raise CxtextError(
                    f"too little feedback to discover topics (fewer than {MIN_TOPIC_DOCS}, or all alike): ingest more first"
                )
            run.counts, run.versions = {"topics": model.n_topics_}, {"topics": model.version_}
    table = Table("topic", "label", "size in the fit")
    for topic_id in sorted(model.labels_):
        table.add_row(str(topic_id), model.labels_[topic_id], f"{model.sizes_[topic_id]:,}")
    console.print(table)
    console.print(f"topic model {model.version_} saved in {settings.topic_models_dir}; the next run assigns it")


sentiment_app = typer.Typer(help="Sentiment learned from the scores customers gave.", no_args_is_help=True)
app.add_typer(sentiment_app, name="sentiment")


@sentiment_app.command("fit")
def sentiment_fit(config: Optional[Path] = ConfigOption, state_dir: Optional[Path] = StateOption) -> None:
    """Learn each source's document sentiment from its customers' stars, NPS or CSAT.

    Fitted on half of each source's scored feedback, measured on the other half against the
    lexicon; the next `cxtext run` (or `cxtext enrich`) re-scores with the new models.
    """
    from cxtext.enrich.learned import fit_sources, models_dir

    settings = _settings(config, state_dir)
    with open_workspace(settings, purpose="cxtext sentiment fit") as workspace:
        with workspace.run("sentiment_fit", {}) as run, working("learning from the scores"):
            report = fit_sources(workspace.store, settings)
            run.counts = {"models": sum("version" in r for r in report)}
            run.versions = {r["source"]: r["version"] for r in report if "version" in r}
    table = Table("source", "score", "learned from", "held back", "macro-F1 lexicon", "macro-F1 learned", "model")
    for r in report:
        table.add_row(
            r["source"],
            r["score"],
            f"{r['learned_from']:,}",
            f"{r['held_back']:,}",
            f"{r['before']:.3f}" if "before" in r else "—",
            f"{r['after']:.3f}" if "after" in r else "—",
            r.get("version", r.get("error", "")),
        )
    console.print(table)
    if not run.counts["models"]:
        reasons = "; ".join(f"{r['source']}: {r['error']}" for r in report) or "no feedback"
        raise CxtextError(f"no model fitted ({reasons}); document labels stay the lexicon's")
    console.print(f"models in {models_dir(settings)}; the next run re-scores the document labels of these sources")
