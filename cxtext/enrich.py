"""Enrichment: sentences, sentiment, theme mentions and topics for every feedback, incrementally.

Only feedback without a result for its current text and the current versions (scorer, taxonomy,
topic model) is processed (see :func:`pending`), in chunks of whole days, each chunk in one
transaction: its old rows are deleted and the new ones inserted, so older versions are replaced,
never mixed. A run killed half-way leaves whole chunks done and the rest stale for the next run.
A new topic model alone costs only a new topic assignment, not a new analysis.

The topic model is fitted on a bounded sample of recent feedback the first time (or when the
installed scikit-learn no longer matches the saved one), kept in the state folder, and used to
assign topics until `cxtext topics fit` refits it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from spacy.attrs import IS_ALPHA, LEMMA

from cxtext.aggregates import DailyRefresh, refresh_daily
from cxtext.config import DEFAULT_LANGUAGES, Settings
from cxtext.language import SCORED_LANGUAGES, detect, language_version
from cxtext.parallel import executor
from cxtext.sentiment import clause_polarity, clause_spans, get_scorer, label_for, peak_end
from cxtext.store import Store, utcnow
from cxtext.taxonomy import ThemeTagger, read_layers, settings_layers, tagger_from_layers
from cxtext.text import TEXT_PIPELINE_VERSION, clean_text, load_nlp, sentences

RESULT_TABLES = ("sentences", "theme_mentions", "sentiment", "feedback_topics", "enrichment")
#: A topic most of whose feedback no theme covers is a candidate new theme (from this size on).
CANDIDATE_MAX_COVERAGE = 0.5
CANDIDATE_MIN_SIZE = 20
#: Below this many feedback no topic model is fitted (clusters of a handful of texts mean nothing);
#: topics are discovered by the first run that has enough.
MIN_TOPIC_DOCS = 200


@dataclass(frozen=True)
class Versions:
    sentiment: str
    taxonomy: str
    topics: str = "none"

    def as_dict(self) -> dict:
        return {"sentiment": self.sentiment, "taxonomy": self.taxonomy, "topics": self.topics}

    def columns(self) -> dict:
        """The versions under the names of the enrichment table's columns."""
        return {"sentiment_version": self.sentiment, "taxonomy_version": self.taxonomy, "topic_version": self.topics}


def current_versions(tagger: ThemeTagger, topic_model=None, languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> Versions:
    return Versions(sentiment=f"{get_scorer().version}/{TEXT_PIPELINE_VERSION}/{language_version(languages)}",
                    taxonomy=tagger.taxonomy.version,
                    topics=getattr(topic_model, "version_", "none"))


@dataclass(frozen=True)
class Selection:
    """Which feedback a recomputation looks at: days (in the reporting time zone, inclusive),
    sources, and for a forced backfill the time before which every result is recomputed."""

    first_day: date | None = None
    last_day: date | None = None
    sources: tuple[str, ...] = ()
    forced_before: datetime | None = None
    timezone: str = "UTC"


#: Why a feedback needs work. The first three need the whole analysis; a new topic model only a
#: new topic assignment; 'forced' rows are current but older than a forced backfill.
FULL_REASONS = ("missing", "changed_text", "new_version")
TOPIC_REASONS = ("new_topic_model",)
#: Reasons that are not new data: the nightly run spends at most its recompute budget on them.
VERSION_REASONS = ("new_version", "new_topic_model")


@dataclass
class Progress:
    """Where a recomputation stands, for logs and progress bars."""

    chunks_done: int
    chunks_total: int
    records_done: int
    records_total: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.records_done / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        return (f"chunk {self.chunks_done}/{self.chunks_total}: {self.records_done:,}/{self.records_total:,} records, "
                f"{self.rate:,.0f} records/s")


@dataclass
class EnrichResult:
    versions: Versions
    stale: int = 0
    enriched: int = 0
    topics_reassigned: int = 0
    left: int = 0
    chunks: int = 0
    mentions: int = 0
    seconds: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)
    topic_model_fitted: bool = False
    executor: str = "none"

    @property
    def rewritten(self) -> int:
        return self.enriched + self.topics_reassigned

    def as_dict(self) -> dict:
        return {"stale": self.stale, "enriched": self.enriched, "topics_reassigned": self.topics_reassigned,
                "left": self.left, "chunks": self.chunks, "mentions": self.mentions, "seconds": round(self.seconds, 2),
                "reasons": self.reasons, "topic_model_fitted": self.topic_model_fitted,
                "executor": self.executor}


