"""What a database holds, read from the database itself: content fingerprints (backfills and
crash tests compare them) and the schema's documentation from its COMMENTs."""

from __future__ import annotations

from cxtext.store.db import Store

#: What :func:`content_fingerprint` leaves out: the ledgers (one row per run or file read, by
#: design) and the columns that say which run or batch did something and when.
LEDGER_TABLES = ("runs", "ingest_batches")


BOOKKEEPING_COLUMNS = (
    "run_id",
    "batch_id",
    "first_batch_id",
    "first_seen_at",
    "updated_at",
    "rejected_at",
    "archived_at",
    "enriched_at",
    "suggested_at",
    "started_at",
    "finished_at",
    "pid",
    "inputs_hash",
)


def content_fingerprint(store: Store) -> dict[str, tuple[int, int]]:
    """(rows, order-independent hash of the rows) of every table but the ledgers, bookkeeping
    columns left out: equal fingerprints mean equal content, whichever runs produced it."""
    out = {}
    for (table,) in store.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary ORDER BY table_name"
    ):
        if table in LEDGER_TABLES:
            continue
        columns = [
            c
            for (c,) in store.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND table_name = ? "
                "ORDER BY column_index",
                [table],
            )
            if c not in BOOKKEEPING_COLUMNS
        ]
        quoted = ", ".join('"' + c + '"' for c in columns)
        rows, digest = store.execute(f"SELECT count(*), coalesce(sum(hash({quoted})::HUGEINT), 0) FROM {table}")[0]
        out[table] = (rows, int(digest))
    return out


def schema_markdown(store: Store) -> str:
    """The documentation of every table and view, read from the database's own comments."""
    lines: list[str] = []
    objects = store.execute(
        "SELECT table_name, comment, 'table' FROM duckdb_tables() WHERE database_name = current_database() "
        "UNION ALL SELECT view_name, comment, 'view' FROM duckdb_views() WHERE database_name = current_database() AND NOT internal "
        "ORDER BY 3, 1"
    )
    for name, comment, what in objects:
        lines += [f"### `{name}` ({what})", "", comment or "", "", "| column | type | meaning |", "|---|---|---|"]
        for col, typ, doc in store.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() WHERE database_name = current_database() "
            "AND table_name = ? ORDER BY column_index",
            [name],
        ):
            lines.append(f"| `{col}` | {typ} | {(doc or '').replace('|', '/')} |")
        lines.append("")
    return "\n".join(lines)
