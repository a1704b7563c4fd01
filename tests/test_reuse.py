"""Work skipped for speed changes no result (issue 19): on the sample's texts, the analysis with its
caches warm, chunked and shuffled, each distinct text of a chunk analysed once, with the language
detector's English shortcut and spaCy's memory zones (forced here), gives the same rows as a cold,
cache-free, one-chunk analysis with the detector always run. (Texts repeated across chunks:
tests/test_repeats.py.)"""

import contextlib
import csv
import json
import random
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def sample_rows() -> list[tuple]:
    """(feedback_id, kind, text, text_hash) of every text of sample_data/."""
    rows = []
    for name, column, kind in (("reviews.csv", "text", "review"), ("survey_comments.csv", "comment", "survey")):
        with open(ROOT / "sample_data" / name, newline="", encoding="utf-8") as handle:
            rows += [(f"{kind}{i}", kind, r[column], "h") for i, r in enumerate(csv.DictReader(handle)) if r.get(column)]
    for i, line in enumerate((ROOT / "sample_data/social_mentions.jsonl").read_text(encoding="utf-8").splitlines()):
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and isinstance(record.get("text"), str):
                rows.append((f"social{i}", "social", record["text"], "h"))
    return rows


def _clear_caches(module) -> None:
    from cxtext.text import sentiment

    sentiment._polarity.cache_clear()
    module._sentence_intent.cache_clear()
    module._mention_clause.cache_clear()


def test_skipped_work_changes_no_row_on_the_sample(monkeypatch):
    from cxtext.enrich import analyse as module
    from cxtext.text import language, sentiment
    from cxtext.text.intent import classify
    from cxtext.text.nlp import load_nlp
    from cxtext.text.sentiment import clause_polarity, get_scorer
    from cxtext.text.taxonomy import get_tagger

    tagger, now = get_tagger(), datetime(2026, 10, 1)
    versions = module.current_versions(tagger)
    rows = sample_rows()
    assert len(rows) > 4000

    _clear_caches(module)
    with monkeypatch.context() as plain:  # the reference: every step run for every distinct text
        plain.setattr(language, "_clearly_english", lambda text: False)
        plain.setattr(sentiment, "_polarity", sentiment._polarity.__wrapped__)
        plain.setattr(module, "_sentence_intent", classify)
        plain.setattr(
            module, "_mention_clause", lambda s, a, b: (module._clause_at(s, a), clause_polarity(s, a, b, get_scorer()))
        )
        reference = module.analyse(rows, tagger, versions, now=now)

    shuffled = random.Random(19).sample(rows, len(rows))
    monkeypatch.setattr(module, "SPACY_STRINGS_BOUND", 0)  # every chunk in a memory zone
    strings = len(load_nlp().vocab.strings)
    analysed, real = [], module._analyse_texts
    monkeypatch.setattr(module, "_analyse_texts", lambda texts, *a: analysed.extend(texts) or real(texts, *a))
    parts = [shuffled[i : i + 400] for i in range(0, len(shuffled), 400)]
    chunks = [module.analyse(part, tagger, versions, now=now) for part in parts]
    assert len(load_nlp().vocab.strings) == strings  # what the chunks added was freed
    assert len(analysed) == sum(len({(kind, text) for _, kind, text, _ in part}) for part in parts)  # once per chunk
    assert len(analysed) < len(rows)
    assert module._sentence_intent.cache_info().hits > 0 and module._mention_clause.cache_info().hits > 0
    assert sum(language._clearly_english(text) for _, _, text, _ in rows) > len(rows) / 2  # the shortcut is taken
    for name, table in reference.items():
        got = [r for tables in chunks for r in tables[name].to_pylist()]
        assert sorted(got, key=repr) == sorted(table.to_pylist(), key=repr), name
    assert reference["theme_mentions"].num_rows > 1000 and reference["sentence_intents"].num_rows > 500


@pytest.mark.parametrize(
    "text, language_code",
    [
        ("The delivery was late and the support team never got back to me.", "en"),
        ("La livraison était en retard et le service client ne répond jamais.", "fr"),
        ("Die Lieferung kam viel zu spät und der Kundendienst hat nie geantwortet.", "de"),
        ("De bezorging was te laat en de klantenservice heeft nooit gereageerd.", "nl"),
        ("I was in the shop and it was so bad", "en"),
    ],
)
def test_the_english_shortcut_agrees_with_the_detector(text, language_code):
    from cxtext.config import DEFAULT_LANGUAGES
    from cxtext.text.language import _clearly_english, detect

    assert detect(text, DEFAULT_LANGUAGES) == language_code
    assert _clearly_english(text) == (language_code == "en")
