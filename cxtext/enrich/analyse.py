"""The CPU-bound analysis of one chunk of feedback (in-process or in a worker): language,
sentences, sentiment, theme mentions with their clause's sentiment, topic assignment."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import pyarrow as pa

from cxtext.config import DEFAULT_LANGUAGES
from cxtext.store.schema import PER_FEEDBACK_RESULTS, arrow_schema
from cxtext.text.document_polarity import joined_polarity
from cxtext.text.effort import EFFORT_VERSION, effort_score, sentence_signals
from cxtext.text.intent import INTENT_VERSION, classify, feedback_intents
from cxtext.text.language import SCORED_LANGUAGES, detect, language_version
from cxtext.text.nlp import TEXT_PIPELINE_VERSION, clean_text, lemma_text, load_nlp, sentence_bounds
from cxtext.text.sentiment import clause_polarity, clause_spans, document_compound, get_scorer, label_for, peak_end
from cxtext.text.taxonomy import ThemeTagger, tagger_from_layers


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


def current_versions(
    tagger: ThemeTagger, topic_model=None, languages: tuple[str, ...] = DEFAULT_LANGUAGES, learned_version: str = ""
) -> Versions:
    """*learned_version* names the models learned from customers' scores (`cxtext sentiment fit`)."""
    return versions_of(tagger.taxonomy.version, getattr(topic_model, "version_", "none"), languages, learned_version)


def versions_of(
    taxonomy: str, topics: str, languages: tuple[str, ...] = DEFAULT_LANGUAGES, learned_version: str = ""
) -> Versions:
    """The versions from the taxonomy's and the topic model's version strings: what a run checks
    its work against before it builds a tagger or loads a model (both take seconds)."""
    sentiment = f"{get_scorer().version}/{TEXT_PIPELINE_VERSION}/{language_version(languages)}/{INTENT_VERSION}/{EFFORT_VERSION}"
    return Versions(
        sentiment=f"{sentiment}/{learned_version}" if learned_version else sentiment, taxonomy=taxonomy, topics=topics
    )


@dataclass(frozen=True)
class AnalysisContext:
    """What every chunk's analysis needs, sent to each worker once: the taxonomy files' names and
    bytes (a worker builds its own tagger), the topic model, the versions being written."""

    taxonomy_layers: tuple[tuple[str, bytes], ...]
    topic_model: object | None
    versions: Versions
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    learned: dict = field(default_factory=dict)  # source -> LearnedSentiment (cxtext.enrich.learned)


def analyse_chunk(
    context: AnalysisContext,
    whole_rows: list[tuple],
    topic_rows: list[tuple],
    now: datetime,
    replacing: list[str],
    topic_only: list[str],
    window: tuple,
) -> dict:
    """The CPU-bound work of one chunk, in a worker: the whole analysis of *whole_rows*, a topic
    assignment of *topic_rows* (rows of feedback_id, kind, text, text_hash; English only: the
    topic model reads English). *replacing* and *topic_only*, the ids whose old results the
    writer replaces, and *window*, when they were written, only pass through."""
    tagger = tagger_from_layers(context.taxonomy_layers)
    if tagger.taxonomy.version != context.versions.taxonomy:
        raise RuntimeError("the taxonomy changed while it was being applied")
    done = {
        "whole": [r[0] for r in whole_rows],
        "topic_only": topic_only,
        "now": now,
        "replacing": replacing,
        "window": window,
    }
    sources = {r[0]: r[4] for r in whole_rows if len(r) > 4}
    whole_rows = [tuple(r[:4]) for r in whole_rows]
    if whole_rows:
        done["tables"] = analyse(
            whole_rows,
            tagger,
            context.versions,
            now=now,
            topic_model=context.topic_model,
            languages=context.languages,
        )
        if context.learned:
            done["tables"]["sentiment"] = learned_labels(done["tables"]["sentiment"], whole_rows, sources, context.learned)
    if topic_only:
        done["assigned"] = assign_topics(topic_rows, context.topic_model)
    return done


