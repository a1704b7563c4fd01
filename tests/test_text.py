import pytest

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
    for ours, theirs in zip(load_nlp().pipe(texts), reference.pipe(texts)):
        assert [(s.start, s.end) for s in sentences(ours)] == [(s.start, s.end) for s in theirs.sents]
        assert sentence_bounds(ours) == [(s.start, s.end, s.start_char, s.end_char) for s in theirs.sents]
        assert [t.lemma_ for t in ours] == [table.get(t.lower_, t.lemma_.lower()) for t in theirs]
