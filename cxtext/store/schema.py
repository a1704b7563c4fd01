"""The database schema as data: every table, column and its documentation in one place.

The store turns it into DDL and ``COMMENT ON`` statements; ``cxtext schema`` reads the comments back
from a database and prints them as Markdown (docs/SCHEMA.md). Bump SCHEMA_VERSION and add a migration
in :mod:`cxtext.store.db` when this changes.
"""

from __future__ import annotations

import pyarrow as pa

from cxtext.journey import JOURNEY_STAGES
from cxtext.store.derived_tables import DAILY_TABLES, INTENT_TABLES, TOPIC_TABLES
from cxtext.store.table_model import SCHEMA_VERSION, C, Column, Table

__all__ = ["SCHEMA_VERSION", "TABLES", "Column", "Table", "arrow_schema", "create_statements", "sql_literal"]


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
            C(
                "flow",
                "VARCHAR",
                "What ran: 'nightly', 'backfill', 'ingest', 'enrich', 'topics_fit', 'sentiment_fit'.",
                "NOT NULL",
            ),
            C(
                "status",
                "VARCHAR",
                "'running', 'completed', 'failed', or 'crashed' (found still running by a later run).",
                "NOT NULL",
            ),
            C("parameters", "JSON", "Parameters the run was started with."),
            C(
                "versions",
                "JSON",
                "Versions of cxtext and the schema, and of the scorer (with the lexicon), taxonomy and topic model it applied.",
            ),
            C(
                "counts",
                "JSON",
                "Counts of what the run did: files, rows read / loaded / duplicate / rejected, files failed; enriched, topics_reassigned, stale_reasons and stale_left (stale rows left over the budget), retagged_with_suggestions (re-tagged after the theme suggestions changed); for a backfill rewritten and chunks.",
            ),
            C(
                "error",
                "VARCHAR",
                "Why the run failed, when it did: one line, then where to look (the Prefect flow run and its logs).",
            ),
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
            C(
                "status",
                "VARCHAR",
                "'loaded', or 'failed' when the file could not be read at all (nothing of it was loaded).",
                "NOT NULL",
            ),
            C("rows_read", "BIGINT", "Records read from the file (the header and blank JSONL lines are not records)."),
            C("rows_loaded", "BIGINT", "Records inserted or updated in feedback (rows_new + rows_updated)."),
            C("rows_new", "BIGINT", "Records new to feedback."),
            C(
                "rows_updated",
                "BIGINT",
                "Records already known whose content changed (re-sent with new text or scores).",
            ),
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
            C(
                "feedback_id",
                "VARCHAR",
                "Deterministic id: hash of source and the source's record id (or of the content when the source has no id).",
            ),
            C("kind", "VARCHAR", "'review', 'survey' or 'social'.", "NOT NULL"),
            C("source", "VARCHAR", "Source name.", "NOT NULL"),
            C("source_record_id", "VARCHAR", "The source's own id of the record; NULL when it has none."),
            C(
                "created_at",
                "TIMESTAMP",
                "When the customer wrote it, UTC. Cut into days/weeks in cxtext_meta.reporting_timezone.",
                "NOT NULL",
            ),
            C("title", "VARCHAR", "Title (reviews), PII-redacted."),
            C("text", "VARCHAR", "The feedback text, normalised and PII-redacted.", "NOT NULL"),
            C("text_hash", "VARCHAR", "SHA-256 of text: enrichment computed from another hash is stale."),
            C(
                "record_hash",
                "VARCHAR",
                "SHA-256 of every stored field: tells a re-sent record with changes from a duplicate.",
            ),
            C("language", "VARCHAR", "Detected language (filled by enrichment; NULL until then)."),
            C("rating", "TINYINT", "Star rating 1-5 (reviews)."),
            C("nps", "TINYINT", "Likelihood to recommend 0-10 (surveys). Promoters 9-10, detractors 0-6."),
            C("csat", "TINYINT", "Satisfaction 1-5 (surveys); CSAT is the share of 4 and 5."),
            C("ces", "TINYINT", "Customer effort 1-7, higher = easier (surveys)."),
            C("product", "VARCHAR", "Product the feedback is about, when known."),
            C("channel", "VARCHAR", "Channel (survey channel, social platform...)."),
            C("touchpoint", "VARCHAR", "Survey touchpoint (checkout, delivery, support_contact...)."),
            C("region", "VARCHAR", "Region or country."),
            C(
                "customer_key",
                "VARCHAR",
                "Salted hash of the customer's key (id, e-mail, handle); joins a customer's feedback without revealing them.",
            ),
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
            C(
                "position",
                "BIGINT",
                "Where in the file: physical line number for CSV/JSONL (CSV header = line 1), row number for Parquet.",
            ),
            C(
                "reason",
                "VARCHAR",
                "Reason code: field_count, unbalanced_quote, invalid_utf8, invalid_json, not_an_object, "
                "missing_text, text_too_long, missing_created_at, bad_created_at, future_created_at, bad_number, out_of_range, "
                "missing_source_record_id, conflicting_duplicate_id.",
                "NOT NULL",
            ),
            C("detail", "VARCHAR", "The reason in words, naming the field and value."),
            C("raw", "VARCHAR", "The raw record as read (PII-redacted, cut at 64 KiB)."),
            C("rejected_at", "TIMESTAMP", "When, UTC."),
            C(
                "customer_key",
                "VARCHAR",
                "Keyed hash of the record's customer key, when it could be parsed (what erasure finds it by: raw is redacted).",
                since=5,
            ),
            C(
                "source_record_id",
                "VARCHAR",
                "The record's id in its source, when it could be parsed (erasure of one record matches it exactly).",
                since=5,
            ),
            C(
                "key_hashes",
                "VARCHAR[]",
                "For a record that could not be parsed: keyed hashes of the words of its raw text, so that erasure finds it by its customer key.",
                since=5,
            ),
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
            C(
                "sentiment_version",
                "VARCHAR",
                "Version of the text pipeline and sentiment scorer (VADER + CX lexicon hash).",
            ),
            C("taxonomy_version", "VARCHAR", "Content hash of the taxonomy file that tagged the themes."),
            C("topic_version", "VARCHAR", "Version of the topic model that assigned the topic."),
            C("enriched_at", "TIMESTAMP", "When, UTC."),
            C(
                "scored",
                "BOOLEAN",
                "False when the English-only scorers (sentiment, themes) skipped it because feedback.language "
                "is another language: it has no sentences, sentiment or theme_mentions rows, and counts in no sentiment figure.",
                since=3,
            ),
        ),
        since=2,
    ),
    Table(
        "sentiment",
        "Document-level sentiment, one row per feedback (VADER with the CX lexicon). Older versions are replaced, not kept.",
        (
            C("feedback_id", "VARCHAR", "The feedback."),
            C(
                "compound",
                "DOUBLE",
                "Compound score of the text, -1 (most negative) to +1: of a one-sentence text VADER's, of a "
                "longer one the mean of its sentences' compounds, a negative sentence weighing double (no drift with length).",
            ),
            C("pos", "DOUBLE", "Share of positive sentiment (VADER)."),
            C("neu", "DOUBLE", "Share of neutral sentiment (VADER)."),
            C("neg", "DOUBLE", "Share of negative sentiment (VADER)."),
            C("label", "VARCHAR", "'positive' (compound >= 0.05), 'negative' (<= -0.05) or 'neutral'."),
            C(
                "peak_end",
                "DOUBLE",
                "Peak-end score: mean of the most intense sentence's compound and the last sentence's (how the experience is remembered).",
            ),
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
            C(
                "text",
                "VARCHAR",
                "The sentence as analysed (social text: without URLs and handles, hashtags as words).",
            ),
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
            C(
                "clause",
                "VARCHAR",
                "The clause whose sentiment is the mention's ('delivery took two weeks' in 'checkout was easy but delivery took two weeks').",
            ),
            C(
                "compound",
                "DOUBLE",
                "Theme-level sentiment: VADER compound of the clause (of the clauses joined to it by 'and' when it reads neutral).",
            ),
            C(
                "label",
                "VARCHAR",
                "Theme-level label: 'positive', 'negative' or 'neutral' from compound (±0.05); when the clause reads "
                "neutral, the theme's own polarity if the taxonomy gives it one (a problem theme is negative), else the sentence's label.",
            ),
            C(
                "label_source",
                "VARCHAR",
                "Where label comes from: 'clause', 'theme' (the theme's polarity) or 'sentence'.",
            ),
        ),
        since=2,
    ),
    Table(
        "journey_stages",
        "The customer-journey stages of the current taxonomy, in journey order.",
        (
            C("stage", "VARCHAR", "Stage id: " + ", ".join(JOURNEY_STAGES) + "."),
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
            C(
                "discovered",
                "BOOLEAN",
                "True for a theme discovered in the feedback (state folder's themes/suggestions.toml), not yet curated.",
                since=6,
            ),
        ),
        primary_key=("theme",),
        since=2,
    ),
    Table(
        "suggested_themes",
        "The current theme suggestions (`cxtext themes suggest`), loaded from the state folder's themes/suggestions.toml "
        "at each enrichment; the theme_suggestions view reads it.",
        (
            C("theme", "VARCHAR", "Suggested theme id (discovered_...), kept while its patterns persist."),
            C("name", "VARCHAR", "Readable name: the phrase as customers wrote it most often."),
            C("stage", "VARCHAR", "Suggested journey stage."),
            C(
                "stage_cues",
                "VARCHAR[]",
                "Words that decided the stage (its name's or feedback's); empty: none, the default usage.",
            ),
            C("volume", "BIGINT", "Feedback without a curated theme that its patterns found when suggested."),
            C("share_negative", "DOUBLE", "Share of that feedback whose sentiment is negative."),
            C("quotes", "VARCHAR[]", "Three sentences of it (PII-redacted, as stored)."),
            C("patterns", "JSON", "Its token patterns, in the taxonomy's format (docs/TAXONOMY.md)."),
            C("suggested_at", "TIMESTAMP", "When the suggestions were computed, UTC."),
        ),
        primary_key=("theme",),
        since=6,
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
            C(
                "requested_by",
                "VARCHAR",
                "'customer' (every feedback of a customer key) or 'record' (one source record).",
            ),
            C(
                "rows_removed",
                "JSON",
                'Rows removed per table of the working database, e.g. {"feedback": 3, "sentences": 7}.',
            ),
            C("archive_files_rewritten", "INTEGER", "Archived files rewritten without the records."),
            C("snapshots_rewritten", "INTEGER", "Kept published snapshots rewritten without the rows."),
            C("erased_at", "TIMESTAMP", "When, UTC."),
        ),
        primary_key=("erasure_id",),
        since=3,
    ),
    Table(
        "tombstones",
        "Erased records, kept out of every later ingest and archive re-read: salted hashes only (no key, no id, no text), "
        "so the same customer's new records load normally while the erased ones never come back.",
        (
            C("source", "VARCHAR", "Source name."),
            C("id_hash", "VARCHAR", "Keyed hash of (source, record id); NULL for a record without an id."),
            C(
                "content_hash",
                "VARCHAR",
                "Keyed hash of (source, the record's raw content); NULL when only the id is known.",
            ),
            C("erasure_id", "VARCHAR", "The erasure that left it (erasures.erasure_id)."),
            C("erased_at", "TIMESTAMP", "When, UTC."),
        ),
        since=5,
    ),
)
TABLES = TABLES + ENRICHMENT_TABLES + TOPIC_TABLES + ERASURE_TABLES + DAILY_TABLES + INTENT_TABLES

