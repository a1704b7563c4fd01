WITH span AS (SELECT min(day) AS first_day, max(day) AS last_day FROM daily_inputs),
periods AS (  -- each day of the daily tables, in its three periods
    SELECT day, 'all' AS period, CAST(NULL AS DATE) AS period_start FROM daily_feedback
    UNION ALL SELECT day, 'month', CAST(date_trunc('month', day) AS DATE) FROM daily_feedback
    UNION ALL SELECT day, 'week', CAST(date_trunc('week', day) AS DATE) FROM daily_feedback),
mention_stats AS (
    SELECT p.period, p.period_start, d.stage, d.theme, CAST(sum(d.mentions) AS BIGINT) AS mentions,
           CAST(sum(d.feedback) AS BIGINT) AS feedback,
               CAST(sum(d.negative_mentions) AS BIGINT) AS negative_mentions,
           round(sum(d.negative_mentions) / sum(d.mentions), 4) AS share_negative,
           CAST(sum(d.complaint_mentions) AS BIGINT) AS complaint_mentions,
           CAST(sum(d.question_mentions) AS BIGINT) AS question_mentions,
           round(CAST(sum(d.effort_sum) / sum(d.feedback) AS DOUBLE), 2) AS mean_effort,
           round(sum(d.compound_sum) / sum(d.mentions), 4) AS mean_compound,
           least(1.0,
               greatest(0.0, -sum(d.negative_compound_sum) / nullif(sum(d.negative_mentions), 0))) AS severity
    FROM daily_themes d JOIN periods p ON p.day = d.day GROUP BY p.period, p.period_start, d.stage, d.theme),
quotes AS (
    SELECT period, period_start, stage, theme, list(clause ORDER BY compound, clause)[1:3] AS quotes FROM (
        SELECT p.period, p.period_start, q.stage, q.theme, q.clause, min(q.compound) AS compound
        FROM daily_quotes q JOIN periods p ON p.day = q.day GROUP BY p.period, p.period_start, q.stage,
            q.theme, q.clause)
    GROUP BY period, period_start, stage, theme),
-- Each theme's negative mentioners against the rest, from sums: the rest is everyone minus
-- the mentioners, so no row is made per theme and feedback.
everyone AS (
    SELECT p.period, p.period_start, sum(feedback) AS feedback, sum(nps_n) AS nps_n, sum(nps_s) AS nps_s,
        sum(nps_q) AS nps_q, sum(csat_n) AS csat_n, sum(csat_s) AS csat_s, sum(csat_q) AS csat_q,
        sum(stars_n) AS stars_n, sum(stars_s) AS stars_s, sum(stars_q) AS stars_q
    FROM daily_feedback d JOIN periods p ON p.day = d.day GROUP BY p.period, p.period_start),
mentioners AS (
    SELECT p.period, p.period_start, d.stage, d.theme, sum(nps_n1) AS nps_n1, sum(nps_s1) AS nps_s1,
        sum(nps_q1) AS nps_q1, sum(csat_n1) AS csat_n1, sum(csat_s1) AS csat_s1, sum(csat_q1) AS csat_q1,
        sum(stars_n1) AS stars_n1, sum(stars_s1) AS stars_s1, sum(stars_q1) AS stars_q1
    FROM daily_themes d JOIN periods p ON p.day = d.day WHERE d.nps_n1 IS NOT NULL
    GROUP BY p.period, p.period_start, d.stage, d.theme),
scores AS (  -- per metric: n, mean m and variance v of the negative mentioners (1) and the rest (0)
    SELECT m.period, m.period_start, m.stage, m.theme,
           nps_n1,
           (a.nps_n - nps_n1) AS nps_n0,
           nps_s1 / nullif(nps_n1, 0) AS nps_m1,
           (a.nps_s - nps_s1) / nullif((a.nps_n - nps_n1), 0) AS nps_m0,
           greatest(0, nps_q1 / nullif(nps_n1, 0) - (nps_s1 / nullif(nps_n1, 0)) ** 2) AS nps_v1,
           greatest(0, (a.nps_q - nps_q1) / nullif((a.nps_n - nps_n1), 0)
                       - ((a.nps_s - nps_s1) / nullif((a.nps_n - nps_n1), 0)) ** 2) AS nps_v0,
           csat_n1,
           (a.csat_n - csat_n1) AS csat_n0,
           csat_s1 / nullif(csat_n1, 0) AS csat_m1,
           (a.csat_s - csat_s1) / nullif((a.csat_n - csat_n1), 0) AS csat_m0,
           greatest(0, csat_q1 / nullif(csat_n1, 0) - (csat_s1 / nullif(csat_n1, 0)) ** 2) AS csat_v1,
           greatest(0, (a.csat_q - csat_q1) / nullif((a.csat_n - csat_n1), 0)
                       - ((a.csat_s - csat_s1) / nullif((a.csat_n - csat_n1), 0)) ** 2) AS csat_v0,
           stars_n1,
           (a.stars_n - stars_n1) AS stars_n0,
           stars_s1 / nullif(stars_n1, 0) AS stars_m1,
           (a.stars_s - stars_s1) / nullif((a.stars_n - stars_n1), 0) AS stars_m0,
           greatest(0, stars_q1 / nullif(stars_n1, 0) - (stars_s1 / nullif(stars_n1, 0)) ** 2) AS stars_v1,
           greatest(0, (a.stars_q - stars_q1) / nullif((a.stars_n - stars_n1), 0)
                       - ((a.stars_s - stars_s1) / nullif((a.stars_n - stars_n1), 0)) ** 2) AS stars_v0
    FROM mentioners m
    JOIN everyone a ON a.period = m.period AND a.period_start IS NOT DISTINCT FROM m.period_start),
