SELECT b.source, count(*) AS files, count(*) FILTER (WHERE b.status = 'failed') AS failed,
       sum(b.rows_read) AS read, sum(b.rows_loaded) AS loaded, sum(b.rows_duplicate) AS duplicate,
       sum(b.rows_rejected) AS rejected, any_value(r.reasons) AS reject_reasons
FROM ingest_batches b
LEFT JOIN (SELECT source, string_agg(reason || ' ' || n, ', ' ORDER BY n DESC) AS reasons
           FROM (SELECT source, reason, count(*) AS n FROM rejects GROUP BY ALL) GROUP BY source) r
       ON r.source = b.source
GROUP BY b.source ORDER BY b.source

