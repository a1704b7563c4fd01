"""Sentiment learned from customers' scores: fitted on command, versioned by what it learned, used
only for its own source's document labels."""

from __future__ import annotations

import pyarrow as pa
import pytest

from cxtext.enrich.analyse import SCHEMAS, learned_labels
from cxtext.enrich.learned import learned_version, learning_half
from cxtext.text.learned import MIN_PER_CLASS, fit

HIGH = [
    "Fits well and the fabric is soft.",
    "Delivery was quick and the parcel was intact.",
    "Lovely colour, I will order again.",
    "The agent was friendly and sorted it fast.",
]
LOW = [
    "The seams came apart after one wash.",
    "My parcel never arrived and nobody called back.",
    "Runs small, had to send it back.",
    "Charged twice and still no refund.",
]


def corpus(n: int) -> tuple[list[str], list[bool]]:
    texts = [t for i in range(n) for t in (HIGH[i % 4], LOW[i % 4])]
    return texts, [i % 2 == 0 for i in range(len(texts))]


def test_a_model_learns_its_source_and_its_version_follows_what_it_learned():
    texts, high = corpus(MIN_PER_CLASS + 1)
    model = fit(texts, high, source="shop")
    assert model.labels(["the fabric is soft", "it never arrived"]) == ["positive", "negative"]
    assert model.version == fit(texts, high, source="shop").version  # deterministic
    assert model.version != fit(texts[:-2], high[:-2], source="shop").version
    assert learned_version({}) == "" and learned_version({"shop": model}).startswith("learned-")


def test_too_few_scores_is_a_clear_error():
    texts, high = corpus(MIN_PER_CLASS // 2)
    with pytest.raises(ValueError, match="need 20 of each"):
        fit(texts, high, source="shop")


def test_only_the_sources_document_labels_change():
    texts, high = corpus(MIN_PER_CLASS)
    model = fit(texts, high, source="shop")
    rows = [
        ("a", "review", "The seams came apart after one wash.", "h1"),
        ("b", "social", "The seams came apart.", "h2"),
    ]
    sentiment = pa.Table.from_pylist(
        [{"feedback_id": fid, "compound": 0.3, "label": "positive", "sentence_count": 1} for fid in ("a", "b")],
        schema=SCHEMAS["sentiment"],
    )
    out = learned_labels(sentiment, rows, {"a": "shop", "b": "social"}, {"shop": model}).to_pylist()
    assert [(r["label"], r["compound"]) for r in out] == [("negative", 0.3), ("positive", 0.3)]


def test_the_halves_are_stable_and_about_even():
    halves = [learning_half(f"id{i}") for i in range(2000)]
    assert halves == [learning_half(f"id{i}") for i in range(2000)] and 900 < sum(halves) < 1100
