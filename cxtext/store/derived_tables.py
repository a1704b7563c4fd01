"""The tables derived from the feedback: topics, the aggregate step's daily_* tables, intents and
effort. Their definitions, apart from cxtext/store/schema.py to keep each module readable."""

from __future__ import annotations

from cxtext.store.table_model import C, Column, Table

_SUMS = (  # per group of feedback: NPS coded +1 promoter / 0 / -1 detractor, CSAT 1 = 4 or 5, stars
    C("nps_n", "BIGINT", "NPS answers."),
    C("nps_s", "DOUBLE", "Sum of the NPS codes (+1 promoter, 0 passive, -1 detractor)."),
    C("nps_q", "DOUBLE", "Sum of their squares."),
    C("csat_n", "BIGINT", "CSAT answers."),
    C("csat_s", "DOUBLE", "CSAT answers of 4 or 5."),
    C("csat_q", "DOUBLE", "Sum of their squares."),
    C("stars_n", "BIGINT", "Star ratings."),
    C("stars_s", "DOUBLE", "Sum of the stars."),
    C("stars_q", "DOUBLE", "Sum of their squares."),
)


_DAY = C("day", "DATE", "Day written, in the reporting time zone (cxtext_meta.reporting_timezone).", "NOT NULL")


_SEGMENT = (  # the segments view's groups: a feedback is in one segment of each dimension it has a value of
    _DAY,
    C("dimension", "VARCHAR", "'product', 'channel', 'region' or 'source'."),
    C("segment", "VARCHAR", "The feedback's value of the dimension (not NULL)."),
)


_CURRENT_ONLY = (
    " Current enrichment only (its text and the versions in force). Written by the aggregate step of a run "
    "for the days whose feedback changed (daily_inputs); the views roll the days up."
)