def pending(store: Store, versions: Versions, selection: Selection = Selection()) -> pa.Table:
    """Every selected feedback that needs work (feedback_id, day, reason), ordered by day: an
    Arrow table, a few dozen bytes a row, so a million stale rows cost tens of MB, not hundreds."""
    where, params = ["TRUE"], [selection.timezone]
    if selection.first_day:
        where.append("day >= ?")
        params.append(selection.first_day)
    if selection.last_day:
        where.append("day <= ?")
        params.append(selection.last_day)
    if selection.sources:
        where.append("source IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(selection.sources))
    return store.con.sql(
        "SELECT feedback_id, day, CASE "
        "  WHEN e_id IS NULL THEN 'missing' WHEN e_hash <> text_hash THEN 'changed_text' "
        "  WHEN sentiment_version <> ? OR taxonomy_version <> ? THEN 'new_version' "
        "  WHEN topic_version <> ? THEN 'new_topic_model' "
        "  WHEN enriched_at < ? THEN 'forced' END AS reason "
        "FROM (SELECT f.feedback_id, f.source, f.text_hash, e.feedback_id AS e_id, e.text_hash AS e_hash, "
        "             e.sentiment_version, e.taxonomy_version, e.topic_version, e.enriched_at, "
        "             CAST((f.created_at AT TIME ZONE 'UTC') AT TIME ZONE ? AS DATE) AS day "
        "      FROM feedback f LEFT JOIN enrichment e USING (feedback_id)) "
        f"WHERE {' AND '.join(where)} AND reason IS NOT NULL ORDER BY day, feedback_id",
        params=[versions.sentiment, versions.taxonomy, versions.topics, selection.forced_before, *params],
    ).to_arrow_table()


def count_reasons(todo: pa.Table) -> dict[str, int]:
    return {r["values"]: r["counts"] for r in pc.value_counts(todo["reason"]).to_pylist()}


def with_reasons(todo: pa.Table, reasons) -> pa.Table:
    return todo.filter(pc.is_in(todo["reason"], pa.array(sorted(reasons), pa.string())))


def within_budget(todo: pa.Table, budget: int) -> pa.Table:
    """All rows but those stale only by a version beyond the *budget* newest."""
    versioned = with_reasons(todo, VERSION_REASONS).sort_by([("day", "descending"), ("feedback_id", "ascending")])
    over = versioned["feedback_id"].slice(budget)
    return todo.filter(pc.invert(pc.is_in(todo["feedback_id"], over))) if len(over) else todo


def day_chunks(todo: pa.Table, max_rows: int) -> list[tuple[int, int]]:
    """Whole days packed into chunks of at most *max_rows* rows (a bigger day is split), as
    (offset, length) slices of *todo*: a killed run resumes at a day boundary, and small days
    do not cost a transaction each."""
    if not len(todo):
        return []
    days = pc.cast(todo["day"], pa.int32()).to_numpy(zero_copy_only=False)
    starts = [0, *(np.flatnonzero(np.diff(days)) + 1).tolist()]
    chunks: list[list[int]] = []
    for start, end in zip(starts, starts[1:] + [len(days)]):
        if chunks and chunks[-1][1] + (end - start) <= max_rows:
            chunks[-1][1] += end - start
            continue
        chunks += [[offset, min(max_rows, end - offset)] for offset in range(start, end, max_rows)]
    return [(offset, length) for offset, length in chunks]


def enrich(
    store: Store,
    settings: Settings,
    *,
    selection: Selection = Selection(),
    steps: tuple[str, ...] = ("enrich", "topics"),
    budget: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> EnrichResult:
    """Bring the selected feedback up to date, chunk by chunk (one transaction each).

    'enrich' runs the whole analysis on missing, changed or re-versioned rows (and forced ones);
    'topics' only reassigns topics where the topic model alone changed (and forced rows when
    'enrich' is not asked for). At most *budget* rows that are stale only by a version are
    recomputed (newest first); the rest are left, counted, for a later run or a backfill.
    The caller holds the writer lock.
    """
    clock = time.perf_counter()
    layers = read_layers(settings_layers(settings))  # read once: the workers get the same bytes
    tagger = tagger_from_layers(layers)
    topic_model, fitted = ensure_topic_model(store, settings)
    versions = current_versions(tagger, topic_model, settings.languages)
    todo = pending(store, versions, selection)
    result = EnrichResult(versions, stale=len(todo), reasons=count_reasons(todo), topic_model_fitted=fitted)
    full = set(FULL_REASONS) | ({"forced"} if "enrich" in steps else set())
    cheap = set(TOPIC_REASONS) | ({"forced"} if "enrich" not in steps else set())
    selected = with_reasons(todo, (full if "enrich" in steps else set()) | (cheap if "topics" in steps else set()))
    if budget is not None and budget >= 0:
        selected = within_budget(selected, budget)
    result.left = len(todo) - len(selected)
    with store.transaction():
        write_taxonomy(store, tagger)
        for key, value in versions.columns().items():  # what "current" means for the views
            store.set_meta(key, value)
    chunks = day_chunks(selected, settings.enrich_chunk_rows)
    context = AnalysisContext(layers, topic_model, versions, settings.languages)

    full_reasons = pa.array(sorted(full), pa.string())

    def tasks():  # rows are read here, by the one connection, just before a worker needs them
        for offset, length in chunks:
            chunk = selected.slice(offset, length)
            whole = chunk.filter(pc.is_in(chunk["reason"], full_reasons))
            # Rows that have results to replace; 'missing' ones have none (a chunk's results are
            # written with its enrichment rows), and deleting nothing still scans the tables.
            replacing = whole.filter(pc.not_equal(whole["reason"], "missing"))["feedback_id"].to_pylist()
            topic_only = chunk.filter(pc.invert(pc.is_in(chunk["reason"], full_reasons)))["feedback_id"].to_pylist()
            window = _created_window(chunk)
            yield (_fetch(store, whole["feedback_id"].to_pylist(), window),
                   _fetch(store, topic_only, window, scored_only=True), utcnow(), replacing, topic_only, window)

    with executor(context, workers=settings.workers, dask_address=settings.dask_address, chunks=len(chunks),
                  rows=len(selected), min_rows=settings.parallel_min_rows) as pool:
        result.executor = pool.description
        for done in pool.imap(analyse_chunk, tasks()):
            with store.transaction():
                _write_chunk(store, done, versions)
            result.enriched += len(done["whole"])
            result.topics_reassigned += len(done["topic_only"])
            result.mentions += done["tables"]["theme_mentions"].num_rows if "tables" in done else 0
            result.chunks += 1
            if on_progress:
                on_progress(Progress(result.chunks, len(chunks), result.rewritten, len(selected),
                                     time.perf_counter() - clock))
    result.seconds = time.perf_counter() - clock
    return result


@dataclass(frozen=True)
class AnalysisContext:
    """What every chunk's analysis needs, sent to each worker once: the taxonomy files' names and
    bytes (a worker builds its own tagger), the topic model, the versions being written."""

    taxonomy_layers: tuple[tuple[str, bytes], ...]
    topic_model: object | None
    versions: Versions
    languages: tuple[str, ...] = DEFAULT_LANGUAGES


def analyse_chunk(context: AnalysisContext, whole_rows: list[tuple], topic_rows: list[tuple], now: datetime,
                  replacing: list[str], topic_only: list[str], window: tuple) -> dict:
    """The CPU-bound work of one chunk, in a worker: the whole analysis of *whole_rows*, a topic
    assignment of *topic_rows* (rows of feedback_id, kind, text, text_hash; English only: the
    topic model reads English). *replacing* and *topic_only*, the ids whose old results the
    writer replaces, and *window*, when they were written, only pass through."""
    tagger = tagger_from_layers(context.taxonomy_layers)
    if tagger.taxonomy.version != context.versions.taxonomy:
        raise RuntimeError("the taxonomy changed while it was being applied")
    done = {"whole": [r[0] for r in whole_rows], "topic_only": topic_only, "now": now, "replacing": replacing,
            "window": window}
    if whole_rows:
        done["tables"] = analyse(whole_rows, tagger, context.versions, now=now, topic_model=context.topic_model,
                                 languages=context.languages)
    if topic_only:
        done["assigned"] = assign_topics(topic_rows, context.topic_model)
    return done


def assign_topics(rows: list[tuple], topic_model) -> pa.Table:
    """Topic assignments only, for feedback whose sentiment and themes are current."""
    assigned = []
    if topic_model is not None and rows:
        docs = load_nlp().pipe((clean_text(text, kind=kind).text for _, kind, text, _ in rows), batch_size=256)
        topic_ids, confidences = topic_model.transform([lemma_text(doc) for doc in docs])
        assigned = [{"feedback_id": row[0], "topic_id": int(t), "confidence": float(c)}
                    for row, t, c in zip(rows, topic_ids, confidences)]
    return pa.Table.from_pylist(assigned, schema=SCHEMAS["feedback_topics"])


def _write_chunk(store: Store, done: dict, versions: Versions) -> None:
    """One chunk's results, replacing what was there (the caller's transaction)."""
    if done["whole"]:
        _replace(store, done["replacing"], done["tables"], done["window"])
    if done["topic_only"]:
        store.con.register("_chunk_ids", pa.table({"feedback_id": done["topic_only"]}))
        try:
            store.execute("DELETE FROM feedback_topics WHERE feedback_id IN (SELECT feedback_id FROM _chunk_ids)")
            store.execute("UPDATE enrichment SET topic_version = ?, enriched_at = ? "
                          "WHERE feedback_id IN (SELECT feedback_id FROM _chunk_ids)", [versions.topics, done["now"]])
        finally:
            store.con.unregister("_chunk_ids")
        store.insert_arrow("feedback_topics", done["assigned"])


def refresh_aggregates(store: Store, settings: Settings) -> DailyRefresh:
    """What is derived from all feedback at once: the topics table's sizes, stages and theme
    coverage, the analysts' views (their days cut in the reporting time zone) and the daily
    tables the aggregate views add up (recomputed for the days that changed)."""
    from cxtext.topics import load_current

    model = load_current(settings.topic_models_dir)
    if model is not None:
        with store.transaction():
            write_topics(store, model)
    store.define_views(settings.reporting_timezone)
    with store.transaction():
        return refresh_daily(store.con)


# -- topics -----------------------------------------------------------------------------------


def lemma_text(doc) -> str:
    """What the topic model reads: the alphabetic lemmas of a document."""
    strings = doc.vocab.strings
    return " ".join(strings[lemma] for lemma, alpha in doc.to_array([LEMMA, IS_ALPHA]).tolist() if alpha)


def ensure_topic_model(store: Store, settings: Settings):
    """The current topic model, fitted now when there is none (or it no longer loads): (model,
    fitted). None while there is too little feedback to fit on."""
    from cxtext.topics import load_current

    model = load_current(settings.topic_models_dir)
    if model is not None:
        return model, False
    model = fit_topic_model(store, settings)
    return model, model is not None


def fit_topic_model(store: Store, settings: Settings, *, n_topics: int | None = None):
    """Fit a topic model on the most recent settings.topic_sample_size feedback, keep the ids of
    the previous model's matching topics, save it as the current one. None with fewer than
    MIN_TOPIC_DOCS feedback."""
    from cxtext.topics import TopicModel, load_current, save_model

    rows = store.execute(
        "SELECT feedback_id, kind, text, text_hash, created_at FROM feedback ORDER BY created_at DESC, feedback_id LIMIT ?",
        [settings.topic_sample_size])
    if len(rows) < MIN_TOPIC_DOCS:
        return None
    docs = [lemma_text(doc) for doc in load_nlp().pipe((clean_text(r[2], kind=r[1]).text for r in rows), batch_size=256)]
    model = TopicModel(n_topics=n_topics, k_max=settings.topic_k_max, features=settings.topic_features,
                       sample_size=settings.topic_sample_size, random_state=0).fit(docs)
    previous = load_current(settings.topic_models_dir)
    if previous is not None:
        model.align_to(previous)
    model.version_ = save_model(model, settings.topic_models_dir, metadata={
        "window": [str(min(r[4] for r in rows)), str(max(r[4] for r in rows))], "size": len(rows),
        "doc_ids": [r[0] for r in rows], "text_hashes": [r[3] for r in rows]})
    return model


def write_topics(store: Store, model) -> None:
    """Replace the topics table: the model's topics with their size, stages and theme coverage
    over the feedback currently assigned to them."""
    from cxtext.topics import describe_topics

    store.execute("DELETE FROM topics")
    store.insert_arrow("topics", pa.Table.from_pylist(
        [{"topic_id": t["topic_id"], "label": t["label"], "top_terms": t["top_terms"], "model_version": model.version_}
         for t in describe_topics(model)],
        schema=pa.schema([("topic_id", pa.int32()), ("label", pa.string()), ("top_terms", pa.list_(pa.string())),
                          ("model_version", pa.string())])))
    store.execute(
        "UPDATE topics SET size = s.size, theme_coverage = s.coverage, "
        "candidate_theme = s.coverage < ? AND s.size >= ? "
        "FROM (SELECT ft.topic_id, count(*) AS size, "
        "      avg((EXISTS (SELECT 1 FROM theme_mentions m WHERE m.feedback_id = ft.feedback_id))::INT) AS coverage "
        "      FROM feedback_topics ft GROUP BY ft.topic_id) s WHERE topics.topic_id = s.topic_id",
        [CANDIDATE_MAX_COVERAGE, CANDIDATE_MIN_SIZE])
    store.execute(
        "WITH counts AS (SELECT ft.topic_id, m.stage, count(*) AS n FROM feedback_topics ft "
        "                JOIN theme_mentions m USING (feedback_id) GROUP BY ft.topic_id, m.stage), "
        "shares AS (SELECT topic_id, stage, round(n / sum(n) OVER (PARTITION BY topic_id), 3) AS share FROM counts) "
        "UPDATE topics SET stages = s.stages FROM ("
        "  SELECT topic_id, to_json(map(list(stage ORDER BY share DESC, stage), list(share ORDER BY share DESC, stage))) AS stages "
        "  FROM shares GROUP BY topic_id) s WHERE topics.topic_id = s.topic_id")
    store.execute("UPDATE topics SET size = coalesce(size, 0)")


def _created_window(chunk: pa.Table) -> tuple:
    """UTC bounds of created_at that hold a chunk's days whatever the reporting time zone: a
    lookup of its rows reads only that part of feedback (zone maps), not all of it, so a chunk
    costs the same in a database of any size."""
    first, last = pc.min_max(chunk["day"]).values()
    start = datetime.combine(first.as_py() - timedelta(days=1), datetime.min.time())
    return start, datetime.combine(last.as_py() + timedelta(days=2), datetime.min.time())


def _fetch(store: Store, ids: list[str], window: tuple, *, scored_only: bool = False) -> list[tuple]:
    """(feedback_id, kind, text, text_hash) of *ids*, written within *window*; with
    *scored_only*, of those whose language was scored (see enrichment.scored)."""
    if not ids:
        return []
    store.con.register("_chunk_ids", pa.table({"feedback_id": pa.array(ids, pa.string())}))
    try:
        return store.execute(
            "SELECT f.feedback_id, f.kind, f.text, f.text_hash FROM feedback f JOIN _chunk_ids USING (feedback_id)"
            + (" JOIN enrichment e USING (feedback_id)" if scored_only else "")
            + " WHERE f.created_at >= ? AND f.created_at < ?" + (" AND e.scored" if scored_only else ""), list(window))
    finally:
        store.con.unregister("_chunk_ids")


def _replace(store: Store, replacing: list[str], tables: dict[str, pa.Table], window: tuple) -> None:
    """Delete the old results of *replacing*, insert *tables*."""
    if replacing:
        store.con.register("_chunk_ids", pa.table({"feedback_id": pa.array(replacing, pa.string())}))
        try:
            for table in RESULT_TABLES:
                store.execute(f"DELETE FROM {table} WHERE feedback_id IN (SELECT feedback_id FROM _chunk_ids)")
        finally:
            store.con.unregister("_chunk_ids")
    for table in RESULT_TABLES:
        store.insert_arrow(table, tables[table])
    store.con.register("_languages", tables["languages"])
    try:
        store.execute("UPDATE feedback SET language = l.language FROM _languages l WHERE feedback.feedback_id = l.feedback_id "
                      "AND feedback.created_at >= ? AND feedback.created_at < ?", list(window))
    finally:
        store.con.unregister("_languages")


def write_taxonomy(store: Store, tagger: ThemeTagger) -> None:
    """Replace journey_stages and themes with the taxonomy being applied."""
    taxonomy = tagger.taxonomy
    store.execute("DELETE FROM journey_stages")
    store.execute("DELETE FROM themes")
    store.insert_arrow("journey_stages", pa.Table.from_pylist([
        {"stage": s.id, "position": i, "name": s.name, "description": s.description}
        for i, s in enumerate(taxonomy.stages, start=1)]))
    store.insert_arrow("themes", pa.Table.from_pylist([
        {"theme": t.id, "name": t.name, "stage": t.stage, "description": t.description, "taxonomy_version": taxonomy.version}
        for t in taxonomy.themes]))


SCHEMAS = {
    "sentences": pa.schema([("feedback_id", pa.string()), ("sentence_index", pa.int32()), ("start_char", pa.int32()),
                            ("end_char", pa.int32()), ("text", pa.string()), ("compound", pa.float64()),
                            ("label", pa.string())]),
    "theme_mentions": pa.schema([("feedback_id", pa.string()), ("mention_index", pa.int32()), ("theme", pa.string()),
                                 ("stage", pa.string()), ("sentence_index", pa.int32()), ("start_char", pa.int32()),
                                 ("end_char", pa.int32()), ("evidence", pa.string()), ("clause", pa.string()),
                                 ("compound", pa.float64()), ("label", pa.string()), ("label_source", pa.string())]),
    "sentiment": pa.schema([("feedback_id", pa.string()), ("compound", pa.float64()), ("pos", pa.float64()),
                            ("neu", pa.float64()), ("neg", pa.float64()), ("label", pa.string()),
                            ("peak_end", pa.float64()), ("peak_end_label", pa.string()),
                            ("sentence_count", pa.int32()), ("is_retweet", pa.bool_())]),
    "feedback_topics": pa.schema([("feedback_id", pa.string()), ("topic_id", pa.int32()), ("confidence", pa.float64())]),
    "enrichment": pa.schema([("feedback_id", pa.string()), ("text_hash", pa.string()), ("sentiment_version", pa.string()),
                             ("taxonomy_version", pa.string()), ("topic_version", pa.string()),
                             ("enriched_at", pa.timestamp("us")), ("scored", pa.bool_())]),
    "languages": pa.schema([("feedback_id", pa.string()), ("language", pa.string())]),
}


def analyse(rows: list[tuple], tagger: ThemeTagger, versions: Versions, *, now: datetime,
            topic_model=None, languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> dict[str, pa.Table]:
    """The enrichment rows of (feedback_id, kind, text, text_hash) tuples, as Arrow tables.

    Every row gets its language; the English-only scorers (sentiment, themes, the topic model)
    skip the others, whose enrichment row says scored = false, so they dilute no English figure.
    The analysis reads nothing but the kind and the text, so each distinct (kind, text) of the
    chunk is analysed once and its results are copied to the others: retweets, templated survey
    answers and the many "Great service!" cost one analysis."""
    distinct: dict[tuple[str, str], int] = {}
    for _, kind, text, _ in rows:
        distinct.setdefault((kind, text), len(distinct))
    results = _analyse_texts(list(distinct), tagger, topic_model, languages)
    out: dict[str, list[dict]] = {name: [] for name in SCHEMAS}
    for feedback_id, kind, text, text_hash in rows:
        result = results[distinct[(kind, text)]]
        out["languages"].append({"feedback_id": feedback_id, "language": result["language"]})
        out["enrichment"].append({"feedback_id": feedback_id, "text_hash": text_hash,
                                  "sentiment_version": versions.sentiment, "taxonomy_version": versions.taxonomy,
                                  "topic_version": versions.topics, "enriched_at": now, "scored": result["scored"]})
        for table in ("sentences", "theme_mentions", "sentiment", "feedback_topics"):
            out[table].extend({"feedback_id": feedback_id, **row} for row in result.get(table, ()))
    return {name: pa.Table.from_pylist(out[name], schema=SCHEMAS[name]) for name in SCHEMAS}


def _analyse_texts(texts: list[tuple[str, str]], tagger: ThemeTagger, topic_model,
                   languages: tuple[str, ...]) -> list[dict]:
    """Per (kind, text): its language, whether it was scored and, when it was, its rows of
    sentences, theme_mentions, sentiment and feedback_topics (without the feedback_id)."""
    scorer = get_scorer()
    cleaned_all = [clean_text(text, kind=kind) for kind, text in texts]
    results = [{"language": lang, "scored": lang in SCORED_LANGUAGES}
               for lang in (detect(c.text, languages) for c in cleaned_all)]
    scored = [i for i, result in enumerate(results) if result["scored"]]
    cleaned = [cleaned_all[i] for i in scored]
    docs = list(load_nlp().pipe((c.text for c in cleaned), batch_size=256))
    if topic_model is not None and docs:
        topic_ids, confidences = topic_model.transform([lemma_text(doc) for doc in docs])
        for i, t, c in zip(scored, topic_ids, confidences):
            results[i]["feedback_topics"] = [{"topic_id": int(t), "confidence": float(c)}]
    for i, clean, doc in zip(scored, cleaned, docs):
        result = results[i]
        sents = sentences(doc)
        texts = [clean.text[sent.start_char:sent.end_char] for sent in sents]  # = sent.text (spaCy's doc.text is its input)
        compounds = []
        result["sentences"] = []
        for index, (sent, text) in enumerate(zip(sents, texts)):
            polarity = scorer.polarity(text)
            compounds.append(polarity.compound)
            start, end = clean.original_span(sent.start_char, sent.end_char)
            result["sentences"].append({"sentence_index": index, "start_char": start, "end_char": end,
                                        "text": text, "compound": polarity.compound, "label": polarity.label})
        result["theme_mentions"] = []
        for index, mention in enumerate(tagger.tag(doc, sents)):
            sent, text = sents[mention.sentence_index], texts[mention.sentence_index]
            start_in, end_in = mention.start_char - sent.start_char, mention.end_char - sent.start_char
            clause = _clause_at(text, start_in)
            polarity = clause_polarity(text, start_in, end_in, scorer)
            label, source = polarity.label, "clause"
            prior = tagger.taxonomy.theme(mention.theme).polarity
            if label == "neutral" and prior:
                label, source = prior, "theme"
            elif label == "neutral" and label_for(compounds[mention.sentence_index]) != "neutral":
                label, source = label_for(compounds[mention.sentence_index]), "sentence"
            start, end = clean.original_span(mention.start_char, mention.end_char)
            result["theme_mentions"].append({
                "mention_index": index, "theme": mention.theme, "stage": mention.stage,
                "sentence_index": mention.sentence_index, "start_char": start, "end_char": end,
                "evidence": mention.text, "clause": clause, "compound": polarity.compound, "label": label,
                "label_source": source})
        document = scorer.polarity(clean.text.strip())  # VADER ignores the outer whitespace; a one-sentence text is its sentence
        remembered = peak_end(compounds)
        result["sentiment"] = [{
            "compound": document.compound, "pos": document.pos, "neu": document.neu,
            "neg": document.neg, "label": document.label, "peak_end": remembered,
            "peak_end_label": label_for(remembered) if remembered is not None else None,
            "sentence_count": len(sents), "is_retweet": clean.retweet}]
    return results


def _clause_at(sentence: str, position: int) -> str:
    """The clause of *sentence* that contains character *position*: its sentiment is the theme's."""
    for start, end in clause_spans(sentence):
        if position < end:
            return sentence[start:end]
    return sentence
