"""The `cxtext` command: a thin face over the library and the flows.

Commands turn the library's named errors into one-line messages; only `run` reaches into
`flows/`, lazily, so that the other commands start fast and without Prefect.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator, Optional

import duckdb
import typer
from rich.console import Console
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

from cxtext.config import (
    KINDS,
    Settings,
    SourceSpec,
    guess_format,
    load_settings,
    make_source_spec,
    parse_map,
)
from cxtext.errors import ConfigError, CxtextError
from cxtext.insights.views import define_views
from cxtext.store.db import Store
from cxtext.store.ledger import recorded_run
from cxtext.store.introspection import schema_markdown
from cxtext.store.lock import writer_lock

app = typer.Typer(
    help="cxtext: customer feedback (reviews, surveys, social) into a DuckDB file analysts can use.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# Piped output is not cut to 80 columns: tables stay whole in files and logs.
console = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True)

ConfigOption = typer.Option(None, "--config", "-c", help="Config file (default: $CXTEXT_CONFIG or ./cxtext.toml).")
StateOption = typer.Option(None, "--state-dir", help="State folder (default: from the config, 'out').")


def _settings(config: Optional[Path], state_dir: Optional[Path]) -> Settings:
    return load_settings(config, state_dir=state_dir)


@app.command("sample-data")
def sample_data(
    out: Path = typer.Option(Path("sample_data"), "--out", "-o", help="Folder to write the files and manifest.json into."),
    seed: int = typer.Option(42, help="Random seed: the same seed writes byte-identical files."),
    reviews: int = typer.Option(1600, help="Number of good review records."),
    surveys: int = typer.Option(1400, help="Number of good survey records."),
    social: int = typer.Option(1200, help="Number of good social mentions."),
) -> None:
    """Write the seeded sample data (reviews, survey comments, social mentions) and its manifest."""
    from cxtext.devtools.sampledata import generate

    manifest = generate(out, seed=seed, n_reviews=reviews, n_surveys=surveys, n_social=social)
    for name, info in manifest["files"].items():
        console.print(f"wrote {out / name}: {info['records']} records ({info['good']} good)")
    console.print(f"wrote {out / 'manifest.json'}: {len(manifest['planted'])} planted pain points")


@app.command()
def ingest(
    file: Path = typer.Argument(..., help="The file to ingest (CSV, JSONL or Parquet)."),
    source: str = typer.Option(..., "--source", "-s", help="Source name: a configured source, or a new one (then give --kind and --map)."),
    kind: Optional[str] = typer.Option(None, "--kind", "-k", help=f"Kind of feedback: {', '.join(KINDS)}."),
    map_: Optional[str] = typer.Option(None, "--map", "-m", help="Column map FIELD=COLUMN,...; needs created_at and text, e.g. text=body,created_at=ts,source_id=id."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="csv, jsonl or parquet (default: from the file name)."),
    time_format: Optional[str] = typer.Option(None, "--time-format", help="iso, epoch_s, epoch_ms or a strptime format (default iso)."),
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
    with writer_lock(settings.lock_path, purpose=f"cxtext ingest {file.name}", wait_seconds=settings.lock_wait_seconds), \
            Store.open(settings.work_db, memory_limit=settings.duckdb_memory_limit) as store:
        with recorded_run(store, "ingest", {"file": str(file), "source": spec.name, "mapping": spec.to_json()}) as run, \
                Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed:,} records"),
                         TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as progress:
            bar = progress.add_task(f"ingesting {file.name}", total=None)
            result = ingest_file(store, settings, file, spec, run_id=run.run_id,
                                 on_progress=lambda n: progress.update(bar, completed=n))
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
    overrides = {"kind": kind, "format": fmt, "created_at_format": time_format, "timezone": timezone, "delimiter": delimiter}
    base.update({k: v for k, v in overrides.items() if v is not None})
    base.setdefault("format", guess_format(file))
    if base.get("kind") is None:
        raise ConfigError(f"--kind is required for a new source ({', '.join(KINDS)})")
    base.pop("name", None)
    return make_source_spec(source, base)


@app.command()
def run(config: Optional[Path] = ConfigOption, state_dir: Optional[Path] = StateOption) -> None:
    """Run the nightly flow now: ingest new landing files, publish the analysts' file."""
    settings = _settings(config, state_dir)
    # The flow takes the writer lock itself; checking first turns "another run is going" into a
    # one-line message instead of a failed flow run.
    with writer_lock(settings.lock_path, purpose="cxtext run", wait_seconds=settings.lock_wait_seconds):
        pass
    from flows.environment import apply_prefect_environment

    apply_prefect_environment(settings)
    from cxtext_flows.nightly import nightly  # Prefect is imported only by the commands that need it

    summary = nightly(config=str(settings.config_path) if settings.config_path else None,
                      state_dir=str(settings.state_dir))
    console.print(
        f"run {summary['run_id']}: {summary['files_new']} new file(s), read {summary['rows_read']:,}, "
        f"loaded {summary['rows_loaded']:,}, duplicate {summary['rows_duplicate']:,}, rejected {summary['rows_rejected']:,}, "
        f"enriched {summary['enriched']:,}"
        + (f", [red]{summary['files_failed']} file(s) failed[/]" if summary["files_failed"] else "")
    )
    console.print(f"analysts' database: {settings.published_db}")


