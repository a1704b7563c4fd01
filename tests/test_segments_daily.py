"""The segments view adds up its daily tables (daily_segments, daily_segment_themes,
daily_segment_quotes): the same rows as the query over feedback and theme_mentions it replaced
(kept below as the reference), deterministic quotes, and a nightly refresh that follows new
feedback and a changed segment."""

from __future__ import annotations

from datetime import datetime
from string import Template

from cxtext.store.db import Store
from tests.test_report import _fill, aggregate, store_with_mentions

#: The segments view before it read the daily tables (schema 6): every current scored feedback and
#: negative theme mention in one query. Its quotes were not deterministic and are not compared.
BEFORE = Template("""
WITH fb AS MATERIALIZED (  -- scored feedback whose enrichment is current, with its segments
    SELECT f.feedback_id, f.source, f.product, f.channel, f.region
    FROM feedback f JOIN $enrichment e ON $current
    WHERE ($status) = 'current' AND e.scored IS NOT FALSE),
sizes AS (
    SELECT CASE WHEN grouping(product) = 0 THEN 'product' WHEN grouping(channel) = 0 THEN 'channel'
                WHEN grouping(region) = 0 THEN 'region' ELSE 'source' END AS dimension,
           coalesce(product, channel, region, source) AS segment, count(*) AS feedback
    FROM fb GROUP BY GROUPING SETS ((product), (channel), (region), (source))
    HAVING coalesce(product, channel, region, source) IS NOT NULL),
totals AS (SELECT dimension, sum(feedback) AS feedback FROM sizes GROUP BY dimension),
negative AS MATERIALIZED (  -- each feedback once per theme it mentions negatively, with its segments and most negative clause
    SELECT n.*, fb.product, fb.channel, fb.region, fb.source FROM (
        SELECT feedback_id, stage, theme, min(compound) AS compound, arg_min(clause, compound) AS clause
        FROM theme_mentions WHERE label = 'negative' GROUP BY ALL) n
    JOIN fb ON fb.feedback_id = n.feedback_id),
counts AS (  -- one grouping set per dimension: no row is made per feedback and dimension
    SELECT CASE WHEN grouping(product) = 0 THEN 'product' WHEN grouping(channel) = 0 THEN 'channel'
                WHEN grouping(region) = 0 THEN 'region' ELSE 'source' END AS dimension,
           coalesce(product, channel, region, source) AS segment, 'theme' AS level, stage, theme,
           count(*) AS negative_feedback, list_distinct(min_by(clause, compound, 10))[1:3] AS quotes
    FROM negative
    GROUP BY GROUPING SETS ((product, stage, theme), (channel, stage, theme), (region, stage, theme), (source, stage, theme))
    HAVING coalesce(product, channel, region, source) IS NOT NULL
    UNION ALL
    SELECT CASE WHEN grouping(product) = 0 THEN 'product' WHEN grouping(channel) = 0 THEN 'channel'
                WHEN grouping(region) = 0 THEN 'region' ELSE 'source' END,
           coalesce(product, channel, region, source), 'stage', stage, NULL, count(*), NULL
    FROM (SELECT DISTINCT feedback_id, stage, product, channel, region, source FROM negative)
    GROUP BY GROUPING SETS ((product, stage), (channel, stage), (region, stage), (source, stage))
    HAVING coalesce(product, channel, region, source) IS NOT NULL),
everywhere AS (
    SELECT dimension, level, stage, theme, sum(negative_feedback) AS negative_feedback FROM counts GROUP BY ALL),
tested AS (  -- the segment (1) against the rest of the dimension (0): pooled two-proportion z-test
    SELECT c.*, z.feedback AS n1, t.feedback - z.feedback AS n0, c.negative_feedback AS x1,
           a.negative_feedback - c.negative_feedback AS x0,
           a.negative_feedback / t.feedback AS pooled
    FROM counts c
    JOIN sizes z ON z.dimension = c.dimension AND z.segment = c.segment
    JOIN totals t ON t.dimension = c.dimension
    JOIN everywhere a ON a.dimension = c.dimension AND a.level = c.level AND a.stage = c.stage
                     AND a.theme IS NOT DISTINCT FROM c.theme)
SELECT x.dimension, x.segment, x.level, x.stage, js.name AS stage_name, x.theme, th.name AS theme_name,
       CAST(n1 AS BIGINT) AS feedback, CAST(x1 AS BIGINT) AS negative_feedback, round(x1 / n1, 4) AS share_negative,
       CAST(n0 AS BIGINT) AS rest_feedback, CAST(x0 AS BIGINT) AS rest_negative_feedback,
       round(x0 / nullif(n0, 0), 4) AS rest_share_negative,
       round(100 * (x1 / n1 - x0 / nullif(n0, 0)), 2) AS difference,
       round((x1 / n1 - x0 / nullif(n0, 0)) / nullif(sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / nullif(n0, 0))), 0), 2) AS z,
       coalesce(n1 >= $segment_min_feedback AND n0 >= $segment_min_feedback
                AND abs((x1 / n1 - x0 / n0) / nullif(sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0)), 0)) >= $segment_z,
                false) AS significant,
       x.quotes
FROM tested x
JOIN journey_stages js ON js.stage = x.stage
LEFT JOIN themes th ON th.theme = x.theme
ORDER BY x.dimension, x.segment, x.level DESC, x.negative_feedback DESC, x.stage, x.theme
""")


