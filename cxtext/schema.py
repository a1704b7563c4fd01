"""The database schema as data: every table, column and its documentation in one place.

The store turns it into DDL and ``COMMENT ON`` statements; ``cxtext schema`` reads the comments back
from a database and prints them as Markdown for the README. Bump SCHEMA_VERSION and add a migration
in :mod:`cxtext.store` when this changes.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 4


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    doc: str
    constraint: str = ""
    since: int = 1  # the schema version that added the column (ALTER TABLE ADD COLUMN when migrating)


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    since: int = 1  # the schema version that added the table

    def columns_at(self, version: int) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.since <= version)

    def ddl(self, version: int = SCHEMA_VERSION) -> str:
        cols = [f"    {c.name} {c.type}{' ' + c.constraint if c.constraint else ''}" for c in self.columns_at(version)]
        if self.primary_key:
            cols.append(f"    PRIMARY KEY ({', '.join(self.primary_key)})")
        return f"CREATE TABLE {self.name} (\n" + ",\n".join(cols) + "\n)"


C = Column

TABLES: tuple[Table, ...] = (
    Table(
        "cxtext_meta",
        "Settings of this database: schema version, reporting time zone. One row per key.",
        (
            C("key", "VARCHAR", "Setting name, e.g. 'schema_version', 'reporting_timezone'."),
            C("value", "VARCHAR", "Setting value as text."),
        ),
        primary_key=("key",),
    ),
    Table(
        "runs",
        "The run ledger: one row per pipeline run (nightly, ingest, backfill...), what it did and how it ended.",
        (
            C("run_id", "BIGINT", "Run number, increasing."),
            C("flow", "VARCHAR", "What ran: 'nightly', 'backfill', 'ingest', 'enrich', 'topics_fit'.", "NOT NULL"),
            C("status", "VARCHAR", "'running', 'completed', 'failed', or 'crashed' (found still running by a later run).", "NOT NULL"),
            C("parameters", "JSON", "Parameters the run was started with."),
            C("versions", "JSON", "Versions of cxtext and the schema, and of the scorer (with the lexicon), taxonomy and topic model it applied."),
            C("counts", "JSON", "Counts of what the run did: files, rows read / loaded / duplicate / rejected, files failed; enriched, topics_reassigned, stale_reasons and stale_left (stale rows left over the budget); for a backfill rewritten and chunks."),
            C("error", "VARCHAR", "Why the run failed, when it did: one line, then where to look (the Prefect flow run and its logs)."),
            C("started_at", "TIMESTAMP", "Start, UTC.", "NOT NULL"),
            C("finished_at", "TIMESTAMP", "End, UTC; NULL while running or when crashed."),
            C("pid", "INTEGER", "Process id of the run, for ops."),
        ),
        primary_key=("run_id",),
    ),
    Table(
        "ingest_batches",
        "One row per ingested file: where it came from and how its records were counted. "
        "rows_read = rows_loaded + rows_duplicate + rows_rejected for every loaded batch.",
        (
            C("batch_id", "BIGINT", "Batch number, increasing."),
            C("run_id", "BIGINT", "The run that ingested it (runs.run_id)."),
            C("source", "VARCHAR", "Source name (configured, or given to `cxtext ingest --source`).", "NOT NULL"),
            C("kind", "VARCHAR", "'review', 'survey' or 'social'.", "NOT NULL"),
            C("file_name", "VARCHAR", "File name as it arrived (no directory)."),
            C("file_sha256", "VARCHAR", "SHA-256 of the file's bytes; the archive keeps the file under this name."),
            C("file_bytes", "BIGINT", "Size of the file in bytes."),
            C("format", "VARCHAR", "'csv', 'jsonl' or 'parquet'."),
            C("status", "VARCHAR", "'loaded', or 'failed' when the file could not be read at all (nothing of it was loaded).", "NOT NULL"),
            C("rows_read", "BIGINT", "Records read from the file (the header and blank JSONL lines are not records)."),
            C("rows_loaded", "BIGINT", "Records inserted or updated in feedback (rows_new + rows_updated)."),
            C("rows_new", "BIGINT", "Records new to feedback."),
            C("rows_updated", "BIGINT", "Records already known whose content changed (re-sent with new text or scores)."),
            C("rows_duplicate", "BIGINT", "Records identical to one already stored or to another in the same file."),
            C("rows_rejected", "BIGINT", "Records put in rejects."),
            C("error", "VARCHAR", "Why the file could not be read, for failed batches."),
            C("started_at", "TIMESTAMP", "Start of the batch, UTC."),
            C("finished_at", "TIMESTAMP", "End of the batch, UTC."),
        ),
        primary_key=("batch_id",),
    ),
    Table(
        "feedback",
        "One row per piece of customer feedback, all sources and kinds: the source of truth. "
        "Text is PII-redacted; customer keys are salted hashes.",
        (
            C("feedback_id", "VARCHAR", "Deterministic id: hash of source and the source's record id (or of the content when the source has no id)."),
            C("kind", "VARCHAR", "'review', 'survey' or 'social'.", "NOT NULL"),
            C("source", "VARCHAR", "Source name.", "NOT NULL"),
            C("source_record_id", "VARCHAR", "The source's own id of the record; NULL when it has none."),
            C("created_at", "TIMESTAMP", "When the customer wrote it, UTC. Cut into days/weeks in cxtext_meta.reporting_timezone.", "NOT NULL"),
            C("title", "VARCHAR", "Title (reviews), PII-redacted."),
            C("text", "VARCHAR", "The feedback text, normalised and PII-redacted.", "NOT NULL"),
            C("text_hash", "VARCHAR", "SHA-256 of text: enrichment computed from another hash is stale."),
            C("record_hash", "VARCHAR", "SHA-256 of every stored field: tells a re-sent record with changes from a duplicate."),
            C("language", "VARCHAR", "Detected language (filled by enrichment; NULL until then)."),
            C("rating", "TINYINT", "Star rating 1-5 (reviews)."),
            C("nps", "TINYINT", "Likelihood to recommend 0-10 (surveys). Promoters 9-10, detractors 0-6."),
            C("csat", "TINYINT", "Satisfaction 1-5 (surveys); CSAT is the share of 4 and 5."),
            C("ces", "TINYINT", "Customer effort 1-7, higher = easier (surveys)."),
            C("product", "VARCHAR", "Product the feedback is about, when known."),
            C("channel", "VARCHAR", "Channel (survey channel, social platform...)."),
            C("touchpoint", "VARCHAR", "Survey touchpoint (checkout, delivery, support_contact...)."),
            C("region", "VARCHAR", "Region or country."),
            C("customer_key", "VARCHAR", "Salted hash of the customer's key (id, e-mail, handle); joins a customer's feedback without revealing them."),
            C("extra", "JSON", "The source's other fields, PII-redacted, as JSON."),
            C("batch_id", "BIGINT", "The batch that last wrote this row (ingest_batches.batch_id)."),
            C("first_seen_at", "TIMESTAMP", "When cxtext first loaded it, UTC."),
            C("updated_at", "TIMESTAMP", "When cxtext last changed it, UTC."),
        ),
    ),
    Table(
        "rejects",
        "Every input record that was not loaded and is not a duplicate, with the reason. Nothing is dropped silently.",
        (
            C("batch_id", "BIGINT", "The batch (file) it came from."),
            C("source", "VARCHAR", "Source name."),
            C("position", "BIGINT", "Where in the file: physical line number for CSV/JSONL (CSV header = line 1), row number for Parquet."),
            C("reason", "VARCHAR", "Reason code: field_count, unbalanced_quote, invalid_utf8, invalid_json, not_an_object, "
              "missing_text, text_too_long, missing_created_at, bad_created_at, future_created_at, bad_number, out_of_range, "
              "missing_source_record_id, conflicting_duplicate_id.", "NOT NULL"),
            C("detail", "VARCHAR", "The reason in words, naming the field and value."),
            C("raw", "VARCHAR", "The raw record as read (PII-redacted, cut at 64 KiB)."),
            C("rejected_at", "TIMESTAMP", "When, UTC."),
        ),
        primary_key=("batch_id", "position"),
    ),
    Table(
        "archived_files",
        "The archive's index: every ingested file, kept by content hash in the state folder's archive/, "
        "with the mapping used, so backfills can re-read it.",
        (
            C("file_sha256", "VARCHAR", "SHA-256 of the file's bytes."),
            C("source", "VARCHAR", "Source name."),
            C("kind", "VARCHAR", "'review', 'survey' or 'social'."),
            C("format", "VARCHAR", "'csv', 'jsonl' or 'parquet'."),
            C("original_name", "VARCHAR", "File name as it arrived."),
            C("file_bytes", "BIGINT", "Size in bytes."),
            C("mapping", "JSON", "The source definition used to read it (columns, time format, time zone)."),
            C("archive_path", "VARCHAR", "Path of the archived copy, relative to the state folder."),
            C("first_batch_id", "BIGINT", "The batch that first ingested it."),
            C("archived_at", "TIMESTAMP", "When it was archived, UTC."),
        ),
        primary_key=("file_sha256", "source"),
    ),
)

ENRICHMENT_TABLES: tuple[Table, ...] = (
    Table(
        "enrichment",
        "What each feedback's enrichment was computed from: one row per enriched feedback. A row whose text_hash or "
        "versions differ from the current ones is stale and is recomputed by the next run (or `cxtext enrich`).",
        (
            C("feedback_id", "VARCHAR", "The feedback (feedback.feedback_id)."),
            C("text_hash", "VARCHAR", "feedback.text_hash of the text that was analysed."),
            C("sentiment_version", "VARCHAR", "Version of the text pipeline and sentiment scorer (VADER + CX lexicon hash)."),
            C("taxonomy_version", "VARCHAR", "Content hash of the taxonomy file that tagged the themes."),
            C("topic_version", "VARCHAR", "Version of the topic model that assigned the topic."),
            C("enriched_at", "TIMESTAMP", "When, UTC."),
            C("scored", "BOOLEAN", "False when the English-only scorers (sentiment, themes) skipped it because feedback.language "
              "is another language: it has no sentences, sentiment or theme_mentions rows, and counts in no sentiment figure.",
              since=3),
        ),
        since=2,
    ),
    Table(
        "sentiment",
        "Document-level sentiment, one row per feedback (VADER with the CX lexicon). Older versions are replaced, not kept.",
        (
            C("feedback_id", "VARCHAR", "The feedback."),
            C("compound", "DOUBLE", "VADER compound score of the whole text, -1 (most negative) to +1."),
            C("pos", "DOUBLE", "Share of positive sentiment (VADER)."),
            C("neu", "DOUBLE", "Share of neutral sentiment (VADER)."),
            C("neg", "DOUBLE", "Share of negative sentiment (VADER)."),
            C("label", "VARCHAR", "'positive' (compound >= 0.05), 'negative' (<= -0.05) or 'neutral'."),
            C("peak_end", "DOUBLE", "Peak-end score: mean of the most intense sentence's compound and the last sentence's (how the experience is remembered)."),
            C("peak_end_label", "VARCHAR", "Label of peak_end with the same thresholds."),
            C("sentence_count", "INTEGER", "Number of sentences."),
            C("is_retweet", "BOOLEAN", "Social text that starts with 'RT @handle:' (the prefix is not analysed)."),
        ),
        since=2,
    ),
    Table(
        "sentences",
        "Sentences of each feedback with their sentiment. start_char/end_char slice feedback.text.",
        (
            C("feedback_id", "VARCHAR", "The feedback."),
            C("sentence_index", "INTEGER", "Position of the sentence in the feedback, from 0."),
            C("start_char", "INTEGER", "Start offset in feedback.text (0-based, characters)."),
            C("end_char", "INTEGER", "End offset in feedback.text (exclusive)."),
            C("text", "VARCHAR", "The sentence as analysed (social text: without URLs and handles, hashtags as words)."),
            C("compound", "DOUBLE", "VADER compound score of the sentence."),
            C("label", "VARCHAR", "'positive', 'negative' or 'neutral' (±0.05)."),
        ),
        since=2,
    ),
    Table(
        "theme_mentions",
        "Every theme of the taxonomy found in a feedback, with its journey stage, the evidence span and the sentiment of the clause that carries it.",
        (
            C("feedback_id", "VARCHAR", "The feedback."),
            C("mention_index", "INTEGER", "Position of the mention in the feedback, from 0."),
            C("theme", "VARCHAR", "Theme id (themes.theme)."),
            C("stage", "VARCHAR", "Journey stage of the theme (journey_stages.stage)."),
            C("sentence_index", "INTEGER", "The sentence it is in (sentences.sentence_index)."),
            C("start_char", "INTEGER", "Start of the evidence in feedback.text."),
            C("end_char", "INTEGER", "End of the evidence in feedback.text (exclusive)."),
            C("evidence", "VARCHAR", "The matched words (what start_char/end_char point at, as analysed)."),
            C("clause", "VARCHAR", "The clause whose sentiment is the mention's ('delivery took two weeks' in 'checkout was easy but delivery took two weeks')."),
            C("compound", "DOUBLE", "Theme-level sentiment: VADER compound of the clause (of the clauses joined to it by 'and' when it reads neutral)."),
            C("label", "VARCHAR", "Theme-level label: 'positive', 'negative' or 'neutral' from compound (±0.05); when the clause reads "
              "neutral, the theme's own polarity if the taxonomy gives it one (a problem theme is negative), else the sentence's label."),
            C("label_source", "VARCHAR", "Where label comes from: 'clause', 'theme' (the theme's polarity) or 'sentence'."),
        ),
        since=2,
    ),
    Table(
        "journey_stages",
        "The customer-journey stages of the current taxonomy, in journey order.",
        (
            C("stage", "VARCHAR", "Stage id: awareness, consideration, purchase, onboarding, usage, support, loyalty."),
            C("position", "INTEGER", "Order in the journey, from 1."),
            C("name", "VARCHAR", "Display name."),
            C("description", "VARCHAR", "What the stage covers."),
        ),
        primary_key=("stage",),
        since=2,
    ),
    Table(
        "themes",
        "The themes of the current taxonomy (the configured packs and taxonomy files) and their stage.",
        (
            C("theme", "VARCHAR", "Theme id."),
            C("name", "VARCHAR", "Display name."),
            C("stage", "VARCHAR", "Journey stage."),
            C("description", "VARCHAR", "What the theme covers."),
            C("taxonomy_version", "VARCHAR", "Content hash of the taxonomy file."),
        ),
        primary_key=("theme",),
        since=2,
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
            C("stages", "JSON", "Share of the topic's theme mentions per journey stage, e.g. {\"onboarding\": 0.8}."),
            C("theme_coverage", "DOUBLE", "Share of the topic's feedback that carries at least one taxonomy theme."),
            C("candidate_theme", "BOOLEAN", "True when no theme covers most of the topic (coverage < 0.5, size >= 20): a candidate new theme."),
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
ERASURE_TABLES: tuple[Table, ...] = (
    Table(
        "erasures",
        "The erasure audit: one row per `cxtext forget` (right to erasure). It holds no personal data: no key, no hash of "
        "one, no id of what was removed; only a random request id and how much was removed where.",
        (
            C("erasure_id", "VARCHAR", "Random request id (UUID4), to quote back to whoever asked."),
            C("run_id", "BIGINT", "The run that carried it out (runs.run_id)."),
            C("requested_by", "VARCHAR", "'customer' (every feedback of a customer key) or 'record' (one source record)."),
            C("rows_removed", "JSON", "Rows removed per table of the working database, e.g. {\"feedback\": 3, \"sentences\": 7}."),
            C("archive_files_rewritten", "INTEGER", "Archived files rewritten without the records."),
            C("snapshots_rewritten", "INTEGER", "Kept published snapshots rewritten without the rows."),
            C("erased_at", "TIMESTAMP", "When, UTC."),
        ),
        primary_key=("erasure_id",),
        since=3,
    ),
)
_SUMS = (  # per group of feedback: NPS coded +1 promoter / 0 / -1 detractor, CSAT 1 = 4 or 5, stars
    C("nps_n", "BIGINT", "NPS answers."), C("nps_s", "DOUBLE", "Sum of the NPS codes (+1 promoter, 0 passive, -1 detractor)."),
    C("nps_q", "DOUBLE", "Sum of their squares."), C("csat_n", "BIGINT", "CSAT answers."),
    C("csat_s", "DOUBLE", "CSAT answers of 4 or 5."), C("csat_q", "DOUBLE", "Sum of their squares."),
    C("stars_n", "BIGINT", "Star ratings."), C("stars_s", "DOUBLE", "Sum of the stars."), C("stars_q", "DOUBLE", "Sum of their squares."),
)
_DAY = C("day", "DATE", "Day written, in the reporting time zone (cxtext_meta.reporting_timezone).", "NOT NULL")
_CURRENT_ONLY = (" Current enrichment only (its text and the versions in force). Written by the aggregate step of a run "
                 "for the days whose feedback changed (daily_inputs); the views roll the days up.")
DAILY_TABLES: tuple[Table, ...] = (
    Table(
        "daily_inputs",
        "What the daily tables were computed from, per day: when a day's feedback or enrichment changes, its daily rows "
        "are recomputed; the others are kept. One row per day with feedback.",
        (_DAY, C("feedback", "BIGINT", "Feedback written that day."),
         C("inputs_hash", "HUGEINT", "Order-independent hash of that day's feedback and enrichment rows (ids, texts, scores, versions, enriched_at).")),
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
        + (C("mentions", "BIGINT", "Theme mentions at the stage."), C("compound_sum", "DECIMAL(18,4)", "Sum of their compound (exact: the sum of four-decimal scores does not depend on the order of the rows)."),
           C("negative_mentions", "BIGINT", "Mentions with negative theme-level sentiment."),
           C("positive_mentions", "BIGINT", "Mentions with positive theme-level sentiment."),
           C("stale_feedback", "BIGINT", "Feedback mentioning the stage whose enrichment is stale (not in the other columns).")),
        since=4,
    ),
    Table(
        "daily_themes",
        "Per day, stage and theme: mentions, their tone, and the scores of the feedback mentioning it negatively "
        "(theme_trends, pain_points and emerging_issues roll it up)." + _CURRENT_ONLY,
        (_DAY, C("stage", "VARCHAR", "Journey stage."), C("theme", "VARCHAR", "Theme id."),
         C("mentions", "BIGINT", "Mentions."), C("feedback", "BIGINT", "Feedback mentioning it."),
         C("negative_mentions", "BIGINT", "Mentions with negative theme-level sentiment."),
         C("compound_sum", "DECIMAL(18,4)", "Sum of the mentions' compound (exact, as in daily_stages)."),
         C("negative_compound_sum", "DECIMAL(18,4)", "Sum of the negative mentions' compound."))
        + tuple(Column(c.name + "1", c.type, c.doc.rstrip(".") + ", among the feedback mentioning it negatively.")
                for c in _SUMS),
        since=4,
    ),
    Table(
        "daily_quotes",
        "Per day, stage and theme: the three most negative distinct clauses that mention it (PII-redacted), from which "
        "pain_points picks a period's three." + _CURRENT_ONLY,
        (_DAY, C("stage", "VARCHAR", "Journey stage."), C("theme", "VARCHAR", "Theme id."),
         C("clause", "VARCHAR", "The clause, verbatim."), C("compound", "DOUBLE", "Its most negative compound that day.")),
        since=4,
    ),
    Table(
        "daily_topics",
        "Per day and discovered topic: its feedback (emerging_issues' uncovered topics)." + _CURRENT_ONLY,
        (_DAY, C("topic_id", "INTEGER", "Topic (topics.topic_id)."), C("feedback", "BIGINT", "Feedback assigned to it.")),
        since=4,
    ),
)
TABLES = TABLES + ENRICHMENT_TABLES + TOPIC_TABLES + ERASURE_TABLES + DAILY_TABLES

SEQUENCES = ("run_id_seq", "batch_id_seq")


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


#: The tables with a row per feedback, which lost their primary key in version 4. A key's ART index
#: must be held in memory (DuckDB's documentation): writing one chunk of results into a
#: million-feedback database loaded about 450 MB of index, ingesting a file 75 MB more, all of it
#: growing with the data. Rows are unique by construction instead: ingest upserts each id once
#: (cxtext.ingest), a chunk of results deletes its feedback's rows and inserts them again in one
#: transaction (cxtext.enrich), one writer at a time; `cxtext check` verifies feedback's ids.
UNKEYED_IN_4 = ("feedback", "enrichment", "sentiment", "sentences", "theme_mentions", "feedback_topics")


def create_statements(from_version: int = 0, to_version: int = SCHEMA_VERSION) -> list[str]:
    """DDL bringing a database at *from_version* (0 = empty) to *to_version*, with its
    documentation as COMMENT ON."""
    statements = [f"CREATE SEQUENCE {s} START 1" for s in SEQUENCES] if from_version == 0 else []
    if 2 <= from_version < 4 <= to_version:  # rebuilt without their key, rows kept
        for table in (t for t in TABLES if t.name in UNKEYED_IN_4):
            statements += [f"ALTER TABLE {table.name} RENAME TO {table.name}_keyed",
                           table.ddl(from_version),  # its columns as they are; later ones are added below
                           f"INSERT INTO {table.name} SELECT * FROM {table.name}_keyed",
                           f"DROP TABLE {table.name}_keyed",
                           f"COMMENT ON TABLE {table.name} IS {sql_literal(table.doc)}"]
            statements += [f"COMMENT ON COLUMN {table.name}.{c.name} IS {sql_literal(c.doc)}"
                           for c in table.columns_at(from_version)]
    for table in TABLES:
        if from_version >= table.since:  # the table exists: add the columns it gained since
            for c in table.columns:
                if from_version < c.since <= to_version:
                    statements.append(f"ALTER TABLE {table.name} ADD COLUMN {c.name} {c.type}")
                    statements.append(f"COMMENT ON COLUMN {table.name}.{c.name} IS {sql_literal(c.doc)}")
            continue
        if not table.since <= to_version:
            continue
        statements.append(table.ddl(to_version))
        statements.append(f"COMMENT ON TABLE {table.name} IS {sql_literal(table.doc)}")
        statements.extend(
            f"COMMENT ON COLUMN {table.name}.{c.name} IS {sql_literal(c.doc)}" for c in table.columns_at(to_version)
        )
    return statements


# -- views for analysts -----------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    name: str
    doc: str
    sql: str  # may use {local}: created_at as a local timestamp in the reporting time zone
    columns: tuple[tuple[str, str], ...]


# Feedback whose enrichment matches its current text; older versions count as 'stale'.
CURRENT_SQL = "e.feedback_id = f.feedback_id AND e.text_hash = f.text_hash"
_IN_FORCE = """e.sentiment_version = (SELECT value FROM cxtext_meta WHERE key = 'sentiment_version')
                     AND e.taxonomy_version = (SELECT value FROM cxtext_meta WHERE key = 'taxonomy_version')
                     AND e.topic_version = (SELECT value FROM cxtext_meta WHERE key = 'topic_version')"""
STATUS_SQL = f"CASE WHEN e.feedback_id IS NULL THEN 'missing' WHEN {_IN_FORCE} THEN 'current' ELSE 'stale' END"

VIEWS: tuple[View, ...] = (
    View(
        "feedback_enriched",
        "One row per feedback with its current sentiment, themes, stages and topic. Days and weeks are cut in the "
        "reporting time zone (cxtext_meta.reporting_timezone). Answers: what did each customer say, and how did it read?",
        f"""
        SELECT f.feedback_id, f.kind, f.source, f.source_record_id, f.created_at,
               CAST({{local}} AS DATE) AS local_date,
               CAST(date_trunc('week', {{local}}) AS DATE) AS local_week,
               f.title, f.text, f.rating, f.nps, f.csat, f.ces, f.product, f.channel, f.touchpoint, f.region,
               f.customer_key, s.compound, s.label AS sentiment_label, s.peak_end, s.peak_end_label,
               m.themes, m.stages, m.negative_themes, ft.topic_id, t.label AS topic_label,
               {STATUS_SQL} AS enrichment_status,
               f.language, e.scored
        FROM feedback f
        LEFT JOIN enrichment e ON {CURRENT_SQL}
        LEFT JOIN sentiment s ON s.feedback_id = e.feedback_id
        LEFT JOIN (SELECT feedback_id, list_sort(list_distinct(list(theme))) AS themes,
                          list_sort(list_distinct(list(stage))) AS stages,
                          list_sort(list_distinct(list(theme) FILTER (WHERE label = 'negative'))) AS negative_themes
                   FROM theme_mentions GROUP BY feedback_id) m ON m.feedback_id = e.feedback_id
        LEFT JOIN feedback_topics ft ON ft.feedback_id = e.feedback_id
        LEFT JOIN topics t ON t.topic_id = ft.topic_id
        """,
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
            ("enrichment_status", "'current', 'stale' (enriched by an older scorer, taxonomy or topic model) or 'missing'."),
            ("language", "Detected language (ISO 639-1), 'und' when too short to tell (scored as English)."),
            ("scored", "False when the English-only scorers skipped it (another language): no sentiment, themes or topic."),
        ),
    ),
    View(
        "feedback_metrics",
        "One row per feedback with its numbers and no text: local day and week, stars, NPS, CSAT, CES, language, "
        "document sentiment, topic and enrichment status. feedback_enriched without the texts and theme lists, so "
        "cheap to scan at millions of rows; every aggregate view reads it. Answers: how many, how scored, how current?",
        f"""
        SELECT f.feedback_id, f.kind, f.source, CAST({{local}} AS DATE) AS local_date,
               CAST(date_trunc('week', {{local}}) AS DATE) AS local_week,
               f.rating, f.nps, f.csat, f.ces, f.language, e.scored, s.compound, s.label AS sentiment_label,
               ft.topic_id, {STATUS_SQL} AS enrichment_status
        FROM feedback f
        LEFT JOIN enrichment e ON {CURRENT_SQL}
        LEFT JOIN sentiment s ON s.feedback_id = e.feedback_id
        LEFT JOIN feedback_topics ft ON ft.feedback_id = e.feedback_id
        """,
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
            ("enrichment_status", "'current', 'stale' (enriched by an older scorer, taxonomy or topic model) or 'missing'."),
        ),
    ),
    View(
        "theme_trends",
        "Weekly mentions and sentiment per theme (weeks in the reporting time zone), added up from daily_themes. Answers: "
        "which themes are growing, and is their tone getting worse?",
        """
        SELECT CAST(date_trunc('week', d.day) AS DATE) AS week, d.stage, d.theme, th.name AS theme_name,
               CAST(sum(d.mentions) AS BIGINT) AS mentions, CAST(sum(d.feedback) AS BIGINT) AS feedback,
               CAST(sum(d.negative_mentions) AS BIGINT) AS negative_mentions,
               sum(d.negative_mentions) / sum(d.mentions) AS share_negative,
               sum(d.compound_sum) / sum(d.mentions) AS mean_compound
        FROM daily_themes d
        JOIN themes th ON th.theme = d.theme
        GROUP BY 1, d.stage, d.theme, th.name
        """,
        (
            ("week", "Monday of the week, reporting time zone."),
            ("stage", "Journey stage of the theme."),
            ("theme", "Theme id."),
            ("theme_name", "Theme name."),
            ("mentions", "Mentions of the theme that week."),
            ("feedback", "Feedback mentioning it that week."),
            ("negative_mentions", "Mentions with negative theme-level sentiment."),
            ("share_negative", "negative_mentions / mentions."),
            ("mean_compound", "Mean theme-level sentiment (VADER compound of the clauses)."),
        ),
    ),
    View(
        "stage_summary",
        "One row per customer-journey stage, in journey order: volume, sentiment, NPS / CSAT / stars of the customers "
        "who talk about it, its top pain themes, and stale rows. Like every aggregate view it counts only feedback whose "
        "enrichment is current (its text and the versions in force), so versions never mix; stale_feedback says how "
        "many wait for recomputation. Only English (and undetermined) feedback is scored and so has stages; other languages are "
        "counted in language_summary. Added up from daily_stages and daily_themes. Answers: where in the journey does it hurt?",
        """
        WITH s AS (
            SELECT stage, sum(feedback) AS feedback, sum(nps_n) AS nps_n, sum(nps_s) AS nps_s, sum(csat_n) AS csat_n,
                   sum(csat_s) AS csat_s, sum(stars_n) AS stars_n, sum(stars_s) AS stars_s, sum(mentions) AS mentions,
                   sum(compound_sum) AS compound_sum, sum(negative_mentions) AS negative_mentions,
                   sum(positive_mentions) AS positive_mentions, sum(stale_feedback) AS stale_feedback
            FROM daily_stages GROUP BY stage),
        pains AS (
            SELECT stage, list(theme ORDER BY negatives DESC, theme)[1:3] AS top_pain_themes
            FROM (SELECT stage, theme, sum(negative_mentions) AS negatives FROM daily_themes GROUP BY stage, theme
                  HAVING sum(negative_mentions) > 0)
            GROUP BY stage)
        SELECT js.position, js.stage, js.name, CAST(coalesce(s.feedback, 0) AS BIGINT) AS feedback,
               CAST(coalesce(s.mentions, 0) AS BIGINT) AS mentions, s.compound_sum / nullif(s.mentions, 0) AS mean_compound,
               s.negative_mentions / nullif(s.mentions, 0) AS share_negative,
               s.positive_mentions / nullif(s.mentions, 0) AS share_positive,
               CASE WHEN s.feedback > 0 THEN 100.0 * s.nps_s / nullif(s.nps_n, 0) END AS nps,
               CASE WHEN s.feedback > 0 THEN CAST(s.nps_n AS BIGINT) END AS nps_responses,
               CASE WHEN s.feedback > 0 THEN 100.0 * s.csat_s / nullif(s.csat_n, 0) END AS csat,
               CASE WHEN s.feedback > 0 THEN CAST(s.csat_n AS BIGINT) END AS csat_responses,
               s.stars_s / nullif(s.stars_n, 0) AS mean_rating, p.top_pain_themes,
               CAST(coalesce(s.stale_feedback, 0) AS BIGINT) AS stale_feedback
        FROM journey_stages js
        LEFT JOIN s ON s.stage = js.stage
        LEFT JOIN pains p ON p.stage = js.stage
        ORDER BY js.position
        """,
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
            ("stale_feedback", "Feedback mentioning the stage that was enriched by an older version: left out of the figures until the next run or a backfill recomputes it."),
        ),
    ),
    View(
        "language_summary",
        "Feedback per detected language. Only English and undetermined ('und': too short to tell) feedback is scored "
        "(VADER and the taxonomy read English only); the others are counted here and kept out of every sentiment and "
        "theme figure. Answers: how much feedback do the English figures leave out?",
        f"""
        SELECT coalesce(f.language, 'not yet detected') AS language, count(*) AS feedback,
               count(*) FILTER (WHERE e.scored) AS scored_feedback,
               avg(CAST(s.label = 'negative' AS INTEGER)) AS share_negative
        FROM feedback f
        LEFT JOIN enrichment e ON {CURRENT_SQL}
        LEFT JOIN sentiment s ON s.feedback_id = e.feedback_id
        WHERE ({STATUS_SQL}) = 'current' OR f.language IS NULL
        GROUP BY ALL ORDER BY feedback DESC, language
        """,
        (
            ("language", "ISO 639-1 code, 'und' (undetermined), or 'not yet detected'."),
            ("feedback", "Feedback in that language."),
            ("scored_feedback", "How many of them were scored (sentiment, themes)."),
            ("share_negative", "Share with negative document sentiment among the scored ones; NULL when none is scored."),
        ),
    ),
    View(
        "topic_summary",
        "Discovered topics with their label, size, sentiment, journey stages and coverage by the taxonomy's themes. "
        "Answers: what do customers talk about that the taxonomy has no theme for (candidate_theme)?",
        f"""
        SELECT t.topic_id, t.label, t.top_terms, t.size, t.stages, t.theme_coverage, t.candidate_theme,
               s.share_negative, s.mean_compound, t.model_version
        FROM topics t
        LEFT JOIN (SELECT ft.topic_id, avg(CAST(s.label = 'negative' AS INTEGER)) AS share_negative,
                          avg(s.compound) AS mean_compound
                   FROM feedback_topics ft
                   JOIN enrichment e ON e.feedback_id = ft.feedback_id
                   JOIN feedback f ON {CURRENT_SQL}
                   LEFT JOIN sentiment s ON s.feedback_id = e.feedback_id
                   GROUP BY ft.topic_id) s ON s.topic_id = t.topic_id
        """,
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

def _impact(metric: str, scale: int, side: int) -> str:
    """SQL for w × (rest − negative mentioners) of *metric*, or its 95% interval end (side ±1)."""
    n1, n0, m1, m0, v1, v0 = (f"{metric}_{k}" for k in ("n1", "n0", "m1", "m0", "v1", "v0"))
    margin = f" + {side} * 1.96 * sqrt({v1} / {n1} + {v0} / greatest({n0}, 1))" if side else ""
    return (f"CASE WHEN {n1} >= {MIN_IMPACT_RESPONSES} THEN "
            f"{scale} * {n1} / ({n1} + {n0}) * (({m0} - {m1}){margin}) END")


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
        f"""
        WITH periods AS (  -- each day of the daily tables, in its three periods
            SELECT day, 'all' AS period, CAST(NULL AS DATE) AS period_start FROM daily_feedback
            UNION ALL SELECT day, 'month', CAST(date_trunc('month', day) AS DATE) FROM daily_feedback
            UNION ALL SELECT day, 'week', CAST(date_trunc('week', day) AS DATE) FROM daily_feedback),
        mention_stats AS (
            SELECT p.period, p.period_start, d.stage, d.theme, CAST(sum(d.mentions) AS BIGINT) AS mentions,
                   CAST(sum(d.feedback) AS BIGINT) AS feedback, CAST(sum(d.negative_mentions) AS BIGINT) AS negative_mentions,
                   sum(d.negative_mentions) / sum(d.mentions) AS share_negative,
                   sum(d.compound_sum) / sum(d.mentions) AS mean_compound,
                   least(1.0, greatest(0.0, -sum(d.negative_compound_sum) / nullif(sum(d.negative_mentions), 0))) AS severity
            FROM daily_themes d JOIN periods p ON p.day = d.day GROUP BY p.period, p.period_start, d.stage, d.theme),
        quotes AS (
            SELECT period, period_start, stage, theme, list(clause ORDER BY compound, clause)[1:3] AS quotes FROM (
                SELECT p.period, p.period_start, q.stage, q.theme, q.clause, min(q.compound) AS compound
                FROM daily_quotes q JOIN periods p ON p.day = q.day GROUP BY p.period, p.period_start, q.stage, q.theme, q.clause)
            GROUP BY period, period_start, stage, theme),
        -- Each theme's negative mentioners against the rest, from sums: the rest is everyone minus
        -- the mentioners, so no row is made per theme and feedback.
        everyone AS (
            SELECT p.period, p.period_start, sum(feedback) AS feedback, sum(nps_n) AS nps_n, sum(nps_s) AS nps_s, sum(nps_q) AS nps_q, sum(csat_n) AS csat_n, sum(csat_s) AS csat_s, sum(csat_q) AS csat_q, sum(stars_n) AS stars_n, sum(stars_s) AS stars_s, sum(stars_q) AS stars_q
            FROM daily_feedback d JOIN periods p ON p.day = d.day GROUP BY p.period, p.period_start),
        mentioners AS (
            SELECT p.period, p.period_start, d.stage, d.theme, sum(nps_n1) AS nps_n1, sum(nps_s1) AS nps_s1, sum(nps_q1) AS nps_q1, sum(csat_n1) AS csat_n1, sum(csat_s1) AS csat_s1, sum(csat_q1) AS csat_q1, sum(stars_n1) AS stars_n1, sum(stars_s1) AS stars_s1, sum(stars_q1) AS stars_q1
            FROM daily_themes d JOIN periods p ON p.day = d.day WHERE d.nps_n1 IS NOT NULL
            GROUP BY p.period, p.period_start, d.stage, d.theme),
        scores AS (
            SELECT m.period, m.period_start, m.stage, m.theme,
                   nps_n1, (a.nps_n - nps_n1) AS nps_n0, nps_s1 / nullif(nps_n1, 0) AS nps_m1, (a.nps_s - nps_s1) / nullif((a.nps_n - nps_n1), 0) AS nps_m0, greatest(0, nps_q1 / nullif(nps_n1, 0) - (nps_s1 / nullif(nps_n1, 0)) ** 2) AS nps_v1, greatest(0, (a.nps_q - nps_q1) / nullif((a.nps_n - nps_n1), 0) - ((a.nps_s - nps_s1) / nullif((a.nps_n - nps_n1), 0)) ** 2) AS nps_v0,
                   csat_n1, (a.csat_n - csat_n1) AS csat_n0, csat_s1 / nullif(csat_n1, 0) AS csat_m1, (a.csat_s - csat_s1) / nullif((a.csat_n - csat_n1), 0) AS csat_m0, greatest(0, csat_q1 / nullif(csat_n1, 0) - (csat_s1 / nullif(csat_n1, 0)) ** 2) AS csat_v1, greatest(0, (a.csat_q - csat_q1) / nullif((a.csat_n - csat_n1), 0) - ((a.csat_s - csat_s1) / nullif((a.csat_n - csat_n1), 0)) ** 2) AS csat_v0,
                   stars_n1, (a.stars_n - stars_n1) AS stars_n0, stars_s1 / nullif(stars_n1, 0) AS stars_m1, (a.stars_s - stars_s1) / nullif((a.stars_n - stars_n1), 0) AS stars_m0, greatest(0, stars_q1 / nullif(stars_n1, 0) - (stars_s1 / nullif(stars_n1, 0)) ** 2) AS stars_v1, greatest(0, (a.stars_q - stars_q1) / nullif((a.stars_n - stars_n1), 0) - ((a.stars_s - stars_s1) / nullif((a.stars_n - stars_n1), 0)) ** 2) AS stars_v0
            FROM mentioners m JOIN everyone a ON a.period = m.period AND a.period_start IS NOT DISTINCT FROM m.period_start),
        joined AS (
            SELECT s.*, th.name AS theme_name,
                   round(100.0 * s.negative_mentions / t.feedback * (0.5 + 0.5 * coalesce(s.severity, 0)), 3) AS pain_score,
                   sc.*, q.quotes
            FROM mention_stats s
            JOIN everyone t ON t.period = s.period AND t.period_start IS NOT DISTINCT FROM s.period_start
            JOIN themes th ON th.theme = s.theme
            LEFT JOIN scores sc ON sc.period = s.period AND sc.period_start IS NOT DISTINCT FROM s.period_start
                               AND sc.stage = s.stage AND sc.theme = s.theme
            LEFT JOIN quotes q ON q.period = s.period AND q.period_start IS NOT DISTINCT FROM s.period_start
                              AND q.stage = s.stage AND q.theme = s.theme)
        SELECT period, period_start, stage, theme, theme_name, mentions, feedback, negative_mentions, share_negative,
               mean_compound, pain_score,
               negative_mentions - lag(negative_mentions) OVER previous AS negative_mentions_change,
               pain_score - lag(pain_score) OVER previous AS pain_score_change,
               100 * nps_m1 AS nps_negative_mentioners, 100 * nps_m0 AS nps_rest, nps_n1 AS nps_responses,
               {_impact("nps", 100, 0)} AS nps_impact, {_impact("nps", 100, -1)} AS nps_impact_low,
               {_impact("nps", 100, 1)} AS nps_impact_high,
               100 * csat_m1 AS csat_negative_mentioners, 100 * csat_m0 AS csat_rest, csat_n1 AS csat_responses,
               {_impact("csat", 100, 0)} AS csat_impact, {_impact("csat", 100, -1)} AS csat_impact_low,
               {_impact("csat", 100, 1)} AS csat_impact_high,
               stars_m1 AS stars_negative_mentioners, stars_m0 AS stars_rest, stars_n1 AS stars_responses,
               {_impact("stars", 1, 0)} AS stars_impact, {_impact("stars", 1, -1)} AS stars_impact_low,
               {_impact("stars", 1, 1)} AS stars_impact_high,
               quotes
        FROM joined
        WINDOW previous AS (PARTITION BY period, stage, theme ORDER BY period_start)
        ORDER BY period, period_start DESC NULLS FIRST, pain_score DESC
        """,
        (
            ("period", "'all' (the whole data), 'month' or 'week'."),
            ("period_start", "First day of the month or week (reporting time zone); NULL for 'all'."),
            ("stage", "Journey stage."),
            ("theme", "Theme id."),
            ("theme_name", "Theme name."),
            ("mentions", "Mentions of the theme at the stage."),
            ("feedback", "Feedback mentioning it."),
            ("negative_mentions", "Mentions with negative theme-level sentiment."),
            ("share_negative", "negative_mentions / mentions."),
            ("mean_compound", "Mean theme-level sentiment."),
            ("pain_score", "100 × negative_mentions / enriched feedback of the period × (0.5 + 0.5 × severity); see the view's comment."),
            ("negative_mentions_change", "Change of negative_mentions since the previous month or week it was mentioned in."),
            ("pain_score_change", "Change of pain_score since that period."),
            ("nps_negative_mentioners", "NPS of the feedback that mentions the theme negatively."),
            ("nps_rest", "NPS of all other feedback of the period."),
            ("nps_responses", "NPS answers among the negative mentioners."),
            ("nps_impact", "NPS points gained if the negative mentioners scored like the rest; NULL below the minimum volume."),
            ("nps_impact_low", "Lower end of its 95% interval."),
            ("nps_impact_high", "Upper end of its 95% interval."),
            ("csat_negative_mentioners", "CSAT (% of 4-5) of the negative mentioners."),
            ("csat_rest", "CSAT of all other feedback."),
            ("csat_responses", "CSAT answers among the negative mentioners."),
            ("csat_impact", "CSAT points gained if the negative mentioners answered like the rest; NULL below the minimum volume."),
            ("csat_impact_low", "Lower end of its 95% interval."),
            ("csat_impact_high", "Upper end of its 95% interval."),
            ("stars_negative_mentioners", "Mean stars of the negative mentioners' reviews."),
            ("stars_rest", "Mean stars of all other reviews."),
            ("stars_responses", "Star ratings among the negative mentioners."),
            ("stars_impact", "Mean stars gained if the negative mentioners rated like the rest; NULL below the minimum volume."),
            ("stars_impact_low", "Lower end of its 95% interval."),
            ("stars_impact_high", "Upper end of its 95% interval."),
            ("quotes", "Up to three of the most negative clauses that mention it, verbatim (PII-redacted)."),
        ),
    ),
    View(
        "emerging_issues",
        "Themes whose weekly count of negative mentions, and topics no theme covers (topics.candidate_theme) whose weekly "
        "count of feedback, rise beyond what the trailing four weeks explain. Test: the week's count x against the trailing "
        "mean m as Poisson, with Anscombe's variance-stabilising transform z = 2·(√(x + 3/8) − √(m + 3/8)); flagged when "
        f"z ≥ {EMERGING_Z} (one-sided p < 0.001), x ≥ {EMERGING_MIN_VOLUME} and at least two weeks before. Answers: what broke this week?",
        f"""
        WITH weekly AS MATERIALIZED (
            SELECT 'theme' AS kind, week, stage, theme AS subject, theme_name AS subject_name, negative_mentions AS x
            FROM theme_trends
            UNION ALL
            SELECT 'topic', CAST(date_trunc('week', d.day) AS DATE), NULL, 'topic:' || CAST(t.topic_id AS VARCHAR), t.label,
                   CAST(sum(d.feedback) AS BIGINT)
            FROM daily_topics d JOIN topics t ON t.topic_id = d.topic_id
            WHERE t.candidate_theme
            GROUP BY 2, t.topic_id, t.label),
        grid AS (
            SELECT w.week, s.kind, s.stage, s.subject, s.subject_name, coalesce(weekly.x, 0) AS x
            FROM (SELECT DISTINCT week FROM weekly WHERE kind = 'theme') w
            CROSS JOIN (SELECT DISTINCT kind, stage, subject, subject_name FROM weekly) s
            LEFT JOIN weekly ON weekly.week = w.week AND weekly.kind = s.kind AND weekly.subject = s.subject
                            AND weekly.stage IS NOT DISTINCT FROM s.stage),
        history AS (
            SELECT *, avg(x) OVER before AS m, count(*) OVER before AS weeks_before FROM grid
            WINDOW before AS (PARTITION BY kind, stage, subject ORDER BY week ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING)),
        scored AS (
            SELECT *, 2 * (sqrt(x + 0.375) - sqrt(m + 0.375)) AS z FROM history WHERE weeks_before >= 2)
        SELECT week, kind, stage, subject AS theme, subject_name AS theme_name, x AS count, round(m, 2) AS expected,
               x - m AS rise, round(x / greatest(m, 0.5), 2) AS ratio, round(z, 2) AS z
        FROM scored WHERE z >= {EMERGING_Z} AND x >= {EMERGING_MIN_VOLUME}
        ORDER BY week DESC, z DESC
        """,
        (
            ("week", "Monday of the week, reporting time zone."),
            ("kind", "'theme' (negative mentions of a taxonomy theme) or 'topic' (feedback of a discovered topic no theme covers)."),
            ("stage", "Journey stage of the theme; NULL for a topic."),
            ("theme", "Theme id, or 'topic:<topic_id>'."),
            ("theme_name", "Theme name, or the topic's label."),
            ("count", "The week's count x: negative mentions of the theme, or feedback of the topic."),
            ("expected", "Mean weekly count over the four weeks before (m)."),
            ("rise", "x − m: the size of the rise."),
            ("ratio", "x / m (m floored at 0.5)."),
            ("z", "Anscombe z of x against m; ≥ 3.09 is p < 0.001 one-sided."),
        ),
    ),
)
VIEWS = VIEWS + PAIN_VIEWS


def local_time_sql(reporting_timezone: str) -> str:
    """SQL for feedback f's created_at (UTC) as a local timestamp in *reporting_timezone*."""
    return f"((f.created_at AT TIME ZONE 'UTC') AT TIME ZONE {sql_literal(reporting_timezone)})"


def view_statements(reporting_timezone: str) -> list[str]:
    """CREATE OR REPLACE the analysts' views for a reporting time zone, with their documentation."""
    local = local_time_sql(reporting_timezone)
    statements = []
    for view in VIEWS:
        sql = view.sql.replace("{local}", local)
        statements.append(f"CREATE OR REPLACE VIEW {view.name} AS {sql.strip()}")
        statements.append(f"COMMENT ON VIEW {view.name} IS {sql_literal(view.doc)}")
        statements.extend(f"COMMENT ON COLUMN {view.name}.{name} IS {sql_literal(doc)}" for name, doc in view.columns)
    return statements
