"""Topic discovery: cluster feedback into topics labelled by their top terms.

:class:`TopicModel` follows scikit-learn's estimator contract: ``__init__`` only stores its
keyword-only parameters, ``fit`` validates them and learns attributes ending in ``_``, and
randomness enters only through ``random_state``, so a refit on the same documents repeats.

Documents are clustered in one of three feature spaces (``features``):

- ``"lsa"`` (default): TF-IDF, then LSA (TruncatedSVD) and L2 normalisation.
- ``"tfidf"``: the sparse TF-IDF rows themselves.
- ``"wordllama"``: wordllama's static 256-d embeddings (optional package, model inside its wheel,
  nothing downloaded).

then by KMeans. Whatever the space, labels come from each topic's TF-IDF centroid, so they are
always words of the documents. docs/TOPICS.md has the measurements behind these choices.

When ``n_topics`` is None the number of topics is the k in [k_min, k_max] with the highest mean
silhouette (cosine) on a bounded sample; the scores are kept in ``quality_``.

Topic ids survive refits through :meth:`TopicModel.align_to`; models are saved in a state folder
with a ``CURRENT`` pointer (:func:`save_model`, :func:`load_current`).
"""

from __future__ import annotations

import logging
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from numbers import Integral
from pathlib import Path

import numpy as np
import sklearn
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from cxtext.errors import TooAlike

log = logging.getLogger(__name__)

FEATURES = ("lsa", "tfidf", "wordllama")
#: Id given to documents with no known term (empty after cleaning): they belong to no topic.
NO_TOPIC = -1
N_INIT = 10  # KMeans restarts for the final fit
SELECTION_N_INIT = 3  # ... and for each candidate k
SELECTION_DOCS = 5_000  # candidate k are fitted on at most this many documents
SILHOUETTE_DOCS = 2_000  # ... and scored on at most this many of them
#: OpenMP/BLAS threads while fitting and predicting. On a busy 2-core machine KMeans with 2
#: threads was 2-14 times slower than with 1 (spinning threads); one thread fits 20,000 docs in seconds.
THREADS = 1
#: Candidate k fitted side by side (each with THREADS threads): the topic fit otherwise keeps one core idle.
SELECTION_THREADS = 2
LSA_COMPONENTS = 100
TOP_TERMS = 10  # terms kept per topic for display
ALIGN_TERMS = 30  # terms per topic compared by align_to
LABEL_TERMS = 3
MIN_SIMILARITY = 0.3
WORDLLAMA_VERSION = "0.4.0.post1"


