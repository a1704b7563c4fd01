WITH fb AS MATERIALIZED (  -- scored feedback whose enrichment is current, with its segments
    SELECT f.feedback_id, f.source, f.product, f.channel, f.region
    FROM feedback f JOIN enrichment e ON $current
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
