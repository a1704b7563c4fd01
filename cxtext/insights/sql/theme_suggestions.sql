SELECT theme, name, stage, stage_cues, volume, share_negative, CAST(round(volume * share_negative) AS BIGINT) AS negative_feedback,
       quotes, patterns, suggested_at
FROM suggested_themes
ORDER BY negative_feedback DESC, volume DESC, theme
