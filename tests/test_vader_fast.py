"""The fast VADER gives the library's scores bit for bit: on thousands of texts made here to hold
every rule VADER has (negations, boosters, ALL CAPS, "but", "kind of", "least", "never so",
idioms, emojis, punctuation runs, contractions, non-ASCII), with VADER's own lexicon and with the
CX-extended one; compared before rounding too, so a difference the rounding hides still fails."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vaderSentiment import vaderSentiment as vs

from cxtext.text import sentiment, vader_fast
from cxtext.text.vader_fast import FastSentimentIntensityAnalyzer

_SLOW = vs.SentimentIntensityAnalyzer()
_FAST = FastSentimentIntensityAnalyzer()
_RULES = (
    "but BUT But, however no No not isn't don't never NEVER without doubt least at very so this "
    "kind of sort just enough kinda KIND OF or nor none nothing can't won't aint uh-uh rarely despite "
    "the shit bomb bad ass badass bus stop yeah right kiss death to die for beating heart cut mustard "
    "extremely very VERY really so SO barely hardly slightly somewhat kind-of sort-of friggin FRIGGIN"
).split()
_NOISE = (
    "delivery the order parcel was is it I my refund support app and of to a an on hold still "
    "waiting arrived late hours week 2 3 £20 café naïve straße ΣΟΦΊΑ İstanbul 東京 ok OK x ."
).split()
_PUNCT = ["", "", "", ",", ".", "!", "!!", "!!!!!", "?", "??", "???", "????", "?!", ":)", ":(", ":D", "'", '"', "...", "--"]


def _lexicon_words(lexicon: dict, rng: random.Random, k: int) -> list[str]:
    words = sorted(w for w in lexicon if " " not in w)
    return rng.sample(words, k)


def _texts(lexicon: dict, count: int, seed: int) -> list[str]:
    """Texts of 1-40 words drawn from VADER's rule words, lexicon words, neutral words, emojis."""
    rng = random.Random(seed)
    lexical = _lexicon_words(lexicon, rng, 400)
    emojis = sorted(k for k in _SLOW.emojis if len(k) == 1)
    pools = [_RULES, lexical, lexical, _NOISE, _NOISE]
    texts = []
    for _ in range(count):
        words = []
        for _ in range(rng.randint(1, 40)):
            word = rng.choice(rng.choice(pools))
            shape = rng.random()
            if shape < 0.1:
                word = word.upper()
            elif shape < 0.15:
                word = word.capitalize()
            if rng.random() < 0.2:
                word += rng.choice(_PUNCT)
            if rng.random() < 0.05:
                word = rng.choice(_PUNCT) + word
            if rng.random() < 0.04:
                word += rng.choice(emojis)
            words.append(word)
        separator = rng.choice([" ", " ", "  ", "\t", " \u00a0"])
        text = separator.join(words)
        if rng.random() < 0.1:
            text = rng.choice(emojis) + text + rng.choice(["", " ", "!!!", " " + rng.choice(emojis)])
        texts.append(text)
    return texts


@pytest.fixture
def unrounded(monkeypatch):
    """Both analyzers without their final rounding, so their floats are compared whole."""
    monkeypatch.setattr(vs, "round", lambda value, digits: value, raising=False)
    monkeypatch.setattr(vader_fast, "round", lambda value, digits: value, raising=False)


def _cx_pair():
    """A library analyzer and a fast one, both with the CX-extended lexicon, and its rewrite."""
    analyzer, rewrite = sentiment._analyzer("default", sentiment.get_scorer().lexicon_path)
    slow = vs.SentimentIntensityAnalyzer()
    slow.lexicon = analyzer.lexicon
    fast = FastSentimentIntensityAnalyzer()
    fast.lexicon = analyzer.lexicon
    return slow, fast, rewrite


def _assert_same(slow, fast, texts):
    for text in texts:
        assert repr(fast.polarity_scores(text)) == repr(slow.polarity_scores(text)), text


def test_same_scores_plain_lexicon():
    _assert_same(_SLOW, _FAST, _texts(_SLOW.lexicon, 3000, 1))


def test_same_floats_before_rounding(unrounded):
    _assert_same(_SLOW, _FAST, _texts(_SLOW.lexicon, 1500, 2))
    slow, fast, rewrite = _cx_pair()
    _assert_same(slow, fast, [rewrite(t) for t in _texts(slow.lexicon, 1500, 3)])


