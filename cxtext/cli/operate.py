"""Commands that operate and inspect the state folder: report, publish, forget, sources, runs, check, schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from cxtext.cli.app import ConfigOption, StateOption, _reader, _settings, app, console, err, working
from cxtext.errors import CxtextError, DatabaseDamaged
from cxtext.insights.views import define_views
from cxtext.ops.workspace import open_workspace
from cxtext.store.db import Store
from cxtext.store.introspection import schema_markdown


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
    with Store.open(settings.published_db, read_only=True) as store, working("writing the report"):
        target = write_report(store, out or settings.report_path)
    console.print(f"wrote {target}")


@app.command()
def publish(
    rollback: Optional[int] = typer.Option(
        None,
        "--rollback",
        help="Republish the snapshot N publishes back (default 1: the one before the last) instead of the working database.",
        show_default=False,
    ),
    list_: bool = typer.Option(False, "--list", help="List the kept snapshots, newest first, and publish nothing."),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Publish the analysts' file now from the working database, or roll it back to a kept snapshot (--rollback [N]).

    Either way the file is replaced atomically, the report rewritten from it, and the run recorded in the
    ledger. A rollback lasts until the next publish (the next nightly run publishes the working database
    again, and says so in its log).
    """
    from cxtext.insights.refresh import publish_with_aggregates
    from cxtext.report.html import write_report
    from cxtext.store.publish import rollback as roll_back
    from cxtext.store.publish import snapshot_files

    settings = _settings(config, state_dir)
    if list_:
        for number, path in enumerate(snapshot_files(settings.snapshots_dir)):
            console.print(f"{number}  {path.name}  {path.stat().st_size / 1e6:.1f} MB", highlight=False)
        return
    with open_workspace(settings, purpose="cxtext publish") as workspace:
        store = workspace.store
        if rollback is None:
            with workspace.run("publish", {}) as run, working("publishing (daily aggregates, then a file copy)"):
                published = publish_with_aggregates(
                    store,
                    settings.published_db,
                    snapshots=settings.snapshots_dir,
                    timezone=settings.reporting_timezone,
                    keep=settings.snapshots_kept,
                    label=f"run{run.run_id}",
                    finish=lambda database: run.complete(store, database=database),
                )
                run.complete(store)
            console.print(f"published {published.path} ({published.size / 1e6:.1f} MB), snapshot {published.snapshot.name}")
        else:
            kept = snapshot_files(settings.snapshots_dir)
            chosen = kept[rollback].name if 0 < rollback < len(kept) else None
            with workspace.run("rollback", {"back": rollback, "snapshot": chosen}) as run:
                snapshot, _ = roll_back(settings.snapshots_dir, settings.published_db, rollback)
                run.counts = {"snapshot": snapshot.name}
            console.print(
                f"rolled back {settings.published_db} to {snapshot.name} (run {run.run_id}); "
                "the next publish (the nightly run) replaces it with the working database"
            )
    with Store.open(settings.published_db, read_only=True) as published_store:
        write_report(published_store, settings.report_path)


