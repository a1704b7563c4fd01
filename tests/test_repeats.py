"""A text repeated across enrichment's chunks is analysed once; its later feedback copy the stored
results (cxtext.enrich.repeats). The rows must be those of analysing every feedback, fresh and
when a new taxonomy replaces them."""

import random
from dataclasses import replace

import pytest

from cxtext.ingest.load import ingest_file
from cxtext.store.db import Store
from tests.conftest import REVIEW_HEADER

TEXTS = [
    "Checkout was easy but the delivery was delayed by two weeks.",
    "Love it. Works perfectly. The parcel came on a Tuesday.",
    "Great start. Then everything broke, I am furious!",
    "I hated every minute of it; the checkout page just loaded.",
    "Great service!",
    "The support agent never called me back. I had to call three times.",
    "Refund took forever and nobody answered my emails.",
    "Ceci n'est pas du tout ce que j'ai commandé, très déçu.",  # not English: scored = false, copied too
    "ok",
    "Fast delivery, friendly staff, would buy again.",
]
RESULT_TABLES = (
    "enrichment",
    "sentences",
    "sentiment",
    "theme_mentions",
    "feedback_topics",
    "sentence_intents",
    "effort_signals",
    "feedback_effort",
)


def _rows(store: Store) -> dict[str, list]:
    """Every result table's rows (enriched_at aside, it is each chunk's time) and the languages."""
    out = {}
    for table in RESULT_TABLES:
        columns = [c for (c,) in store.execute(f"SELECT name FROM pragma_table_info('{table}')") if c != "enriched_at"]
        out[table] = sorted(store.execute(f"SELECT {', '.join(columns)} FROM {table}"), key=repr)
    out["languages"] = sorted(store.execute("SELECT feedback_id, language FROM feedback"))
    return out


@pytest.fixture
def two_states(review_settings, tmp_path):
    """The same 120 reviews over 12 days (10 texts, each on many days) in two state folders."""
    rng = random.Random(19)
    lines = [f'R{i},2026-07-{6 + i % 12:02d} {10 + i % 9}:00,{1 + i % 5},Title,"{rng.choice(TEXTS)}",C{i}' for i in range(120)]
    path = tmp_path / "landing/reviews.csv"
    path.write_text(REVIEW_HEADER + "\n".join(lines) + "\n")
    states = []
    for name in ("chunked", "whole"):
        settings = replace(review_settings, state_dir=tmp_path / name)
        with Store.open(settings.work_db) as store:
            ingest_file(store, settings, path, settings.sources["reviews"])
        states.append(settings)
    return states


def _enrich(settings, chunk_rows: int, monkeypatch, analysed: list | None = None, **changes):
    from cxtext.enrich import analyse
    from cxtext.enrich.run import enrich

    real = analyse._analyse_texts
    if analysed is not None:
        monkeypatch.setattr(analyse, "_analyse_texts", lambda texts, *a: analysed.extend(texts) or real(texts, *a))
    with Store.open(settings.work_db) as store:
        result = enrich(store, replace(settings, enrich_chunk_rows=chunk_rows, **changes))
        rows = _rows(store)
    monkeypatch.setattr(analyse, "_analyse_texts", real)
    return result, rows


def test_repeated_texts_are_analysed_once_and_copied(two_states, monkeypatch):
    chunked, whole = two_states
    analysed: list = []
    result, rows = _enrich(chunked, 15, monkeypatch, analysed)  # 12 days in chunks of 15 rows: many chunks
    _, reference = _enrich(whole, 10_000, monkeypatch)  # one chunk: every text analysed there
    assert result.chunks > 5 and result.enriched == 120
    assert sorted(analysed) == sorted({("review", text) for text in TEXTS})  # each text once in the run
    assert rows == reference
    assert len(rows["theme_mentions"]) > 50 and {language for _, language in rows["languages"]} == {"en", "fr", "und"}


def test_copies_replace_old_results_when_the_taxonomy_changes(two_states, monkeypatch, tmp_path):
    chunked, whole = two_states
    _enrich(chunked, 15, monkeypatch)
    _enrich(whole, 10_000, monkeypatch)
    taxonomy = tmp_path / "taxonomy.toml"
    stages = "\n".join(
        f'[[stages]]\nid = "{s}"\nname = "{s.title()}"'
        for s in ("awareness", "consideration", "purchase", "onboarding", "usage", "support", "loyalty")
    )
    taxonomy.write_text(
        stages + '\n[[themes]]\nid = "parcel"\nname = "Parcel"\nstage = "onboarding"\n'
        'phrases = ["parcel", "delivery"]\nexamples = ["The parcel was late."]\n'
    )
    new = {"taxonomy_packs": (), "taxonomy_files": (taxonomy,)}
    result, rows = _enrich(chunked, 15, monkeypatch, **new)  # every row: new_version, replacing its results
    _, reference = _enrich(whole, 10_000, monkeypatch, **new)
    assert result.enriched == 120
    assert rows == reference
    assert {theme for (_, _, theme, *_) in rows["theme_mentions"]} == {"parcel"}


def test_worker_processes_store_the_same_rows(two_states, monkeypatch):
    """With worker processes, chunks finish in any order but are written in order: a copy's
    source is always stored before it."""
    chunked, whole = two_states
    result, rows = _enrich(chunked, 15, monkeypatch, workers=2, parallel_min_rows=0)
    _, reference = _enrich(whole, 10_000, monkeypatch)
    assert result.executor == "2 worker processes" and result.enriched == 120
    assert rows == reference