@app.command()
def enrich(
    since: Optional[datetime] = typer.Option(None, help="Only feedback created on or after this day (reporting time zone), e.g. 2026-09-01."),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Enrich now (sentences, sentiment, themes) what lacks a result for its current text and versions.

    The nightly run does the same; the analysts' file changes at the next `cxtext run`.
    """
    from cxtext.enrich.run import Selection, enrich as run_enrich

    settings = _settings(config, state_dir)
    with writer_lock(settings.lock_path, purpose="cxtext enrich", wait_seconds=settings.lock_wait_seconds), \
            Store.open(settings.work_db, memory_limit=settings.duckdb_memory_limit) as store:
        with recorded_run(store, "enrich", {"since": since}) as run, \
                Progress(SpinnerColumn(), TextColumn("enriching"), BarColumn(), MofNCompleteColumn(),
                         TimeRemainingColumn(), console=err, transient=True, disable=not err.is_terminal) as progress:
            bar = progress.add_task("enrich", total=None)
            result = run_enrich(store, settings, selection=Selection(first_day=since.date() if since else None,
                                                                     timezone=settings.reporting_timezone),
                                on_progress=lambda p: progress.update(bar, completed=p.records_done, total=p.records_total))
            run.counts, run.versions = result.as_dict(), result.versions.as_dict()
    console.print(f"enriched {result.enriched:,} of {result.stale:,} stale {result.reasons or ''}: "
                  f"{result.mentions:,} theme mentions in {result.seconds:.1f} s")


@app.command()
def backfill(
    start: Optional[str] = typer.Option(None, "--start", help="First day (YYYY-MM-DD, reporting time zone); default: the first."),
    end: Optional[str] = typer.Option(None, "--end", help="Last day, inclusive; default: the last."),
    source: Optional[list[str]] = typer.Option(None, "--source", "-s", help="A source to recompute (repeat for more); default: all."),
    steps: Optional[str] = typer.Option(None, "--steps", help="Comma-separated: reingest,enrich,topics,aggregate,publish (default: all but reingest)."),
    force: bool = typer.Option(False, "--force", help="Recompute even what is current (what a killed forced backfill finished is kept on re-run)."),
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
            table.add_row(p.step, f"{p.records:,}" if p.step in ("reingest", "enrich", "topics") else "-",
                          ", ".join(f"{k} {v:,}" for k, v in p.reasons.items()), str(p.chunks or "-"), p.note)
        console.print(table)
        if resumed and request.force:
            console.print(f"would resume backfill run {resumed[0]}, which did not complete")
        return
    with writer_lock(settings.lock_path, purpose="cxtext backfill", wait_seconds=settings.lock_wait_seconds):
        pass  # a busy state folder is a one-line message, not a failed flow run
    from flows.environment import apply_prefect_environment

    apply_prefect_environment(settings)
    from cxtext_flows.backfill import backfill as backfill_flow

    summary = backfill_flow(start=start, end=end, sources=list(source or []) or None,
                            steps=list(request.steps), force=force,
                            config=str(settings.config_path) if settings.config_path else None,
                            state_dir=str(settings.state_dir))
    console.print(f"backfill run {summary['run_id']} ({request.describe()}): rewrote {summary.get('rewritten', 0):,} row(s)"
                  + (f", enriched {summary['enriched']:,}" if "enriched" in summary else "")
                  + (f", topics reassigned {summary['topics_reassigned']:,}" if "topics_reassigned" in summary else "")
                  + (f", re-read {summary['reingested_files']} archived file(s)" if "reingested_files" in summary else ""))
    if "publish" in request.steps:
        console.print(f"analysts' database: {settings.published_db}")


@app.command()
def serve(config: Optional[Path] = ConfigOption, state_dir: Optional[Path] = StateOption) -> None:
    """Serve the nightly flow on its schedule and the backfill flow on demand, one run at a time, until stopped.

    Needs a Prefect server (PREFECT_API_URL): see docs/OPERATIONS.md, "The nightly schedule".
    """
    import os

    settings = _settings(config, state_dir)
    if not os.environ.get("PREFECT_API_URL"):
        raise ConfigError("cxtext serve needs a Prefect server: start one with `prefect server start --host 127.0.0.1` "
                          "and set PREFECT_API_URL=http://127.0.0.1:4200/api (without a server schedules never fire)")
    from flows.environment import apply_prefect_environment

    apply_prefect_environment(settings)
    from cxtext_flows.deployments import serve_all

    console.print(f"serving nightly (cron {settings.nightly_cron!r}, {settings.schedule_timezone}) and backfill "
                  f"for {settings.state_dir}; Ctrl-C stops (and pauses the schedule)")
    serve_all(settings)


topics_app = typer.Typer(help="Topic discovery: the fitted model in the state folder.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")


@topics_app.command("fit")
def topics_fit(
    n_topics: Optional[int] = typer.Option(None, "--n-topics", help="Number of topics (default: chosen by silhouette up to topic_k_max)."),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Refit the topic model on recent feedback; topics that match the old ones keep their ids.

    The next `cxtext run` (or `cxtext enrich`) assigns every feedback to the new model's topics.
    """
    from cxtext.enrich.topics import MIN_TOPIC_DOCS, fit_topic_model

    settings = _settings(config, state_dir)
    with writer_lock(settings.lock_path, purpose="cxtext topics fit", wait_seconds=settings.lock_wait_seconds), \
            Store.open(settings.work_db, memory_limit=settings.duckdb_memory_limit) as store:
        with recorded_run(store, "topics_fit", {"n_topics": n_topics}) as run, err.status("fitting topics…"):
            model = fit_topic_model(store, settings, n_topics=n_topics)
            if model is None:
                raise CxtextError(f"too little feedback to discover topics (fewer than {MIN_TOPIC_DOCS}): ingest more first")
            run.counts, run.versions = {"topics": model.n_topics_}, {"topics": model.version_}
    table = Table("topic", "label", "size in the fit")
    for topic_id in sorted(model.labels_):
        table.add_row(str(topic_id), model.labels_[topic_id], f"{model.sizes_[topic_id]:,}")
    console.print(table)
    console.print(f"topic model {model.version_} saved in {settings.topic_models_dir}; the next run assigns it")


@app.command("eval")
def evaluate(
    data: Path = typer.Option(..., "--data", help="Folder of the public labelled data sets (e.g. ../shared/data); only read."),
    sample: Path = typer.Option(Path("sample_data"), "--sample", help="The sample data folder (with manifest.json)."),
    out: Path = typer.Option(Path("docs/EVALUATION.md"), "--out", help="Markdown file to write."),
    gate: Optional[Path] = typer.Option(
        None, "--gate", help="Floors file (models/eval/floors.toml): exit 1 when a figure is below its floor or missing."
    ),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Measure sentiment, theme detection and the sample's planted pain points; write the figures; check floors."""
    import shlex

    from cxtext.evaluation.report import build_report
    from cxtext.evaluation.gate import gate_failures, load_floors, unfloored

    if not data.is_dir():
        raise ConfigError(f"--data {data}: not a folder")
    floors = load_floors(gate) if gate else None  # a bad floors file fails before the long run
    settings = _settings(config, None)
    command = "cxtext eval " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    figures: dict[str, float] = {}
    report = build_report(data, sample_dir=sample, settings=settings, command=command.strip(), figures=figures)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, encoding="utf-8")
    console.print(f"wrote {out}")
    if floors is None:
        return
    extra = unfloored(figures, floors)
    if extra:
        print(f"eval gate: {len(extra)} figures have no floor in {gate}: {', '.join(extra)}", file=sys.stderr)
    failures = gate_failures(figures, floors)
    for line in failures:
        print(f"eval gate: {line} ({gate})", file=sys.stderr)
    if failures:
        print(f"eval gate: FAILED, {len(failures)} of {len(floors)} floors not met", file=sys.stderr)
        raise typer.Exit(1)
    console.print(f"eval gate: all {len(floors)} figures at or above their floors in {gate}")


@app.command()
def bench(
    n: int = typer.Option(10_000, "--n", help="Records to generate (e.g. 10000, 100000, 1000000)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Workers of the parallel run (default: the config's, one per core)."),
    out: Optional[Path] = typer.Option(Path("docs/BENCHMARKS.md"), "--out", help="Markdown file the results are appended to ('-' for none)."),
    keep: Optional[Path] = typer.Option(None, "--keep", help="Work in this folder and keep it (default: a temporary folder, removed)."),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Benchmark the whole pipeline on N generated records against the bare VADER loop, with one worker and with all of them."""
    from cxtext.devtools.bench import run_bench

    settings = _settings(config, None)
    if n < 300:
        raise ConfigError("--n: at least 300 records (a topic model needs 200 feedback)")
    run_bench(n, workers=workers or settings.workers, out=None if str(out) == "-" else out, keep=keep,
              echo=lambda line: console.print(line, highlight=False, markup=False))


@app.command()
def report(
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="HTML file to write (default: the state folder's report.html)."),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Write the HTML report (journey map, pain points, trends, emerging issues, topics, data quality) from the analysts' file."""
    from cxtext.report.html import write_report

    settings = _settings(config, state_dir)
    if not settings.published_db.exists():
        raise CxtextError(f"no {settings.published_db} yet: run `cxtext run` first")
    with Store.open(settings.published_db, read_only=True) as store:
        target = write_report(store, out or settings.report_path)
    console.print(f"wrote {target}")


@app.command()
def publish(
    rollback: Optional[int] = typer.Option(None, "--rollback", help="Republish the snapshot N publishes back (default 1: the one before the last) instead of the working database.", show_default=False),
    list_: bool = typer.Option(False, "--list", help="List the kept snapshots, newest first, and publish nothing."),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Publish the analysts' file now from the working database, or roll it back to a kept snapshot (--rollback [N]).

    Either way the file is replaced atomically, the report rewritten from it, and the run recorded in the
    ledger. A rollback lasts until the next publish (the next nightly run publishes the working database
    again, and says so in its log).
    """
    from cxtext.report.html import write_report
    from cxtext.insights.refresh import publish_with_aggregates
    from cxtext.store.publish import rollback as roll_back, snapshot_files

    settings = _settings(config, state_dir)
    if list_:
        for number, path in enumerate(snapshot_files(settings.snapshots_dir)):
            console.print(f"{number}  {path.name}  {path.stat().st_size / 1e6:.1f} MB", highlight=False)
        return
    with writer_lock(settings.lock_path, purpose="cxtext publish", wait_seconds=settings.lock_wait_seconds), \
            Store.open(settings.work_db, memory_limit=settings.duckdb_memory_limit) as store:
        if rollback is None:
            with recorded_run(store, "publish", {}) as run:
                published = publish_with_aggregates(store, settings.published_db, snapshots=settings.snapshots_dir,
                                          keep=settings.snapshots_kept, label=f"run{run.run_id}")
            console.print(f"published {published.path} ({published.size / 1e6:.1f} MB), snapshot {published.snapshot.name}")
        else:
            kept = snapshot_files(settings.snapshots_dir)
            chosen = kept[rollback].name if 0 < rollback < len(kept) else None
            with recorded_run(store, "rollback", {"back": rollback, "snapshot": chosen}) as run:
                snapshot, _ = roll_back(settings.snapshots_dir, settings.published_db, rollback)
                run.counts = {"snapshot": snapshot.name}
            console.print(f"rolled back {settings.published_db} to {snapshot.name} (run {run.run_id}); "
                          "the next publish (the nightly run) replaces it with the working database")
    with Store.open(settings.published_db, read_only=True) as published_store:
        write_report(published_store, settings.report_path)


@app.command()
def forget(
    customer: Optional[str] = typer.Option(None, "--customer", help="The customer's key as the source sends it (id, e-mail, handle); it is hashed with the salt, never stored."),
    source: Optional[str] = typer.Option(None, "--source", "-s", help="With --record-id: the source of one record to erase."),
    record_id: Optional[str] = typer.Option(None, "--record-id", help="With --source: the source's id of the record."),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Right to erasure: remove a customer's feedback (or one record) and all derived from it everywhere, then republish.

    Working database, rejects, archive, every kept snapshot and the report; the audit row (`erasures`)
    holds a random request id and counts, nothing personal.
    """
    from cxtext.insights.refresh import publish_with_aggregates, refresh_aggregates
    from cxtext.ops.erasure import Target, compact, erase_snapshots, forget as erase, record_erasure
    from cxtext.store.db import PUBLISHED_STORAGE_VERSION
    from cxtext.report.html import write_report
    from cxtext.store.ledger import error_line, finish_run, start_run

    settings = _settings(config, state_dir)
    target = Target(customer=customer, source=source, record_id=record_id)
    if not settings.work_db.exists():
        raise CxtextError(f"no {settings.work_db} yet: nothing to erase")
    with writer_lock(settings.lock_path, purpose="cxtext forget", wait_seconds=settings.lock_wait_seconds):
        with Store.open(settings.work_db, memory_limit=settings.duckdb_memory_limit) as store:
            run_id = start_run(store, "forget", {"by": target.kind})
            try:
                erasure = erase(store, settings, target)
                refresh_aggregates(store, settings)
            except BaseException as exc:
                finish_run(store, run_id, "failed", error=error_line(exc, "see the command's output"))
                raise
        try:
            erasure.snapshots = erase_snapshots(settings, target)
        except BaseException as exc:
            with Store.open(settings.work_db, memory_limit=settings.duckdb_memory_limit) as store:
                finish_run(store, run_id, "failed", error=error_line(exc, "see the command's output; run it again"))
            raise
        # The deleted rows leave the working file's free blocks too, before it is published (a file copy).
        compact(settings.work_db, storage_version=PUBLISHED_STORAGE_VERSION)
        with Store.open(settings.work_db, memory_limit=settings.duckdb_memory_limit) as store:
            counts = {"rows_removed": erasure.rows, "archive_files_rewritten": erasure.archive_files,
                      "snapshots_rewritten": erasure.snapshots, "erasure_id": erasure.erasure_id}
            record_erasure(store, erasure, target.kind, run_id)
            finish_run(store, run_id, "completed", counts)
            published = publish_with_aggregates(store, settings.published_db, snapshots=settings.snapshots_dir,
                                      keep=settings.snapshots_kept, label=f"run{run_id}")
    with Store.open(published.path, read_only=True) as published_store:
        write_report(published_store, settings.report_path)
    removed = sum(erasure.rows.values())
    console.print(f"erasure {erasure.erasure_id} (run {run_id}): removed {removed:,} row(s) {erasure.rows}, "
                  f"rewrote {erasure.archive_files} archived file(s) and {erasure.snapshots} snapshot(s), republished "
                  f"{published.path}", highlight=False)
    if not removed:
        console.print("nothing matched: check the key (as the source sends it) or the source and record id")


@app.command()
def sources(config: Optional[Path] = ConfigOption) -> None:
    """List the configured sources and where the nightly run looks for their files."""
    settings = _settings(config, None)
    table = Table("source", "kind", "format", "landing folder", "files", "time format (zone)", "columns")
    for spec in settings.sources.values():
        landing = _shown_path(spec.landing) if spec.landing else "-"
        table.add_row(spec.name, spec.kind, spec.format, landing, spec.pattern,
                      f"{spec.created_at_format} ({spec.timezone})",
                      "\n".join(f"{k}={v}" for k, v in spec.columns.items()))
    console.print(table)
    if settings.config_path is None:
        console.print("no config file found (looked for $CXTEXT_CONFIG and ./cxtext.toml)")


def _shown_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@app.command()
def runs(
    limit: int = typer.Option(20, "--limit", "-n", help="How many recent runs to show."),
    run_id: Optional[int] = typer.Option(None, "--run", help="Show one run whole: parameters, versions, counts, error."),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Show recent runs from the ledger, newest first: what ran, with what, what it did, how it ended."""
    settings = _settings(config, state_dir)
    with _reader(settings) as store:
        rows = store.dicts("SELECT run_id, flow, status, parameters, versions, counts, error, started_at, finished_at, pid "
                           "FROM runs WHERE ? IS NULL OR run_id = ? ORDER BY run_id DESC LIMIT ?", [run_id, run_id, limit])
    if run_id is not None:
        if not rows:
            raise CxtextError(f"no run {run_id} in the ledger")
        r = rows[0]
        for key in ("parameters", "versions", "counts"):
            r[key] = json.loads(r[key]) if r[key] else None
        console.print_json(json.dumps(r, default=str))
        return
    table = Table("run", "flow", "status", "started (UTC)", "seconds", "parameters", "did", "versions", "error")
    for r in rows:
        seconds = f"{(r['finished_at'] - r['started_at']).total_seconds():.1f}" if r["finished_at"] else "-"
        table.add_row(str(r["run_id"]), r["flow"], r["status"], f"{r['started_at']:%Y-%m-%d %H:%M:%S}", seconds,
                      _brief_parameters(r["parameters"]), _brief_counts(r["counts"]), _brief_versions(r["versions"]),
                      r["error"] or "")
    console.print(table)
    console.print("`cxtext runs --run N` shows one run whole.")


#: The counts worth a glance, in the order ops read them.
RUN_COUNTS = ("files_new", "files_failed", "rows_read", "rows_loaded", "rows_duplicate", "rows_rejected", "enriched",
              "topics_reassigned", "stale_left", "left", "rewritten", "reingested_files", "topics")


def _brief_parameters(text: str | None) -> str:
    params = json.loads(text) if text else {}
    hidden = {"config", "state_dir", "prefect_flow_run_id", "forced_before", "mapping"}
    return " ".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in params.items()
                    if k not in hidden and v not in (None, [], False))


def _brief_counts(text: str | None) -> str:
    counts = json.loads(text) if text else {}
    return " ".join(f"{k}={counts[k]:,}" for k in RUN_COUNTS if isinstance(counts.get(k), int) and counts[k])


def _brief_versions(text: str | None) -> str:
    versions = json.loads(text) if text else {}
    shown = {"taxonomy": 8, "sentiment": 24, "topics": 12}
    return " ".join(f"{k}={str(versions[k])[:n]}" for k, n in shown.items() if versions.get(k))


# Help texts are rich markup: a literal [word] is written \\[word], or it vanishes.
@app.command()
def check(config: Optional[Path] = ConfigOption, state_dir: Optional[Path] = StateOption) -> None:
    """Health and freshness checks, one line each (ok / warn / fail, the figure, the threshold); exit 1 when one fails.

    Thresholds: \\[checks] in cxtext.toml. Wire it to an alert: docs/OPERATIONS.md, "Health checks and alerts".
    """
    from cxtext.ops.checks import run_checks, worst

    settings = _settings(config, state_dir)
    with _reader(settings) as store:
        checks = run_checks(store, settings)
    for c in checks:
        print(c.line())
    if worst(checks) == "fail":
        raise typer.Exit(1)


@app.command()
def schema(
    fresh: bool = typer.Option(False, "--fresh", help="Document a new empty database of this version, made in memory "
                               "(no config or state folder needed): docs/SCHEMA.md is `cxtext schema --fresh`."),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Print the documentation of every table and view (from the database's own comments) as Markdown."""
    if fresh:
        with Store.open(":memory:") as store:
            define_views(store, "UTC")  # the views' documentation is the same in every time zone
            print("# Schema\n\nEvery table and view of the working database and the analysts' file, from the "
                  "database's own comments.\nGenerated by `cxtext schema --fresh > docs/SCHEMA.md`; a test fails "
                  "when it is out of date.\n\n" + schema_markdown(store).rstrip("\n"))
        return
    settings = _settings(config, state_dir)
    with _reader(settings) as store:
        print(schema_markdown(store))


@contextmanager
def _reader(settings: Settings) -> Iterator[Store]:
    """The working database read-only; the published file when a run holds the working one."""
    for path in (settings.work_db, settings.published_db):
        if not path.exists():
            continue
        with ExitStack() as stack:
            try:
                store = stack.enter_context(Store.open(path, read_only=True))
            except duckdb.IOException:
                err.print(f"{path.name} is busy (a run is writing it); trying {settings.published_db.name}")
                continue
            yield store
            return
    raise CxtextError(f"no readable database in {settings.state_dir}: run `cxtext run` first")


def _optional_rollback(argv: list[str]) -> list[str]:
    """`--rollback` with no number means one publish back (Typer options always take a value)."""
    out = list(argv)
    for i, arg in enumerate(out):
        if arg == "--rollback" and (i + 1 == len(out) or not out[i + 1].lstrip("-").isdigit()):
            out.insert(i + 1, "1")
            break
    return out


def main() -> None:
    try:
        app(args=_optional_rollback(sys.argv[1:]))
    except CxtextError as exc:
        err.print(f"[red]error:[/] {exc}", soft_wrap=True, highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
