SELECT coalesce(language, 'not yet detected') AS language, CAST(sum(feedback) AS BIGINT) AS feedback,
       CAST(sum(scored_feedback) AS BIGINT) AS scored_feedback,
       round(sum(negative_n) / nullif(sum(sentiment_n), 0), 4) AS share_negative
FROM daily_languages
GROUP BY ALL ORDER BY feedback DESC, language
