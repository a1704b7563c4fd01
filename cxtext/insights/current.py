"""Which enrichment is in force: the join of a feedback (f) to its enrichment row (e) that the
analysts' views and the daily aggregates share."""

# A feedback's enrichment row, narrowed before the join to what the views read: its id, a 64-bit hash
# of the text it was made for, scored, and whether its versions are those in force. Joining whole
# rows (two long strings each) spilled under the 160MB cap at a million feedback: enrichment_status
# took 2.5 s there, 0.7 s narrowed. Two texts of one feedback with the same hash (odds 2^-64)
# would count as current.
ENRICHMENT_SQL = """(SELECT feedback_id, hash(text_hash) AS text_key, scored,
        sentiment_version = (SELECT value FROM cxtext_meta WHERE key = 'sentiment_version')
        AND taxonomy_version = (SELECT value FROM cxtext_meta WHERE key = 'taxonomy_version')
        AND topic_version = (SELECT value FROM cxtext_meta WHERE key = 'topic_version') AS in_force
    FROM enrichment)"""
# Feedback whose enrichment (ENRICHMENT_SQL as e) matches its current text; older versions count as 'stale'.
CURRENT_SQL = "e.feedback_id = f.feedback_id AND e.text_key = hash(f.text_hash)"
STATUS_SQL = "CASE WHEN e.feedback_id IS NULL THEN 'missing' WHEN e.in_force THEN 'current' ELSE 'stale' END"
