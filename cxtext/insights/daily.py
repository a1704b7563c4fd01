"""Daily aggregates: what the analysts' aggregate views add up, recomputed only for the days that changed.

The aggregate views (stage_summary, theme_trends, pain_points, emerging_issues) used to join every
theme mention to its feedback on every read: at a million feedback each read took seconds and
hundreds of MB, and every nightly run paid it again for its report. Now the aggregate step sums
each day once (per stage, theme and topic) into the ``daily_*`` tables and the views add the days
up: a feedback belongs to one day, so even distinct counts add up.

A day is recomputed when the hash of its feedback and enrichment rows changed (``daily_inputs``);
every day when the versions in force, the reporting time zone or this module's SQL changed. A
nightly run recomputes the few days it touched. Days are recomputed in batches sized to DuckDB's
memory cap (ROWS_PER_MB), so the memory needed does not grow with the data.

Functions take a DuckDB connection (not a Store): erasure also refreshes kept snapshots, which it
opens directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import duckdb

from cxtext.insights.current import CURRENT_SQL, ENRICHMENT_SQL, STATUS_SQL
from cxtext.insights.views import local_time_sql
from cxtext.store.db import memory_bytes

#: Bump when the SQL below changes what a daily row holds: every day is then recomputed.
AGGREGATES_VERSION = "daily-3"  # daily-3: daily_languages, daily_topic_sentiment
# Sums of compound scores are DECIMAL: VADER gives four decimals, so the sums are exact and a
# day's row does not depend on the order its mentions were written in (a resumed run's equals a
# clean run's). The other sums add whole numbers.
#: Rows (feedback and their theme mentions) recomputed together per MB of DuckDB's memory cap: a
#: batch's joins must fit the cap. At 1M generated feedback (1.5 theme mentions each) under 160MB,
#: batches of 150,000 feedback (2,340 rows a MB) failed with DuckDB's Out of Memory Error and
#: 120,000 passed (1,870 a MB); 1,250 keeps a margin, and counting the mentions keeps it where
#: long reviews mention more themes. (There fixed batches of 50,000 feedback took 16.7 and 19.1 s,
#: batches of 80,000 14.1 and 16.1 s, run in pairs: each batch scans the mention, intent, effort
#: and topic tables once.)
ROWS_PER_MB = 1_250
DAILY_TABLES = (
    "daily_feedback",
    "daily_stages",
    "daily_themes",
    "daily_quotes",
    "daily_topics",
    "daily_segments",
    "daily_segment_themes",
    "daily_segment_quotes",
    "daily_languages",
    "daily_topic_sentiment",
)
BASIS_KEYS = ("sentiment_version", "taxonomy_version", "topic_version", "reporting_timezone")


@dataclass
class DailyRefresh:
    days: int = 0  # days with feedback
    recomputed: int = 0  # days recomputed now
    batches: int = 0
    full: bool = False


def refresh_daily(con: duckdb.DuckDBPyConnection, *, full: bool = False) -> DailyRefresh:
    """Bring the daily tables up to date with feedback and enrichment (the caller's transaction).
    Does nothing before the views are defined (no reporting time zone yet)."""
    meta = dict(con.execute("SELECT key, value FROM cxtext_meta").fetchall())
    if "reporting_timezone" not in meta:
        return DailyRefresh()
    basis = json.dumps({"aggregates": AGGREGATES_VERSION, **{k: meta.get(k) for k in BASIS_KEYS}}, sort_keys=True)
    result = DailyRefresh(full=full or meta.get("daily_basis") != basis)
    local = local_time_sql(meta["reporting_timezone"])
    # Each enrichment row is hashed before the join, so the join holds an id and a number per row.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _day_inputs AS
        SELECT CAST({local} AS DATE) AS day, count(*) AS feedback,
               CAST(sum(hash(f.feedback_id, f.text_hash, f.nps, f.csat, f.rating, f.language, e.inputs,
                             hash(f.source, f.product, f.channel, f.region)))
                    AS HUGEINT) AS inputs_hash
        FROM feedback f
        LEFT JOIN (SELECT feedback_id, hash(text_hash, sentiment_version, taxonomy_version, topic_version, enriched_at,
                                            scored) AS inputs FROM enrichment) e ON e.feedback_id = f.feedback_id
        GROUP BY 1""")
    if result.full:
        for table in DAILY_TABLES:
            con.execute(f"DELETE FROM {table}")
        changed = con.execute("SELECT day, feedback FROM _day_inputs ORDER BY day").fetchall()
    else:
        changed = con.execute("""
            SELECT coalesce(n.day, o.day) AS day, coalesce(n.feedback, 0) FROM _day_inputs n
            FULL JOIN daily_inputs o ON o.day = n.day
            WHERE n.day IS NULL OR o.day IS NULL OR n.feedback <> o.feedback OR n.inputs_hash <> o.inputs_hash
            ORDER BY 1""").fetchall()
    for days in _batches(changed, batch_feedback(con)):
        _recompute(con, local, days, deleting=not result.full)
        result.batches += 1
    con.execute("DELETE FROM daily_inputs")
    con.execute("INSERT INTO daily_inputs SELECT day, feedback, inputs_hash FROM _day_inputs")
    con.execute(
        "INSERT INTO cxtext_meta VALUES ('daily_basis', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [basis],
    )
    result.days = con.execute("SELECT count(*) FROM _day_inputs").fetchone()[0]
    result.recomputed = len(changed)
    for temp in ("_day_inputs", "_batch_days", "_fb", "_mentions", "_segment_negative"):
        con.execute(f"DROP TABLE IF EXISTS {temp}")
    return result