def warm_up(context: AnalysisContext) -> None:
    """Load what a worker's first chunk needs (spaCy, VADER, the language identifier, the tagger
    and its patterns, the topic model's vocabulary) by analysing a short text; the results are
    dropped, and every cache it fills is a pure function of its input."""
    analyse_chunk(
        context, [("warm-up", "review", "Warm up: the delivery was late, call me.", "-")], [], datetime.now(), [], [], ()
    )


def learned_labels(sentiment: pa.Table, rows: list[tuple], sources: dict[str, str], models: dict) -> pa.Table:
    """The document labels of the feedback of sources with a model learned from their customers'
    scores, replaced by the model's; compound, peak-end and every theme-level label stay the
    lexicon's (impact on stars must not come from labels learned from stars)."""
    texts = {r[0]: r[2] for r in rows}
    out = sentiment.to_pylist()
    for source, model in models.items():
        mine = [row for row in out if sources.get(row["feedback_id"]) == source]
        for row, label in zip(mine, model.labels([texts[row["feedback_id"]] for row in mine]) if mine else []):
            row["label"] = label
    return pa.Table.from_pylist(out, schema=sentiment.schema)


def assign_topics(rows: list[tuple], topic_model) -> pa.Table:
    """Topic assignments only, for feedback whose sentiment and themes are current."""
    assigned = []
    if topic_model is not None and rows:
        nlp = load_nlp()
        with _zone(nlp):
            docs = nlp.pipe((clean_text(text, kind=kind).text for _, kind, text, _ in rows), batch_size=256)
            lemmas = [lemma_text(doc) for doc in docs]
        topic_ids, confidences = topic_model.transform(lemmas)
        assigned = [
            {"feedback_id": row[0], "topic_id": int(t), "confidence": topic_confidence(c)}
            for row, t, c in zip(rows, topic_ids, confidences)
        ]
    return pa.Table.from_pylist(assigned, schema=SCHEMAS["feedback_topics"])


#: The Arrow tables a chunk's analysis produces: the per-feedback result tables, and each
#: feedback's detected language (written into feedback.language).
SCHEMAS = {name: arrow_schema(name) for name in PER_FEEDBACK_RESULTS} | {
    "languages": arrow_schema("feedback", ("feedback_id", "language"))
}


#: The per-feedback tables whose rows an analysis result holds (enrichment's row is made per feedback).
_RESULT_TABLES = tuple(t for t in PER_FEEDBACK_RESULTS if t != "enrichment")
#: The order of the values in the rows _analyse_texts makes (tuples, without the feedback_id): named
#: here, where the rows are made, so that the columns are found by name whatever the tables' order.
_COLUMNS = {
    "sentences": ("sentence_index", "start_char", "end_char", "text", "compound", "label"),
    "theme_mentions": (
        "mention_index", "theme", "stage", "sentence_index", "start_char", "end_char", "evidence", "clause", "compound",
        "label", "label_source",
    ),
    "sentiment": ("compound", "pos", "neu", "neg", "label", "peak_end", "peak_end_label", "sentence_count", "is_retweet"),
    "feedback_topics": ("topic_id", "confidence"),
    "sentence_intents": ("sentence_index", "intent", "score", "start_char", "end_char", "evidence"),
    "effort_signals": ("signal_index", "kind", "weight", "start_char", "end_char", "evidence"),
    "feedback_effort": ("intents", "effort_score", "signals"),
}  # fmt: skip


