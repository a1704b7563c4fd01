WITH s AS (
    SELECT stage, sum(feedback) AS feedback, sum(nps_n) AS nps_n, sum(nps_s) AS nps_s, sum(csat_n) AS csat_n,
           sum(csat_s) AS csat_s, sum(stars_n) AS stars_n, sum(stars_s) AS stars_s, sum(mentions) AS mentions,
           sum(compound_sum) AS compound_sum, sum(negative_mentions) AS negative_mentions,
           sum(positive_mentions) AS positive_mentions, sum(stale_feedback) AS stale_feedback,
           sum(effort_sum) AS effort_sum
    FROM daily_stages GROUP BY stage),
pains AS (
    SELECT stage, list(theme ORDER BY negatives DESC, theme)[1:3] AS top_pain_themes,
           list(coalesce(discovered, false) ORDER BY negatives DESC, theme)[1:3] AS top_pain_discovered
    FROM (SELECT d.stage, d.theme, sum(d.negative_mentions) AS negatives, any_value(th.discovered) AS discovered
          FROM daily_themes d LEFT JOIN themes th ON th.theme = d.theme GROUP BY d.stage, d.theme
          HAVING sum(d.negative_mentions) > 0)
    GROUP BY stage),
efforts AS (
    SELECT stage, list(theme ORDER BY effort DESC, theme)[1:3] AS top_effort_themes
    FROM (SELECT stage, theme, sum(effort_sum) AS effort FROM daily_themes GROUP BY stage, theme
          HAVING sum(effort_sum) > 0)
    GROUP BY stage)
SELECT js.position, js.stage, js.name, CAST(coalesce(s.feedback, 0) AS BIGINT) AS feedback,
       CAST(coalesce(s.mentions, 0) AS BIGINT) AS mentions,
           round(s.compound_sum / nullif(s.mentions, 0), 4) AS mean_compound,
       round(s.negative_mentions / nullif(s.mentions, 0), 4) AS share_negative,
       round(s.positive_mentions / nullif(s.mentions, 0), 4) AS share_positive,
       CASE WHEN s.feedback > 0 THEN round(100.0 * s.nps_s / nullif(s.nps_n, 0), 1) END AS nps,
       CASE WHEN s.feedback > 0 THEN CAST(s.nps_n AS BIGINT) END AS nps_responses,
       CASE WHEN s.feedback > 0 THEN round(100.0 * s.csat_s / nullif(s.csat_n, 0), 1) END AS csat,
       CASE WHEN s.feedback > 0 THEN CAST(s.csat_n AS BIGINT) END AS csat_responses,
       round(s.stars_s / nullif(s.stars_n, 0), 2) AS mean_rating, p.top_pain_themes,
       CAST(coalesce(s.stale_feedback, 0) AS BIGINT) AS stale_feedback,
       round(CAST(s.effort_sum / nullif(s.feedback, 0) AS DOUBLE), 2) AS mean_effort, ef.top_effort_themes,
       p.top_pain_discovered
FROM journey_stages js
LEFT JOIN s ON s.stage = js.stage
LEFT JOIN pains p ON p.stage = js.stage
LEFT JOIN efforts ef ON ef.stage = js.stage
ORDER BY js.position

