SELECT t.topic_id, t.label, t.top_terms, t.size, t.stages, round(t.theme_coverage, 4) AS theme_coverage, t.candidate_theme,
       round(s.share_negative, 4) AS share_negative, round(s.mean_compound, 4) AS mean_compound, t.model_version
FROM topics t
LEFT JOIN (SELECT topic_id, sum(negative_n) / nullif(sum(sentiment_n), 0) AS share_negative,
                  sum(compound_sum) / nullif(sum(sentiment_n), 0) AS mean_compound
           FROM daily_topic_sentiment GROUP BY topic_id) s ON s.topic_id = t.topic_id