SEQUENCES = ("run_id_seq", "batch_id_seq")


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


#: The tables with a row per feedback, which lost their primary key in version 4. A key's ART index
#: must be held in memory (DuckDB's documentation): writing one chunk of results into a
#: million-feedback database loaded about 450 MB of index, ingesting a file 75 MB more, all of it
#: growing with the data. Rows are unique by construction instead: ingest upserts each id once
#: (cxtext.ingest.load), a chunk of results deletes its feedback's rows and inserts them again in one
#: transaction (cxtext.enrich.run), one writer at a time; `cxtext check` verifies feedback's ids.
UNKEYED_IN_4 = ("feedback", "enrichment", "sentiment", "sentences", "theme_mentions", "feedback_topics")


def create_statements(from_version: int = 0, to_version: int = SCHEMA_VERSION) -> list[str]:
    """DDL bringing a database at *from_version* (0 = empty) to *to_version*, with its
    documentation as COMMENT ON."""
    statements = [f"CREATE SEQUENCE {s} START 1" for s in SEQUENCES] if from_version == 0 else []
    if 2 <= from_version < 4 <= to_version:  # rebuilt without their key, rows kept
        for table in (t for t in TABLES if t.name in UNKEYED_IN_4):
            statements += [
                f"ALTER TABLE {table.name} RENAME TO {table.name}_keyed",
                table.ddl(from_version),  # its columns as they are; later ones are added below
                f"INSERT INTO {table.name} SELECT * FROM {table.name}_keyed",
                f"DROP TABLE {table.name}_keyed",
                f"COMMENT ON TABLE {table.name} IS {sql_literal(table.doc)}",
            ]
            statements += [
                f"COMMENT ON COLUMN {table.name}.{c.name} IS {sql_literal(c.doc)}" for c in table.columns_at(from_version)
            ]
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


#: The tables a feedback's enrichment writes (a row or rows per feedback, replaced together).
PER_FEEDBACK_RESULTS = (
    "sentences",
    "theme_mentions",
    "sentiment",
    "feedback_topics",
    "sentence_intents",
    "effort_signals",
    "feedback_effort",
    "enrichment",
)

_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "TINYINT": pa.int8(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us"),
    "DATE": pa.date32(),
    "VARCHAR[]": pa.list_(pa.string()),
    "JSON": pa.string(),
}


def arrow_schema(table: str, columns: tuple[str, ...] | None = None) -> pa.Schema:
    """The Arrow schema of *table* (or of some of its *columns*, in that order), from its one
    definition above: what bulk inserts of that table are built with."""
    by_name = {c.name: c for c in next(t for t in TABLES if t.name == table).columns}
    return pa.schema([(name, _ARROW_TYPES[by_name[name].type]) for name in (columns or tuple(by_name))])
