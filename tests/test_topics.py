import json
import logging
import random
import socket

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score

from cxtext.evaluation.topics import planted_concentration
from cxtext.text.topic_files import CURRENT, load_current, save_model, set_current
from cxtext.text.topics import NO_TOPIC, TopicModel, describe_topics, load_wordllama, make_label

DELIVERY = [
    "parcel arrive late again",
    "delivery late by a week",
    "courier lose my parcel",
    "still wait for my delivery",
    "parcel late and courier rude",
    "delivery take two week to arrive",
    "courier never deliver the parcel",
    "late delivery again this week",
    "my parcel be late",
    "wait a week for the courier delivery",
]
PAYMENT = [
    "card decline at checkout",
    "payment fail but card charge",
    "charge twice for one payment",
    "checkout reject my card",
    "card payment fail again",
    "payment decline at checkout page",
    "bank card charge but payment fail",
    "checkout payment error card",
    "my card be charge twice",
    "payment fail at checkout",
]
SUPPORT = [
    "support agent never answer",
    "wait on hold for an hour with support",
    "chat agent be unhelpful",
    "support never reply to my email",
    "hold for two hour agent hang up",
    "agent transfer me three time support",
    "live chat agent never answer",
    "support email no reply",
    "on hold forever support agent",
    "the agent on the chat be rude support",
]
REFUND = [
    "refund still not process",
    "wait for my refund for a month",
    "refund money never return",
    "return the item refund pending",
    "refund take forever",
    "no refund after return",
    "refund request ignore",
    "money back refund delay",
    "still no refund for my return",
    "refund process slow",
]
DOCS = DELIVERY + PAYMENT + SUPPORT
GOLD = [0] * len(DELIVERY) + [1] * len(PAYMENT) + [2] * len(SUPPORT)
BASE_FEATURES = ["lsa", "tfidf"]


def _wordllama_installed() -> bool:
    try:
        load_wordllama()
    except ImportError:
        return False
    return True


FEATURES = BASE_FEATURES + [
    pytest.param("wordllama", marks=pytest.mark.skipif(not _wordllama_installed(), reason="wordllama not installed"))
]


@pytest.fixture(scope="module")
def model():
    return TopicModel(n_topics=3).fit(DOCS)


@pytest.mark.parametrize("features", FEATURES)
def test_fit_predict_recovers_obvious_groups(features):
    fitted = TopicModel(n_topics=3, features=features).fit(DOCS)
    assert adjusted_rand_score(GOLD, fitted.predict(DOCS)) >= 0.8
    assert fitted.n_topics_ == 3 and sorted(fitted.topic_ids_) == [0, 1, 2]
    assert sum(fitted.sizes_.values()) == len(DOCS)


def test_transform_gives_ids_and_confidences(model):
    ids, confidence = model.transform(["my parcel be late", "xyzzy", "", "card decline"])
    assert ids.dtype.kind == "i" and confidence.dtype.kind == "f"
    assert ids[1] == ids[2] == NO_TOPIC and confidence[1] == confidence[2] == 0
    assert ids[0] == model.predict(DELIVERY)[0] and ids[3] == model.predict(PAYMENT)[0]
    assert np.all((confidence >= 0) & (confidence <= 1)) and confidence[0] > 0.2
    assert model.transform([])[0].shape == (0,)


def test_unfitted_model_raises_not_fitted():
    fresh = TopicModel()
    for call in (
        lambda: fresh.predict(DOCS),
        lambda: fresh.transform(DOCS),
        lambda: describe_topics(fresh),
        lambda: TopicModel(n_topics=3).fit(DOCS).align_to(fresh),
    ):
        with pytest.raises(NotFittedError):
            call()


def test_init_only_stores_and_get_params_round_trips():
    params = TopicModel(n_topics=4, features="tfidf", random_state=7).get_params()
    assert params["n_topics"] == 4 and params["features"] == "tfidf" and params["random_state"] == 7
    assert TopicModel(features="nonsense").features == "nonsense"  # validated in fit, not __init__


@pytest.mark.parametrize(
    "params, docs, message",
    [
        ({"features": "bert"}, DOCS, "features="),
        ({"k_min": 8, "k_max": 4}, DOCS, "k_min"),
        ({"n_topics": 1}, DOCS, "n_topics"),
        ({"n_topics": 5}, ["late parcel", "card decline", "the and of"], "only 2 documents"),
        ({}, [], "no documents"),
        ({}, "a single string", "list of strings"),
    ],
)
def test_invalid_input_is_refused_in_fit(params, docs, message):
    with pytest.raises(ValueError, match=message):
        TopicModel(**params).fit(docs)


