"""Enrichment: sentences, sentiment and theme mentions for every feedback, incrementally.

Only feedback without a result for its current text and the current versions is processed
(see :func:`stale_ids`), chunk by chunk, each chunk in one transaction: its old rows are deleted
and the new ones inserted, so older versions are replaced, never mixed. A run killed half-way
leaves whole chunks done and the rest stale for the next run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

import pyarrow as pa

from cxtext.sentiment import clause_polarity, clause_spans, get_scorer, label_for, peak_end
from cxtext.store import Store, utcnow
from cxtext.taxonomy import DEFAULT_TAXONOMY, ThemeTagger, get_tagger
from cxtext.text import TEXT_PIPELINE_VERSION, clean_text, load_nlp

DEFAULT_CHUNK = 2_000
RESULT_TABLES = ("sentences", "theme_mentions", "sentiment", "enrichment")


@dataclass(frozen=True)
class Versions:
    sentiment: str
    taxonomy: str


def current_versions(tagger: ThemeTagger) -> Versions:
    return Versions(sentiment=f"{get_scorer().version}/{TEXT_PIPELINE_VERSION}", taxonomy=tagger.taxonomy.version)


@dataclass
class EnrichResult:
    versions: Versions
    stale: int = 0
    enriched: int = 0
    chunks: int = 0
    mentions: int = 0
    seconds: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"stale": self.stale, "enriched": self.enriched, "chunks": self.chunks, "mentions": self.mentions,
                "seconds": round(self.seconds, 2), "reasons": self.reasons}

    def version_dict(self) -> dict:
        return {"sentiment": self.versions.sentiment, "taxonomy": self.versions.taxonomy}


def stale_reasons(store: Store, versions: Versions, *, since: datetime | None = None) -> dict[str, int]:
    """How many feedback rows need enrichment, by reason: missing, changed text, new version."""
    rows = store.execute(
        "SELECT CASE WHEN e.feedback_id IS NULL THEN 'missing' WHEN e.text_hash <> f.text_hash THEN 'changed_text' "
        "ELSE 'new_version' END, count(*) FROM feedback f LEFT JOIN enrichment e USING (feedback_id) "
        "WHERE (e.feedback_id IS NULL OR e.text_hash <> f.text_hash OR e.sentiment_version <> ? OR e.taxonomy_version <> ?) "
        "AND (? IS NULL OR f.created_at >= ?) GROUP BY 1",
        [versions.sentiment, versions.taxonomy, since, since],
    )
    return dict(rows)


def stale_ids(store: Store, versions: Versions, *, since: datetime | None = None) -> list[str]:
    return [r[0] for r in store.execute(
        "SELECT f.feedback_id FROM feedback f LEFT JOIN enrichment e USING (feedback_id) "
        "WHERE (e.feedback_id IS NULL OR e.text_hash <> f.text_hash OR e.sentiment_version <> ? OR e.taxonomy_version <> ?) "
        "AND (? IS NULL OR f.created_at >= ?) ORDER BY f.feedback_id",
        [versions.sentiment, versions.taxonomy, since, since],
    )]


def enrich(
    store: Store,
    *,
    taxonomy_path=DEFAULT_TAXONOMY,
    chunk_size: int = DEFAULT_CHUNK,
    since: datetime | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> EnrichResult:
    """Enrich every stale feedback (or those created since *since*) in chunks. The caller holds
    the writer lock."""
    clock = time.perf_counter()
    tagger = get_tagger(taxonomy_path)
    versions = current_versions(tagger)
    result = EnrichResult(versions, reasons=stale_reasons(store, versions, since=since))
    ids = stale_ids(store, versions, since=since)
    result.stale = len(ids)
    with store.transaction():
        write_taxonomy(store, tagger)
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start:start + chunk_size]
        rows = _fetch(store, chunk)
        tables = analyse(rows, tagger, versions, now=utcnow())
        with store.transaction():
            _replace(store, chunk, tables)
        result.enriched += len(rows)
        result.mentions += tables["theme_mentions"].num_rows
        result.chunks += 1
        if on_progress:
            on_progress(result.enriched, result.stale)
    result.seconds = time.perf_counter() - clock
    return result


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
    "enrichment": pa.schema([("feedback_id", pa.string()), ("text_hash", pa.string()), ("sentiment_version", pa.string()),
                             ("taxonomy_version", pa.string()), ("enriched_at", pa.timestamp("us"))]),
}


def analyse(rows: list[tuple], tagger: ThemeTagger, versions: Versions, *, now: datetime) -> dict[str, pa.Table]:
    """The enrichment rows of (feedback_id, kind, text, text_hash) tuples, as Arrow tables."""
    scorer = get_scorer()
    cleaned = [clean_text(text, kind=kind) for _, kind, text, _ in rows]
    out: dict[str, list[dict]] = {name: [] for name in SCHEMAS}
    for (feedback_id, _, _, text_hash), clean, doc in zip(rows, cleaned, load_nlp().pipe((c.text for c in cleaned), batch_size=256)):
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
                                  "enriched_at": now})
    return {name: pa.Table.from_pylist(out[name], schema=SCHEMAS[name]) for name in SCHEMAS}


def _clause_at(sentence: str, position: int) -> str:
    """The clause of *sentence* that contains character *position*: its sentiment is the theme's."""
    for start, end in clause_spans(sentence):
        if position < end:
            return sentence[start:end]
    return sentence
