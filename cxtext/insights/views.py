"""The analysts' views: what the published file answers (pain points, stage summary, trends,
emerging issues, ...), each documented with COMMENT ON. Created by the aggregate step of a run,
with days and weeks cut in the configured reporting time zone."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Template

from cxtext.insights.current import CURRENT_SQL, ENRICHMENT_SQL, STATUS_SQL
from cxtext.store.db import Store
from cxtext.store.schema import sql_literal

SQL_DIR = Path(__file__).parent / "sql"


@dataclass(frozen=True)
class View:
    """A view's name and documentation; its query is sql/<name>.sql, whose $placeholders are filled
    by :func:`view_statements` ($local: created_at as a local timestamp in the reporting time zone,
    $enrichment, $current and $status: the enrichment in force, and the thresholds below)."""

    name: str
    doc: str
    columns: tuple[tuple[str, str], ...]

    def sql(self, **values: str) -> str:
        return Template((SQL_DIR / f"{self.name}.sql").read_text(encoding="utf-8")).substitute(values)


VIEWS: tuple[View, ...] = (
    View(
        "feedback_enriched",
        "One row per feedback with its current sentiment, themes, stages and topic. Days and weeks are cut in the "
        "reporting time zone (cxtext_meta.reporting_timezone). Answers: what did each customer say, and how did it read?",
        (
            ("feedback_id", "The feedback (feedback.feedback_id)."),
            ("kind", "'review', 'survey' or 'social'."),
            ("source", "Source name."),
            ("source_record_id", "The source's own id."),
            ("created_at", "When written, UTC."),
            ("local_date", "Day it was written, in the reporting time zone."),
            ("local_week", "Monday of the ISO week it was written, in the reporting time zone."),
            ("title", "Title (reviews)."),
            ("text", "The feedback text, PII-redacted."),
            ("rating", "Stars 1-5 (reviews)."),
            ("nps", "Likelihood to recommend 0-10 (surveys)."),
            ("csat", "Satisfaction 1-5 (surveys)."),
            ("ces", "Effort 1-7, higher = easier (surveys)."),
            ("product", "Product."),
            ("channel", "Channel or platform."),
            ("touchpoint", "Survey touchpoint."),
            ("region", "Region or country."),
            ("customer_key", "Salted hash of the customer."),
            ("compound", "Document sentiment, VADER compound -1..+1 (NULL until enriched)."),
            ("sentiment_label", "'positive', 'negative' or 'neutral' (±0.05)."),
            ("peak_end", "Peak-end sentiment: the most intense and the last sentence."),
            ("peak_end_label", "Label of peak_end."),
            ("themes", "Themes found in it, sorted."),
            ("stages", "Journey stages of those themes, sorted."),
            ("negative_themes", "Themes it mentions with negative theme-level sentiment."),
            ("topic_id", "Discovered topic (topics.topic_id)."),
            ("topic_label", "The topic's label."),
            (
                "enrichment_status",
                "'current', 'stale' (enriched by an older scorer, taxonomy or topic model) or 'missing'.",
            ),
            ("language", "Detected language (ISO 639-1), 'und' when too short to tell (scored as English)."),
            (
                "scored",
                "False when the English-only scorers skipped it (another language): no sentiment, themes or topic.",
            ),
        ),
    ),
    View(
        "feedback_metrics",
        "One row per feedback with its numbers and no text: local day and week, stars, NPS, CSAT, CES, language, "
        "document sentiment, topic and enrichment status. feedback_enriched without the texts and theme lists, so "
        "cheap to scan at millions of rows; every aggregate view reads it. Answers: how many, how scored, how current?",
        (
            ("feedback_id", "The feedback (feedback.feedback_id)."),
            ("kind", "'review', 'survey' or 'social'."),
            ("source", "Source name."),
            ("local_date", "Day it was written, in the reporting time zone."),
            ("local_week", "Monday of the ISO week it was written, in the reporting time zone."),
            ("rating", "Stars 1-5 (reviews)."),
            ("nps", "Likelihood to recommend 0-10 (surveys)."),
            ("csat", "Satisfaction 1-5 (surveys)."),
            ("ces", "Effort 1-7, higher = easier (surveys)."),
            ("language", "Detected language (ISO 639-1), 'und' when too short to tell (scored as English)."),
            ("scored", "False when the English-only scorers skipped it (another language)."),
            ("compound", "Document sentiment, VADER compound -1..+1 (NULL until enriched)."),
            ("sentiment_label", "'positive', 'negative' or 'neutral' (±0.05)."),
            ("topic_id", "Discovered topic (topics.topic_id)."),
            (
                "enrichment_status",
                "'current', 'stale' (enriched by an older scorer, taxonomy or topic model) or 'missing'.",
            ),
        ),
    ),
    View(
        "theme_trends",
        "Weekly mentions and sentiment per theme (weeks in the reporting time zone), added up from daily_themes. Every "
        "week from the first to the last day with feedback has a row for every theme ever mentioned: a week without "
        "mentions is 0 (its shares NULL). The first and last weeks are flagged partial when the data covers only part of "
        "them, so a two-day week is not read as a drop. Answers: which themes are growing, and is their tone getting worse?",
        (
            ("week", "Monday of the week, reporting time zone."),
            ("stage", "Journey stage of the theme."),
            ("theme", "Theme id."),
            ("theme_name", "Theme name."),
            ("mentions", "Mentions of the theme that week."),
            ("feedback", "Feedback mentioning it that week."),
            ("negative_mentions", "Mentions with negative theme-level sentiment."),
            ("share_negative", "negative_mentions / mentions (4 decimals); NULL without mentions."),
            ("mean_compound", "Mean theme-level sentiment (VADER compound of the clauses, 4 decimals)."),
            ("days", "Days of the week inside the data's span (first to last day with feedback): 7 unless partial."),
            (
                "partial",
                "True for a first or last week the data covers only in part: compare its counts per day (÷ days).",
            ),
            (
                "discovered",
                "True for a theme discovered in the feedback (themes.discovered), not yet curated: the report labels it.",
            ),
        ),
    ),
    View(
        "stage_trends",
        "Weekly volume and tone per customer-journey stage, added up from daily_stages: every stage for every week the "
        "data spans (0 without mentions), the first and last weeks flagged partial when the data covers only part of "
        "them. Answers: is a stage getting better or worse?",
        (
            ("week", "Monday of the week, reporting time zone."),
            ("position", "Order of the stage in the journey."),
            ("stage", "Stage id."),
            ("name", "Stage name."),
            ("feedback", "Feedback mentioning a theme of the stage that week."),
            ("mentions", "Theme mentions at the stage."),
            ("negative_mentions", "Mentions with negative theme-level sentiment."),
            ("share_negative", "negative_mentions / mentions; NULL without mentions."),
            ("mean_compound", "Mean theme-level sentiment."),
            ("nps", "NPS of the feedback mentioning the stage that week (1 decimal); NULL without answers."),
            ("nps_responses", "NPS answers among them."),
            ("days", "Days of the week inside the data's span (first to last day with feedback): 7 unless partial."),
            (
                "partial",
                "True for a first or last week the data covers only in part: compare its counts per day (÷ days).",
            ),
        ),
    ),
    View(
        "stage_summary",
        "One row per customer-journey stage, in journey order: volume, sentiment, NPS / CSAT / stars of the customers "
        "who talk about it, its top pain themes, and stale rows. Like every aggregate view it counts only feedback whose "
        "enrichment is current (its text and the versions in force), so versions never mix; stale_feedback says how "
        "many wait for recomputation. Only English (and undetermined) feedback is scored and so has stages; other languages are "
        "counted in language_summary. Added up from daily_stages and daily_themes. Answers: where in the journey does it hurt?",
        (
            ("position", "Order in the journey, from 1."),
            ("stage", "Stage id."),
            ("name", "Stage name."),
            ("feedback", "Feedback mentioning a theme of the stage."),
            ("mentions", "Theme mentions at the stage."),
            ("mean_compound", "Mean theme-level sentiment at the stage."),
            ("share_negative", "Share of the stage's mentions with negative theme-level sentiment."),
            ("share_positive", "Share with positive theme-level sentiment."),
            ("nps", "NPS (% promoters 9-10 minus % detractors 0-6) of the feedback mentioning the stage."),
            ("nps_responses", "How many of them have an NPS answer."),
            ("csat", "CSAT (% of 4 and 5) of the feedback mentioning the stage."),
            ("csat_responses", "How many of them have a CSAT answer."),
            ("mean_rating", "Mean star rating of the reviews mentioning the stage."),
            ("top_pain_themes", "The three themes with the most negative mentions at the stage."),
            (
                "stale_feedback",
                "Feedback mentioning the stage that was enriched by an older version: left out of the figures until the next run or a backfill recomputes it.",
            ),
            ("mean_effort", "Mean effort score (0-10, docs/EFFORT_GUIDE.md) of the feedback mentioning the stage."),
            (
                "top_effort_themes",
                "The three themes of the stage whose mentioners describe the most effort (sum of their effort scores).",
            ),
            ("top_pain_discovered", "For each of top_pain_themes, whether it is a discovered theme (not yet curated)."),
        ),
    ),
    View(
        "enrichment_status",
        "Feedback by enrichment status: 'current' (enriched for its text and the versions in force), 'stale' (an "
        "older version) or 'missing', with the days it spans in the reporting time zone. Answers: how up to date are "
        "the figures, and what period do they cover?",
        (
            ("status", "current, stale or missing."),
            ("feedback", "Feedback with that status."),
            ("first_day", "Day of its oldest feedback (reporting time zone)."),
            ("last_day", "Day of its newest feedback (reporting time zone)."),
        ),
    ),
    View(
        "source_quality",
        "Per source: the files read, failed, and what became of their records (loaded, duplicate, rejected), with the "
        "reject reasons. Answers: is every source arriving whole?",
        (
            ("source", "Source name."),
            ("files", "Files read (ingest batches)."),
            ("failed", "Files that could not be read."),
            ("read", "Records read."),
            ("loaded", "Records loaded (new or updated)."),
            ("duplicate", "Records already loaded."),
            ("rejected", "Records rejected (table rejects)."),
            ("reject_reasons", "Reject reasons with their counts, most frequent first."),
        ),
    ),
    View(
        "language_summary",
        "Feedback per detected language. Only English and undetermined ('und': too short to tell) feedback is scored "
        "(VADER and the taxonomy read English only); the others are counted here and kept out of every sentiment and "
        "theme figure. Added up from daily_languages (the aggregate step of each run). Answers: how much feedback do the "
        "English figures leave out?",
        (
            ("language", "ISO 639-1 code, 'und' (undetermined), or 'not yet detected'."),
            ("feedback", "Feedback in that language."),
            ("scored_feedback", "How many of them were scored (sentiment, themes)."),
            (
                "share_negative",
                "Share with negative document sentiment among the scored ones; NULL when none is scored.",
            ),
        ),
    ),
    View(
        "topic_summary",
        "Discovered topics with their label, size, sentiment, journey stages and coverage by the taxonomy's themes "
        "(topics and daily_topic_sentiment, both written by the aggregate step of each run). Answers: what do "
        "customers talk about that the taxonomy has no theme for (candidate_theme)?",
        (
            ("topic_id", "Topic id (stable across refits where the topic matches)."),
            ("label", "Label from the topic's top terms."),
            ("top_terms", "Top terms, best first."),
            ("size", "Feedback assigned to it."),
            ("stages", "Share of its theme mentions per journey stage."),
            ("theme_coverage", "Share of its feedback that carries a taxonomy theme."),
            ("candidate_theme", "True when the taxonomy covers less than half of it: a candidate new theme."),
            ("share_negative", "Share of its feedback with negative document sentiment."),
            ("mean_compound", "Mean document sentiment of its feedback."),
            ("model_version", "Version of the topic model."),
        ),
    ),
)


#: Minimum NPS answers among a theme's negative mentioners for a driver impact to be reported.
MIN_IMPACT_RESPONSES = 30
#: Emerging issues: the week must have at least this many negative mentions, and the Anscombe z
#: of its count against the trailing four weeks' mean at least EMERGING_Z (one-sided p < 0.001).
EMERGING_MIN_VOLUME = 10
EMERGING_Z = 3.09

PAIN_VIEWS: tuple[View, ...] = (
    View(
        "pain_points",
        "Per journey stage and theme, over all the data (period 'all') and per month and week: how much it hurts, how "
        "it moves NPS, CSAT and stars, and how it changed since the previous period. "
        "pain_score = 100 × negative_mentions / enriched feedback of the period × (0.5 + 0.5 × severity), severity = minus "
        "the mean compound of the negative mentions (0..1): how common the complaint is, weighted by how strongly it is put. "
        "Impact (NPS points, CSAT points, stars) = what the score of everyone would gain if the theme's negative mentioners "
        "scored like the rest = w × (rest − negative mentioners), w = their share of the answers, with a 95% interval from "
        f"the two groups' variances; NULL below {MIN_IMPACT_RESPONSES} answers among them. Added up from the daily_* tables. "
        "Answers: which pains cost the most?",
        (
            ("period", "'all' (the whole data), 'month' or 'week'."),
            ("period_start", "First day of the month or week (reporting time zone); NULL for 'all'."),
            ("days", "Days of the period inside the data's span (first to last day with feedback)."),
            (
                "partial",
                "True for a first or last month or week the data covers only in part: its counts are for fewer "
                "days (pain_score, a share of the period's feedback, stays comparable).",
            ),
            ("stage", "Journey stage."),
            ("theme", "Theme id."),
            ("theme_name", "Theme name."),
            ("mentions", "Mentions of the theme at the stage."),
            ("feedback", "Feedback mentioning it."),
            ("negative_mentions", "Mentions with negative theme-level sentiment."),
            ("share_negative", "negative_mentions / mentions."),
            ("mean_compound", "Mean theme-level sentiment."),
            (
                "pain_score",
                "100 × negative_mentions / enriched feedback of the period × (0.5 + 0.5 × severity); see the view's comment.",
            ),
            (
                "negative_mentions_change",
                "Change of negative_mentions since the previous month or week it was mentioned in.",
            ),
            ("pain_score_change", "Change of pain_score since that period."),
            ("nps_negative_mentioners", "NPS of the feedback that mentions the theme negatively."),
            ("nps_rest", "NPS of all other feedback of the period."),
            ("nps_responses", "NPS answers among the negative mentioners."),
            (
                "nps_impact",
                "NPS points gained if the negative mentioners scored like the rest; NULL below the minimum volume.",
            ),
            ("nps_impact_low", "Lower end of its 95% interval."),
            ("nps_impact_high", "Upper end of its 95% interval."),
            ("csat_negative_mentioners", "CSAT (% of 4-5) of the negative mentioners."),
            ("csat_rest", "CSAT of all other feedback."),
            ("csat_responses", "CSAT answers among the negative mentioners."),
            (
                "csat_impact",
                "CSAT points gained if the negative mentioners answered like the rest; NULL below the minimum volume.",
            ),
            ("csat_impact_low", "Lower end of its 95% interval."),
            ("csat_impact_high", "Upper end of its 95% interval."),
            ("stars_negative_mentioners", "Mean stars of the negative mentioners' reviews."),
            ("stars_rest", "Mean stars of all other reviews."),
            ("stars_responses", "Star ratings among the negative mentioners."),
            (
                "stars_impact",
                "Mean stars gained if the negative mentioners rated like the rest; NULL below the minimum volume.",
            ),
            ("stars_impact_low", "Lower end of its 95% interval."),
            ("stars_impact_high", "Upper end of its 95% interval."),
            ("quotes", "Up to three of the most negative clauses that mention it, verbatim (PII-redacted)."),
            ("complaint_mentions", "Mentions in a sentence that reports a problem (intent 'complaint')."),
            (
                "question_mentions",
                "Mentions in a sentence that asks a question or for help (intent 'question'): not complaints.",
            ),
            (
                "mean_effort",
                "Mean effort score (0-10) of the feedback mentioning it: the themes that cost customers most effort.",
            ),
            (
                "discovered",
                "True for a theme discovered in the feedback (themes.discovered), not yet curated: the report labels it.",
            ),
        ),
    ),
    View(
        "requests",
        "What customers ask to be added or changed: sentences whose intent is 'suggestion' (cxtext/text/intent.py), per "
        "journey stage and theme of the same sentence ('unstaged' / 'unthemed' when it names none), over the current "
        "enrichment, most requested first. Answers: what do customers want us to build or change?",
        (
            ("stage", "Journey stage of a theme the request mentions, or 'unstaged'."),
            ("theme", "Theme id, or 'unthemed'."),
            ("theme_name", "Theme name."),
            ("requests", "Request sentences."),
            ("feedback", "Feedback making them."),
            ("quotes", "Up to three of the requests, verbatim (PII-redacted), shortest first."),
        ),
    ),
    View(
        "emerging_issues",
        "Themes whose weekly count of negative mentions, and topics no theme covers (topics.candidate_theme) whose weekly "
        "count of feedback, rise beyond what the trailing four weeks explain. Test: the week's count x against the trailing "
        "mean m as Poisson, with Anscombe's variance-stabilising transform z = 2·(√(x + 3/8) − √(m + 3/8)); flagged when "
        f"z ≥ {EMERGING_Z} (one-sided p < 0.001), x ≥ {EMERGING_MIN_VOLUME} and at least two weeks before. Answers: what broke this week?",
        (
            ("week", "Monday of the week, reporting time zone."),
            (
                "kind",
                "'theme' (negative mentions of a taxonomy theme) or 'topic' (feedback of a discovered topic no theme covers).",
            ),
            ("stage", "Journey stage of the theme; NULL for a topic."),
            ("theme", "Theme id, or 'topic:<topic_id>'."),
            ("theme_name", "Theme name, or the topic's label."),
            ("count", "The week's count x: negative mentions of the theme, or feedback of the topic."),
            ("expected", "Mean weekly count over the four weeks before (m)."),
            ("rise", "x − m: the size of the rise."),
            ("ratio", "x / m (m floored at 0.5)."),
            ("z", "Anscombe z of x against m; ≥ 3.09 is p < 0.001 one-sided."),
            ("discovered", "True for a discovered theme (not yet curated); false for a topic."),
        ),
    ),
)
VIEWS = (
    VIEWS
    + PAIN_VIEWS
    + (
        View(
            "theme_suggestions",
            "Themes suggested from the feedback no curated theme covers (`cxtext themes suggest`, the state folder's "
            "themes/suggestions.toml), most negative feedback first; runs tag with them too, as discovered themes. "
            "Answers: what do customers complain about that the taxonomy has no theme for?",
            (
                ("theme", "Suggested theme id (discovered_...): `cxtext themes accept` or `dismiss` it."),
                ("name", "Readable name: the phrase as customers wrote it most often."),
                ("stage", "Suggested journey stage."),
                ("stage_cues", "Words that decided the stage (its name's or feedback's); empty: none, the default usage."),
                ("volume", "Feedback without a curated theme that its patterns found."),
                ("share_negative", "Share of that feedback with negative sentiment."),
                ("negative_feedback", "volume × share_negative: the order of the view."),
                ("quotes", "Three sentences of it (PII-redacted)."),
                ("patterns", "Its token patterns, in the taxonomy's format (docs/TAXONOMY.md)."),
                ("suggested_at", "When the suggestions were computed, UTC."),
            ),
        ),
    )
)

#: Segments: a difference from the rest is flagged when |z| of the two-proportion test reaches
#: SEGMENT_Z (two-sided p < 0.01: stricter than 0.05, as one table holds many comparisons) and
#: both the segment and the rest have at least SEGMENT_MIN_FEEDBACK feedback.
SEGMENT_Z = 2.58
SEGMENT_MIN_FEEDBACK = 30

#: The report inlines at most this many quotes per theme (and the view holds no more).
QUOTES_PER_THEME = 50

VIEWS = VIEWS + (
    View(
        "pain_quotes",
        f"Per journey stage and theme: up to {QUOTES_PER_THEME} of its most negative distinct clauses over all the data, "
        "from daily_quotes (each day's three most negative per theme). What the report's drill-down shows; every "
        "mention is in theme_mentions. Answers: what do customers say about this pain?",
        (
            ("stage", "Journey stage."),
            ("theme", "Theme id."),
            ("quote", "The clause, verbatim (PII-redacted)."),
            ("compound", "Its most negative theme-level sentiment."),
            ("day", "The last day it was written on (reporting time zone)."),
        ),
    ),
    View(
        "segments",
        "Pain points and journey stages by segment: for each product, channel, region and source, the share of its "
        "feedback that complains about a theme (level 'theme') or about any theme of a stage (level 'stage'), against "
        "the rest of the feedback with a known value of that dimension. Significance: pooled two-proportion z-test, "
        f"z = (p1 − p0) / √(p(1 − p)(1/n1 + 1/n0)); significant when |z| ≥ {SEGMENT_Z} (two-sided p < 0.01) and both "
        f"groups have at least {SEGMENT_MIN_FEEDBACK} feedback (docs/ANALYSIS.md). Over all the data, current scored "
        "feedback only; rows only where the segment has a complaint. From the daily tables (daily_segments, "
        "daily_segment_themes, daily_segment_quotes), as of the last aggregate step. Answers: where is a pain worse "
        "than elsewhere?",
        (
            ("dimension", "'product', 'channel', 'region' or 'source'."),
            ("segment", "The dimension's value."),
            ("level", "'theme' (a pain point) or 'stage' (any theme of the stage)."),
            ("stage", "Journey stage id."),
            ("stage_name", "Stage name."),
            ("theme", "Theme id; NULL at level 'stage'."),
            ("theme_name", "Theme name; NULL at level 'stage'."),
            ("feedback", "Scored feedback of the segment (n1)."),
            ("negative_feedback", "Of them, feedback with a negative mention of the theme or stage (x1)."),
            ("share_negative", "x1 / n1 (4 decimals)."),
            ("rest_feedback", "Scored feedback of the other values of the dimension (n0)."),
            ("rest_negative_feedback", "Of them, feedback with a negative mention (x0)."),
            ("rest_share_negative", "x0 / n0; NULL when the dimension has one value."),
            ("difference", "100 × (x1/n1 − x0/n0): percentage points above (+) or below the rest."),
            ("z", "Two-proportion z of the difference (pooled standard error)."),
            ("significant", f"|z| ≥ {SEGMENT_Z} with at least {SEGMENT_MIN_FEEDBACK} feedback on each side."),
            (
                "quotes",
                "The segment's three most negative distinct clauses about the theme (each feedback's most negative "
                "one; ordered by compound, then clause), verbatim (PII-redacted); NULL at level 'stage'.",
            ),
        ),
    ),
)


def local_time_sql(reporting_timezone: str) -> str:
    """SQL for feedback f's created_at (UTC) as a local timestamp in *reporting_timezone*."""
    return f"((f.created_at AT TIME ZONE 'UTC') AT TIME ZONE {sql_literal(reporting_timezone)})"