def test_same_random_state_same_result():
    shuffled = random.Random(3).sample(DOCS, len(DOCS))
    a = TopicModel(k_min=2, k_max=5, random_state=11).fit(shuffled)
    b = TopicModel(k_min=2, k_max=5, random_state=11).fit(shuffled)
    assert a.predict(DOCS).tolist() == b.predict(DOCS).tolist()
    assert a.labels_ == b.labels_ and a.quality_["scores"] == b.quality_["scores"]


def test_k_is_chosen_by_silhouette_within_range():
    fitted = TopicModel(k_min=2, k_max=6).fit(DOCS)
    quality = fitted.quality_
    assert 2 <= fitted.n_topics_ <= 6
    assert quality["criterion"] == "silhouette (cosine)" and sorted(quality["scores"]) == [2, 3, 4, 5, 6]
    assert quality["chosen_k"] == fitted.n_topics_ == max(quality["scores"], key=quality["scores"].get)
    assert quality["fit_seconds"] > 0 and quality["n_docs"] == len(DOCS)


def test_fits_on_at_most_sample_size_docs():
    fitted = TopicModel(n_topics=3, sample_size=20).fit(DOCS)
    assert fitted.quality_["n_docs"] == 20 and sum(fitted.sizes_.values()) == 20


def test_labels_come_from_top_terms(model):
    delivery = model.predict(DELIVERY)[0]
    for topic_id, label in model.labels_.items():
        assert all(part in model.top_terms_[topic_id] for part in label.split(" · "))
    assert {"parcel", "delivery", "courier", "late"} & set(" ".join(model.top_terms_[delivery]).split())
    rows = describe_topics(model)
    assert [r["topic_id"] for r in rows] == sorted(model.topic_ids_)
    assert set(rows[0]) == {"topic_id", "label", "top_terms", "size"}


@pytest.mark.parametrize(
    "terms, label",
    [
        (["parcel late", "parcel", "late", "delivery", "week"], "parcel late · delivery · week"),
        (["card", "card decline", "checkout", "payment"], "card · checkout · payment"),
        (["refund"], "refund"),
    ],
)
def test_make_label_skips_words_already_in_the_label(terms, label):
    assert make_label(terms) == label


def test_save_and_load_round_trip(tmp_path, model):
    ids = [f"d{i}" for i in range(len(DOCS))]
    metadata = {"window": ["2026-07-06", "2026-10-04"], "size": len(DOCS), "doc_ids": ids}
    version = save_model(model, tmp_path, metadata=metadata)
    assert version.startswith("topics-") and len(version) == len("topics-") + 12
    assert (tmp_path / CURRENT).read_text().strip() == version
    loaded = load_current(tmp_path)
    assert loaded.version_ == version
    assert loaded.predict(DOCS).tolist() == model.predict(DOCS).tolist()
    assert loaded.transform(DOCS)[1].tolist() == model.transform(DOCS)[1].tolist()
    meta = json.loads((tmp_path / version / "meta.json").read_text())
    assert meta["training"] == {"window": ["2026-07-06", "2026-10-04"], "size": len(DOCS), "n_doc_ids": len(DOCS)}
    assert meta["parameters"]["n_topics"] == 3 and meta["sklearn_version"] == model.sklearn_version_
    assert [t["label"] for t in meta["topics"]] == [model.labels_[t] for t in sorted(model.labels_)]
    assert not list(tmp_path.rglob("*.tmp"))
    assert TopicModel(n_topics=3, random_state=4).fit(DOCS).align_to(loaded).aligned_to_ == version
    # Same input, same version; other training documents, another one.
    assert save_model(model, tmp_path, metadata=metadata) == version
    assert save_model(model, tmp_path, metadata={**metadata, "doc_ids": ["x"]}) != version


def test_load_current_returns_none_without_a_model(tmp_path):
    assert load_current(tmp_path) is None
    assert load_current(tmp_path / "missing") is None


def test_load_current_refuses_another_sklearn_version(tmp_path, model, caplog):
    version = save_model(model, tmp_path, metadata={})
    meta_path = tmp_path / version / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["sklearn_version"] = "0.24.2"
    meta_path.write_text(json.dumps(meta))
    with caplog.at_level(logging.WARNING, logger="cxtext.text.topics"):
        assert load_current(tmp_path) is None
    assert "refit" in caplog.text and version in caplog.text


