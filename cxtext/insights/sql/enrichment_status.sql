SELECT $status AS status, CAST(count(*) AS BIGINT) AS feedback,
       min(CAST($local AS DATE)) AS first_day, max(CAST($local AS DATE)) AS last_day
FROM feedback f LEFT JOIN $enrichment e ON $current
GROUP BY 1 ORDER BY 1

