SELECT stage, theme, clause AS quote, compound, day FROM (
    SELECT stage, theme, clause, min(compound) AS compound, max(day) AS day FROM daily_quotes GROUP BY ALL)
QUALIFY row_number() OVER (PARTITION BY stage, theme ORDER BY compound, clause) <= $quotes_per_theme
ORDER BY stage, theme, compound, quote
