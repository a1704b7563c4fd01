"""The aggregate step of a run: what is derived from all feedback at once."""

from __future__ import annotations

from pathlib import Path

from cxtext.config import Settings
from cxtext.errors import CxtextError
from cxtext.insights.daily import DailyRefresh, refresh_daily
from cxtext.insights.views import define_views
from cxtext.store.db import Store
from cxtext.store.publish import Published, publish


def refresh_aggregates(store: Store, settings: Settings) -> DailyRefresh:
    """What is derived from all feedback at once: the topics table's sizes, stages and theme
    coverage, the analysts' views (their days cut in the reporting time zone) and the daily
    tables the aggregate views add up (recomputed for the days that changed)."""
    from cxtext.enrich.topics import write_topics
    from cxtext.text.topic_files import current_meta

    meta = current_meta(settings.topic_models_dir)
    if meta is not None:
        with store.transaction():
            write_topics(store, meta["version"], meta["topics"])
    define_views(store, settings.reporting_timezone)
    with store.transaction():
        return refresh_daily(store.con)


def publish_with_aggregates(
    store: Store, target: Path, *, timezone: str | None = None, aggregated: bool = False, **options
) -> Published:
    """Publish the working database (cxtext.store.publish.publish, same *options*) with its views
    (re)defined (days cut in *timezone*) and its daily tables brought up to date first, so that no
    path publishes a file without views (a publish right after an ingest) or aggregates its rows do
    not match. Without *timezone* the views are kept as they are, and a database without them is
    refused. *aggregated*: the caller ran :func:`refresh_aggregates` on this store (same time
    zone) and wrote nothing since, as the nightly run does (aggregate, report, publish): doing it
    again would change nothing and cost a pass over all feedback and enrichment."""
    if aggregated:
        return publish(store, target, **options)
    if timezone is not None:
        define_views(store, timezone)
    elif not store.scalar(
        "SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() AND view_name = 'pain_points'"
    ):
        raise CxtextError(
            "refused to publish: the working database has no analysts' views yet "
            "(`cxtext publish` defines them; so does the aggregate step of a run)"
        )
    with store.transaction():
        refresh_daily(store.con)
    return publish(store, target, **options)