joined AS (
    SELECT s.*, th.name AS theme_name, coalesce(th.discovered, false) AS discovered,
           round(100.0 * s.negative_mentions / t.feedback * (0.5 + 0.5 * coalesce(s.severity, 0)),
               3) AS pain_score,
           sc.*, q.quotes
    FROM mention_stats s
    JOIN everyone t ON t.period = s.period AND t.period_start IS NOT DISTINCT FROM s.period_start
    JOIN themes th ON th.theme = s.theme
    LEFT JOIN scores sc ON sc.period = s.period AND sc.period_start IS NOT DISTINCT FROM s.period_start
                       AND sc.stage = s.stage AND sc.theme = s.theme
    LEFT JOIN quotes q ON q.period = s.period AND q.period_start IS NOT DISTINCT FROM s.period_start
                      AND q.stage = s.stage AND q.theme = s.theme)
SELECT period, period_start,
       CAST(least(coalesce(period_end, sp.last_day), sp.last_day)
            - greatest(coalesce(period_start, sp.first_day), sp.first_day) + 1 AS INTEGER) AS days,
       coalesce(period_start < sp.first_day OR period_end > sp.last_day, false) AS partial,
       stage, theme, theme_name, mentions, feedback, negative_mentions, share_negative,
       mean_compound, pain_score,
       negative_mentions - lag(negative_mentions) OVER previous AS negative_mentions_change,
       round(pain_score - lag(pain_score) OVER previous, 3) AS pain_score_change,
       round(100 * nps_m1, 1) AS nps_negative_mentioners, round(100 * nps_m0, 1) AS nps_rest,
       CAST(nps_n1 AS BIGINT) AS nps_responses,
       round(CASE WHEN nps_n1 >= $min_impact_responses THEN 100 * nps_n1 / (nps_n1 + nps_n0) * ((nps_m0 - nps_m1)) END, 2) AS nps_impact,
       round(CASE WHEN nps_n1 >= $min_impact_responses
            THEN 100 * nps_n1 / (nps_n1 + nps_n0)
                 * ((nps_m0 - nps_m1) + -1 * 1.96 * sqrt(nps_v1 / nps_n1 + nps_v0 / greatest(nps_n0, 1)))
       END, 2) AS nps_impact_low,
       round(CASE WHEN nps_n1 >= $min_impact_responses
            THEN 100 * nps_n1 / (nps_n1 + nps_n0)
                 * ((nps_m0 - nps_m1) + 1 * 1.96 * sqrt(nps_v1 / nps_n1 + nps_v0 / greatest(nps_n0, 1)))
       END, 2) AS nps_impact_high,
       round(100 * csat_m1, 1) AS csat_negative_mentioners, round(100 * csat_m0, 1) AS csat_rest,
       CAST(csat_n1 AS BIGINT) AS csat_responses,
       round(CASE WHEN csat_n1 >= $min_impact_responses THEN 100 * csat_n1 / (csat_n1 + csat_n0) * ((csat_m0 - csat_m1)) END, 2) AS csat_impact,
       round(CASE WHEN csat_n1 >= $min_impact_responses
            THEN 100 * csat_n1 / (csat_n1 + csat_n0)
                 * ((csat_m0 - csat_m1) + -1 * 1.96 * sqrt(csat_v1 / csat_n1 + csat_v0 / greatest(csat_n0, 1)))
       END, 2) AS csat_impact_low,
       round(CASE WHEN csat_n1 >= $min_impact_responses
            THEN 100 * csat_n1 / (csat_n1 + csat_n0)
                 * ((csat_m0 - csat_m1) + 1 * 1.96 * sqrt(csat_v1 / csat_n1 + csat_v0 / greatest(csat_n0, 1)))
       END, 2) AS csat_impact_high,
       round(stars_m1, 2) AS stars_negative_mentioners, round(stars_m0, 2) AS stars_rest,
       CAST(stars_n1 AS BIGINT) AS stars_responses,
       round(CASE WHEN stars_n1 >= $min_impact_responses THEN 1 * stars_n1 / (stars_n1 + stars_n0) * ((stars_m0 - stars_m1)) END, 3) AS stars_impact,
       round(CASE WHEN stars_n1 >= $min_impact_responses
            THEN 1 * stars_n1 / (stars_n1 + stars_n0)
                 * ((stars_m0 - stars_m1) + -1 * 1.96 * sqrt(stars_v1 / stars_n1 + stars_v0 / greatest(stars_n0, 1)))
       END, 3) AS stars_impact_low,
       round(CASE WHEN stars_n1 >= $min_impact_responses
            THEN 1 * stars_n1 / (stars_n1 + stars_n0)
                 * ((stars_m0 - stars_m1) + 1 * 1.96 * sqrt(stars_v1 / stars_n1 + stars_v0 / greatest(stars_n0, 1)))
       END, 3) AS stars_impact_high,
       quotes, complaint_mentions, question_mentions, mean_effort, discovered
FROM (SELECT *, CAST(period_start + CASE period WHEN 'week' THEN INTERVAL 7 DAY ELSE INTERVAL 1 MONTH END
                         - INTERVAL 1 DAY AS DATE) AS period_end FROM joined), span sp
WINDOW previous AS (PARTITION BY period, stage, theme ORDER BY period_start)
ORDER BY period, period_start DESC NULLS FIRST, pain_score DESC