def test_load_current_loads_a_file_once_and_a_refit_anew(tmp_path, model, monkeypatch):
    """The topic step and enrichment of one run share one load; a refit, a rollback or a model
    saved again (another file) is loaded from disk, never served from the earlier load."""
    import joblib

    loads = []
    real_load = joblib.load
    monkeypatch.setattr(joblib, "load", lambda path: loads.append(path) or real_load(path))
    first = save_model(model, tmp_path, metadata={"doc_ids": ["a"]})
    loaded = load_current(tmp_path)
    assert load_current(tmp_path) is loaded and len(loads) == 1
    second = save_model(TopicModel(n_topics=2).fit(DOCS), tmp_path, metadata={"doc_ids": ["b"]})  # a refit
    refit = load_current(tmp_path)
    assert refit.version_ == second and refit.n_topics_ == 2 and len(loads) == 2
    set_current(tmp_path, first)  # a rollback
    assert load_current(tmp_path).version_ == first and len(loads) == 3
    save_model(model, tmp_path, metadata={"doc_ids": ["a"]})  # the same version written again: a new file
    assert load_current(tmp_path).version_ == first and len(loads) == 4


def test_current_pointer_switches(tmp_path, model):
    other = TopicModel(n_topics=2).fit(DOCS)
    first = save_model(model, tmp_path, metadata={"doc_ids": ["a"]})
    second = save_model(other, tmp_path, metadata={"doc_ids": ["b"]})
    assert first != second and load_current(tmp_path).version_ == second
    assert load_current(tmp_path).n_topics_ == 2
    set_current(tmp_path, first)  # roll back
    assert load_current(tmp_path).version_ == first
    with pytest.raises(FileNotFoundError):
        set_current(tmp_path, "topics-000000000000")
    assert (tmp_path / CURRENT).read_text().strip() == first


def test_align_to_keeps_ids_of_matching_topics_and_numbers_new_ones_above():
    before = TopicModel(n_topics=3, random_state=0).fit(DOCS)
    extended = random.Random(1).sample(DOCS + REFUND, len(DOCS) + len(REFUND))
    after = TopicModel(n_topics=4, random_state=5).fit(extended).align_to(before)
    for group in (DELIVERY, PAYMENT, SUPPORT):
        assert after.predict(group)[0] == before.predict(group)[0]
    refund = after.predict(REFUND)[0]
    assert refund == 3 and after.alignment_[refund] is None
    assert sorted(after.topic_ids_) == [0, 1, 2, 3] and set(after.labels_) == {0, 1, 2, 3}
    assert all(after.alignment_[t] >= 0.3 for t in (0, 1, 2))
    # An id that disappears is never reused: the next new topic gets 4, not 3.
    without_refund = TopicModel(n_topics=3, random_state=2).fit(DOCS).align_to(after)
    assert sorted(without_refund.topic_ids_) == [0, 1, 2]
    again = TopicModel(n_topics=4, random_state=9).fit(extended).align_to(without_refund)
    assert again.predict(REFUND)[0] == 4


def test_planted_concentration():
    ids = ["a", "b", "c", "d", "e"]
    topics = np.array([0, 0, 1, 1, 1])
    found = planted_concentration(ids, topics, {"theme": {"c", "d", "a"}})
    assert found["theme"] == (pytest.approx(2 / 3), pytest.approx(2 / 3), 1)


@pytest.mark.skipif(not _wordllama_installed(), reason="wordllama not installed")
def test_wordllama_loads_without_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    load_wordllama.cache_clear()
    try:
        embedding = load_wordllama().embed(["parcel late"], norm=True)
    finally:
        load_wordllama.cache_clear()
    assert embedding.shape == (1, 256)


def test_a_documents_confidence_does_not_depend_on_its_batch():
    """Resumed, reused or re-chunked enrichment transforms a text in another batch than a straight
    run; its stored confidence must be the same (a batch-wide matrix product once moved it in the
    last bits for a few texts in a hundred)."""
    rng = random.Random(7)
    words = sorted({w for doc in DOCS + REFUND for w in doc.split()})
    fitted = TopicModel(n_topics=3).fit(DOCS + REFUND)
    docs = [" ".join(rng.choices(words, k=rng.randint(2, 12))) for _ in range(3000)]
    ids, confidence = fitted.transform(docs)
    order = list(range(len(docs)))
    rng.shuffle(order)
    start = 0
    while start < len(order):
        part = order[start : start + rng.choice([1, 7, 100, 333, 1000])]
        start += len(part)
        part_ids, part_confidence = fitted.transform([docs[i] for i in part])
        assert part_ids.tolist() == ids[part].tolist()
        assert part_confidence.tolist() == confidence[part].tolist()
