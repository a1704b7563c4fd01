"""Enrichment: sentences, sentiment, theme mentions and topics for every feedback, incrementally.

Only feedback without a result for its current text and the current versions (scorer, taxonomy,
topic model) is processed (see :func:`stale_ids`), chunk by chunk, each chunk in one transaction:
its old rows are deleted and the new ones inserted, so older versions are replaced, never mixed.
A run killed half-way leaves whole chunks done and the rest stale for the next run.

The topic model is fitted on a bounded sample of recent feedback the first time (or when the
installed scikit-learn no longer matches the saved one), kept in the state folder, and used to
assign topics until `cxtext topics fit` refits it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

import pyarrow as pa

from cxtext.config import Settings
from cxtext.sentiment import clause_polarity, clause_spans, get_scorer, label_for, peak_end
from cxtext.store import Store, utcnow
from cxtext.taxonomy import ThemeTagger, get_tagger
from cxtext.text import TEXT_PIPELINE_VERSION, clean_text, load_nlp

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


def current_versions(tagger: ThemeTagger, topic_model=None) -> Versions:
    return Versions(sentiment=f"{get_scorer().version}/{TEXT_PIPELINE_VERSION}", taxonomy=tagger.taxonomy.version,
                    topics=getattr(topic_model, "version_", "none"))


@dataclass
class EnrichResult:
    versions: Versions
    stale: int = 0
    enriched: int = 0
    chunks: int = 0
    mentions: int = 0
    seconds: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)
    topic_model_fitted: bool = False

    def as_dict(self) -> dict:
        return {"stale": self.stale, "enriched": self.enriched, "chunks": self.chunks, "mentions": self.mentions,
                "seconds": round(self.seconds, 2), "reasons": self.reasons, "topic_model_fitted": self.topic_model_fitted}


_STALE = (
    "FROM feedback f LEFT JOIN enrichment e USING (feedback_id) "
    "WHERE (e.feedback_id IS NULL OR e.text_hash <> f.text_hash OR e.sentiment_version <> ? "
    "OR e.taxonomy_version <> ? OR e.topic_version <> ?) AND (? IS NULL OR f.created_at >= ?)"
)


def stale_reasons(store: Store, versions: Versions, *, since: datetime | None = None) -> dict[str, int]:
    """How many feedback rows need enrichment, by reason: missing, changed text, new version."""
    return dict(store.execute(
        "SELECT CASE WHEN e.feedback_id IS NULL THEN 'missing' WHEN e.text_hash <> f.text_hash THEN 'changed_text' "
        f"ELSE 'new_version' END, count(*) {_STALE} GROUP BY 1",
        [versions.sentiment, versions.taxonomy, versions.topics, since, since],
    ))


def stale_ids(store: Store, versions: Versions, *, since: datetime | None = None) -> list[str]:
    return [r[0] for r in store.execute(
        f"SELECT f.feedback_id {_STALE} ORDER BY f.feedback_id",
        [versions.sentiment, versions.taxonomy, versions.topics, since, since],
    )]


def enrich(
    store: Store,
    settings: Settings,
    *,
    since: datetime | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> EnrichResult:
    """Enrich every stale feedback (or those created since *since*) in chunks of
    settings.enrich_chunk_rows. The caller holds the writer lock."""
    clock = time.perf_counter()
    tagger = get_tagger(settings.taxonomy_path)
    topic_model, fitted = ensure_topic_model(store, settings)
    versions = current_versions(tagger, topic_model)
    result = EnrichResult(versions, reasons=stale_reasons(store, versions, since=since), topic_model_fitted=fitted)
    ids = stale_ids(store, versions, since=since)
    result.stale = len(ids)
    with store.transaction():
        write_taxonomy(store, tagger)
        for key, value in versions.columns().items():  # what "current" means for the views
            store.set_meta(key, value)
    for start in range(0, len(ids), settings.enrich_chunk_rows):
        chunk = ids[start:start + settings.enrich_chunk_rows]
        rows = _fetch(store, chunk)
        tables = analyse(rows, tagger, versions, now=utcnow(), topic_model=topic_model)
        with store.transaction():
            _replace(store, chunk, tables)
        result.enriched += len(rows)
        result.mentions += tables["theme_mentions"].num_rows
        result.chunks += 1
        if on_progress:
            on_progress(result.enriched, result.stale)
    if topic_model is not None:
        with store.transaction():
            write_topics(store, topic_model)
    result.seconds = time.perf_counter() - clock
    return result


# -- topics -----------------------------------------------------------------------------------


def lemma_text(doc) -> str:
    """What the topic model reads: the alphabetic lemmas of a document."""
    return " ".join(t.lemma_ for t in doc if t.is_alpha)


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
        "  SELECT topic_id, to_json(map(list(stage ORDER BY share DESC), list(share ORDER BY share DESC))) AS stages "
        "  FROM shares GROUP BY topic_id) s WHERE topics.topic_id = s.topic_id")
    store.execute("UPDATE topics SET size = coalesce(size, 0)")


def _fetch(store: Store, ids: list[str]) -> list[tuple]:
    store.con.register("_chunk_ids", pa.table({"feedback_id": ids}))
    try:
        return store.execute(
            "SELECT f.feedback_id, f.kind, f.text, f.text_hash FROM feedback f JOIN _chunk_ids USING (feedback_id)")
    finally:
        store.con.unregister("_chunk_ids")


def _replace(store: Store, ids: list[str], tables: dict[str, pa.Table]) -> None:
    store.con.register("_chunk_ids", pa.table({"feedback_id": ids}))
    try:
        for table in RESULT_TABLES:
            store.execute(f"DELETE FROM {table} WHERE feedback_id IN (SELECT feedback_id FROM _chunk_ids)")
    finally:
        store.con.unregister("_chunk_ids")
    for table in RESULT_TABLES:
        store.insert_arrow(table, tables[table])


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
                             ("enriched_at", pa.timestamp("us"))]),
}


def analyse(rows: list[tuple], tagger: ThemeTagger, versions: Versions, *, now: datetime,
            topic_model=None) -> dict[str, pa.Table]:
    """The enrichment rows of (feedback_id, kind, text, text_hash) tuples, as Arrow tables."""
    scorer = get_scorer()
    cleaned = [clean_text(text, kind=kind) for _, kind, text, _ in rows]
    docs = list(load_nlp().pipe((c.text for c in cleaned), batch_size=256))
    out: dict[str, list[dict]] = {name: [] for name in SCHEMAS}
    if topic_model is not None and rows:
        topic_ids, confidences = topic_model.transform([lemma_text(doc) for doc in docs])
        out["feedback_topics"] = [{"feedback_id": row[0], "topic_id": int(t), "confidence": float(c)}
                                  for row, t, c in zip(rows, topic_ids, confidences)]
    for (feedback_id, _, _, text_hash), clean, doc in zip(rows, cleaned, docs):
        sentences = list(doc.sents)
        compounds = []
        for index, sent in enumerate(sentences):
            polarity = scorer.polarity(sent.text)
            compounds.append(polarity.compound)
            start, end = clean.original_span(sent.start_char, sent.end_char)
            out["sentences"].append({"feedback_id": feedback_id, "sentence_index": index, "start_char": start,
                                     "end_char": end, "text": sent.text, "compound": polarity.compound,
                                     "label": polarity.label})
        for index, mention in enumerate(tagger.tag(doc)):
            sent = sentences[mention.sentence_index]
            start_in, end_in = mention.start_char - sent.start_char, mention.end_char - sent.start_char
            clause = _clause_at(sent.text, start_in)
            polarity = clause_polarity(sent.text, start_in, end_in, scorer)
            label, source = polarity.label, "clause"
            prior = tagger.taxonomy.theme(mention.theme).polarity
            if label == "neutral" and prior:
                label, source = prior, "theme"
            elif label == "neutral" and label_for(compounds[mention.sentence_index]) != "neutral":
                label, source = label_for(compounds[mention.sentence_index]), "sentence"
            start, end = clean.original_span(mention.start_char, mention.end_char)
            out["theme_mentions"].append({
                "feedback_id": feedback_id, "mention_index": index, "theme": mention.theme, "stage": mention.stage,
                "sentence_index": mention.sentence_index, "start_char": start, "end_char": end,
                "evidence": mention.text, "clause": clause, "compound": polarity.compound, "label": label,
                "label_source": source})
        document = scorer.polarity(clean.text)
        remembered = peak_end(compounds)
        out["sentiment"].append({
            "feedback_id": feedback_id, "compound": document.compound, "pos": document.pos, "neu": document.neu,
            "neg": document.neg, "label": document.label, "peak_end": remembered,
            "peak_end_label": label_for(remembered) if remembered is not None else None,
            "sentence_count": len(sentences), "is_retweet": clean.retweet})
        out["enrichment"].append({"feedback_id": feedback_id, "text_hash": text_hash,
                                  "sentiment_version": versions.sentiment, "taxonomy_version": versions.taxonomy,
                                  "topic_version": versions.topics, "enriched_at": now})
    return {name: pa.Table.from_pylist(out[name], schema=SCHEMAS[name]) for name in SCHEMAS}


def _clause_at(sentence: str, position: int) -> str:
    """The clause of *sentence* that contains character *position*: its sentiment is the theme's."""
    for start, end in clause_spans(sentence):
        if position < end:
            return sentence[start:end]
    return sentence
