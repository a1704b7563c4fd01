WITH span AS (SELECT min(day) AS first_day, max(day) AS last_day FROM daily_inputs),
weeks AS (
    SELECT CAST(w AS DATE) AS week, CAST(greatest(w, s.first_day) AS DATE) AS first_day,
           CAST(least(w + INTERVAL 6 DAY, s.last_day) AS DATE) AS last_day
    FROM span s, generate_series(date_trunc('week', s.first_day), s.last_day, INTERVAL 7 DAY) AS g(w)),
weekly AS (
    SELECT CAST(date_trunc('week', day) AS DATE) AS week, stage, sum(feedback) AS feedback, sum(mentions) AS mentions,
           sum(negative_mentions) AS negative_mentions, sum(compound_sum) AS compound_sum,
           sum(nps_s) AS nps_s, sum(nps_n) AS nps_n
    FROM daily_stages GROUP BY ALL)
SELECT w.week, js.position, js.stage, js.name, CAST(coalesce(d.feedback, 0) AS BIGINT) AS feedback,
       CAST(coalesce(d.mentions, 0) AS BIGINT) AS mentions,
       CAST(coalesce(d.negative_mentions, 0) AS BIGINT) AS negative_mentions,
       round(d.negative_mentions / nullif(d.mentions, 0), 4) AS share_negative,
       round(d.compound_sum / nullif(d.mentions, 0), 4) AS mean_compound,
       round(100.0 * d.nps_s / nullif(d.nps_n, 0), 1) AS nps, CAST(coalesce(d.nps_n, 0) AS BIGINT) AS nps_responses,
       CAST(w.last_day - w.first_day + 1 AS INTEGER) AS days,
       w.last_day - w.first_day + 1 < 7 AS partial
FROM weeks w
CROSS JOIN journey_stages js
LEFT JOIN weekly d ON d.week = w.week AND d.stage = js.stage
