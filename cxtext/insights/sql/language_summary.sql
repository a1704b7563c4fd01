SELECT coalesce(f.language, 'not yet detected') AS language, CAST(count(*) AS BIGINT) AS feedback,
       CAST(count(*) FILTER (WHERE e.scored) AS BIGINT) AS scored_feedback,
       round(avg(CAST(s.label = 'negative' AS INTEGER)), 4) AS share_negative
FROM feedback f
LEFT JOIN enrichment e ON $current
LEFT JOIN sentiment s ON s.feedback_id = e.feedback_id
WHERE ($status) = 'current' OR f.language IS NULL
GROUP BY ALL ORDER BY feedback DESC, language