@app.command()
def forget(
    customer: Optional[str] = typer.Option(
        None,
        "--customer",
        help="The customer's key as the source sends it (id, e-mail, handle); it is hashed with the salt, never stored.",
    ),
    source: Optional[str] = typer.Option(None, "--source", "-s", help="With --record-id: the source of one record to erase."),
    record_id: Optional[str] = typer.Option(None, "--record-id", help="With --source: the source's id of the record."),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Right to erasure: remove a customer's feedback (or one record) and all derived from it everywhere, then republish.

    Working database, rejects, archive, every kept snapshot, the report, theme suggestions, fitted
    models (refitted) and recorded exports; the audit row (`erasures`) holds a random request id and
    counts, nothing personal.
    """
    from cxtext.ops.erasure import Target, forget_everywhere

    settings = _settings(config, state_dir)
    target = Target(customer=customer, source=source, record_id=record_id)
    if not settings.work_db.exists():
        raise CxtextError(f"no {settings.work_db} yet: nothing to erase")
    with open_workspace(settings, purpose="cxtext forget") as workspace:
        with working("erasing (working database, archive, snapshots), then republishing"):
            erasure, published = forget_everywhere(workspace, target)
        run_id = workspace.store.scalar("SELECT max(run_id) FROM runs WHERE flow = 'forget'")
    removed = sum(erasure.rows.values())
    console.print(
        f"erasure {erasure.erasure_id} (run {run_id}): removed {removed:,} row(s) {erasure.rows}, "
        f"rewrote {erasure.archive_files} archived file(s) and {erasure.snapshots} snapshot(s), republished "
        f"{published.path}",
        highlight=False,
    )
    if not removed:
        console.print("nothing matched: check the key (as the source sends it) or the source and record id")
    for failure in erasure.exports_not_rewritten:
        err.print(f"warning: a recorded export could not be written again; delete it by hand: {failure}", highlight=False)


@app.command()
def sources(config: Optional[Path] = ConfigOption) -> None:
    """List the configured sources and where the nightly run looks for their files."""
    settings = _settings(config, None)
    table = Table("source", "kind", "format", "landing folder", "files", "time format (zone)", "columns")
    for spec in settings.sources.values():
        landing = _shown_path(spec.landing) if spec.landing else "-"
        table.add_row(
            spec.name,
            spec.kind,
            spec.format,
            landing,
            spec.pattern,
            f"{spec.created_at_format} ({spec.timezone})",
            "\n".join(f"{k}={v}" for k, v in spec.columns.items()),
        )
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
        rows = store.dicts(
            "SELECT run_id, flow, status, parameters, versions, counts, error, started_at, finished_at, pid "
            "FROM runs WHERE ? IS NULL OR run_id = ? ORDER BY run_id DESC LIMIT ?",
            [run_id, run_id, limit],
        )
    if run_id is not None:
        if not rows:
            raise CxtextError(f"no run {run_id} in the ledger")
        r = rows[0]
        for key in ("parameters", "versions", "counts"):
            r[key] = json.loads(r[key]) if r[key] else None
        console.print_json(json.dumps(r, default=str))
        return
    # Fits 80 columns: what ran and how it ended on the left, unwrapped; what it did (its
    # parameters, counts, error) wraps on the right. Versions: `cxtext runs --run N`.
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
    for name in ("run", "flow", "status", "started UTC", "s"):
        table.add_column(name, no_wrap=True, justify="right" if name in ("run", "s") else "left")
    table.add_column("did", overflow="fold", ratio=1, min_width=20)
    for r in rows:
        seconds = f"{(r['finished_at'] - r['started_at']).total_seconds():.0f}" if r["finished_at"] else "-"
        did = " ".join(filter(None, (_brief_parameters(r["parameters"]), _brief_counts(r["counts"]))))
        if r["error"]:
            did += ("\n" if did else "") + f"[red]{escape(r['error'])}[/]"
        table.add_row(str(r["run_id"]), r["flow"], r["status"], f"{r['started_at']:%m-%d %H:%M}", seconds, did)
    console.print(table)
    console.print("`cxtext runs --run N` shows one run whole: parameters, versions, counts, error.")


#: The counts worth a glance, in the order ops read them.
RUN_COUNTS = (
    "checks_failed",
    "files_new",
    "files_failed",
    "rows_read",
    "rows_loaded",
    "rows_duplicate",
    "rows_rejected",
    "enriched",
    "topics_reassigned",
    "stale_left",
    "left",
    "rewritten",
    "reingested_files",
    "topics",
)


def _brief_parameters(text: str | None) -> str:
    params = json.loads(text) if text else {}
    hidden = {"config", "state_dir", "prefect_flow_run_id", "forced_before", "mapping"}
    return " ".join(
        f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}"
        for k, v in params.items()
        if k not in hidden and v not in (None, [], False)
    )


def _brief_counts(text: str | None) -> str:
    counts = json.loads(text) if text else {}
    return " ".join(f"{k}={counts[k]:,}" for k in RUN_COUNTS if isinstance(counts.get(k), int) and counts[k])


@app.command()
def recover(
    from_snapshot: bool = typer.Option(
        False,
        "--from-snapshot",
        help="Replace the working database by a kept snapshot.",
    ),
    rebuild: bool = typer.Option(
        False,
        "--rebuild",
        help="Make the working database again from the archive's files (no snapshot needed), then enrich it again.",
    ),
    back: int = typer.Option(0, "--back", help="Which snapshot: 0 the newest, 1 the one before, ... (`cxtext publish --list`)."),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Recover a damaged working database (`cxtext check` says "damaged or truncated") from a kept snapshot, or rebuild it.

    The damaged file is set aside (`pipeline.duckdb.damaged-<UTC time>`, deleted by the next `cxtext forget`).
    From a snapshot, what was ingested after it is read again from the landing folders by the next run. A
    rebuild re-reads every archived file (erased records stay out) and enriches again; `cxtext publish` then
    publishes it. See docs/OPERATIONS.md, "Recovery".
    """
    from cxtext.ops.recover import rebuild_from_archive, recover_from_snapshot

    if from_snapshot == rebuild:
        raise CxtextError("say how: `cxtext recover --from-snapshot` or `--rebuild` (docs/OPERATIONS.md, Recovery)")
    settings = _settings(config, state_dir)
    if rebuild:
        with working("rebuilding from the archive"):
            rebuilt = rebuild_from_archive(settings)
        counts = rebuilt.counts
        console.print(
            f"rebuilt {settings.work_db} from {counts.get('reingested_files', 0)} archived file(s): "
            f"{counts.get('reingested_loaded', 0):,} record(s) loaded, {counts.get('enriched', 0):,} enriched; index from "
            f"{rebuilt.index_from.name if rebuilt.index_from else 'the archive alone'}"
            + (f"; the damaged file is {rebuilt.aside.name}" if rebuilt.aside else ""),
            highlight=False,
        )
        for path in rebuilt.unread:
            console.print(f"not read (no single configured source fits it): {path}", highlight=False)
        console.print("publish it with `cxtext publish`", highlight=False)
        return
    snapshot, aside = recover_from_snapshot(settings, back)
    console.print(
        f"recovered {settings.work_db} from {snapshot.name}" + (f"; the damaged file is {aside.name}" if aside else ""),
        highlight=False,
    )


# Help texts are rich markup: a literal [word] is written \\[word], or it vanishes.
@app.command()
def check(config: Optional[Path] = ConfigOption, state_dir: Optional[Path] = StateOption) -> None:
    """Health and freshness checks, one line each (ok / warn / fail, the figure, the threshold); exit 1 when one fails.

    Thresholds: \\[checks] in cxtext.toml. Wire it to an alert: docs/OPERATIONS.md, "Health checks and alerts".
    """
    from cxtext.ops.checks import run_checks, worst

    settings = _settings(config, state_dir)
    try:
        with _reader(settings) as store:
            store.verify_readable()
            checks = run_checks(store, settings)
    except DatabaseDamaged as exc:
        print(f"fail  database: {exc}")
        raise typer.Exit(1) from None
    for c in checks:
        print(c.line())
    if worst(checks) == "fail":
        raise typer.Exit(1)


@app.command()
def schema(
    fresh: bool = typer.Option(
        False,
        "--fresh",
        help="Document a new empty database of this version, made in memory "
        "(no config or state folder needed): docs/SCHEMA.md is `cxtext schema --fresh`.",
    ),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Print the documentation of every table and view (from the database's own comments) as Markdown."""
    if fresh:
        with Store.open(":memory:") as store:
            define_views(store, "UTC")  # the views' documentation is the same in every time zone
            print(
                "# Schema\n\nEvery table and view of the working database and the analysts' file, from the "
                "database's own comments.\nGenerated by `cxtext schema --fresh > docs/SCHEMA.md`; a test fails "
                "when it is out of date.\n\n" + schema_markdown(store).rstrip("\n")
            )
        return
    settings = _settings(config, state_dir)
    with _reader(settings) as store:
        print(schema_markdown(store))