def reference_rows(store) -> list[tuple]:
    """The old query's rows on *store*'s current data, without quotes, sorted."""
    from cxtext.insights.current import CURRENT_SQL, ENRICHMENT_SQL, STATUS_SQL
    from cxtext.insights.views import SEGMENT_MIN_FEEDBACK, SEGMENT_Z

    sql = BEFORE.substitute(
        enrichment=ENRICHMENT_SQL,
        current=CURRENT_SQL,
        status=STATUS_SQL,
        segment_min_feedback=SEGMENT_MIN_FEEDBACK,
        segment_z=SEGMENT_Z,
    )
    return sorted((row[:-1] for row in store.execute(sql)), key=repr)


def view_rows(store) -> list[tuple]:
    return sorted((row[:-1] for row in store.execute("SELECT * FROM segments")), key=repr)


def expected_quotes(store) -> dict[tuple, list[str]]:
    """Per dimension, segment, stage and theme: its three most negative distinct clauses, each
    feedback offering its most negative clause about the theme (equals: the first clause), each
    clause at its most negative compound, ordered by compound then clause; computed in Python."""
    from cxtext.insights.current import CURRENT_SQL, ENRICHMENT_SQL, STATUS_SQL

    rows = store.execute(f"""
        SELECT m.feedback_id, m.stage, m.theme, m.compound, m.clause, f.product, f.channel, f.region, f.source
        FROM theme_mentions m JOIN feedback f ON f.feedback_id = m.feedback_id JOIN {ENRICHMENT_SQL} e ON {CURRENT_SQL}
        WHERE m.label = 'negative' AND ({STATUS_SQL}) = 'current' AND e.scored IS NOT FALSE""")
    per_feedback: dict[tuple, tuple] = {}
    for feedback_id, stage, theme, compound, clause, *segments in rows:
        key = (feedback_id, stage, theme)
        per_feedback[key] = min(per_feedback.get(key, (compound, clause, segments)), (compound, clause, segments))
    clauses: dict[tuple, dict[str, float]] = {}
    for (_, stage, theme), (compound, clause, segments) in per_feedback.items():
        for dimension, segment in zip(("product", "channel", "region", "source"), segments):
            if segment is not None:
                best = clauses.setdefault((dimension, segment, stage, theme), {})
                best[clause] = min(best.get(clause, compound), compound)
    return {key: [c for _, c in sorted((v, c) for c, v in best.items())[:3]] for key, best in clauses.items()}


