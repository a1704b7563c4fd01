"""Commands that take results out of the state folder: export a view."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Optional

import typer

from cxtext.cli.app import ConfigOption, StateOption, _settings, app, console, working
from cxtext.errors import CxtextError
from cxtext.ops.erasure_derived import record_export
from cxtext.report.export import FORMATS, Filters, export_view
from cxtext.store.db import Store


@app.command()
def export(
    view: str = typer.Argument(..., help="A view of the analysts' file, e.g. pain_points (docs/SCHEMA.md lists them)."),
    fmt: str = typer.Option(
        "csv", "--format", "-f", help=f"{', '.join(FORMATS)} (xlsx needs openpyxl: pip install 'cxtext\\[xlsx]')."
    ),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="File to write (default: VIEW.FORMAT in the current folder)."),
    stage: Optional[list[str]] = typer.Option(
        None, "--stage", metavar="STAGE", help="Only these journey stages (repeat for more)."
    ),
    theme: Optional[list[str]] = typer.Option(None, "--theme", metavar="THEME", help="Only these themes (repeat for more)."),
    source: Optional[list[str]] = typer.Option(
        None, "--source", "-s", metavar="SOURCE", help="Only these sources (repeat for more)."
    ),
    where: Optional[list[str]] = typer.Option(
        None, "--where", metavar="COLUMN=VALUE", help="COLUMN=VALUE on any column of the view (repeat for more)."
    ),
    since: Optional[datetime] = typer.Option(
        None, "--since", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="Only periods (or days) from this date on."
    ),
    until: Optional[datetime] = typer.Option(
        None, "--until", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="Only periods (or days) up to this date."
    ),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Export a view of the analysts' file, filtered, to CSV, Parquet or an Excel sheet (the same rows as the view).

    The export is recorded in the state folder: `cxtext forget` writes it again without the customer.
    """
    settings = _settings(config, state_dir)
    if not settings.published_db.exists():
        raise CxtextError(f"no {settings.published_db} yet: run `cxtext run` first")
    equal: dict[str, list[str]] = {}
    for column, values in (("stage", stage), ("theme", theme), ("source", source)):
        if values:
            equal[column] = list(values)
    for item in where or []:
        column, sep, value = item.partition("=")
        if not sep or not column.strip():
            raise CxtextError(f"--where: expected COLUMN=VALUE, got {item!r}")
        equal.setdefault(column.strip(), []).append(value)
    filters = Filters(equal, since.date() if since else None, until.date() if until else None)
    target = out or Path(f"{view}.{fmt}")
    with Store.open(settings.published_db, read_only=True) as store, working(f"exporting {view} to {target}"):
        rows = export_view(store, view, target, fmt, filters)
    record_export(
        settings, target, view, fmt, {"equal": equal, "since": str(filters.since or ""), "until": str(filters.until or "")}
    )
    console.print(f"wrote {rows:,} row(s) of {view} to {target}", highlight=False)
