SELECT b.source, CAST(count(*) AS BIGINT) AS files, CAST(count(*) FILTER (WHERE b.status = 'failed') AS BIGINT) AS failed,
       CAST(sum(b.rows_read) AS BIGINT) AS read, CAST(sum(b.rows_loaded) AS BIGINT) AS loaded,
       CAST(sum(b.rows_duplicate) AS BIGINT) AS duplicate, CAST(sum(b.rows_rejected) AS BIGINT) AS rejected, any_value(r.reasons) AS reject_reasons
FROM ingest_batches b
LEFT JOIN (SELECT source, string_agg(reason || ' ' || n, ', ' ORDER BY n DESC) AS reasons
           FROM (SELECT source, reason, count(*) AS n FROM rejects GROUP BY ALL) GROUP BY source) r
       ON r.source = b.source
GROUP BY b.source ORDER BY b.source

