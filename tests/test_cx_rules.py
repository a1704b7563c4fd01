"""The customer-experience phrase rules, on the project's own sentences (the sample data's
templates): what VADER alone misread, and what the rules must leave alone."""

from __future__ import annotations

import re

import pytest

from cxtext.text.cx_rules import _COMPILED, _NEEDED, RULES, VALENCES, apply_rules
from cxtext.text.regex_literals import ODD_CASES, LiteralIndex, needed_groups
from cxtext.text.sentiment import SentimentScorer


@pytest.mark.parametrize(
    "text, label",
    [
        # resolution: put right
        ("They resolved my complaint quickly and without any fuss.", "positive"),
        ("My issue was sorted in a single call.", "positive"),
        ("Problem solved within ten minutes on live chat.", "positive"),
        # resolution: not put right
        ("My ticket was closed without the problem being fixed.", "negative"),
        ("Weeks later and my issue is still not resolved.", "negative"),
        ("Nobody could actually solve the problem.", "negative"),
        ("The case was marked as resolved, but nothing had changed.", "negative"),
        # negated problems
        ("No problems at all.", "positive"),
        ("I never had an issue with it.", "positive"),
        # waits and durations, "still"
        ("I was on hold for 45 minutes before anyone picked up.", "negative"),
        ("Been holding for 1 hour and 10 minutes", "negative"),
        ("Waited 3 days for a reply to my email.", "negative"),
        ("It took them 40 minutes to answer the phone.", "negative"),
        # prices told as high or low
        ("The prices are way too high.", "negative"),
        ("Steep prices for what you get.", "negative"),
        ("Prices are low and the staff are friendly.", "positive"),
        # what came was not what was wanted
        ("The replacement was not what I ordered.", "negative"),
        ("The sofa wasn't what we had hoped for.", "negative"),
        ("Still no answer to my email after 5 days.", "negative"),
        # non-events
        ("Support promised a call back that never happened.", "negative"),
        ("No one called back.", "negative"),
        # sarcastic thanks, requests for help
        ("Thanks for nothing", "negative"),
        ("Any help would be appreciated", "negative"),
        # what should have been, and praise or blame through a negation
        ("The app could have been a lot better.", "negative"),
        ("Support could be improved.", "negative"),
        ("I can't recommend them enough.", "positive"),
        ("The delivery could not have been better.", "positive"),
        ("The packaging couldn't be worse.", "negative"),
        ("This is not the shop to buy a phone.", "negative"),
        # loyalty and recommendations
        ("We will definitely be coming back.", "positive"),
        ("I keep coming back to this shop.", "positive"),
        ("We will never go back.", "negative"),
        ("I wouldn't go back.", "negative"),
        ("Try the express delivery.", "positive"),
        ("I'm going back next week.", "positive"),
        ("We'd go back in a heartbeat.", "positive"),
        ("We will be returning.", "positive"),
        ("I would like to come back and try the rest.", "positive"),
        ("Check them out!", "positive"),
        ("Give it a try.", "positive"),
        # VADER takes these for boosters of the next word
        ("The service was exceptional.", "positive"),
        ("The support team was incredible.", "positive"),
        # a limit, not praise
        ("The delivery was average at best.", "negative"),
        # left alone
        ("Thanks for the help, problem fixed!", "positive"),
        ("The agent, Sam, was friendly and knew exactly what to do.", "positive"),
    ],
)
def test_cx_phrases_read_as_customers_mean_them(text, label):
    assert SentimentScorer().polarity(text).label == label


def test_rules_are_default_mode_only_and_keep_capitals():
    assert SentimentScorer(mode="plain").polarity("Thanks for nothing").label == "positive"  # installed VADER
    assert apply_rules("THANKS FOR NOTHING") == "CX_SARCASTIC_THANKS"
    assert apply_rules("I waited 10 minutes") == "I cx_long_wait"
    assert apply_rules("the delivery was fine") == "the delivery was fine"
    for untouched in (
        "I tried to call them twice.",
        "They must have lost it.",
        "I had to go back to the store.",
        "Nothing could be better.",
        "I will return the jacket tomorrow.",
        "I bought it at Best Buy.",
        "It only took 2 days to arrive.",
        "We're going back to the store to return it.",
    ):
        assert apply_rules(untouched) == untouched


def test_every_rule_token_has_one_valence_in_range():
    assert len({(token, valence) for token, valence, _ in RULES}) == len(VALENCES)
    assert all(-4 <= v <= 4 for v in VALENCES.values())


def _every_rule(text: str) -> str:
    """apply_rules without its literal check: every rule run on every text."""
    for token, pattern in _COMPILED:
        text = pattern.sub(lambda m, t=token: t.upper() if m.group(0).isupper() else t, text)
    return text


def test_the_literal_check_skips_only_rules_that_cannot_match():
    assert sum(needed is not None for needed in _NEEDED) == len(RULES)  # each rule names its words
    texts = [t for t, _ in test_cx_phrases_read_as_customers_mean_them.pytestmark[0].args[1]]
    texts += [t.upper() for t in texts] + [
        "Problem ſolved quickly",  # "ſ" matches "s" under IGNORECASE, and is not lower-cased to it
        "NOBODY CALLED BACK",
        "My İssue was fixed",
        "thank you for making me wait 3 hours",
        "no-one came, never had an issue, still nothing",
    ]
    for text in texts:
        assert apply_rules(text) == _every_rule(text), text


def test_the_index_gives_the_patterns_holding_a_needed_word_in_order():
    """LiteralIndex.candidates: exactly the rules one of whose needed words is in the lower-cased
    text (as a substring: "recalled" holds "call"), in rule order, from its per-run memory too."""
    index = LiteralIndex(_NEEDED + (None,))
    texts = ["They RESOLVED my complaint; recalled twice, no-one came back", "nothing", "", "x_y 3 hours"]
    for text in texts * 2:  # the second time from the remembered runs
        lower = text.lower()
        expected = [i for i, needed in enumerate(_NEEDED) if any(w in lower for w in needed)] + [len(_NEEDED)]
        assert list(index.candidates(text)) == expected, text
    assert index.candidates("Problem ſolved") == tuple(range(len(_NEEDED) + 1))


def test_the_index_keeps_a_pattern_only_when_the_text_holds_a_word_of_each_of_its_sets():
    """With *also*, a pattern is a candidate only for a text holding a word of each of its sets of
    needed words (needed_groups: every match holds one of each), from the per-run memory too."""
    groups = needed_groups(r"\b(?:called|phoned) (?:them )?again\b")
    assert groups == (frozenset({"called", "phoned"}), frozenset({"again"}))  # the most selective first
    index = LiteralIndex((groups[0], None), also=(groups[1:],))
    for _ in range(2):
        assert index.candidates("I CALLED them again") == (0, 1)
        assert index.candidates("I called them") == (1,)
        assert index.candidates("again and again") == (1,)
        assert index.candidates("recalled, phoned again") == (0, 1)


def test_the_odd_case_characters_are_all_there_are():
    """Outside ASCII, only ODD_CASES's characters match an ASCII letter under IGNORECASE."""
    letter = re.compile("[a-z]", re.IGNORECASE)
    odd = {chr(c) for c in range(128, 0x110000) if letter.match(chr(c))}
    assert all(ODD_CASES.match(c) for c in odd) and len(odd) == 4
