"""Document sentiment learned from the scores a source's customers gave (stars, NPS, CSAT).

A lexicon reads every business's customers alike; the scores customers gave say how *this*
source's customers write. :func:`fit` learns a TF-IDF + logistic-regression model of "low score"
against "high score" (the middle score left out) from a source's own texts. It is fitted on
command only, and its :attr:`LearnedSentiment.version` (a digest of what it learned) joins the
sentiment version, so a refit re-scores through the staleness machinery. It gives document labels
only: theme-level labels and the impact figures stay lexicon-based (impact on stars must not be
computed from labels learned from stars).
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass

#: Probability of "positive" at or above which a document is positive, below it negative: a
#: learned label is never neutral, the model having learned low against high scores.
POSITIVE_AT = 0.5
MIN_PER_CLASS = 20


@dataclass
class LearnedSentiment:
    """A fitted model and what it was fitted on (for the version and the report)."""

    pipeline: object
    source: str
    rows: int
    version: str

    def probabilities(self, texts: list[str]) -> list[float]:
        """P(positive) of each text."""
        return [float(p) for p in self.pipeline.predict_proba(texts)[:, 1]]

    def labels(self, texts: list[str]) -> list[str]:
        return [label_of(p) for p in self.probabilities(texts)]


def label_of(probability: float) -> str:
    return "positive" if probability >= POSITIVE_AT else "negative"


def fit(texts: list[str], positive: list[bool], *, source: str) -> LearnedSentiment:
    """Fit on texts whose score was high (True) or low (False). Word and word-pair TF-IDF with
    sublinear counts and a class-balanced logistic regression: few, robust choices, none tuned on
    the reporting half of the evaluation."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    counts = (sum(positive), len(positive) - sum(positive))
    if min(counts) < MIN_PER_CLASS:
        raise ValueError(f"{source}: {counts[0]} high and {counts[1]} low scores; need {MIN_PER_CLASS} of each to learn from")
    pipeline = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True),
        LogisticRegression(C=4.0, class_weight="balanced", max_iter=1000),
    )
    pipeline.fit(texts, [int(p) for p in positive])
    digest = hashlib.sha256(pickle.dumps(pipeline)).hexdigest()[:12]
    return LearnedSentiment(pipeline, source, len(texts), f"learned-{digest}")
