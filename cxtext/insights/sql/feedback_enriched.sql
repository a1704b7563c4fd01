SELECT f.feedback_id, f.kind, f.source, f.source_record_id, f.created_at,
       CAST($local AS DATE) AS local_date,
       CAST(date_trunc('week', $local) AS DATE) AS local_week,
       f.title, f.text, f.rating, f.nps, f.csat, f.ces, f.product, f.channel, f.touchpoint, f.region,
       f.customer_key, s.compound, s.label AS sentiment_label, round(s.peak_end, 4) AS peak_end, s.peak_end_label,
       m.themes, m.stages, m.negative_themes, ft.topic_id, t.label AS topic_label,
       $status AS enrichment_status,
       f.language, e.scored
FROM feedback f
LEFT JOIN $enrichment e ON $current
LEFT JOIN sentiment s ON s.feedback_id = e.feedback_id
LEFT JOIN (SELECT feedback_id, list_sort(list_distinct(list(theme))) AS themes,
                  list_sort(list_distinct(list(stage))) AS stages,
                  list_sort(list_distinct(list(theme) FILTER (WHERE label = 'negative'))) AS negative_themes
           FROM theme_mentions GROUP BY feedback_id) m ON m.feedback_id = e.feedback_id
LEFT JOIN feedback_topics ft ON ft.feedback_id = e.feedback_id
LEFT JOIN topics t ON t.topic_id = ft.topic_id