def test_a_nightly_refresh_follows_new_feedback_and_a_changed_product(tmp_path):
    rows = [(f"a{i}", datetime(2026, 7, 6, 9), None, "negative" if i < 4 else None) for i in range(10)]
    rows += [(f"b{i}", datetime(2026, 7, 7, 9), None, "negative" if i < 2 else None) for i in range(10)]
    with store_with_mentions(tmp_path / "w.duckdb", rows) as store:
        store.execute("UPDATE feedback SET product = 'A' WHERE feedback_id LIKE 'a%'")
        aggregate(store)
        before = store.execute("SELECT segment, feedback, negative_feedback FROM segments WHERE dimension = 'product'")
        # One of A's complainers turns out to be about B, and a new B complaint arrives on a new day.
        store.execute("UPDATE feedback SET product = 'B' WHERE feedback_id = 'a0' OR feedback_id LIKE 'b%'")
        store.execute(
            "INSERT INTO feedback (feedback_id, kind, source, created_at, text, text_hash, product) "
            "VALUES ('new', 'survey', 's', ?, 'text', 'h', 'B')",
            [datetime(2026, 7, 20, 9)],
        )
        store.execute("INSERT INTO enrichment VALUES ('new', 'h', 's', 'v1', 'none', now(), true)")
        store.execute(
            "INSERT INTO theme_mentions VALUES ('new', 0, 'support_wait_time', 'support', 0, 0, 4, 'text', "
            "'on hold for ever', -0.9, 'negative', 'clause')"
        )
        with store.transaction():
            from cxtext.insights.daily import refresh_daily

            refresh = refresh_daily(store.con)
        after = store.execute(
            "SELECT segment, level, feedback, negative_feedback, quotes FROM segments WHERE dimension = 'product'"
        )
        reference = reference_rows(store)
        assert view_rows(store) == reference
    assert before == [("A", 10, 4), ("A", 10, 4)]  # level 'theme', then 'stage'
    assert (refresh.recomputed, refresh.full) == (3, False)
    assert after == [
        ("A", "theme", 9, 3, ["on hold"]),
        ("A", "stage", 9, 3, None),
        ("B", "theme", 12, 4, ["on hold for ever", "on hold"]),
        ("B", "stage", 12, 4, None),
    ]


def test_quotes_are_the_three_most_negative_distinct_clauses_each_feedback_offering_its_worst(tmp_path):
    rows = [(f"f{i}", datetime(2026, 7, 6 + i % 3, 9), None, None) for i in range(6)]  # over three days
    with Store.open(tmp_path / "w.duckdb") as store:
        _fill(store, rows)
        # f0: two clauses, its worst "never again" (-0.9) beats its "slow" (-0.2); f1 and f2 tie at -0.8
        # ("b late" before "c late"); f3 says "slow" at -0.95: "slow" counts at that compound.
        for feedback_id, clause, compound in (
            ("f0", "never again", -0.9),
            ("f0", "slow", -0.2),
            ("f1", "c late", -0.8),
            ("f2", "b late", -0.8),
            ("f3", "slow", -0.95),
            ("f4", "a meh", -0.1),
        ):
            store.execute(
                "INSERT INTO theme_mentions VALUES (?, 0, 'support_wait_time', 'support', 0, 0, 4, 'text', ?, ?, "
                "'negative', 'clause')",
                [feedback_id, clause, compound],
            )
        aggregate(store)
        quotes = store.execute("SELECT quotes FROM segments WHERE dimension = 'source' AND level = 'theme'")
        assert quotes == [(["slow", "never again", "b late"],)]
        assert expected_quotes(store) == {("source", "s", "support", "support_wait_time"): quotes[0][0]}


def test_erasing_from_a_snapshot_published_before_schema_7_writes_its_segment_tables(review_settings, store):
    """A kept snapshot is erased in place, not migrated: its daily refresh creates the segment
    tables it lacks (its own segments view still reads the feedback)."""
    import duckdb

    from cxtext.ops.erasure import erase_snapshots
    from cxtext.ops.erasure_files import Match

    review_settings.snapshots_dir.mkdir(parents=True, exist_ok=True)
    path = review_settings.snapshots_dir / "cx-20260801T000000Z.duckdb"
    rows = [("a", datetime(2026, 7, 6, 9), None, "negative"), ("b", datetime(2026, 7, 7, 9), None, "negative")]
    with store_with_mentions(path, rows) as old:  # as schema 6 left it
        old.execute("UPDATE feedback SET source_record_id = feedback_id")
        for table in ("daily_segments", "daily_segment_themes", "daily_segment_quotes"):
            old.execute(f"DROP TABLE {table}")
        old.execute("UPDATE cxtext_meta SET value = 'daily-1' WHERE key = 'daily_basis'")
    assert erase_snapshots(store, review_settings, Match(source="s", record_id="a")) == 1
    with duckdb.connect(str(path), read_only=True) as con:
        segments = con.execute("SELECT CAST(day AS VARCHAR), dimension, segment, feedback FROM daily_segments").fetchall()
    assert segments == [("2026-07-07", "source", "s", 1)]
