WITH sizes AS (SELECT dimension, segment, CAST(sum(feedback) AS BIGINT) AS feedback FROM daily_segments GROUP BY ALL),
totals AS (SELECT dimension, sum(feedback) AS feedback FROM sizes GROUP BY dimension),
counts AS (
    SELECT dimension, segment, level, stage, theme, CAST(sum(negative_feedback) AS BIGINT) AS negative_feedback
    FROM daily_segment_themes GROUP BY ALL),
quotes AS (  -- distinct clauses, each at its most negative compound, the three lowest (ties: by clause)
    SELECT dimension, segment, stage, theme, list(clause ORDER BY compound, clause)[1:3] AS quotes FROM (
        SELECT dimension, segment, stage, theme, clause, min(compound) AS compound FROM daily_segment_quotes GROUP BY ALL)
    GROUP BY ALL),
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
       q.quotes
FROM tested x
JOIN journey_stages js ON js.stage = x.stage
LEFT JOIN quotes q ON q.dimension = x.dimension AND q.segment = x.segment AND q.stage = x.stage AND q.theme = x.theme
LEFT JOIN themes th ON th.theme = x.theme
ORDER BY x.dimension, x.segment, x.level DESC, x.negative_feedback DESC, x.stage, x.theme
