WITH asks AS (  -- each suggestion sentence of current feedback, once per stage and theme it mentions
    SELECT DISTINCT si.feedback_id, si.sentence_index, s.text AS sentence,
           coalesce(m.stage, 'unstaged') AS stage, coalesce(m.theme, 'unthemed') AS theme
    FROM sentence_intents si
    JOIN feedback f ON f.feedback_id = si.feedback_id
    JOIN $enrichment e ON $current
    JOIN sentences s ON s.feedback_id = si.feedback_id AND s.sentence_index = si.sentence_index
    LEFT JOIN theme_mentions m ON m.feedback_id = si.feedback_id AND m.sentence_index = si.sentence_index
    WHERE si.intent = 'suggestion' AND $status = 'current'),
quotes AS (
    SELECT stage, theme, list(sentence ORDER BY length(sentence), sentence)[1:3] AS quotes
    FROM (SELECT DISTINCT stage, theme, sentence FROM asks) GROUP BY stage, theme)
SELECT a.stage, a.theme, coalesce(th.name, 'No theme') AS theme_name, count(*) AS requests,
       count(DISTINCT a.feedback_id) AS feedback, q.quotes
FROM asks a
LEFT JOIN themes th ON th.theme = a.theme
JOIN quotes q ON q.stage = a.stage AND q.theme = a.theme
GROUP BY a.stage, a.theme, th.name, q.quotes
ORDER BY requests DESC, a.stage, a.theme
