SELECT f.feedback_id, f.kind, f.source, CAST($local AS DATE) AS local_date,
       CAST(date_trunc('week', $local) AS DATE) AS local_week,
       f.rating, f.nps, f.csat, f.ces, f.language, e.scored, s.compound, s.label AS sentiment_label,
       ft.topic_id, $status AS enrichment_status
FROM feedback f
LEFT JOIN $enrichment e ON $current
LEFT JOIN sentiment s ON s.feedback_id = e.feedback_id
LEFT JOIN feedback_topics ft ON ft.feedback_id = e.feedback_id

