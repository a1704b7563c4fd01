SELECT CAST(date_trunc('week', d.day) AS DATE) AS week, d.stage, d.theme, th.name AS theme_name,
       CAST(sum(d.mentions) AS BIGINT) AS mentions, CAST(sum(d.feedback) AS BIGINT) AS feedback,
       CAST(sum(d.negative_mentions) AS BIGINT) AS negative_mentions,
       sum(d.negative_mentions) / sum(d.mentions) AS share_negative,
       sum(d.compound_sum) / sum(d.mentions) AS mean_compound
FROM daily_themes d
JOIN themes th ON th.theme = d.theme
GROUP BY 1, d.stage, d.theme, th.name

