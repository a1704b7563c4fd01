"""Health and freshness checks: one line each (ok / warn / fail, the figure, the threshold).

`cxtext check` prints them and exits 1 when one fails, so cron, Prefect or any monitor can alert;
the nightly flow runs them after publishing. Thresholds come from [checks] in cxtext.toml. The
checks read one database (the working one, or the published copy while a run holds it) and the
state folder's size; they write nothing but :func:`record_state_size`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cxtext.config import Settings
from cxtext.store.db import Store, utcnow

LEVELS = ("ok", "warn", "fail")
#: A file with fewer records says nothing about a source's reject rate (1 of 4 is 25%).
REJECT_MIN_RECORDS = 20


@dataclass(frozen=True)
class Check:
    name: str
    level: str  # ok | warn | fail
    figure: str
    threshold: str

    def line(self) -> str:
        return f"{self.level:<4}  {self.name}: {self.figure} ({self.threshold})"


def _level(value: float | None, warn: float, fail: float) -> str:
    if value is None:
        return "ok"
    return "fail" if value > fail else "warn" if value > warn else "ok"


def state_size(state_dir: Path) -> int:
    """Bytes under the state folder, Prefect's own state left out (it has its own retention)."""
    total = 0
    for root, dirs, files in os.walk(state_dir):
        if Path(root) == state_dir and "prefect" in dirs:
            dirs.remove("prefect")
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except FileNotFoundError:  # a temporary file that went away
                pass
    return total


def record_state_size(store: Store, run_id: int, size: int) -> None:
    """Keep the state folder's size in a run's counts: the next check measures growth from it."""
    store.execute(
        "UPDATE runs SET counts = json_merge_patch(coalesce(counts, '{}'), ?) WHERE run_id = ?",
        [json.dumps({"state_bytes": size}), run_id],
    )


def record_checks(store: Store, run_id: int, summary: dict, failed: list[str]) -> None:
    """Keep a run's check results in its ledger row: a run with failed checks is completed (it
    published), and `cxtext runs` shows how many checks failed and which."""
    store.execute(
        "UPDATE runs SET counts = json_merge_patch(coalesce(counts, '{}'), ?) WHERE run_id = ?",
        [
            json.dumps({"checks_failed": summary["fail"], "checks_warned": summary["warn"], "failed_checks": failed}),
            run_id,
        ],
    )


