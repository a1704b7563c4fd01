import re
from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxtext.text.nlp import clean_text, load_nlp, split_hashtag


@pytest.mark.parametrize(
    "tag, words",
    [
        ("latedelivery", ["late", "delivery"]),
        ("LateDelivery", ["Late", "Delivery"]),
        ("customerservice", ["customer", "service"]),
        ("neveragain", ["never", "again"]),
        ("fail", ["fail"]),
        ("xqzt", ["xqzt"]),
    ],
)
def test_split_hashtag(tag, words):
    assert split_hashtag(tag) == words


def test_social_cleaning_maps_back_to_the_stored_text():
    text = "RT @maria_k88: @VoltaShop parcel is late AGAIN 😡 #latedelivery https://t.co/xyz  still waiting"
    clean = clean_text(text, kind="social")
    assert clean.retweet
    assert clean.text == "parcel is late AGAIN 😡 late delivery still waiting"
    for phrase, original in [
        ("parcel", "parcel"),
        ("late delivery", "latedelivery"),
        ("😡", "😡"),
        ("still waiting", "still waiting"),
    ]:
        i = clean.text.index(phrase)
        start, end = clean.original_span(i, i + len(phrase))
        assert text[start:end] == original


def test_redacted_handles_are_cleaned_like_handles():
    clean = clean_text("RT [HANDLE]: @VoltaShop ask [HANDLE] why the parcel is late", kind="social")
    assert clean.retweet and clean.text == "ask why the parcel is late"


@pytest.mark.parametrize("kind", ["review", "survey"])
def test_other_kinds_are_left_alone(kind):
    text = "Visit https://example.com #great @bob"
    clean = clean_text(text, kind=kind)
    assert clean.text == text and clean.original_span(0, 5) == (0, 5)


def _span_or_error(clean, start, end):
    try:
        return clean.original_span(start, end)
    except IndexError:
        return IndexError


@pytest.mark.parametrize("text", ["", "x", "Visit https://example.com #great"])
def test_unchanged_text_maps_spans_as_a_tuple_of_every_offset_did(text):
    """Text left as stored keeps a range for its offsets, with the answers (and errors) a tuple gave."""
    from cxtext.text.nlp import CleanText

    clean, every = clean_text(text, kind="review"), CleanText(text, tuple(range(len(text))))
    bounds = range(-len(text) - 2, len(text) + 3)
    assert all(_span_or_error(clean, s, e) == _span_or_error(every, s, e) for s in bounds for e in bounds)


_SOCIAL_PIECES = st.sampled_from(
    " |  |   |a|late | parcel|@x|@VoltaShop|#latedelivery|#ok|https://t.co/x|www.x.y|\n|\t|RT @a: |[HANDLE]|😡|.|!".split("|")
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_SOCIAL_PIECES, max_size=20).map("".join))
def test_social_cleaning_keeps_one_space_between_words_and_maps_each_kept_character(text):
    """No leading or doubled space, no trailing whitespace; each kept character maps to that
    character of the stored text, but the spaces put between a hashtag's words (mapped to the
    tag's character after them), and the offsets never go back."""
    clean = clean_text(text, kind="social")
    assert not clean.text.startswith(" ") and "  " not in clean.text and clean.text == clean.text.rstrip()
    assert len(clean.offsets) == len(clean.text)
    assert all(text[o] == ch or (ch == " " and re.match(r"\w", text[o])) for ch, o in zip(clean.text, clean.offsets))
    assert list(clean.offsets) == sorted(clean.offsets)


def test_only_urls_and_handles_leave_nothing_to_analyse():
    assert clean_text("@VoltaShop https://t.co/x", kind="social").text == ""


def test_nlp_sentences_and_lower_case_lemmas():
    nlp = load_nlp()
    assert load_nlp() is nlp  # loaded once per process
    doc = nlp("The Parcels were Delayed. Still waiting!")
    assert [s.text for s in doc.sents] == ["The Parcels were Delayed.", "Still waiting!"]
    assert [t.lemma_ for t in doc] == ["the", "parcel", "be", "delay", ".", "still", "wait", "!"]


