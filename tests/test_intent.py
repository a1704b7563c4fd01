"""Intent per sentence and effort signals: the rules on the project's own sentences."""

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cxtext.text.effort import MAX_SCORE, effort_score, sentence_signals, signals
from cxtext.text.intent import Intent, classify, feedback_intents


@pytest.mark.parametrize(
    "sentence, intent, evidence",
    [
        ("How do I change my seat?", "question", "How do I"),
        ("Is there a way to get a receipt by email?", "question", "Is there a way"),
        ("Please add an option to pay with PayPal.", "suggestion", "Please add"),
        ("It would be great if the app remembered my card.", "suggestion", "It would be great"),
        ("Can you add dark mode?", "suggestion", "Can you add"),
        ("The app keeps crashing at checkout.", "complaint", "keeps crashing"),
        ("My parcel never arrived.", "complaint", "never arrived"),
        ("Why does the payment page not load?", "complaint", "not load"),
        ("Love the new design, thank you!", "praise", "Love"),
        ("I ordered on Monday.", "other", ""),
    ],
)
def test_a_sentence_gets_its_intent_and_evidence(sentence, intent, evidence):
    found = classify(sentence)
    assert found.intent == intent
    assert found.evidence.lower() == evidence.lower()
    if evidence:
        assert sentence[found.start : found.end] == found.evidence


def test_negated_praise_is_not_praise():
    assert classify("The staff were not helpful at all.").intent != "praise"


def test_a_feedback_carries_the_intents_of_its_sentences_in_order():
    intents = [Intent("praise", 2), Intent("other", 0), Intent("complaint", 2), Intent("praise", 2)]
    assert feedback_intents(intents) == ("complaint", "praise")


@pytest.mark.parametrize(
    "text, kind",
    [
        ("I had to call three times before anyone listened.", "repeated_contact"),
        ("I was transferred to another department twice.", "transfer"),
        ("I spent two hours on hold.", "wait"),
        ("They made me fill in the same form again.", "redo"),
        ("I faxed the forms to their office.", "paperwork"),
        ("I never heard back from them.", "chasing"),
    ],
)
def test_each_kind_of_effort_is_found_with_its_span(text, kind):
    found = signals(text)
    assert kind in {s.kind for s in found}
    assert all(text[s.start : s.end] == s.evidence for s in found)


@pytest.mark.parametrize(
    "text",
    [
        "I received multiple calls from an unknown number.",  # the company calling is not the customer's effort
        "My loan was transferred to a new servicer.",
        "I filed a dispute with my Chase Visa.",  # the bank, not chasing
        "Delivery was quick and the staff were lovely.",
    ],
)
def test_what_is_not_effort_is_not_found(text):
    assert signals(text) == []


def test_the_literal_check_skips_only_patterns_that_cannot_match(monkeypatch):
    """signals() runs a pattern only on a text holding a word every match of it contains: the
    same signals as running every pattern."""
    from cxtext.text import effort
    from cxtext.text.regex_literals import LiteralIndex

    assert all(needed is not None for needed in effort._NEEDED)
    texts = [t for t, _ in test_each_kind_of_effort_is_found_with_its_span.pytestmark[0].args[1]]
    texts += test_what_is_not_effort_is_not_found.pytestmark[0].args[1]
    texts += [t.upper() for t in texts] + ["I ſpent two hours on hold and had to CALL three times.", "Still waiting."]
    checked = [signals(text) for text in texts]
    monkeypatch.setattr(effort, "_INDEX", LiteralIndex((None,) * len(effort._NEEDED)))
    assert checked == [signals(text) for text in texts] and sum(map(len, checked)) > 10


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    from cxtext.text.nlp import load_nlp, sentence_bounds

    return [(s.start_char, s.end_char) for s in sentence_bounds(load_nlp()(text))]


