WITH weekly AS MATERIALIZED (
    SELECT 'theme' AS kind, week, stage, theme AS subject, theme_name AS subject_name, negative_mentions AS x, discovered
    FROM theme_trends
    UNION ALL
    SELECT 'topic', CAST(date_trunc('week', d.day) AS DATE), NULL, 'topic:' || CAST(t.topic_id AS VARCHAR),
        t.label,
           CAST(sum(d.feedback) AS BIGINT), false
    FROM daily_topics d JOIN topics t ON t.topic_id = d.topic_id
    WHERE t.candidate_theme
    GROUP BY 2, t.topic_id, t.label),
grid AS (
    SELECT w.week, s.kind, s.stage, s.subject, s.subject_name, coalesce(weekly.x, 0) AS x, s.discovered
    FROM (SELECT DISTINCT week FROM weekly WHERE kind = 'theme') w
    CROSS JOIN (SELECT DISTINCT kind, stage, subject, subject_name, discovered FROM weekly) s
    LEFT JOIN weekly ON weekly.week = w.week AND weekly.kind = s.kind AND weekly.subject = s.subject
                    AND weekly.stage IS NOT DISTINCT FROM s.stage),
history AS (
    SELECT *, avg(x) OVER before AS m, count(*) OVER before AS weeks_before FROM grid
    WINDOW before AS (PARTITION BY kind, stage,
        subject ORDER BY week ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING)),
scored AS (
    SELECT *, 2 * (sqrt(x + 0.375) - sqrt(m + 0.375)) AS z FROM history WHERE weeks_before >= 2)
SELECT week, kind, stage, subject AS theme, subject_name AS theme_name, x AS count, round(m, 2) AS expected,
       round(x - m, 2) AS rise, round(x / greatest(m, 0.5), 2) AS ratio, round(z, 2) AS z, discovered
FROM scored WHERE z >= $emerging_z AND x >= $emerging_min_volume
ORDER BY week DESC, z DESC

