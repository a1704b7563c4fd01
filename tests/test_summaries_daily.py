"""language_summary and topic_summary add up daily tables (schema 8): they must give what their
live joins over every feedback gave, for current, stale, missing and changed-text feedback alike,
after a full refresh and after a nightly one."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from string import Template

from cxtext.insights.daily import refresh_daily
from cxtext.insights.views import define_views
from cxtext.store.db import Store

#: The two views before they read the daily tables (schema 7), with the enrichment join of that time.
CURRENT = "e.feedback_id = f.feedback_id AND e.text_hash = f.text_hash"
STATUS = """CASE WHEN e.feedback_id IS NULL THEN 'missing' WHEN
    e.sentiment_version = (SELECT value FROM cxtext_meta WHERE key = 'sentiment_version')
    AND e.taxonomy_version = (SELECT value FROM cxtext_meta WHERE key = 'taxonomy_version')
    AND e.topic_version = (SELECT value FROM cxtext_meta WHERE key = 'topic_version') THEN 'current' ELSE 'stale' END"""
BEFORE = {
    "language_summary": Template("""
        SELECT coalesce(f.language, 'not yet detected') AS language, CAST(count(*) AS BIGINT) AS feedback,
               CAST(count(*) FILTER (WHERE e.scored) AS BIGINT) AS scored_feedback,
               round(avg(CAST(s.label = 'negative' AS INTEGER)), 4) AS share_negative
        FROM feedback f
        LEFT JOIN enrichment e ON $current
        LEFT JOIN sentiment s ON s.feedback_id = e.feedback_id
        WHERE ($status) = 'current' OR f.language IS NULL
        GROUP BY ALL ORDER BY feedback DESC, language"""),
    "topic_summary": Template("""
        SELECT t.topic_id, t.label, t.top_terms, t.size, t.stages, round(t.theme_coverage, 4) AS theme_coverage,
               t.candidate_theme, round(s.share_negative, 4) AS share_negative,
               round(s.mean_compound, 4) AS mean_compound, t.model_version
        FROM topics t
        LEFT JOIN (SELECT ft.topic_id, avg(CAST(s.label = 'negative' AS INTEGER)) AS share_negative,
                          avg(s.compound) AS mean_compound
                   FROM feedback_topics ft
                   JOIN enrichment e ON e.feedback_id = ft.feedback_id
                   JOIN feedback f ON $current
                   LEFT JOIN sentiment s ON s.feedback_id = e.feedback_id
                   GROUP BY ft.topic_id) s ON s.topic_id = t.topic_id ORDER BY t.topic_id"""),
}


def before(store, view: str) -> list[tuple]:
    return store.execute(BEFORE[view].substitute(current=CURRENT, status=STATUS))


def now(store, view: str) -> list[tuple]:
    return store.execute(f"SELECT * FROM {view}" + (" ORDER BY topic_id" if view == "topic_summary" else ""))


def refresh(store) -> None:
    with store.transaction():
        refresh_daily(store.con)


def fill(store, n: int, seed: int) -> None:
    """*n* feedback over ten days in every state: current (scored or not), stale versions, changed
    text, not yet enriched; English, German, undetermined and not yet detected; three topics (one
    with no sentiment at all), sentiment of all three labels."""
    rng = random.Random(seed)
    define_views(store, "Europe/London")
    for key, value in (("sentiment_version", "s2"), ("taxonomy_version", "t2"), ("topic_version", "m2")):
        store.set_meta(key, value)
    for topic_id in (0, 1, 2):
        store.execute(
            "INSERT INTO topics VALUES (?, ?, [], 0, '{}', 0.0, false, 'm2') ON CONFLICT DO NOTHING",
            [topic_id, f"topic {topic_id}"],
        )
    for i in range(n):
        feedback_id = f"f{seed}-{i}"
        state = rng.choice(("current", "current", "unscored", "stale", "changed", "missing"))
        language = rng.choice(("en", "en", "de", "und", None)) if state != "missing" else None
        store.execute(
            "INSERT INTO feedback (feedback_id, kind, source, created_at, text, text_hash, language) "
            "VALUES (?, 'review', 's', ?, 'text', ?, ?)",
            [feedback_id, datetime(2026, 7, 1, 23, 30) + timedelta(hours=rng.randrange(240)), f"h{i}", language],
        )
        if state == "missing":
            continue
        versions = ("s1", "t2", "m2") if state == "stale" else ("s2", "t2", "m2")
        store.execute(
            "INSERT INTO enrichment VALUES (?, ?, ?, ?, ?, now(), ?)",
            [feedback_id, "old" if state == "changed" else f"h{i}", *versions, state != "unscored"],
        )
        topic = rng.choice((0, 1, 2))
        store.execute("INSERT INTO feedback_topics VALUES (?, ?, 0.5)", [feedback_id, topic])
        if state != "unscored" and topic != 2:
            compound = round(rng.uniform(-1, 1), 6)
            label = "negative" if compound <= -0.05 else "positive" if compound >= 0.05 else "neutral"
            store.execute("INSERT INTO sentiment (feedback_id, compound, label) VALUES (?, ?, ?)", [feedback_id, compound, label])


def test_the_summaries_from_daily_rows_are_what_the_live_joins_gave(tmp_path):
    with Store.open(tmp_path / "w.duckdb") as store:
        fill(store, 300, seed=1)
        refresh(store)
        first = {view: (now(store, view), before(store, view)) for view in BEFORE}
        # A nightly run: new feedback, a text that changed, a feedback enriched anew (stale -> current).
        fill(store, 40, seed=2)
        store.execute("UPDATE feedback SET text_hash = 'changed' WHERE feedback_id = 'f1-0'")
        store.execute("UPDATE enrichment SET sentiment_version = 's2' WHERE feedback_id = 'f1-1'")
        refresh(store)
        second = {view: (now(store, view), before(store, view)) for view in BEFORE}
    for view in BEFORE:
        for got, expected in (first[view], second[view]):
            assert got == expected, view
    languages = [row[0] for row in first["language_summary"][0]]
    assert {"en", "de", "und", "not yet detected"} <= set(languages)
    assert [row[7] for row in first["topic_summary"][0]][2] is None  # a topic with no sentiment: NULL, not NaN
    assert first["language_summary"][0] != second["language_summary"][0]  # the nightly's change shows