class TopicModel(BaseEstimator):
    """Clusters documents into topics; labels come from each topic's top terms.

    Parameters
    ----------
    n_topics : int or None
        Number of topics; None chooses it by silhouette within [k_min, k_max].
    k_min, k_max : int
        Range searched when n_topics is None.
    features : {"lsa", "tfidf", "wordllama"}
        Space the documents are clustered in (see the module docstring).
    max_features : int
        Vocabulary size of the TF-IDF vectorizer (1-2 grams).
    sample_size : int
        Fit on at most this many documents, drawn with random_state.
    random_state : int
        Seed of every random choice: same seed and documents, same model.

    Attributes
    ----------
    n_topics_ : int
        Number of topics found.
    topic_ids_ : list of int
        Stable id of each KMeans cluster (index = cluster); 0 is the largest topic after a fresh fit.
    top_terms_, labels_, sizes_ : dict keyed by topic id
        Top TF-IDF centroid terms, label built from them ("parcel late · delivery · week"), and
        number of fitted documents.
    quality_ : dict
        criterion, silhouette score per k tried, chosen_k, n_docs, fit_seconds.
    alignment_, aligned_to_ : dict, str or None
        After :meth:`align_to`: similarity of each kept id to its previous topic (None = new), and
        the previous model's version.
    sklearn_version_ : str
        scikit-learn version it was fitted with; ``version_`` is set by :func:`load_current`.

    Examples
    --------
    >>> docs = ["parcel late again", "card declined at checkout", "late parcel", "card payment declined"]
    >>> model = TopicModel(n_topics=2).fit(docs)
    >>> model.predict(["my parcel is late"]).tolist() == model.predict(["late parcel"]).tolist()
    True
    """

    def __init__(
        self,
        *,
        n_topics: int | None = None,
        k_min: int = 6,
        k_max: int = 24,
        features: str = "lsa",
        max_features: int = 20_000,
        sample_size: int = 20_000,
        random_state: int = 0,
    ):
        self.n_topics = n_topics
        self.k_min = k_min
        self.k_max = k_max
        self.features = features
        self.max_features = max_features
        self.sample_size = sample_size
        self.random_state = random_state

    # --- fitting ----------------------------------------------------------------------------

    def fit(self, docs: list[str], y=None) -> TopicModel:
        """Learn topics from analysis-ready texts (lemmas joined by spaces); returns self."""
        with threadpool_limits(THREADS):
            return self._fit(docs)

    def _fit(self, docs: list[str]) -> TopicModel:
        from sklearn.feature_extraction.text import TfidfVectorizer

        started = time.perf_counter()
        self._check_params()
        docs = _as_docs(docs)
        rng = np.random.RandomState(self.random_state)
        if len(docs) > self.sample_size:
            docs = [docs[i] for i in np.sort(rng.choice(len(docs), self.sample_size, replace=False))]
        self.vectorizer_ = TfidfVectorizer(
            ngram_range=(1, 2),
            stop_words="english",
            min_df=2 if len(docs) >= 100 else 1,
            sublinear_tf=True,
            max_features=self.max_features,
            dtype=np.float32,
        )
        tfidf = self.vectorizer_.fit_transform(docs)
        self.vectorizer_.stop_words_ = None  # only for introspection; can be huge when pickled
        self.svd_ = None
        if self.features == "lsa":
            from sklearn.decomposition import TruncatedSVD

            n_components = min(LSA_COMPONENTS, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
            if n_components >= 2:
                self.svd_ = TruncatedSVD(n_components, random_state=self.random_state).fit(tfidf)
        space = self._space(docs, tfidf)
        usable = _row_norms(space) > 0
        n_usable = int(usable.sum())
        k_range = self._k_range(n_usable)
        space, tfidf = space[usable], tfidf[usable]
        scores = {}
        if self.n_topics is None:
            scores = _silhouette_scores(space, k_range, self.random_state)
            k = max(scores, key=lambda c: (scores[c], -c))
        else:
            k = self.n_topics
        self.kmeans_ = _kmeans(k, N_INIT, self.random_state).fit(space)
        clusters = self.kmeans_.labels_
        order = sorted(range(k), key=lambda c: (-int(np.sum(clusters == c)), c))
        self.topic_ids_ = [0] * k
        for topic_id, cluster in enumerate(order):
            self.topic_ids_[cluster] = topic_id
        self._learn_terms(tfidf, clusters)
        self.n_topics_ = k
        self.last_id_ = k - 1
        self.alignment_, self.aligned_to_ = {}, None
        self.sklearn_version_ = sklearn.__version__
        self.quality_ = {
            "criterion": "silhouette (cosine)" if self.n_topics is None else "fixed n_topics",
            "scores": scores,
            "chosen_k": k,
            "n_docs": len(docs),
            "docs_without_terms": len(docs) - n_usable,
            "selection_docs": min(n_usable, SELECTION_DOCS) if scores else 0,
            "silhouette_docs": min(n_usable, SELECTION_DOCS, SILHOUETTE_DOCS) if scores else 0,
            "fit_seconds": round(time.perf_counter() - started, 3),
        }
        return self

    def _check_params(self) -> None:
        if self.features not in FEATURES:
            raise ValueError(f"features={self.features!r}: expected one of {', '.join(FEATURES)}")
        if self.n_topics is not None and (not isinstance(self.n_topics, Integral) or self.n_topics < 2):
            raise ValueError(f"n_topics={self.n_topics!r}: expected None or an integer of at least 2")
        if not (isinstance(self.k_min, Integral) and isinstance(self.k_max, Integral) and 2 <= self.k_min <= self.k_max):
            raise ValueError(f"k_min={self.k_min!r}, k_max={self.k_max!r}: expected integers with 2 <= k_min <= k_max")
        if not isinstance(self.sample_size, Integral) or self.sample_size < 2:
            raise ValueError(f"sample_size={self.sample_size!r}: expected an integer of at least 2")
        if not isinstance(self.random_state, Integral):
            raise ValueError(f"random_state={self.random_state!r}: expected an integer")
        if self.features == "wordllama":
            load_wordllama()  # fail before any work when it is not installed

    def _k_range(self, n_usable: int) -> list[int]:
        if self.n_topics is not None:
            if self.n_topics > n_usable:
                raise ValueError(f"n_topics={self.n_topics} but only {n_usable} documents have known terms")
            return [self.n_topics]
        if self.k_min >= n_usable:
            raise ValueError(f"k_min={self.k_min} needs more than {n_usable} documents with known terms")
        return list(range(self.k_min, min(self.k_max, n_usable - 1) + 1))

    def _space(self, docs: list[str], tfidf):
        """The documents in the clustering space, rows L2-normalised (all-zero rows stay zero)."""
        from sklearn.preprocessing import normalize

        if self.features == "wordllama":
            return normalize(load_wordllama().embed(docs, norm=False, batch_size=256))
        if self.svd_ is not None:
            return normalize(self.svd_.transform(tfidf))
        return tfidf

    def _learn_terms(self, tfidf, clusters: np.ndarray) -> None:
        terms = self.vectorizer_.get_feature_names_out()
        self.term_weights_, self.top_terms_, self.labels_, self.sizes_ = {}, {}, {}, {}
        for cluster, topic_id in enumerate(self.topic_ids_):
            members = clusters == cluster
            centroid = np.asarray(tfidf[members].mean(axis=0)).ravel()
            best = [i for i in np.argsort(-centroid, kind="stable")[:ALIGN_TERMS] if centroid[i] > 0]
            self.term_weights_[topic_id] = {str(terms[i]): round(float(centroid[i]), 6) for i in best}
            self.top_terms_[topic_id] = [str(terms[i]) for i in best[:TOP_TERMS]]
            self.labels_[topic_id] = make_label(self.top_terms_[topic_id])
            self.sizes_[topic_id] = int(members.sum())

    # --- using a fitted model ---------------------------------------------------------------

    def transform(self, docs: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Topic id of each document and its cosine similarity (0..1) to that topic's centre.

        Documents that are empty in the clustering space (no known term) get :data:`NO_TOPIC` and 0.
        """
        check_is_fitted(self, "kmeans_")
        docs = _as_docs(docs, allow_empty=True)
        if not docs:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        with _libraries().limit(limits=THREADS):
            space = self._space(docs, self.vectorizer_.transform(docs))
            clusters = self.kmeans_.predict(space)
        ids = np.asarray(self.topic_ids_, dtype=np.int64)[clusters]
        centres = self.kmeans_.cluster_centers_
        unit = centres / np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
        # Row by row, not one matrix product: a batch-wide product's rounding depends on the batch's
        # size, so a text enriched in another chunk (a resumed or re-chunked run) got another value.
        similarity = _row_dots(space, unit[clusters])
        empty = _row_norms(space) == 0
        ids[empty] = NO_TOPIC
        return ids, np.clip(np.where(empty, 0.0, similarity), 0.0, 1.0).astype(np.float64)

    def predict(self, docs: list[str]) -> np.ndarray:
        """Topic id of each document (:data:`NO_TOPIC` for those without any known term)."""
        return self.transform(docs)[0]

    def align_to(self, previous: TopicModel, *, min_similarity: float = MIN_SIMILARITY) -> TopicModel:
        """Renumber this model's topics after *previous*'s, so topics that persist keep their ids.

        Topics are matched one to one (Hungarian assignment) on the cosine similarity of their
        top-term weights over the union of both vocabularies; a pair below *min_similarity* is no
        match. Unmatched topics get fresh ids above any id *previous*'s lineage has used, so an id
        never comes back with another meaning. Returns self; ``alignment_`` maps each id to the
        similarity of its match (None for a new topic).
        """
        from scipy.optimize import linear_sum_assignment

        check_is_fitted(self, "kmeans_")
        check_is_fitted(previous, "kmeans_")
        new_ids, old_ids = list(self.term_weights_), list(previous.term_weights_)
        vocabulary = sorted({t for w in (self.term_weights_, previous.term_weights_) for v in w.values() for t in v})
        similarity = _cosine(
            _weight_matrix(self.term_weights_, new_ids, vocabulary),
            _weight_matrix(previous.term_weights_, old_ids, vocabulary),
        )
        rows, cols = linear_sum_assignment(-similarity)
        renumber, alignment = {}, {}
        for r, c in zip(rows, cols):
            if similarity[r, c] >= min_similarity:
                renumber[new_ids[r]] = old_ids[c]
                alignment[old_ids[c]] = round(float(similarity[r, c]), 4)
        next_id = max([previous.last_id_, *previous.topic_ids_]) + 1
        for topic_id in sorted(new_ids, key=lambda t: (-self.sizes_[t], t)):
            if topic_id not in renumber:
                renumber[topic_id] = next_id
                alignment[next_id] = None
                next_id += 1
        self.topic_ids_ = [renumber[t] for t in self.topic_ids_]
        for name in ("term_weights_", "top_terms_", "labels_", "sizes_"):
            old = getattr(self, name)
            setattr(self, name, {renumber[t]: old[t] for t in sorted(old, key=renumber.get)})
        self.last_id_ = next_id - 1
        self.alignment_ = dict(sorted(alignment.items()))
        self.aligned_to_ = getattr(previous, "version_", None)
        return self


def make_label(terms: list[str], n: int = LABEL_TERMS) -> str:
    """'parcel late · delivery · week' from top terms, skipping words already in the label."""
    chosen: list[str] = []
    for term in terms:
        words = set(term.split())
        if any(words <= set(c.split()) or set(c.split()) <= words for c in chosen):
            continue
        chosen.append(term)
        if len(chosen) == n:
            break
    return " · ".join(chosen)


def readable_labels(model: TopicModel, surfaces: dict[str, str], stop_words=frozenset()) -> None:
    """Relabel a fitted model in the words customers wrote: each lemma of its top terms as its
    most frequent written form (*surfaces*: "unite" -> "united", "delay" -> "delayed"), terms
    that read as stop words once written ("doe" is "does") left out."""
    for topic_id, terms in model.top_terms_.items():
        written = [" ".join(surfaces.get(w, w) for w in term.split()) for term in terms]
        kept = [t for t in written if not all(w in stop_words for w in t.split())]
        model.labels_[topic_id] = make_label(kept or written)


def describe_topics(model: TopicModel) -> list[dict]:
    """One row per topic for a ``topics`` table: topic_id, label, top_terms, size."""
    check_is_fitted(model, "kmeans_")
    return [
        {"topic_id": t, "label": model.labels_[t], "top_terms": list(model.top_terms_[t]), "size": model.sizes_[t]}
        for t in sorted(model.labels_)
    ]


# --- persistence -----------------------------------------------------------------------------


# --- helpers ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def load_wordllama():
    """wordllama's packaged model, loaded once per process, offline.

    wordllama 0.4 looks for its tokenizer config under ``tokenizer/`` but ships it under
    ``tokenizers/``: the file is copied into a temporary cache folder's ``tokenizers/`` for the
    load, with downloads disabled, so a missing file is an error, never a network call.
    """
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError:
        raise ImportError(
            f"features='wordllama' needs the wordllama package: pip install wordllama=={WORDLLAMA_VERSION}"
        ) from None
    with tempfile.TemporaryDirectory(prefix="cxtext-wordllama-") as cache:
        (Path(cache) / "tokenizers").mkdir()
        for config in (Path(wordllama.__file__).parent / "tokenizers").glob("*.json"):
            (Path(cache) / "tokenizers" / config.name).write_bytes(config.read_bytes())
        return WordLlama.load(cache_dir=Path(cache), disable_download=True)


def _as_docs(docs, *, allow_empty: bool = False) -> list[str]:
    if isinstance(docs, str) or docs is None:
        raise ValueError("docs: expected a list of strings, not a single string or None")
    docs = list(docs)
    if not all(isinstance(d, str) for d in docs):
        raise ValueError("docs: every document must be a string")
    if not docs and not allow_empty:
        raise ValueError("docs: no documents to fit on")
    return docs


def _kmeans(k: int, n_init: int, random_state: int):
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=n_init, random_state=random_state)


def _silhouette_scores(space, k_range: list[int], random_state: int) -> dict[int, float]:
    """Mean silhouette (cosine) of KMeans with each k, fitted on a bounded sample."""
    from sklearn.metrics import silhouette_score

    rng = np.random.RandomState(random_state)
    n = space.shape[0]
    sample = space[np.sort(rng.choice(n, min(n, SELECTION_DOCS), replace=False))]
    scored = np.sort(rng.choice(sample.shape[0], min(sample.shape[0], SILHOUETTE_DOCS), replace=False))

    def score(k: int) -> float | None:
        with threadpool_limits(THREADS):  # OpenMP's thread count is each thread's own
            clusters = _kmeans(k, SELECTION_N_INIT, random_state).fit_predict(sample)
            if len(np.unique(clusters[scored])) < 2:
                return None
            return round(float(silhouette_score(sample[scored], clusters[scored], metric="cosine")), 5)

    # Each k is its own single-threaded fit with its own seed, so the scores do not depend on the
    # order or the thread: KMeans' loops release the GIL, and two threads use two cores.
    with ThreadPoolExecutor(SELECTION_THREADS) as pool:
        scores = {k: s for k, s in zip(k_range, pool.map(score, k_range)) if s is not None}
    if not scores:
        raise TooAlike("could not score any number of topics: the documents are too alike")
    return scores


@lru_cache(maxsize=1)
def _libraries():
    """threadpoolctl's controller of the BLAS and OpenMP libraries this process loaded, made once:
    threadpool_limits finds them again on every call (0.4% of a worker's analysis, a transform per
    chunk). Made at the first transform, when the fitted model has loaded what it uses."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _row_dots(space, rows: np.ndarray) -> np.ndarray:
    """Each row of *space* (dense or sparse) dotted with the same row of *rows*."""
    if hasattr(space, "multiply"):
        return np.asarray(space.multiply(rows).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", space, rows)


def _row_norms(space) -> np.ndarray:
    if hasattr(space, "multiply"):
        return np.sqrt(np.asarray(space.multiply(space).sum(axis=1)).ravel())
    return np.linalg.norm(space, axis=1)


def _weight_matrix(weights: dict[int, dict[str, float]], ids: list[int], vocabulary: list[str]) -> np.ndarray:
    column = {t: i for i, t in enumerate(vocabulary)}
    matrix = np.zeros((len(ids), len(vocabulary)))
    for row, topic_id in enumerate(ids):
        for term, weight in weights[topic_id].items():
            matrix[row, column[term]] = weight
    return matrix


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return a @ b.T