def batch_feedback(con: duckdb.DuckDBPyConnection) -> int:
    """About how many feedback a batch recomputes: ROWS_PER_MB per MB of the connection's memory
    cap, over the rows a feedback brings (itself and the database's average theme mentions)."""
    cap = memory_bytes(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])
    feedback, mentions = con.execute("SELECT (SELECT count(*) FROM feedback), (SELECT count(*) FROM theme_mentions)").fetchone()
    return max(1, int(cap / 1e6 * ROWS_PER_MB / (1 + mentions / max(feedback, 1))))


def _batches(days: list[tuple], batch: int) -> list[list]:
    """Consecutive runs of days holding about *batch* feedback each (a bigger day is its own)."""
    batches, current, size = [], [], 0
    for day, feedback in days:
        if current and size + feedback > batch:
            batches.append(current)
            current, size = [], 0
        current.append(day)
        size += feedback
    return batches + ([current] if current else [])


def _recompute(con: duckdb.DuckDBPyConnection, local: str, days: list, *, deleting: bool) -> None:
    """Replace the daily rows of *days*. Feedback is selected on created_at first (a range the
    days cover whatever the time zone), so a batch reads only its part of the data."""
    con.execute("CREATE OR REPLACE TEMP TABLE _batch_days (day DATE)")
    con.executemany("INSERT INTO _batch_days VALUES (?)", [[d] for d in days])
    low, high = min(days) - timedelta(days=1), max(days) + timedelta(days=2)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _fb AS
        SELECT f.feedback_id, CAST({local} AS DATE) AS day,
               CAST(CAST(f.nps >= 9 AS INTEGER) - CAST(f.nps <= 6 AS INTEGER) AS DOUBLE) AS nps,
               CAST(CAST(f.csat >= 4 AS INTEGER) AS DOUBLE) AS csat, CAST(f.rating AS DOUBLE) AS stars,
               {STATUS_SQL} AS status, e.scored, f.source, f.product, f.channel, f.region, f.language,
               s.label AS doc_label, s.compound AS doc_compound
        FROM feedback f LEFT JOIN {ENRICHMENT_SQL} e ON {CURRENT_SQL}
        LEFT JOIN sentiment s ON s.feedback_id = e.feedback_id
        WHERE f.created_at >= ? AND f.created_at < ? AND CAST({local} AS DATE) IN (SELECT day FROM _batch_days)""",
        [low, high],
    )
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _mentions AS
        SELECT fb.day, m.feedback_id, m.stage, m.theme, m.label, m.compound, m.clause, fb.nps, fb.csat, fb.stars,
               fb.status = 'current' AS is_current, si.intent, fe.effort_score
        FROM theme_mentions m JOIN _fb fb ON fb.feedback_id = m.feedback_id
        LEFT JOIN sentence_intents si ON si.feedback_id = m.feedback_id AND si.sentence_index = m.sentence_index
        LEFT JOIN feedback_effort fe ON fe.feedback_id = m.feedback_id
        WHERE fb.status IN ('current', 'stale')""")
    if deleting:
        for table in DAILY_TABLES:
            con.execute(f"DELETE FROM {table} WHERE day IN (SELECT day FROM _batch_days)")
    con.execute("""
        INSERT INTO daily_feedback BY NAME
        SELECT day, count(*) AS feedback, count(nps) AS nps_n, sum(nps) AS nps_s, sum(nps * nps) AS nps_q,
               count(csat) AS csat_n, sum(csat) AS csat_s, sum(csat * csat) AS csat_q,
               count(stars) AS stars_n, sum(stars) AS stars_s, sum(stars * stars) AS stars_q
        FROM _fb WHERE status = 'current' AND scored IS NOT FALSE GROUP BY day""")
    con.execute("""
        INSERT INTO daily_stages BY NAME
        WITH per_feedback AS (SELECT DISTINCT day, stage, feedback_id, nps, csat, stars, effort_score FROM _mentions
                              WHERE is_current),
        scores AS (
            SELECT day, stage, count(*) AS feedback, count(nps) AS nps_n, sum(nps) AS nps_s, count(csat) AS csat_n,
                   sum(csat) AS csat_s, count(stars) AS stars_n, sum(stars) AS stars_s,
                   sum(CAST(effort_score AS DECIMAL(18, 4))) AS effort_sum
            FROM per_feedback GROUP BY day, stage),
        tone AS (
            SELECT day, stage, count(*) AS mentions, sum(CAST(compound AS DECIMAL(18, 4))) AS compound_sum,
                   count(*) FILTER (WHERE label = 'negative') AS negative_mentions,
                   count(*) FILTER (WHERE label = 'positive') AS positive_mentions
            FROM _mentions WHERE is_current GROUP BY day, stage),
        stale AS (SELECT day, stage, count(DISTINCT feedback_id) AS stale_feedback FROM _mentions WHERE NOT is_current
                  GROUP BY day, stage),
        keys AS (SELECT day, stage FROM scores UNION SELECT day, stage FROM stale)
        SELECT k.day, k.stage, coalesce(s.feedback, 0) AS feedback, s.nps_n, s.nps_s, s.csat_n, s.csat_s, s.stars_n,
               s.stars_s, s.effort_sum, coalesce(t.mentions, 0) AS mentions, t.compound_sum, coalesce(t.negative_mentions, 0) AS negative_mentions,
               coalesce(t.positive_mentions, 0) AS positive_mentions, coalesce(st.stale_feedback, 0) AS stale_feedback
        FROM keys k LEFT JOIN scores s USING (day, stage) LEFT JOIN tone t USING (day, stage)
        LEFT JOIN stale st USING (day, stage)""")
    con.execute("""
        INSERT INTO daily_themes BY NAME
        WITH themes AS (
            SELECT day, stage, theme, count(*) AS mentions, count(DISTINCT feedback_id) AS feedback,
                   count(*) FILTER (WHERE label = 'negative') AS negative_mentions, sum(CAST(compound AS DECIMAL(18, 4))) AS compound_sum,
                   sum(CAST(compound AS DECIMAL(18, 4))) FILTER (WHERE label = 'negative') AS negative_compound_sum,
                   count(*) FILTER (WHERE intent = 'complaint') AS complaint_mentions,
                   count(*) FILTER (WHERE intent = 'question') AS question_mentions
            FROM _mentions WHERE is_current GROUP BY day, stage, theme),
        effort AS (
            SELECT day, stage, theme, sum(CAST(effort_score AS DECIMAL(18, 4))) AS effort_sum
            FROM (SELECT DISTINCT day, stage, theme, feedback_id, effort_score FROM _mentions WHERE is_current)
            GROUP BY day, stage, theme),
        -- the feedback mentioning a theme negatively, once each, and their scores (pain_points' impact)
        mentioners AS (
            SELECT day, stage, theme, count(nps) AS nps_n1, coalesce(sum(nps), 0) AS nps_s1,
                   coalesce(sum(nps * nps), 0) AS nps_q1, count(csat) AS csat_n1, coalesce(sum(csat), 0) AS csat_s1,
                   coalesce(sum(csat * csat), 0) AS csat_q1, count(stars) AS stars_n1, coalesce(sum(stars), 0) AS stars_s1,
                   coalesce(sum(stars * stars), 0) AS stars_q1
            FROM (SELECT DISTINCT day, stage, theme, feedback_id, nps, csat, stars FROM _mentions
                  WHERE is_current AND label = 'negative')
            GROUP BY day, stage, theme)
        SELECT * FROM themes LEFT JOIN mentioners USING (day, stage, theme) LEFT JOIN effort USING (day, stage, theme)""")
    con.execute("""
        INSERT INTO daily_quotes BY NAME
        SELECT day, stage, theme, clause, compound FROM (
            SELECT day, stage, theme, clause, min(compound) AS compound FROM _mentions
            WHERE is_current AND label = 'negative' GROUP BY day, stage, theme, clause)
        -- a day's three most negative distinct clauses per theme hold any period's three
        QUALIFY row_number() OVER (PARTITION BY day, stage, theme ORDER BY compound, clause) <= 3""")
    _recompute_segments(con)
    con.execute("""
        INSERT INTO daily_topics BY NAME
        SELECT fb.day, ft.topic_id, count(*) AS feedback FROM _fb fb JOIN feedback_topics ft ON ft.feedback_id = fb.feedback_id
        WHERE fb.status = 'current' GROUP BY fb.day, ft.topic_id""")
    # language_summary's and topic_summary's rows (each over its own feedback, as the views were
    # before they read these tables): at a million feedback their joins took seconds on every read.
    con.execute("""
        INSERT INTO daily_languages BY NAME
        SELECT day, language, count(*) AS feedback, count(*) FILTER (WHERE scored) AS scored_feedback,
               count(doc_label) AS sentiment_n, count(*) FILTER (WHERE doc_label = 'negative') AS negative_n
        FROM _fb WHERE status = 'current' OR language IS NULL GROUP BY day, language""")
    con.execute("""
        INSERT INTO daily_topic_sentiment BY NAME
        SELECT fb.day, ft.topic_id, count(fb.doc_label) AS sentiment_n,
               count(*) FILTER (WHERE fb.doc_label = 'negative') AS negative_n,
               sum(CAST(fb.doc_compound AS DECIMAL(38, 10))) AS compound_sum
        FROM _fb fb JOIN feedback_topics ft ON ft.feedback_id = fb.feedback_id
        WHERE fb.status IN ('current', 'stale') GROUP BY fb.day, ft.topic_id""")