def test_same_scores_cx_lexicon():
    slow, fast, rewrite = _cx_pair()
    texts = _texts(slow.lexicon, 2000, 4)
    _assert_same(slow, fast, texts + [rewrite(t) for t in texts])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😁",
        "😁😁 💘x",
        "good good but good bad good",  # the "but" rule rescales the first equal sentiment
        "bad good BUT good good",
        "Sentiment analysis has never been this good!",
        "it is so good",
        "without a doubt, excellent idea",
        "at least it isn't a horrible book",
        "the very least good",
        "least good",
        "one of the least compelling",
        "it was the shit",
        "VADER is quite bad ass",
        "the movie was kind of good and sort of bad and just enough fun",
        "no good or nor bad",
        "no no no",
        "NO GOOD",
        "I LOVE it, but I HATE the price???",
        "Make sure you :) or :D today!",
        b"bytes are str'd first".decode(),
    ],
)
def test_same_scores_known_cases(text):
    assert repr(_FAST.polarity_scores(text)) == repr(_SLOW.polarity_scores(text))


def test_non_text_goes_to_the_library():
    for analyzer in (_SLOW, _FAST):
        with pytest.raises(TypeError, match="not iterable"):
            analyzer.polarity_scores(12)


_WORDS = st.sampled_from(_RULES + _NOISE + sorted(w for w in _SLOW.lexicon if " " not in w)[::7])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(_WORDS, st.sampled_from(_PUNCT), st.booleans(), st.sampled_from([" ", "  ", "\n"])),
        max_size=30,
    ),
    st.text(max_size=5),
)
def test_same_scores_property(parts, tail):
    text = "".join((w.upper() if caps else w) + p + sep for w, p, caps, sep in parts) + tail
    assert repr(_FAST.polarity_scores(text)) == repr(_SLOW.polarity_scores(text))


def _split(text: str, rng: random.Random) -> list[str]:
    """*text* cut at up to four of its spaces."""
    words = text.split(" ")
    cuts = sorted(rng.sample(range(1, len(words)), min(len(words) - 1, rng.randint(0, 4)))) if len(words) > 1 else []
    return [" ".join(words[a:b]) for a, b in zip([0, *cuts], [*cuts, len(words)])]


def _assert_joined_same(slow, fast, texts, seed):
    """joined_scores(parts) is the library's score of the parts joined by a space, whether the
    parts were scored on their own first (their readings and valences remembered) or not."""
    rng = random.Random(seed)
    for text in texts:
        parts = _split(text, rng)
        if rng.random() < 0.7:
            for part in parts:
                fast.polarity_scores(part)
        assert repr(fast.joined_scores(parts)) == repr(slow.polarity_scores(" ".join(parts))), parts


def test_joined_scores_plain_lexicon(unrounded):
    _assert_joined_same(_SLOW, FastSentimentIntensityAnalyzer(), _texts(_SLOW.lexicon, 3000, 5), 5)


def test_joined_scores_cx_lexicon():
    slow, fast, rewrite = _cx_pair()
    _assert_joined_same(slow, fast, [rewrite(t) for t in _texts(slow.lexicon, 3000, 6)], 6)


@pytest.mark.parametrize(
    "parts",
    [
        ["It was kind", "of good."],  # "kind of" across a joint: not a lexicon hit in the joined text
        ["Not", "good at all."],  # a negation three words back, in the sentence before
        ["no", "good"],
        ["I have never so", "loved a phone."],
        ["The app is GREAT.", "THE SUPPORT IS BAD."],  # ALL CAPS counts over the joined words
        ["Great screen.", "But the battery is bad.", "Good price."],  # "but" rescales every sentence
        ["Love it!!!", "Really?", "Hate it??"],  # '!' and '?' count over the joined text
        ["good good but", "good bad good"],  # the "but" rule rescales the first equal sentiment, across sentences
        ["", "good"],
        ["😁 fine.", "not bad 💘"],
    ],
)
def test_joined_scores_at_joints(parts):
    fast = FastSentimentIntensityAnalyzer()
    for part in parts:
        fast.polarity_scores(part)
    assert repr(fast.joined_scores(parts)) == repr(_SLOW.polarity_scores(" ".join(parts)))


def test_readings_follow_a_replaced_lexicon():
    fast, slow = FastSentimentIntensityAnalyzer(), vs.SentimentIntensityAnalyzer()
    assert fast.joined_scores(["the parcel", "was grand"])["compound"] > 0
    fast.lexicon = slow.lexicon = {**slow.lexicon, "grand": -2.0}
    assert fast.joined_scores(["the parcel", "was grand"])["compound"] < 0
    assert repr(fast.polarity_scores("was grand")) == repr(slow.polarity_scores("was grand"))
