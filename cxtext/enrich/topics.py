"""The topic model's life in the working database: fitted when there is none, refitted on
command (`cxtext topics fit`), its topics written with their size, stages and theme coverage."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa

from cxtext.config import Settings
from cxtext.store.db import Store
from cxtext.store.schema import arrow_schema
from cxtext.text.nlp import clean_text, lemma_text, load_nlp

#: A topic most of whose feedback no theme covers is a candidate new theme (from this size on).
CANDIDATE_MAX_COVERAGE = 0.5


CANDIDATE_MIN_SIZE = 20


#: Below this many feedback no topic model is fitted (clusters of a handful of texts mean nothing);
#: topics are discovered by the first run that has enough.
MIN_TOPIC_DOCS = 200


def ensure_topic_model(store: Store, settings: Settings):
    """The current topic model, fitted now when there is none (or it no longer loads): (model,
    fitted). None while there is too little feedback to fit on."""
    from cxtext.text.topic_files import load_current

    model = load_current(settings.topic_models_dir)
    if model is not None:
        return model, False
    model = fit_topic_model(store, settings)
    return model, model is not None


def fit_topic_model(store: Store, settings: Settings, *, n_topics: int | None = None):
    """Fit a topic model on the most recent settings.topic_sample_size feedback, keep the ids of
    the previous model's matching topics, save it as the current one. None with fewer than
    MIN_TOPIC_DOCS feedback, or when they are too alike to split (one file of identical texts
    must not stop every nightly run: the model is fitted once the feedback varies)."""
    rows = store.execute(
        "SELECT feedback_id, kind, text, text_hash, created_at FROM feedback ORDER BY created_at DESC, feedback_id LIMIT ?",
        [settings.topic_sample_size],
    )
    if len(rows) < MIN_TOPIC_DOCS:
        return None  # before importing scikit-learn: a small state folder's runs stay light
    from spacy.attrs import IS_ALPHA, LEMMA, LOWER

    from cxtext.errors import TooAlike
    from cxtext.text.topic_files import load_current, save_model
    from cxtext.text.topics import TopicModel, readable_labels

    nlp = load_nlp()
    docs, written = [], Counter()
    for doc in nlp.pipe((clean_text(r[2], kind=r[1]).text for r in rows), batch_size=256):
        docs.append(lemma_text(doc))
        written.update((lemma, lower) for lemma, lower, alpha in doc.to_array([LEMMA, LOWER, IS_ALPHA]).tolist() if alpha)
    try:
        model = TopicModel(
            n_topics=n_topics,
            k_max=settings.topic_k_max,
            features=settings.topic_features,
            sample_size=settings.topic_sample_size,
            random_state=0,
        ).fit(docs)
    except TooAlike:
        return None
    surfaces: dict[str, str] = {}
    for (lemma, lower), _ in written.most_common():  # each lemma's most frequent written form
        surfaces.setdefault(nlp.vocab.strings[lemma], nlp.vocab.strings[lower])
    readable_labels(model, surfaces, nlp.Defaults.stop_words)
    previous = load_current(settings.topic_models_dir)
    if previous is not None:
        model.align_to(previous)
    model.version_ = save_model(
        model,
        settings.topic_models_dir,
        metadata={
            "window": [str(min(r[4] for r in rows)), str(max(r[4] for r in rows))],
            "size": len(rows),
            "doc_ids": [r[0] for r in rows],
            "text_hashes": [r[3] for r in rows],
        },
    )
    return model


def write_topics(store: Store, version: str, topics: list[dict]) -> None:
    """Replace the topics table: a model's *topics* (as its meta.json describes them, so that the
    model itself need not be loaded) with their size, stages and theme coverage over the
    feedback currently assigned to them."""
    store.execute("DELETE FROM topics")
    store.insert_arrow(
        "topics",
        pa.Table.from_pylist(
            [
                {
                    "topic_id": t["topic_id"],
                    "label": t["label"],
                    "top_terms": t["top_terms"],
                    "model_version": version,
                }
                for t in topics
            ],
            schema=arrow_schema("topics", ("topic_id", "label", "top_terms", "model_version")),
        ),
    )
    store.execute(
        "UPDATE topics SET size = s.size, theme_coverage = s.coverage, "
        "candidate_theme = s.coverage < ? AND s.size >= ? "
        "FROM (SELECT ft.topic_id, count(*) AS size, "
        "      avg((EXISTS (SELECT 1 FROM theme_mentions m WHERE m.feedback_id = ft.feedback_id))::INT) AS coverage "
        "      FROM feedback_topics ft GROUP BY ft.topic_id) s WHERE topics.topic_id = s.topic_id",
        [CANDIDATE_MAX_COVERAGE, CANDIDATE_MIN_SIZE],
    )
    store.execute(
        "WITH counts AS (SELECT ft.topic_id, m.stage, count(*) AS n FROM feedback_topics ft "
        "                JOIN theme_mentions m USING (feedback_id) GROUP BY ft.topic_id, m.stage), "
        "shares AS (SELECT topic_id, stage, round(n / sum(n) OVER (PARTITION BY topic_id), 3) AS share FROM counts) "
        "UPDATE topics SET stages = s.stages FROM ("
        "  SELECT topic_id, to_json(map(list(stage ORDER BY share DESC, stage), list(share ORDER BY share DESC, stage))) AS stages "
        "  FROM shares GROUP BY topic_id) s WHERE topics.topic_id = s.topic_id"
    )
    store.execute("UPDATE topics SET size = coalesce(size, 0)")
