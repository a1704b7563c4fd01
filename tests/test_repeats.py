"""A text repeated across enrichment's chunks, or already analysed by an earlier run, is analysed
once; its later feedback copy the stored results (cxtext.enrich.repeats). The rows must be those
of analysing every feedback, fresh, in a later run, and when a new taxonomy replaces them."""

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


def _enrich(settings, chunk_rows: int, monkeypatch, analysed: list | None = None, selection=None, **changes):
    from cxtext.enrich import analyse
    from cxtext.enrich.run import Selection, enrich

    real = analyse._analyse_texts
    if analysed is not None:
        monkeypatch.setattr(analyse, "_analyse_texts", lambda texts, *a: analysed.extend(texts) or real(texts, *a))
    with Store.open(settings.work_db) as store:
        result = enrich(store, replace(settings, enrich_chunk_rows=chunk_rows, **changes), selection=selection or Selection())
        rows = _rows(store)
    monkeypatch.setattr(analyse, "_analyse_texts", real)
    return result, rows


@pytest.mark.parametrize("copy_batch", [50_000, 7], ids=["copies written at the end", "in batches of 7"])
def test_repeated_texts_are_analysed_once_and_copied(two_states, monkeypatch, copy_batch):
    from cxtext.enrich import repeats

    monkeypatch.setattr(repeats, "COPY_BATCH", copy_batch)
    chunked, whole = two_states
    analysed: list = []
    result, rows = _enrich(chunked, 15, monkeypatch, analysed)  # 12 days in chunks of 15 rows: many chunks
    _, reference = _enrich(whole, 10_000, monkeypatch)  # one chunk: every text analysed there
    assert result.chunks > 5 and result.enriched == 120
    assert sorted(analysed) == sorted({("review", text) for text in TEXTS})  # each text once in the run
    assert rows == reference
    assert result.mentions == len(rows["theme_mentions"])  # the copies' mentions counted once each
    assert len(rows["theme_mentions"]) > 50 and {language for _, language in rows["languages"]} == {"en", "fr", "und"}


def test_a_run_killed_before_its_copies_were_written_leaves_them_pending(two_states, monkeypatch):
    """Copies are written in batches after their chunks: a run that fails in between leaves them
    without results (pending, not half-written), and the next run completes them."""
    from cxtext.enrich import run
    from cxtext.enrich.run import Selection, enrich

    chunked, whole = two_states
    real, written = run._write_chunk, []

    def failing(*args):
        written.append(1)
        if len(written) == 5:
            raise RuntimeError("killed")
        return real(*args)

    monkeypatch.setattr(run, "_write_chunk", failing)
    with Store.open(chunked.work_db) as store, pytest.raises(RuntimeError, match="killed"):
        enrich(store, replace(chunked, enrich_chunk_rows=15), selection=Selection())
    monkeypatch.setattr(run, "_write_chunk", real)
    with Store.open(chunked.work_db) as store:
        done = store.scalar("SELECT count(*) FROM enrichment")
        assert 0 < done < 15 * 4  # four chunks written, their copies not
        for table in RESULT_TABLES:
            assert (
                store.scalar(f"SELECT count(*) FROM {table} WHERE feedback_id NOT IN (SELECT feedback_id FROM enrichment)") == 0
            )
    result, rows = _enrich(chunked, 15, monkeypatch)
    _, reference = _enrich(whole, 10_000, monkeypatch)
    assert result.enriched == 120 - done
    assert rows == reference


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


def test_a_later_run_copies_what_an_earlier_run_analysed_unless_a_backfill_forces_it(review_settings, tmp_path, monkeypatch):
    """Night one stores eight of the texts; night two's feedback repeat them and bring two new
    ones: only the new ones are analysed, and the rows are those of one run over both nights."""
    from cxtext.enrich.run import Selection
    from cxtext.store.db import utcnow

    rng = random.Random(7)
    nights = {
        "one": [(f"R{i}", "2026-07-06", TEXTS[i % 8]) for i in range(40)],
        "two": [(f"S{i}", "2026-07-07", rng.choice(TEXTS)) for i in range(40)] + [("S40", "2026-07-07", TEXTS[8])],
    }
    nights["two"].append(("S41", "2026-07-07", TEXTS[9]))
    for night, records in nights.items():
        lines = [f'{r},{day} 10:00,{1 + i % 5},Title,"{text}",C{i}' for i, (r, day, text) in enumerate(records)]
        (tmp_path / f"landing/{night}.csv").parent.mkdir(exist_ok=True)
        (tmp_path / f"landing/{night}.csv").write_text(REVIEW_HEADER + "\n".join(lines) + "\n")
    nightly, once = (replace(review_settings, state_dir=tmp_path / name) for name in ("nightly", "once"))
    for settings, files in ((nightly, ("one",)), (once, ("one", "two"))):
        with Store.open(settings.work_db) as store:
            for night in files:
                ingest_file(store, settings, tmp_path / f"landing/{night}.csv", settings.sources["reviews"])
    _enrich(nightly, 10_000, monkeypatch)
    with Store.open(nightly.work_db) as store:
        ingest_file(store, nightly, tmp_path / "landing/two.csv", nightly.sources["reviews"])
    analysed: list = []
    result, rows = _enrich(nightly, 10_000, monkeypatch, analysed)
    _, reference = _enrich(once, 10_000, monkeypatch)
    assert result.enriched == 42
    assert sorted(analysed) == sorted([("review", TEXTS[8]), ("review", TEXTS[9])])
    assert rows == reference
    forced: list = []  # a forced backfill recomputes: nothing stored before its time is a source
    result, rows = _enrich(nightly, 10_000, monkeypatch, forced, selection=Selection(forced_before=utcnow()))
    assert result.enriched == 82 and sorted(forced) == sorted({("review", text) for text in TEXTS})
    assert rows == reference