DAILY_TABLES: tuple[Table, ...] = (
    Table(
        "daily_inputs",
        "What the daily tables were computed from, per day: when a day's feedback or enrichment changes, its daily rows "
        "are recomputed; the others are kept. One row per day with feedback.",
        (
            _DAY,
            C("feedback", "BIGINT", "Feedback written that day."),
            C(
                "inputs_hash",
                "HUGEINT",
                "Order-independent hash of that day's feedback and enrichment rows (ids, texts, scores, versions, enriched_at).",
            ),
        ),
        since=4,
    ),
    Table(
        "daily_feedback",
        "Per day: scored feedback and its NPS, CSAT and star sums (the denominators of pain_points)." + _CURRENT_ONLY,
        (_DAY, C("feedback", "BIGINT", "Feedback of the day.")) + _SUMS,
        since=4,
    ),
    Table(
        "daily_stages",
        "Per day and journey stage: the feedback mentioning a theme of the stage, its scores, and the tone of the "
        "mentions (stage_summary rolls it up)." + _CURRENT_ONLY,
        (_DAY, C("stage", "VARCHAR", "Journey stage."), C("feedback", "BIGINT", "Feedback mentioning the stage."))
        + tuple(c for c in _SUMS if not c.name.endswith("_q"))
        + (
            C("mentions", "BIGINT", "Theme mentions at the stage."),
            C(
                "compound_sum",
                "DECIMAL(18,4)",
                "Sum of their compound (exact: the sum of four-decimal scores does not depend on the order of the rows).",
            ),
            C("negative_mentions", "BIGINT", "Mentions with negative theme-level sentiment."),
            C("positive_mentions", "BIGINT", "Mentions with positive theme-level sentiment."),
            C(
                "stale_feedback",
                "BIGINT",
                "Feedback mentioning the stage whose enrichment is stale (not in the other columns).",
            ),
            C("effort_sum", "DECIMAL(18,4)", "Sum of the effort scores of the feedback mentioning the stage.", since=5),
        ),
        since=4,
    ),
    Table(
        "daily_themes",
        "Per day, stage and theme: mentions, their tone, and the scores of the feedback mentioning it negatively "
        "(theme_trends, pain_points and emerging_issues roll it up)." + _CURRENT_ONLY,
        (
            _DAY,
            C("stage", "VARCHAR", "Journey stage."),
            C("theme", "VARCHAR", "Theme id."),
            C("mentions", "BIGINT", "Mentions."),
            C("feedback", "BIGINT", "Feedback mentioning it."),
            C("negative_mentions", "BIGINT", "Mentions with negative theme-level sentiment."),
            C("compound_sum", "DECIMAL(18,4)", "Sum of the mentions' compound (exact, as in daily_stages)."),
            C("negative_compound_sum", "DECIMAL(18,4)", "Sum of the negative mentions' compound."),
        )
        + tuple(Column(c.name + "1", c.type, c.doc.rstrip(".") + ", among the feedback mentioning it negatively.") for c in _SUMS)
        + (
            C("complaint_mentions", "BIGINT", "Mentions in a sentence whose intent is 'complaint'.", since=5),
            C("question_mentions", "BIGINT", "Mentions in a sentence whose intent is 'question'.", since=5),
            C("effort_sum", "DECIMAL(18,4)", "Sum of the effort scores of the feedback mentioning it.", since=5),
        ),
        since=4,
    ),
    Table(
        "daily_quotes",
        "Per day, stage and theme: the three most negative distinct clauses that mention it (PII-redacted), from which "
        "pain_points picks a period's three." + _CURRENT_ONLY,
        (
            _DAY,
            C("stage", "VARCHAR", "Journey stage."),
            C("theme", "VARCHAR", "Theme id."),
            C("clause", "VARCHAR", "The clause, verbatim."),
            C("compound", "DOUBLE", "Its most negative compound that day."),
        ),
        since=4,
    ),
    Table(
        "daily_topics",
        "Per day and discovered topic: its feedback (emerging_issues' uncovered topics)." + _CURRENT_ONLY,
        (
            _DAY,
            C("topic_id", "INTEGER", "Topic (topics.topic_id)."),
            C("feedback", "BIGINT", "Feedback assigned to it."),
        ),
        since=4,
    ),
    Table(
        "daily_segments",
        "Per day, dimension and segment: its current scored feedback (the segments view's n1 and n0)." + _CURRENT_ONLY,
        _SEGMENT + (C("feedback", "BIGINT", "Feedback of the segment that day."),),
        since=7,
    ),
    Table(
        "daily_segment_themes",
        "Per day, segment and theme or stage: the feedback complaining about it (the segments view's x1 and x0)." + _CURRENT_ONLY,
        _SEGMENT
        + (
            C("level", "VARCHAR", "'theme' (a pain point) or 'stage' (any theme of the stage)."),
            C("stage", "VARCHAR", "Journey stage."),
            C("theme", "VARCHAR", "Theme id; NULL at level 'stage'."),
            C(
                "negative_feedback",
                "BIGINT",
                "Feedback of the segment with a negative mention of the theme, or of any theme of the stage (once each).",
            ),
        ),
        since=7,
    ),
    Table(
        "daily_segment_quotes",
        "Per day, segment, stage and theme: the three most negative distinct clauses complaining about it "
        "(PII-redacted); each feedback offers its most negative clause about the theme. The segments view picks "
        "the three of all the days." + _CURRENT_ONLY,
        _SEGMENT
        + (
            C("stage", "VARCHAR", "Journey stage."),
            C("theme", "VARCHAR", "Theme id."),
            C("clause", "VARCHAR", "The clause, verbatim."),
            C("compound", "DOUBLE", "Its most negative compound that day."),
        ),
        since=7,
    ),
    Table(
        "daily_languages",
        "Per day and detected language: the feedback language_summary counts (current enrichment, or no language "
        "detected yet), how many were scored, and their document sentiment. Written by the aggregate step of a run "
        "for the days whose feedback changed (daily_inputs); language_summary rolls the days up.",
        (
            _DAY,
            C("language", "VARCHAR", "ISO 639-1 code or 'und'; NULL: not yet detected."),
            C("feedback", "BIGINT", "Feedback in that language that day."),
            C("scored_feedback", "BIGINT", "Of them, scored (sentiment, themes)."),
            C("sentiment_n", "BIGINT", "Of them, feedback with a document sentiment."),
            C("negative_n", "BIGINT", "Of those, with negative document sentiment."),
        ),
        since=8,
    ),
    Table(
        "daily_topic_sentiment",
        "Per day and discovered topic: the document sentiment of its feedback whose enrichment was made for the "
        "current text (the versions in force or older ones). Written by the aggregate step of a run for the days "
        "whose feedback changed (daily_inputs); topic_summary rolls the days up.",
        (
            _DAY,
            C("topic_id", "INTEGER", "Topic (topics.topic_id)."),
            C("sentiment_n", "BIGINT", "Its feedback with a document sentiment."),
            C("negative_n", "BIGINT", "Of them, negative."),
            C(
                "compound_sum",
                "DECIMAL(38,10)",
                "Sum of their document compound to 10 decimals (a document's compound has more than VADER's four): "
                "exact, so a day's row does not depend on the order of its rows.",
            ),
        ),
        since=8,
    ),
)


