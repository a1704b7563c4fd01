"""Enrichment: incremental, versioned, chunked; spans point into the stored text."""

from dataclasses import replace

import pytest

from cxtext.ingest.load import ingest_file
from tests.conftest import REVIEW_HEADER

STAGES = "\n".join(
    f'[[stages]]\nid = "{s}"\nname = "{s.title()}"'
    for s in ("awareness", "consideration", "purchase", "onboarding", "usage", "support", "loyalty")
)
TAXONOMY = (
    STAGES
    + """
[[themes]]
id = "checkout_experience"
name = "Checkout experience"
stage = "purchase"
phrases = ["checkout"]
examples = ["Checkout was quick."]

[[themes]]
id = "delivery_delay"
name = "Delivery delays"
stage = "onboarding"
polarity = "negative"
phrases = ["delivery", "parcel"]
examples = ["The parcel was late."]
"""
)

ROWS = [
    'R1,2026-07-06 10:00,3,Mixed,"Checkout was easy but the delivery was delayed by two weeks.",C1',
    "R2,2026-07-07 10:00,5,Great,Love it. Works perfectly. The parcel came on a Tuesday.,C2",
    'R3,2026-07-08 10:00,1,Awful,"Great start. Then everything broke, I am furious!",C3',
    'R4,2026-07-09 10:00,1,Awful,"I hated every minute of it; the checkout page just loaded.",C4',
]


@pytest.fixture
def loaded(store, review_settings, tmp_path):
    taxonomy = tmp_path / "taxonomy.toml"
    taxonomy.write_text(TAXONOMY)
    path = tmp_path / "landing/reviews.csv"
    path.write_text(REVIEW_HEADER + "\n".join(ROWS) + "\n")
    ingest_file(store, review_settings, path, review_settings.sources["reviews"])
    return store, replace(review_settings, taxonomy_packs=(), taxonomy_files=(taxonomy,))


def enrich(store, settings, chunk_size=None):
    from cxtext.enrich.run import enrich as run

    return run(store, replace(settings, enrich_chunk_rows=chunk_size) if chunk_size else settings)


def test_enrich_everything_once(loaded):
    store, settings = loaded
    first = enrich(store, settings)
    assert (first.stale, first.enriched, first.reasons) == (4, 4, {"missing": 4})
    assert store.scalar("SELECT count(*) FROM sentiment") == 4
    again = enrich(store, settings)
    assert (again.stale, again.enriched) == (0, 0)


def test_theme_level_sentiment_follows_the_clause(loaded):
    store, settings = loaded
    enrich(store, settings)
    mentions = dict(
        store.execute(
            "SELECT m.theme, m.label FROM theme_mentions m JOIN feedback f USING (feedback_id) WHERE f.source_record_id = 'R1'"
        )
    )
    assert mentions == {"checkout_experience": "positive", "delivery_delay": "negative"}
    # A neutral clause about a problem theme takes the theme's polarity, and says so.
    assert store.execute(
        "SELECT m.compound, m.label, m.label_source FROM theme_mentions m JOIN feedback f USING (feedback_id) "
        "WHERE f.source_record_id = 'R2'"
    ) == [(0.0, "negative", "theme")]
    # Neither the clause nor the theme says: the sentence does.
    assert store.execute(
        "SELECT m.label, m.label_source FROM theme_mentions m JOIN feedback f USING (feedback_id) WHERE f.source_record_id = 'R4'"
    ) == [("negative", "sentence")]


def test_spans_slice_the_stored_text(loaded):
    store, settings = loaded
    enrich(store, settings)
    rows = store.execute(
        "SELECT substr(f.text, m.start_char + 1, m.end_char - m.start_char), m.evidence "
        "FROM theme_mentions m JOIN feedback f USING (feedback_id)"
    )
    assert rows and all(a == b for a, b in rows)
    sentences = store.execute(
        "SELECT substr(f.text, s.start_char + 1, s.end_char - s.start_char), s.text "
        "FROM sentences s JOIN feedback f USING (feedback_id)"
    )
    assert len(sentences) == 7 and all(a == b for a, b in sentences)


def test_peak_end_is_stored_beside_the_compound(loaded):
    store, settings = loaded
    enrich(store, settings)
    compound, peak_end, label, count = store.execute(
        "SELECT s.compound, s.peak_end, s.peak_end_label, s.sentence_count FROM sentiment s JOIN feedback f USING (feedback_id) "
        "WHERE f.source_record_id = 'R3'"
    )[0]
    assert count == 2 and peak_end < 0 and label == "negative"