def run_checks(store: Store, settings: Settings, *, size: int | None = None, exclude_run: int | None = None) -> list[Check]:
    """Every check, in a fixed order. *exclude_run* is the nightly run calling them (its own size
    is not the one growth is measured from)."""
    t = settings.checks
    now = utcnow()
    out: list[Check] = []

    last = store.scalar("SELECT max(finished_at) FROM runs WHERE flow = 'nightly' AND status = 'completed'")
    hours = (now - last).total_seconds() / 3600 if last else None
    out.append(
        Check(
            "last_nightly",
            "fail" if last is None else _level(hours, t.last_run_warn_hours, t.last_run_fail_hours),
            "never completed"
            if last is None
            else f"{hours:.1f} h since the last successful nightly run (finished {last:%Y-%m-%d %H:%M} UTC)",
            f"warn > {t.last_run_warn_hours:g} h, fail > {t.last_run_fail_hours:g} h",
        )
    )

    newest = dict(store.execute("SELECT source, max(finished_at) FROM ingest_batches WHERE rows_new > 0 GROUP BY source"))
    for source in sorted(set(settings.sources) | set(newest)):
        if source not in settings.sources:
            continue  # an ad-hoc source (`cxtext ingest`) is not expected to keep sending
        when = newest.get(source)
        days = (now - when).total_seconds() / 86400 if when else None
        out.append(
            Check(
                f"new_records[{source}]",
                "warn" if when is None else _level(days, t.silent_source_warn_days, t.silent_source_fail_days),
                "no record ever loaded" if when is None else f"{days:.1f} days since new records",
                f"warn > {t.silent_source_warn_days:g} days, fail > {t.silent_source_fail_days:g} days",
            )
        )

    for source, rate, usual, status, read in store.execute(
        "WITH b AS (SELECT source, batch_id, status, rows_rejected, rows_read, "
        "           row_number() OVER (PARTITION BY source ORDER BY batch_id DESC) AS age FROM ingest_batches) "
        "SELECT source, max(rows_rejected / nullif(rows_read, 0)) FILTER (WHERE age = 1), "
        "       sum(rows_rejected) FILTER (WHERE age > 1 AND status = 'loaded') "
        "         / nullif(sum(rows_read) FILTER (WHERE age > 1 AND status = 'loaded'), 0), "
        "       max(status) FILTER (WHERE age = 1), max(rows_read) FILTER (WHERE age = 1) "
        "FROM b GROUP BY source ORDER BY source"
    ):
        if status == "failed":
            out.append(
                Check(
                    f"reject_rate[{source}]",
                    "warn",
                    "the last file could not be read at all (a failed batch)",
                    "see `cxtext runs`",
                )
            )
            continue
        rise = (rate or 0.0) - (usual or 0.0) if (read or 0) >= REJECT_MIN_RECORDS else None
        out.append(
            Check(
                f"reject_rate[{source}]",
                _level(rise, t.reject_rate_warn, t.reject_rate_fail),
                f"last file {100 * (rate or 0):.1f}% rejected, "
                + (f"usually {100 * usual:.1f}%" if usual is not None else "no earlier file to compare with")
                + (f"; only {read or 0} record(s), not judged" if rise is None else ""),
                f"warn > +{100 * t.reject_rate_warn:g} points, fail > +{100 * t.reject_rate_fail:g} points",
            )
        )

    repeated = store.scalar("SELECT count(*) - count(DISTINCT feedback_id) FROM feedback")
    out.append(
        Check(
            "unique_feedback_ids",
            "fail" if repeated else "ok",
            f"{repeated:,} feedback row(s) repeat an id" if repeated else "every feedback id is stored once",
            "fail on any repeat (ids are kept unique by ingest, not by a key)",
        )
    )

    # enrichment_status joins feedback to enrichment only: feedback_metrics' further joins made this
    # check fail under a 128MB cap at a million feedback (DuckDB's Out of Memory Error).
    total, stale = (
        store.execute(
            "SELECT coalesce(sum(feedback), 0), coalesce(sum(feedback) FILTER (WHERE status <> 'current'), 0) "
            "FROM enrichment_status"
        )[0]
        if _has_view(store, "enrichment_status")
        else (0, 0)
    )
    share = stale / total if total else None
    out.append(
        Check(
            "stale_enrichment",
            _level(share, t.stale_share_warn, t.stale_share_fail),
            f"{stale:,} of {total:,} feedback ({100 * (share or 0):.1f}%) not enriched by the current versions",
            f"warn > {100 * t.stale_share_warn:g}%, fail > {100 * t.stale_share_fail:g}%",
        )
    )

    scored, themeless = _themeless(store)
    share = themeless / scored if scored else None
    level = _level(share, t.no_theme_share_warn, t.no_theme_share_fail)
    out.append(
        Check(
            "no_theme",
            level,
            f"{themeless:,} of {scored:,} scored feedback ({100 * (share or 0):.1f}%) carry no theme (discovered themes count)"
            + (NO_THEME_ADVICE if level != "ok" else ""),
            f"warn > {100 * t.no_theme_share_warn:g}%, fail > {100 * t.no_theme_share_fail:g}%",
        )
    )

    size = state_size(settings.state_dir) if size is None else size
    before = store.scalar(
        "SELECT CAST(counts->>'$.state_bytes' AS BIGINT) FROM runs WHERE flow = 'nightly' "
        "AND status = 'completed' AND counts->>'$.state_bytes' IS NOT NULL AND run_id <> ? "
        "ORDER BY run_id DESC LIMIT 1",
        [exclude_run if exclude_run is not None else -1],
    )
    growth = (size - before) / before if before else None
    out.append(
        Check(
            "state_growth",
            _level(growth, t.state_growth_warn, t.state_growth_fail),
            f"{size / 1e6:,.1f} MB"
            + (
                f", {100 * growth:+.0f}% since the previous nightly run ({before / 1e6:,.1f} MB)"
                if growth is not None
                else ", no earlier size recorded"
            ),
            f"warn > +{100 * t.state_growth_warn:g}%, fail > +{100 * t.state_growth_fail:g}%",
        )
    )
    return out


#: What to do when much feedback carries no theme: the taxonomy does not fit the business yet.
NO_THEME_ADVICE = (
    "; the taxonomy misses what these customers talk about: run `cxtext themes suggest` to see themes "
    "found in this feedback (theme_suggestions), then `cxtext themes accept` the right ones; or add the packs "
    'that fit the business (taxonomy_packs) or your own themes (taxonomy = ["my_themes.toml"], docs/TAXONOMY.md); '
    "the next run re-tags the feedback"
)


def _has_view(store: Store, name: str) -> bool:
    return bool(
        store.scalar("SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() AND view_name = ?", [name])
    )


def _themeless(store: Store) -> tuple[int, int]:
    """Current, scored feedback and how many of it carry no theme."""
    if not _has_view(store, "feedback_metrics"):
        return 0, 0
    return store.execute(
        "SELECT count(*), count(*) FILTER (WHERE m.feedback_id IS NULL) FROM feedback_metrics f "
        "LEFT JOIN (SELECT DISTINCT feedback_id FROM theme_mentions) m ON m.feedback_id = f.feedback_id "
        "WHERE f.enrichment_status = 'current' AND f.sentiment_label IS NOT NULL"
    )[0]


def worst(checks: list[Check]) -> str:
    return max((c.level for c in checks), key=LEVELS.index, default="ok")


def checks_markdown(checks: list[Check]) -> str:
    """The checks as a Markdown table, for a Prefect artifact."""
    lines = ["| check | status | figure | threshold |", "|---|---|---|---|"]
    lines += [f"| {c.name} | {c.level.upper() if c.level != 'ok' else 'ok'} | {c.figure} | {c.threshold} |" for c in checks]
    return f"## Health checks: {worst(checks)}\n\n" + "\n".join(lines) + "\n"