def view_statements(reporting_timezone: str) -> list[str]:
    """CREATE OR REPLACE the analysts' views for a reporting time zone, with their documentation."""
    values = {
        "local": local_time_sql(reporting_timezone),
        "enrichment": ENRICHMENT_SQL,
        "current": CURRENT_SQL,
        "status": STATUS_SQL,
        "min_impact_responses": str(MIN_IMPACT_RESPONSES),
        "emerging_z": str(EMERGING_Z),
        "emerging_min_volume": str(EMERGING_MIN_VOLUME),
        "segment_z": str(SEGMENT_Z),
        "quotes_per_theme": str(QUOTES_PER_THEME),
        "segment_min_feedback": str(SEGMENT_MIN_FEEDBACK),
    }
    statements = []
    for view in VIEWS:
        statements.append(f"CREATE OR REPLACE VIEW {view.name} AS {view.sql(**values).strip()}")
        statements.append(f"COMMENT ON VIEW {view.name} IS {sql_literal(view.doc)}")
        statements.extend(f"COMMENT ON COLUMN {view.name}.{name} IS {sql_literal(doc)}" for name, doc in view.columns)
    return statements


def define_views(store: Store, reporting_timezone: str) -> None:
    """(Re)create the analysts' views, cutting days and weeks in *reporting_timezone*."""
    with store.transaction():
        for statement in view_statements(reporting_timezone):
            store.execute(statement)
        store.set_meta("reporting_timezone", reporting_timezone)
