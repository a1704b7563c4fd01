"""The SemEval-2014 restaurant evaluation (cxtext/evaluation/aspects.py) and its taxonomy file
(models/eval/semeval2014_restaurants.toml): the file loads and its examples are tagged; a small
made-up file in the SemEval XML format gives the scores worked out by hand. No public data needed."""

from __future__ import annotations

import pytest

from cxtext.errors import ConfigError
from cxtext.evaluation.aspects import (
    CATEGORIES,
    FALLBACK,
    RESTAURANT_TAXONOMY,
    THEME_OF,
    Sentence,
    check_taxonomy,
    detection_counts,
    evaluate_aspect_categories,
    load_split,
    prf,
    score_split,
)
from cxtext.text.nlp import load_nlp
from cxtext.text.taxonomy import STAGE_IDS, get_tagger, load_taxonomy

TAXONOMY = load_taxonomy(RESTAURANT_TAXONOMY)


def themes_of(text: str) -> set[str]:
    return {m.theme for m in get_tagger(RESTAURANT_TAXONOMY).tag(load_nlp()(text))}


# ------------------------------------------------------------------------- the restaurant file


def test_restaurant_taxonomy_loads_and_validates():
    assert tuple(s.id for s in TAXONOMY.stages) == STAGE_IDS
    assert [t.id for t in TAXONOMY.themes] == [THEME_OF[c] for c in CATEGORIES]
    for theme in TAXONOMY.themes:
        assert theme.name and theme.description, theme.id
        assert theme.polarity is None, theme.id  # a category is a topic: its clause gives the label
        assert theme.negation is False, theme.id  # "not tasty" still mentions the food
        assert 2 <= len(theme.examples) <= 4, theme.id
    check_taxonomy(get_tagger(RESTAURANT_TAXONOMY))


@pytest.mark.parametrize("theme", TAXONOMY.themes, ids=lambda t: t.id)
def test_examples_are_tagged_and_counter_examples_are_not(theme):
    for example in theme.examples:
        assert theme.id in themes_of(example), example
    for counter in theme.counter_examples:
        assert theme.id not in themes_of(counter), counter


def test_lemma_traps_are_avoided():
    assert "food" in themes_of("We had dim sum on Sunday.")
    assert "ambience" not in themes_of("We had dim sum on Sunday.")
    assert "food" not in themes_of("People dressed up for the evening.")  # "dressing" -> "dress"
    assert "food" not in themes_of("They served us quickly.")  # "serving" -> "serve"
    assert "price" not in themes_of("The staff dealt with it well.")
    assert "food" in themes_of("The steak was not tasty at all.")  # negation does not cancel a mention


def test_a_taxonomy_without_the_five_themes_is_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(FAKE_TAXONOMY.replace('id = "price"', 'id = "cost"'), encoding="utf-8")
    with pytest.raises(ConfigError, match="themes must be"):
        check_taxonomy(get_tagger(path))


# ------------------------------------------------------------------- a made-up SemEval sample

STAGES = "\n".join(f'[[stages]]\nid = "{s}"\nname = "{s}"\n' for s in STAGE_IDS)
#: A tiny taxonomy, so that the hand-worked scores below do not move when the real file is edited.
FAKE_TAXONOMY = STAGES + "\n".join(
    f'[[themes]]\nid = "{theme}"\nname = "{theme}"\nstage = "usage"\nnegation = false\n'
    f"phrases = {phrases}\nexamples = [{examples!r}]\n"
    for theme, phrases, examples in (
        ("food", '["pasta", "soup"]', "Fresh pasta."),
        ("service", '["waiter"]', "A waiter."),
        ("price", '["cheap", "bill"]', "Cheap."),
        ("ambience", '["decor", "music"]', "Nice decor."),
        ("anecdotes_misc", '["birthday"]', "My birthday."),
    )
)


def xml(*sentences: tuple[str, dict[str, str]]) -> str:
    body = []
    for number, (text, categories) in enumerate(sentences, start=1):
        aspects = "".join(f'<aspectCategory category="{c}" polarity="{p}"/>' for c, p in categories.items())
        body.append(f'<sentence id="{number}"><text>{text}</text><aspectCategories>{aspects}</aspectCategories></sentence>')
    return '<?xml version="1.0" encoding="UTF-8"?>\n<sentences>\n' + "\n".join(body) + "\n</sentences>\n"


TEST_XML = xml(
    # predicted food (right) and price (wrong)
    ("The pasta was delicious and cheap.", {"food": "positive"}),
    # service and food, right; the clauses carry opposite sentiment
    ("The waiter was rude but the soup was lovely.", {"service": "negative", "food": "positive"}),
    # anecdotes/misc from its theme, right; its neutral clause misses the gold polarity
    ("We went there for my birthday.", {FALLBACK: "positive"}),
    # no theme tagged: the fallback predicts anecdotes/misc (wrong), ambience is missed
    ("It was a quiet Tuesday evening.", {"ambience": "positive"}),
)
TRAIN_XML = xml(
    ("The soup was cold.", {"food": "negative"}),
    ("Best pasta in town.", {"food": "positive"}),
    ("The waiter smiled a lot.", {"service": "positive"}),
)