def analyse(
    rows: list[tuple],
    tagger: ThemeTagger,
    versions: Versions,
    *,
    now: datetime,
    topic_model=None,
    languages: tuple[str, ...] = DEFAULT_LANGUAGES,
) -> dict[str, pa.Table]:
    """The enrichment rows of (feedback_id, kind, text, text_hash) tuples, as Arrow tables.

    Every row gets its language; the English-only scorers (sentiment, themes, the topic model)
    skip the others, whose enrichment row says scored = false, so they dilute no English figure.
    The analysis reads nothing but the kind and the text, so each distinct (kind, text) of the
    chunk is analysed once and its results are copied to the others: retweets, templated survey
    answers and the many "Great service!" cost one analysis (across chunks, enrichment copies the
    stored results instead: cxtext.enrich.run).

    spaCy keeps every word it has seen for the life of the process; past SPACY_STRINGS_BOUND
    words the chunk runs in a memory zone (see _zone)."""
    distinct: dict[tuple[str, str], int] = {}
    for _, kind, text, _ in rows:
        distinct.setdefault((kind, text), len(distinct))
    with _zone(load_nlp()):
        results = _analyse_texts(list(distinct), tagger, topic_model is not None, languages) if distinct else []
    scored = [result for result in results if result["scored"]]
    if topic_model is not None and scored:
        topic_ids, confidences = topic_model.transform([result["lemmas"] for result in scored])
        for result, t, c in zip(scored, topic_ids, confidences):
            result["feedback_topics"] = [(int(t), topic_confidence(c))]
    ids = [row[0] for row in rows]
    mine = [results[distinct[(kind, text)]] for _, kind, text, _ in rows]
    columns = {
        "languages": {"feedback_id": ids, "language": [result["language"] for result in mine]},
        "enrichment": {
            "feedback_id": ids,
            "text_hash": [row[3] for row in rows],
            **{name: [value] * len(rows) for name, value in versions.columns().items()},
            "enriched_at": [now] * len(rows),
            "scored": [result["scored"] for result in mine],
        },
    }
    for table in _RESULT_TABLES:
        owners, table_rows = [], []
        for feedback_id, result in zip(ids, mine):
            rows_of = result.get(table)
            if rows_of:
                owners += [feedback_id] * len(rows_of)
                table_rows += rows_of
        values = zip(*table_rows) if table_rows else ([] for _ in _COLUMNS[table])
        columns[table] = {"feedback_id": owners} | dict(zip(_COLUMNS[table], values, strict=True))
    # Columns from tuples, not a dict per row: dicts read back per column, or pa.Table.from_pylist,
    # were 3-6% of the analysis.
    return {name: pa.Table.from_arrays([columns[name][c] for c in SCHEMAS[name].names], schema=SCHEMAS[name]) for name in SCHEMAS}


def _analyse_texts(texts: list[tuple[str, str]], tagger: ThemeTagger, lemmas: bool, languages: tuple[str, ...]) -> list[dict]:
    """Per (kind, text): its language, whether it was scored and, when it was, its rows of
    sentences, theme_mentions, sentiment, sentence_intents, effort_signals and feedback_effort
    (tuples of the _COLUMNS of their table) and, with *lemmas*, what the topic model reads."""
    scorer = get_scorer()
    cleaned_all = [clean_text(text, kind=kind) for kind, text in texts]
    results = [
        {"language": lang, "scored": lang in SCORED_LANGUAGES} for lang in (detect(c.text, languages) for c in cleaned_all)
    ]
    scored = [i for i, result in enumerate(results) if result["scored"]]
    cleaned = [cleaned_all[i] for i in scored]
    docs = load_nlp().pipe((c.text for c in cleaned), batch_size=256)  # a batch of docs at a time, not the chunk's
    for i, clean, doc in zip(scored, cleaned, docs):
        result = results[i]
        if lemmas:
            result["lemmas"] = lemma_text(doc)
        sents = sentence_bounds(doc)
        texts = [clean.text[sent.start_char : sent.end_char] for sent in sents]  # = sent.text (spaCy's doc.text is its input)
        compounds = []
        result["sentences"], result["sentence_intents"], intents = [], [], []
        for index, (sent, text) in enumerate(zip(sents, texts)):
            intent = _sentence_intent(text)
            intents.append(intent)
            if intent.intent != "other":
                start, end = clean.original_span(sent.start_char + intent.start, sent.start_char + intent.end)
                result["sentence_intents"].append((index, intent.intent, intent.score, start, end, intent.evidence))
            polarity = scorer.polarity(text)
            compounds.append(polarity.compound)
            start, end = clean.original_span(sent.start_char, sent.end_char)
            result["sentences"].append((index, start, end, text, polarity.compound, polarity.label))
        result["theme_mentions"] = []
        for index, mention in enumerate(tagger.tag(doc, sents)):
            sent, text = sents[mention.sentence_index], texts[mention.sentence_index]
            start_in, end_in = mention.start_char - sent.start_char, mention.end_char - sent.start_char
            clause, polarity = _mention_clause(text, start_in, end_in)
            label, source = polarity.label, "clause"
            prior = tagger.taxonomy.theme(mention.theme).polarity
            if label == "neutral" and prior:
                label, source = prior, "theme"
            elif label == "neutral" and label_for(compounds[mention.sentence_index]) != "neutral":
                label, source = label_for(compounds[mention.sentence_index]), "sentence"
            start, end = clean.original_span(mention.start_char, mention.end_char)
            result["theme_mentions"].append(
                (  # in _COLUMNS' order, as every row here is
                    index,
                    mention.theme,
                    mention.stage,
                    mention.sentence_index,
                    start,
                    end,
                    mention.text,
                    clause,
                    polarity.compound,
                    label,
                    source,
                )
            )
        found = sentence_signals(clean.text, [(sent.start_char, sent.end_char) for sent in sents])
        result["effort_signals"] = [
            (i, s.kind, s.weight, *clean.original_span(s.start, s.end), s.evidence) for i, s in enumerate(found)
        ]
        result["feedback_effort"] = [(list(feedback_intents(intents)), effort_score(found), len(found))]
        # VADER ignores the outer whitespace; a one-sentence text is its sentence, others its sentences joined
        document = joined_polarity(scorer, clean.text.strip(), texts) or scorer.polarity(clean.text.strip())
        compound = document.compound if len(compounds) < 2 else document_compound(compounds)  # no drift with length
        remembered = peak_end(compounds)
        result["sentiment"] = [
            (
                compound,
                document.pos,
                document.neu,
                document.neg,
                label_for(compound),
                remembered,
                label_for(remembered) if remembered is not None else None,
                len(sents),
                clean.retweet,
            )
        ]
    return results