_PIECES = [
    "I called them",
    "called back again",
    "Twice",
    "three times",
    "I was transferred to another department",
    "on hold for two hours",
    "They made me fill in the same form again",
    "I never heard back",
    "still waiting",
    "e-mailed",
    "I've resent it",
    "great",
    "the",
    "XX/XX/2019",
    "(",
    ")",
]
_JOINTS = [" ", "  ", "\n", "", ". ", "! ", "? ", "... ", ".' ", '." ', ".) ", ".- ", "._ ", ".", "-", "'", ", "]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from(_JOINTS)), min_size=1, max_size=8), st.booleans())
@example([("I called them", ". "), ("three times", "! "), ("still waiting", ".")], False)  # a match across a joint
def test_signals_from_sentences_equal_the_whole_texts(parts, padded):
    """sentence_signals reads a text sentence by sentence (each sentence's matches remembered):
    the same signals as signals() on the whole text, whatever its sentences and joints."""
    text = "".join(piece + joint for piece, joint in parts)
    text = f"  {text} " if padded else text
    assert sentence_signals(text, _sentence_spans(text)) == signals(text)


def test_a_pattern_that_crosses_sentences_still_does():
    """The one rule that may match across a sentence's end (its \\S+) runs on the whole text."""
    text = "I called them. Twice they hung up on me."
    spans = _sentence_spans(text)
    assert len(spans) == 2
    found = sentence_signals(text, spans)
    assert [(s.kind, s.evidence) for s in found] == [("repeated_contact", "called them. Twice")]
    assert found == signals(text)


def test_a_held_set_cut_to_what_patterns_need_selects_them_alike():
    """The sentence cache keeps only the part of a sentence's held set the crossing patterns'
    choice reads (LiteralIndex.needs): the same choice of those patterns as the whole set."""
    from cxtext.text.effort import _INDEX, PATTERNS

    texts = [piece + " " + other for piece in _PIECES for other in _PIECES] + ["I called them three times again."]
    for chosen in ({0}, {0, 5, 11}, set(range(len(PATTERNS)))):
        needs = _INDEX.needs(frozenset(chosen))
        for text in texts:
            held = _INDEX.held(text)
            whole = [n for n in _INDEX.select(held) if n in chosen]
            assert [n for n in _INDEX.select(held & needs) if n in chosen] == whole, (chosen, text)


def test_what_a_pattern_may_consume_is_read_from_it():
    from cxtext.text.regex_literals import consumable_characters

    assert consumable_characters(r"\b(?:e-mail|i've) (?:\w+ )?again\b(?! (?:me|us)\b)") == frozenset("-'")
    assert consumable_characters(r"\b(?:start|begin) over\b|\bfrom scratch\b") == frozenset()
    for crossing in (r"\bcalled(?: \S+)? twice", r"\bcall.", r"\b[^x]", r"\bon(?<=n) hold", r"^call", r"called\b", r"\ba|b"):
        assert consumable_characters(crossing) is None, crossing


def test_the_score_grows_with_effort_counts_a_kind_twice_and_is_capped():
    assert effort_score([]) == 0
    one = signals("I called them again.")
    assert effort_score(one) == 2.0
    many = signals("I called again. I called them again. I called back again. I called again.")
    assert effort_score(many) == 4.0  # a kind counts at most twice
    ordeal = signals(
        "I called 5 times, was transferred to another department, waited three weeks, had to resend "
        "everything again, faxed the forms, and never heard back. I followed up twice and was "
        "bounced back and forth."
    )
    assert effort_score(ordeal) == MAX_SCORE
    long_wait, short_wait = signals("I waited three weeks."), signals("I waited ten minutes.")
    assert effort_score(long_wait) > effort_score(short_wait) > 0


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def test_no_planted_phrase_shares_three_consecutive_words_with_a_detector_pattern():
    """The sample's planted effort and requests are worded independently of the rules that find
    them: no run of three words of a planted sentence is a run of three words of a pattern's
    source (its literal words, in order)."""
    from cxtext.devtools.sampledata.asks import EFFORT_SENTENCES, REQUEST_SENTENCES
    from cxtext.text.effort import PATTERNS
    from cxtext.text.intent import CUES

    def trigrams(words):
        return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}

    detector = set().union(*(trigrams(_words(p)) for _, p in PATTERNS), *(trigrams(_words(p)) for _, _, p in CUES))
    shared = {s: trigrams(_words(s)) & detector for s in EFFORT_SENTENCES + REQUEST_SENTENCES}
    assert not any(shared.values()), {s: t for s, t in shared.items() if t}