@pytest.fixture
def fake_data(tmp_path):
    folder = tmp_path / "semeval2014_absa"
    folder.mkdir()
    (folder / "Restaurants_Test_Gold.xml").write_text(TEST_XML, encoding="utf-8")
    (folder / "Restaurants_Train_v2.xml").write_text(TRAIN_XML, encoding="utf-8")
    taxonomy = tmp_path / "restaurants.toml"
    taxonomy.write_text(FAKE_TAXONOMY, encoding="utf-8")
    return tmp_path, taxonomy


def test_load_split_reads_the_categories(fake_data):
    data_dir, _ = fake_data
    sentences = load_split(data_dir / "semeval2014_absa" / "Restaurants_Test_Gold.xml")
    assert [s.id for s in sentences] == ["1", "2", "3", "4"]
    assert sentences[1].gold == {"service": "negative", "food": "positive"}


def test_scores_match_the_hand_count(fake_data):
    data_dir, taxonomy = fake_data
    sentences = load_split(data_dir / "semeval2014_absa" / "Restaurants_Test_Gold.xml")
    result = score_split("test", sentences, get_tagger(taxonomy), majority="food")
    # gold pairs 5; predicted 6: food x2, service, anecdotes (theme) right; price, anecdotes (fallback) wrong
    assert result.detection["micro"] == (4, 2, 1)
    precision, recall, f1 = prf(*result.detection["micro"])
    assert (precision, recall) == pytest.approx((4 / 6, 4 / 5))
    assert f1 == pytest.approx(2 * (4 / 6) * (4 / 5) / (4 / 6 + 4 / 5))  # 0.727
    assert result.detection["food"] == (2, 0, 0)
    assert result.detection[FALLBACK] == (1, 1, 0)
    assert result.detection["ambience"] == (0, 0, 1)
    assert result.detection["price"] == (0, 1, 0)
    assert result.fallback == 1
    # the baseline says "food" everywhere: 2 right, 2 wrong, 3 missed
    assert result.baseline["micro"] == (2, 2, 3)
    # polarity on the 4 detected pairs: ours misses only the birthday (neutral clause, gold positive);
    # the sentence label also misses the rude waiter ("but ... lovely" reads positive)
    assert [(c, g, ours) for c, g, ours, _ in result.polarity] == [
        ("food", "positive", "positive"),
        ("service", "negative", "negative"),
        ("food", "positive", "positive"),
        (FALLBACK, "positive", "neutral"),
    ]
    assert result.accuracy(2) == pytest.approx(3 / 4)
    assert result.accuracy(3) == pytest.approx(2 / 4)
    assert result.accuracy(2, sorted(result.mixed)) == 1.0
    assert result.all_gold == (3, 5)  # the undetected ambience pair takes the sentence's neutral


def test_a_sentence_left_unscored_predicts_nothing(fake_data):
    """Language detection takes "Molto bene!" for Italian; the pipeline leaves it unscored, and the
    evaluation counts its gold pair as missed and its polarity as wrong (it once raised KeyError)."""
    _, taxonomy = fake_data
    sentences = [
        Sentence("1", "Molto bene!", {FALLBACK: "positive"}),
        Sentence("2", "The soup was lovely.", {"food": "positive"}),
    ]
    result = score_split("test", sentences, get_tagger(taxonomy), majority="food")
    assert result.unscored == 1 and result.fallback == 0
    assert result.detection["micro"] == (1, 0, 1)
    assert result.all_gold == (1, 2)
    assert [p[0] for p in result.polarity] == ["food"]


def test_section_reports_the_test_split(fake_data):
    data_dir, taxonomy = fake_data
    section = evaluate_aspect_categories(data_dir, taxonomy)
    assert section.startswith("### SemEval-2014 restaurant aspect categories")
    assert "| **ours** | **72.7** |" in section
    assert "(food) | 44.4 |" in section  # baseline: P 2/4, R 2/5
    assert "| **ours (theme-level), detected pairs** | **75.0** |" in section
    assert "| baseline: whole-sentence label, same pairs | 50.0 |" in section
    assert "88.6" in section and "82.9" in section
    assert "4 test sentences, 5 gold (sentence, category) pairs; 3 training sentences" in section
    # the data folder itself may be given too
    assert "| **ours** | **72.7** |" in evaluate_aspect_categories(data_dir / "semeval2014_absa", taxonomy)


def test_missing_data_is_reported(tmp_path):
    assert "not found: skipped" in evaluate_aspect_categories(tmp_path)


def test_detection_counts_by_hand():
    counts = detection_counts([{"food"}, {"service", "price"}], [{"food", "price"}, {"service"}])
    assert counts["food"] == (1, 0, 0)
    assert counts["price"] == (0, 1, 1)
    assert counts["micro"] == (2, 1, 1)
    assert prf(0, 0, 0) == (0.0, 0.0, 0.0)
