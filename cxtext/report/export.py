"""`cxtext export`: a view of the analysts' file, filtered, to CSV, Parquet or an Excel sheet,
row for row what the view holds (the analyst who wants a spreadsheet needs no SQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa

from cxtext.errors import CxtextError
from cxtext.store.db import Store

FORMATS = ("csv", "parquet", "xlsx")
#: Date columns --since/--until filter on, the first the view has (periods first).
DATE_COLUMNS = ("period_start", "week", "day", "month", "created_day", "created_at", "first_seen")


@dataclass(frozen=True)
class Filters:
    """Equality filters on columns the view has (stage, theme, source, ...), and a date range."""

    equal: dict[str, list[str]] = field(default_factory=dict)
    since: date | None = None
    until: date | None = None

    def where(self, columns: list[str], view: str) -> tuple[str, list]:
        """The WHERE clause and its parameters; a filter on a column the view lacks is an error."""
        clauses, params = [], []
        for column, values in self.equal.items():
            if column not in columns:
                raise CxtextError(f"view {view} has no column {column!r} to filter on (its columns: {', '.join(columns)})")
            clauses.append(f'CAST("{column}" AS VARCHAR) IN (SELECT unnest(?::VARCHAR[]))')
            params.append(values)
        if self.since or self.until:
            column = next((c for c in DATE_COLUMNS if c in columns), None)
            if column is None:
                raise CxtextError(f"view {view} has no date column for --since/--until (looked for {', '.join(DATE_COLUMNS)})")
            for bound, op in ((self.since, ">="), (self.until, "<=")):
                if bound:
                    clauses.append(f'CAST("{column}" AS DATE) {op} ?')
                    params.append(bound)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def exportable_views(store: Store) -> list[str]:
    return [
        name
        for (name,) in store.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = current_database() ORDER BY 1"
        )
    ]


def view_rows(store: Store, view: str, filters: Filters) -> pa.Table:
    """The view's rows (in the view's order), filtered, as an Arrow table."""
    views = exportable_views(store)
    if view not in views:
        raise CxtextError(f"no view {view!r} in {Path(store.path).name}; views: {', '.join(views)}")
    columns = [name for name, *_ in store.execute(f'DESCRIBE "{view}"')]
    where, params = filters.where(columns, view)
    return store.con.sql(f'SELECT * FROM "{view}"{where}', params=params or None).to_arrow_table()


def export_view(store: Store, view: str, out: Path, fmt: str, filters: Filters) -> int:
    """Write the view's filtered rows to *out*; the number of rows written."""
    if fmt not in FORMATS:
        raise CxtextError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    table = view_rows(store, view, filters)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        _write_xlsx(table, out, sheet=view)
    else:  # DuckDB writes lists and structs to CSV as the view shows them, and Parquet with its types
        store.con.register("export_rows", table)
        try:
            store.con.execute(f"COPY export_rows TO '{_quoted(out)}' (FORMAT {fmt}{', HEADER' if fmt == 'csv' else ''})")
        finally:
            store.con.unregister("export_rows")
    return table.num_rows


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _write_xlsx(table: pa.Table, out: Path, *, sheet: str) -> None:
    try:
        from openpyxl import Workbook
    except ImportError:
        raise CxtextError("xlsx needs openpyxl (pip install openpyxl); csv and parquet need nothing") from None
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    ws.append(table.column_names)
    for row in table.to_pylist():
        ws.append([_cell(v) for v in row.values()])
    book.save(out)


def _cell(value):
    """Excel cells hold numbers, text, dates and booleans; lists, maps and huge integers become text."""
    if isinstance(value, (list, dict)) or (isinstance(value, int) and abs(value) >= 2**53):
        return str(value)
    if getattr(value, "tzinfo", None) is not None:
        return value.replace(tzinfo=None)
    return value