#: How many strings spaCy may hold before chunks run in memory zones (a new word costs a few
#: hundred bytes: its string, lexeme and tokenization; the process starts with about 28,000).
SPACY_STRINGS_BOUND = 200_000


def _zone(nlp):
    """spaCy keeps every string and lexeme it meets and caches each word's tokenization: fast
    while words repeat, unbounded when they do not (names, typos, order numbers). Past the bound a
    chunk's documents live in a memory zone, which frees what they add at its end (the results
    are plain Python by then); it also tokenizes without the cache, which doubled spaCy's time
    when every chunk ran in one, so below the bound none is used."""
    return nlp.memory_zone() if len(nlp.vocab.strings) > SPACY_STRINGS_BOUND else contextlib.nullcontext()


#: Sentences and mentions analysed once per process, not once per feedback: templated surveys,
#: retweets and stock phrases ("Great service!") repeat the same sentence across chunks, and a
#: sentence's intent and a mention's clause are functions of the sentence alone (bounded: the
#: entries are small and frozen, shared safely between the feedback that repeat them). Sized, like
#: VADER's (cxtext.text.sentiment.REMEMBERED_TEXTS), to fill within the first 100,000 texts, so that
#: a process's memory stops growing there.
_CACHE_SIZE = 1 << 14


@lru_cache(maxsize=_CACHE_SIZE)
def _sentence_intent(sentence: str):
    return classify(sentence)


@lru_cache(maxsize=_CACHE_SIZE)
def _mention_clause(sentence: str, start: int, end: int):
    """The clause of the mention at [start, end) of *sentence* and that clause's sentiment (the
    theme's, see clause_polarity), by the default scorer: the one scorer enrichment uses."""
    return _clause_at(sentence, start), clause_polarity(sentence, start, end, get_scorer())


def _clause_at(sentence: str, position: int) -> str:
    """The clause of *sentence* that contains character *position*: its sentiment is the theme's."""
    for start, end in clause_spans(sentence):
        if position < end:
            return sentence[start:end]
    return sentence


def topic_confidence(value) -> float:
    """A topic assignment's confidence to 6 decimals: the matrix product behind it rounds its last
    bits differently with the batch a text is transformed in, and the same text must store the
    same row whichever chunk (or resumed run) it fell in."""
    return round(float(value), 6)
