WITH span AS (SELECT min(day) AS first_day, max(day) AS last_day FROM daily_inputs),
weeks AS (  -- every week the data spans, so a week without mentions is a row of zeros
    SELECT CAST(w AS DATE) AS week, CAST(greatest(w, s.first_day) AS DATE) AS first_day,
           CAST(least(w + INTERVAL 6 DAY, s.last_day) AS DATE) AS last_day
    FROM span s, generate_series(date_trunc('week', s.first_day), s.last_day, INTERVAL 7 DAY) AS g(w)),
weekly AS (
    SELECT CAST(date_trunc('week', day) AS DATE) AS week, stage, theme, sum(mentions) AS mentions,
           sum(feedback) AS feedback, sum(negative_mentions) AS negative_mentions, sum(compound_sum) AS compound_sum
    FROM daily_themes GROUP BY ALL)
SELECT w.week, t.stage, t.theme, th.name AS theme_name,
       CAST(coalesce(d.mentions, 0) AS BIGINT) AS mentions, CAST(coalesce(d.feedback, 0) AS BIGINT) AS feedback,
       CAST(coalesce(d.negative_mentions, 0) AS BIGINT) AS negative_mentions,
       round(d.negative_mentions / d.mentions, 4) AS share_negative,
       round(d.compound_sum / d.mentions, 4) AS mean_compound,
       CAST(w.last_day - w.first_day + 1 AS INTEGER) AS days,
       w.last_day - w.first_day + 1 < 7 AS partial, coalesce(th.discovered, false) AS discovered
FROM weeks w
CROSS JOIN (SELECT DISTINCT stage, theme FROM daily_themes) t
JOIN themes th ON th.theme = t.theme
LEFT JOIN weekly d ON d.week = w.week AND d.stage = t.stage AND d.theme = t.theme