def _recompute_segments(con: duckdb.DuckDBPyConnection) -> None:
    """The segments view's daily rows: per segment of each dimension, the current scored feedback,
    the feedback complaining about each theme and stage, and the most negative clauses. UNPIVOT
    gives a feedback one row per dimension it has a value of."""
    con.execute("""
        INSERT INTO daily_segments BY NAME
        SELECT day, dimension, segment, count(*) AS feedback FROM (
            UNPIVOT (SELECT day, source, product, channel, region FROM _fb WHERE status = 'current' AND scored IS NOT FALSE)
            ON source, product, channel, region INTO NAME dimension VALUE segment)
        GROUP BY day, dimension, segment""")
    # Each feedback once per theme it mentions negatively, with its most negative clause about it
    # (the lowest compound; the first clause of equals).
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _segment_negative AS
        UNPIVOT (
            SELECT n.*, fb.source, fb.product, fb.channel, fb.region FROM (
                SELECT day, feedback_id, stage, theme, min(compound) AS compound,
                       arg_min(clause, (compound, clause)) AS clause
                FROM _mentions WHERE is_current AND label = 'negative' GROUP BY day, feedback_id, stage, theme) n
            JOIN _fb fb ON fb.feedback_id = n.feedback_id WHERE fb.scored IS NOT FALSE)
        ON source, product, channel, region INTO NAME dimension VALUE segment""")
    con.execute("""
        INSERT INTO daily_segment_themes BY NAME
        SELECT day, dimension, segment, 'theme' AS level, stage, theme, count(*) AS negative_feedback
        FROM _segment_negative GROUP BY day, dimension, segment, stage, theme
        UNION ALL
        SELECT day, dimension, segment, 'stage', stage, NULL, count(DISTINCT feedback_id)
        FROM _segment_negative GROUP BY day, dimension, segment, stage""")
    con.execute("""
        INSERT INTO daily_segment_quotes BY NAME
        SELECT day, dimension, segment, stage, theme, clause, compound FROM (
            SELECT day, dimension, segment, stage, theme, clause, min(compound) AS compound FROM _segment_negative
            GROUP BY day, dimension, segment, stage, theme, clause)
        -- a day's three most negative distinct clauses per segment and theme hold all the days' three
        QUALIFY row_number() OVER (PARTITION BY day, dimension, segment, stage, theme ORDER BY compound, clause) <= 3""")