def test_edited_text_and_changed_taxonomy_are_picked_up(loaded, review_settings, tmp_path):
    store, settings = loaded
    enrich(store, settings)
    edited = tmp_path / "landing/reviews-2.csv"
    edited.write_text(REVIEW_HEADER + ROWS[1].replace("Love it. Works perfectly.", "Hate it. Broke after a day.") + "\n")
    ingest_file(store, review_settings, edited, review_settings.sources["reviews"])
    result = enrich(store, settings, chunk_size=1)
    assert (result.stale, result.reasons, result.chunks) == (1, {"changed_text": 1}, 1)
    assert (
        store.scalar("SELECT s.label FROM sentiment s JOIN feedback f USING (feedback_id) WHERE source_record_id = 'R2'")
        == "negative"
    )

    mentions = store.scalar("SELECT count(*) FROM theme_mentions")
    settings.taxonomy_files[0].write_text(TAXONOMY.replace('phrases = ["checkout"]', 'phrases = ["checkout", "basket"]'))
    result = enrich(store, settings, chunk_size=2)
    assert (result.stale, result.reasons, result.chunks) == (4, {"new_version": 4}, 2)
    versions = store.execute("SELECT DISTINCT taxonomy_version FROM enrichment")
    assert versions == store.execute("SELECT DISTINCT taxonomy_version FROM themes")
    assert store.scalar("SELECT count(*) FROM theme_mentions") == mentions == 4  # replaced, not added


def test_other_languages_are_detected_and_kept_out_of_the_english_scorers():
    from datetime import datetime

    from cxtext.enrich.analyse import analyse, current_versions
    from cxtext.text.taxonomy import get_tagger

    tagger = get_tagger()
    rows = [
        ("en", "review", "The delivery was late and support never answered.", "h1"),
        ("fr", "review", "La livraison était en retard et le service client ne répond jamais.", "h2"),
        ("de", "social", "Die Lieferung kam viel zu spät, sehr enttäuschend.", "h3"),
        ("emoji", "social", "👍👍", "h4"),
    ]
    tables = analyse(rows, tagger, current_versions(tagger), now=datetime(2026, 10, 1))
    assert dict(zip(*tables["languages"].to_pydict().values())) == {"en": "en", "fr": "fr", "de": "de", "emoji": "und"}
    scored = dict(zip(tables["enrichment"]["feedback_id"].to_pylist(), tables["enrichment"]["scored"].to_pylist()))
    assert scored == {"en": True, "fr": False, "de": False, "emoji": True}
    assert set(tables["sentiment"]["feedback_id"].to_pylist()) == {"en", "emoji"}
    assert set(tables["theme_mentions"]["feedback_id"].to_pylist()) == {"en"}


def test_a_repeated_text_is_analysed_once_with_the_same_results_as_alone(monkeypatch):
    from datetime import datetime

    from cxtext.enrich import analyse as module
    from cxtext.text.taxonomy import get_tagger

    tagger, now = get_tagger(), datetime(2026, 10, 1)
    versions = module.current_versions(tagger)
    text = "Checkout kept failing. Support never answered my emails, so I gave up."
    rows = [
        ("a", "review", text, "h"),
        ("b", "survey", "Great service!", "g"),
        ("c", "review", text, "h"),
        ("d", "social", text, "h"),
    ]  # d: same text, another kind (cleaned differently), its own analysis
    analysed = []
    real = module._analyse_texts
    monkeypatch.setattr(module, "_analyse_texts", lambda texts, *a: analysed.extend(texts) or real(texts, *a))
    together = module.analyse(rows, tagger, versions, now=now)
    assert analysed == [("review", text), ("survey", "Great service!"), ("social", text)]
    alone = [module.analyse([row], tagger, versions, now=now) for row in rows]
    for name, table in together.items():
        expected = [r for tables in alone for r in tables[name].to_pylist()]
        assert sorted(table.to_pylist(), key=repr) == sorted(expected, key=repr), name
    assert together["theme_mentions"].num_rows > 0 and set(together["sentiment"]["feedback_id"].to_pylist()) == set("abcd")


def test_language_accuracy_on_the_labelled_short_texts():
    """The figure docs/LANGUAGE.md reports (106 of 110 with the default languages)."""
    from cxtext.evaluation.language import evaluate

    result = evaluate()
    assert result["total"] == 110 and result["correct"] >= 104
