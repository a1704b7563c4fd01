WITH fb AS MATERIALIZED (  -- scored feedback whose enrichment is current, with its segments
    SELECT f.feedback_id, f.source, f.product, f.channel, f.region
    FROM feedback f JOIN enrichment e ON $current
    WHERE ($status) = 'current' AND e.scored IS NOT FALSE),
seg AS MATERIALIZED (
    SELECT feedback_id, 'product' AS dimension, product AS segment FROM fb WHERE product IS NOT NULL
    UNION ALL SELECT feedback_id, 'channel', channel FROM fb WHERE channel IS NOT NULL
    UNION ALL SELECT feedback_id, 'region', region FROM fb WHERE region IS NOT NULL
    UNION ALL SELECT feedback_id, 'source', source FROM fb),
sizes AS (SELECT dimension, segment, count(*) AS feedback FROM seg GROUP BY ALL),
totals AS (SELECT dimension, sum(feedback) AS feedback FROM sizes GROUP BY dimension),
negative AS MATERIALIZED (  -- each feedback once per theme it mentions negatively, with its most negative clause
    SELECT m.feedback_id, m.stage, m.theme, min(m.compound) AS compound, arg_min(m.clause, m.compound) AS clause
    FROM theme_mentions m JOIN fb ON fb.feedback_id = m.feedback_id
    WHERE m.label = 'negative' GROUP BY ALL),
counts AS (
    SELECT s.dimension, s.segment, 'theme' AS level, n.stage, n.theme, count(*) AS negative_feedback, any_value(q.quotes) AS quotes
    FROM negative n JOIN seg s ON s.feedback_id = n.feedback_id
    LEFT JOIN (SELECT dimension, segment, stage, theme, min_by(clause, compound, 3) AS quotes
               FROM (SELECT s.dimension, s.segment, n.stage, n.theme, n.clause, min(n.compound) AS compound
                     FROM negative n JOIN seg s ON s.feedback_id = n.feedback_id GROUP BY ALL)
               GROUP BY ALL) q ON q.dimension = s.dimension AND q.segment = s.segment AND q.stage = n.stage AND q.theme = n.theme
    GROUP BY s.dimension, s.segment, n.stage, n.theme
    UNION ALL
    SELECT s.dimension, s.segment, 'stage', n.stage, NULL, count(DISTINCT n.feedback_id), NULL
    FROM negative n JOIN seg s ON s.feedback_id = n.feedback_id GROUP BY ALL),
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