def test_sentences_and_lemmas_read_from_arrays_equal_spacys_own():
    """cxtext.text.nlp.sentences, sentence_bounds and the lookup-lemma component are fast paths of spaCy's doc.sents and
    its lookup lemmatizer plus lower-casing: the same spans and lemmas."""
    import spacy

    from cxtext.text.nlp import lemma_table, load_nlp, sentence_bounds, sentences

    table = lemma_table()
    reference = spacy.blank("en")
    reference.add_pipe("sentencizer")
    reference.add_pipe("lemmatizer", config={"mode": "lookup"})
    reference.initialize()
    texts = [
        "",
        "   ",
        "One. Two! Three?",
        "no punctuation at all",
        "...",
        "A.B. C",
        "  Leading space.  Two spaces.\nA new line 😍😍 end!Next",
        "Delayed DELIVERY!!! The "
        "iPhone's cases were Broken, I'm NOT happy; the U.S. team Ran RUNNING Runs geese Geese better BEST.",
    ]
    for ours, theirs in zip(load_nlp().pipe(texts, batch_size=3), reference.pipe(texts)):
        _same_words(ours)  # each doc's rows of its batch's table
        assert [(s.start, s.end) for s in sentences(ours)] == [(s.start, s.end) for s in theirs.sents]
        assert sentence_bounds(ours) == [(s.start, s.end, s.start_char, s.end_char) for s in theirs.sents]
        assert [t.lemma_ for t in ours] == [table.get(t.lower_, t.lemma_.lower()) for t in theirs]


def test_the_word_table_begins_with_the_theme_matchers_columns():
    from cxtext.text.nlp import WORD_ATTRS
    from cxtext.text.pattern_matcher import ATTRS

    assert WORD_ATTRS[: len(ATTRS)] == tuple(ATTRS)  # the tagger hands the matcher those columns


@lru_cache(maxsize=1)
def _spacy_sentencizer():
    import spacy

    reference = spacy.blank("en")
    reference.add_pipe("sentencizer")
    reference.initialize()
    return reference


def _same_sentence_starts(text: str, reference, preset: dict[int, bool] | None = None) -> None:
    """cxtext's sentencizer marks every word as spaCy's does, also around words an earlier pipe marked."""
    from spacy.attrs import SENT_START

    ours, theirs = load_nlp().make_doc(text), reference.make_doc(text)
    for doc in (ours, theirs):
        for i, start in (preset or {}).items():
            if i < len(doc):
                doc[i].is_sent_start = start
    ours = load_nlp().get_pipe("cxtext_words")(ours)
    theirs = reference.get_pipe("sentencizer")(theirs)
    assert ours.to_array([SENT_START]).tolist() == theirs.to_array([SENT_START]).tolist(), text
    assert [t.is_sent_start for t in ours] == [t.is_sent_start for t in theirs], text
    _same_words(ours)


def _same_words(doc) -> None:
    """The word table the component leaves a doc is the doc's own values, read after it ran."""
    from cxtext.text.nlp import WORD_ATTRS, words

    assert "cxtext_words" in doc.user_data or not len(doc)
    assert words(doc).tolist() == doc.to_array(list(WORD_ATTRS)).tolist(), doc.text


def test_sentencizer_equals_spacys_on_the_sample_and_edge_cases():
    from tests.test_taxonomy import sample_records

    reference = _spacy_sentencizer()
    edge_cases = [
        "",
        " ",
        "x",
        "!",
        "...",
        "?!",
        "Wait... what?! Really.",
        'He said "no." Then (he left.) ok',
        "a。b｡c ‼ yes ⁉ no؟ fin",
        "😍. 😍!😍",
        ". . .",
        "!!!",
        "Done.\n\nNext",
        "U.S. team",
    ]
    texts = list(sample_records().values()) + edge_cases
    assert len(texts) > 1000
    for text in texts:
        _same_sentence_starts(text, reference)
    _same_sentence_starts("One. Two! Three? Four", reference, {0: False, 2: False, 3: True, 5: False})


SENTENCE_PIECES = [
    "word",
    "Word",
    "I'm",
    "U.S.",
    "😍",
    "7",
    "-",
    ",",
    ";",
    ":",
    "'",
    '"',
    "(",
    ")",
    "[",
    "]",
    "'s",
    ".",
    "...",
    "!",
    "?",
    "?!",
    "‼",
    "。",
    "｡",
    "؟",
    "।",
    "．",
    "！",
    "¿",
    "…",
    "·",
]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(SENTENCE_PIECES), st.sampled_from(["", " ", "  ", "\n"])), max_size=25),
    st.dictionaries(st.integers(0, 20), st.booleans(), max_size=4),
)
def test_sentencizer_equals_spacys_on_generated_text(pieces, preset):
    reference = _spacy_sentencizer()
    text = "".join(piece + space for piece, space in pieces)
    _same_sentence_starts(text, reference)
    _same_sentence_starts(text, reference, preset)