INTENT_TABLES: tuple[Table, ...] = (
    Table(
        "sentence_intents",
        "What each sentence asks of us (cxtext/text/intent.py): one row per sentence with an intent other than 'other'.",
        (
            C("feedback_id", "VARCHAR", "The feedback."),
            C("sentence_index", "INTEGER", "The sentence (sentences.sentence_index)."),
            C(
                "intent",
                "VARCHAR",
                "'complaint' (a problem reported), 'question' (a question or request for help), "
                "'suggestion' (a request to add or change something) or 'praise'.",
            ),
            C("score", "DOUBLE", "Summed weight of the intent's cues in the sentence."),
            C("start_char", "INTEGER", "Start of the evidence (the strongest cue) in feedback.text."),
            C("end_char", "INTEGER", "End of the evidence in feedback.text (exclusive)."),
            C("evidence", "VARCHAR", "The cue's words, as analysed."),
        ),
        since=5,
    ),
    Table(
        "effort_signals",
        "The effort a feedback describes (cxtext/text/effort.py, docs/EFFORT_GUIDE.md): one row per signal.",
        (
            C("feedback_id", "VARCHAR", "The feedback."),
            C("signal_index", "INTEGER", "Position of the signal in the feedback, from 0."),
            C("kind", "VARCHAR", "'repeated_contact', 'transfer', 'wait', 'redo', 'paperwork' or 'chasing'."),
            C("weight", "DOUBLE", "Its weight in the effort score."),
            C("start_char", "INTEGER", "Start of the signal in feedback.text."),
            C("end_char", "INTEGER", "End of the signal in feedback.text (exclusive)."),
            C("evidence", "VARCHAR", "The signal's words, as analysed."),
        ),
        since=5,
    ),
    Table(
        "feedback_effort",
        "Per scored feedback: the intents it carries and the effort it describes.",
        (
            C("feedback_id", "VARCHAR", "The feedback."),
            C(
                "intents",
                "VARCHAR[]",
                "Intents of its sentences, in the order complaint, question, suggestion, praise.",
            ),
            C(
                "effort_score",
                "DOUBLE",
                "Effort score 0-10 (docs/EFFORT_GUIDE.md): 0 none described, 1-2 some, 3-5 a lot, 6+ an ordeal.",
            ),
            C("signals", "INTEGER", "Number of effort signals."),
        ),
        since=5,
    ),
)


TOPIC_TABLES: tuple[Table, ...] = (
    Table(
        "topics",
        "Topics discovered by clustering the feedback (scikit-learn, fitted in the state folder; `cxtext topics fit` refits). "
        "Ids stay stable across refits where topics match. Topic -1 holds feedback with no known term.",
        (
            C("topic_id", "INTEGER", "Topic id (stable across refits where the topic matches)."),
            C("label", "VARCHAR", "Label made of the topic's top terms."),
            C("top_terms", "VARCHAR[]", "The topic's most characteristic terms (lemmas, 1-2 grams), best first."),
            C("size", "INTEGER", "Feedback assigned to the topic."),
            C("stages", "JSON", 'Share of the topic\'s theme mentions per journey stage, e.g. {"onboarding": 0.8}.'),
            C("theme_coverage", "DOUBLE", "Share of the topic's feedback that carries at least one taxonomy theme."),
            C(
                "candidate_theme",
                "BOOLEAN",
                "True when no theme covers most of the topic (coverage < 0.5, size >= 20): a candidate new theme.",
            ),
            C("model_version", "VARCHAR", "Version of the topic model."),
        ),
        primary_key=("topic_id",),
        since=2,
    ),
    Table(
        "feedback_topics",
        "The topic of each feedback, from the current topic model.",
        (
            C("feedback_id", "VARCHAR", "The feedback."),
            C("topic_id", "INTEGER", "Its topic (topics.topic_id); -1 when it has no known term."),
            C("confidence", "DOUBLE", "Cosine similarity to the topic's centre, 0 to 1."),
        ),
        since=2,
    ),
)
