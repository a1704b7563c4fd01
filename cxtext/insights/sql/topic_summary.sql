SELECT t.topic_id, t.label, t.top_terms, t.size, t.stages, round(t.theme_coverage, 4) AS theme_coverage, t.candidate_theme,
       round(s.share_negative, 4) AS share_negative, round(s.mean_compound, 4) AS mean_compound, t.model_version
FROM topics t
LEFT JOIN (SELECT ft.topic_id, avg(CAST(s.label = 'negative' AS INTEGER)) AS share_negative,
                  avg(s.compound) AS mean_compound
           FROM feedback_topics ft
           JOIN enrichment e ON e.feedback_id = ft.feedback_id
           JOIN feedback f ON $current
           LEFT JOIN sentiment s ON s.feedback_id = e.feedback_id
           GROUP BY ft.topic_id) s ON s.topic_id = t.topic_id

