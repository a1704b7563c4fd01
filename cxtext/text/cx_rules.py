"""Customer-experience phrase semantics that a word lexicon cannot hold: patterns with variable
words ("resolved my complaint", "on hold for 1 hour and 10 minutes", "thanks for nothing").

Each rule rewrites what it matches into one token with its own valence on VADER's scale, before
the lexicon's phrases are rewritten, so VADER's negation, booster and capitalisation rules still
apply around it. Without them VADER reads the problem word and not what happened to it: "They
resolved my complaint quickly" came out negative ("complaint"), "My ticket was closed without the
problem being fixed" positive ("fixed"). The rules are part of the scorer's version
(:data:`cxtext.text.sentiment.RULES_VERSION`).
"""

from __future__ import annotations

import re

from cxtext.text.regex_literals import LiteralIndex, needed_words

_PROBLEM = r"(?:issues?|problems?|complaints?|query|queries|faults?|case|ticket|order|refund|account)"
_OWNER = r"(?:my|the|our|this|that|his|her|their|your|an?)"
_FIXED = r"(?:resolved|sorted(?:\s+out)?|fixed|solved|dealt\s+with|taken\s+care\s+of|handled)"
_NOT = r"(?:not|never|n[o']t|hasn[’']?t|haven[’']?t|wasn[’']?t|weren[’']?t|isn[’']?t|aren[’']?t|yet\s+to\s+be)"
_COUNT = r"(?:\d+(?:[.,]\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|forty|several|many|few)"
_UNIT = r"(?:hours?|hrs?|minutes?|mins?|days?|weeks?|months?)"
_DURATION = rf"(?:(?:over|almost|nearly|about|around|more\s+than|at\s+least)\s+)?{_COUNT}(?:\s+and\s+a\s+half)?\s+{_UNIT}(?:\s+and\s+{_COUNT}\s+{_UNIT})?"

_PRICE = r"(?:prices?|pricing|costs?|fees?|charges?|rates?|bill)"
_DEGREE = r"(?:(?:a\s+(?:bit|little)|way|far|much|really|very|quite|rather|pretty|so|too|to|twice\s+as|ridiculously|insanely|extremely|a\s+bit\s+on\s+the)\s+){0,2}"
#: Who intends something: a modal, or a pronoun with its contraction ("we'll", "I'm"); the
#: contraction is spelt with its pronoun since no match may start right after a letter.
_INTENDS = r"(?:will|wil|would|keep|kept|always|gonna|going\s+to|(?:would|(?:i|we)['’]d)\s+(?:like|love)\s+to|plan(?:ning)?\s+(?:on|to)|hope\s+to|can['’]?t\s+wait\s+to|am|are|(?:i|we|you|they|he|she)['’](?:ll|d|m|re))"

#: (token, valence, pattern); tried in this order, each on the text the previous ones left.
RULES: tuple[tuple[str, float, str], ...] = (
    # a problem that stayed unsolved: "still not resolved", "closed without the problem being fixed"
    (
        "cx_unresolved",
        -2.0,
        rf"{_PROBLEM}\s+(?:(?:is|was|has|have|had|were|are)\s+)?(?:still\s+)?{_NOT}\s+(?:(?:been|being|getting|got)\s+)?(?:still\s+)?{_FIXED}",
    ),
    (
        "cx_unresolved",
        -2.0,
        rf"without\s+(?:{_OWNER}\s+)?(?:\w+\s+)?{_PROBLEM}\s+(?:being|getting|ever\s+being)\s+{_FIXED}",
    ),
    (
        "cx_unresolved",
        -2.0,
        rf"(?:nobody|no\s+one|no-one)\s+(?:could|can|would|will|was\s+able\s+to)\s+(?:actually\s+|even\s+)?(?:solve|fix|resolve|sort(?:\s+out)?|help(?:\s+with)?)(?:\s+{_OWNER}\s+(?:\w+\s+)?{_PROBLEM})?",
    ),
    # a problem put right: "resolved my complaint", "my issue was sorted", "problem solved"
    ("cx_resolved", 2.0, rf"{_FIXED}\s+{_OWNER}\s+(?:\w+\s+)?{_PROBLEM}"),
    (
        "cx_resolved",
        2.0,
        rf"{_PROBLEM}\s+(?:(?:was|were|got|is|are|has\s+been|have\s+been|had\s+been|gets)\s+)?(?:(?:quickly|promptly|immediately|finally|fully|easily)\s+)?{_FIXED}(?!\s+as\b)",
    ),
    # negated problems: "no problems at all", "never had an issue", "without any fuss"
    (
        "cx_no_problem",
        1.5,
        r"(?:never\s+(?:had|have|experienced|encountered)|haven[’']?t\s+had|have\s+not\s+had|without)\s+(?:a|an|any|a\s+single)?\s*(?:problems?|issues?|hassle|fuss|complaints?|trouble|glitch(?:es)?)",
    ),
    (
        "cx_no_problem",
        1.5,
        r"(?<!\bstill\s)(?:no|zero)\s+(?:problems?|hassle|fuss|complaints?|trouble)(?:\s+at\s+all|\s+whatsoever)?",
    ),
    # waits told as durations: "on hold for 1 hour and 10 minutes", "waited three weeks"
    (
        "cx_long_wait",
        -1.8,
        rf"(?:on\s+hold|hold(?:ing)?|wait(?:ed|ing)?|queu(?:ed|ing)|in\s+(?:the\s+)?(?:phone\s+)?queue)\s+(?:for\s+)?{_DURATION}",
    ),
    ("cx_long_wait", -1.8, rf"{_DURATION}\s+(?:on\s+hold|of\s+waiting|in\s+(?:the\s+)?(?:phone\s+)?queue|waiting)"),
    (
        "cx_long_wait",
        -1.8,
        rf"(?<!\bonly\s)(?<!\bjust\s)took\s+(?:them|him|her|us|me|it)?\s*{_DURATION}\s+(?:to|for|before|until)",
    ),
    # prices told as high or low: "the prices are way too high", "steep prices", "low prices"
    (
        "cx_high_price",
        -1.5,
        rf"{_PRICE}\s+(?:(?:are|were|is|was|seem|seemed|seems|got|get|gets)\s+)?{_DEGREE}(?:high|higher|steep)",
    ),
    ("cx_high_price", -1.5, rf"{_DEGREE}(?:high|steep)\s+{_PRICE}"),
    ("cx_low_price", 1.2, rf"{_PRICE}\s+(?:(?:are|were|is|was|seem|seemed|seems)\s+)?{_DEGREE}(?:low|lower)"),
    ("cx_low_price", 1.2, rf"{_DEGREE}low\s+{_PRICE}"),
    # "still" waiting: "still no answer", "still nothing", "still hasn't"
    (
        "cx_still_nothing",
        -1.5,
        r"still\s+(?:no|nothing|none|unanswered|not\s+(?:here|there|arrived|received|fixed|working|resolved|back))\b",
    ),
    # things that did not happen: "no one called back", "a call back that never happened"
    (
        "cx_non_event",
        -2.2,
        r"(?:no\s+one|nobody|no-one|never)\s+(?:ever\s+)?(?:called|rang|phoned|got|wrote|emailed|answered|replied|responded|came|turned\s+up|showed\s+up)(?:\s+(?:me\s+)?back)?",
    ),
    ("cx_non_event", -2.2, r"(?:that|which)\s+never\s+(?:happened|came|arrived|materiali[sz]ed)"),
    ("cx_nothing_changed", -1.2, r"nothing\s+(?:has\s+|had\s+)?(?:changed|happened|improved)"),
    # a label, not a resolution: "marked as resolved" (often followed by "but nothing changed")
    ("cx_marked_closed", 0.0, rf"(?:marked|closed|flagged|set)\s+as\s+{_FIXED}"),
    # intent to come back, a loyalty verdict: "will definitely be going back", "keep coming back";
    # "never going back" and "won't be back" are the lexicon's or negated by VADER
    (
        "cx_will_return",
        1.8,
        rf"{_INTENDS}\s+(?:(?:definitely|definately|definetly|certainly|surely|absolutely|probably|be|so)\s+){{0,2}}(?:(?:coming|going|come|go|returning)\s+back(?!\s+(?:and\s+forth|to\s+(?:bed|work|sleep|school|the\s+(?:store|shop))))|return(?:ing)?(?!\s+(?:it|them|the|this|that|these|those|my|our|an?|items?|products?|orders?|goods|parcels?|packages?)\b))",
    ),
    (
        "cx_will_return",
        1.8,
        r"(?:visit|com(?:e|ing)|go|going|eat|eating|din(?:e|ing)|stay|staying|shop|shopping|fly|flying|return|returning)\s+(?:[^\W\d_]+\s+){0,3}again(?!\s+and\s+again)",
    ),
    # a recommendation told as an imperative: "Try the express delivery.", "Check them out!", "Give it a
    # try.", "a must-visit", "you must try it"
    (
        "cx_recommend",
        1.5,
        r"(?:(?:^|(?<=[.!?]\s))(?:(?:you\s+)?(?:should|must|have\s+to|need\s+to|gotta)\s+|do\s+|definitely\s+|definately\s+)?(?:try\s+(?:the|their|this|these|it|them|out|a|an|some|one)|check\s+(?:it|them|this\s+[^\W\d_]+)\s+out|give\s+(?:it|them|this\s+[^\W\d_]+)\s+a\s+(?:try|shot|go))|must[\s-]+(?:try|visit|see|buy))",
    ),
    # praise through a negation VADER would flip: "can't recommend them enough", "could not have been
    # better", "I cannot imagine a friendlier staff"
    (
        "cx_top_praise",
        2.5,
        r"(?:can[’']?t|cannot|can\s+not|couldn[’']?t|could\s+not)\s+(?:(?:recommend|praise|thank)\s+(?:[^\W\d_]+\s+){0,3}?(?:enough|more\s+highly|highly\s+enough)|(?:have\s+been|be|get|ask\s+for)\s+(?:any\s+|a\s+|much\s+)?better|(?:imagine|think\s+of|ask\s+for|wish\s+for)\s+(?:a\s+|an\s+|any\s+)?(?:better|nicer|friendlier|more\s+[^\W\d_]+))",
    ),
    ("cx_worst", -2.5, r"(?:can[’']?t|cannot|couldn[’']?t|could\s+not)\s+(?:have\s+been|be|get)\s+(?:any\s+|much\s+)?worse"),
    # a verdict on the place itself: "this is not the place to go", "NOT your place"
    (
        "cx_not_the_place",
        -1.8,
        r"not\s+(?:the|a|your)\s+(?:place|shop|store|company|app|brand)\s+(?:to\s+(?:go|buy|shop|eat)|for\s+(?:you|them|us))",
    ),
    # what should have been: "could have been a lot better", "could be improved", "needs improvement"
    (
        "cx_should_be_better",
        -1.5,
        r"(?<!nothing\s)(?<!never\s)(?:could|should|would|might)\s+(?:have\s+been|be|use)\s+(?:a\s+|some\s+)?(?:(?:a\s+lot|a\s+little|a\s+bit|so\s+much|much|far|way)\s+)?(?:better|improved|improvement|nicer)",
    ),
    (
        "cx_should_be_better",
        -1.5,
        r"(?:needs?|needed|room\s+for)\s+(?:some\s+|more\s+|a\s+lot\s+of\s+)?(?:improvement|improving|work)",
    ),
    # praise VADER cannot hold in its lexicon: it takes "incredible" and "exceptional" for boosters of
    # the next word, so "the service was exceptional" reads neutral; the adverbs stay boosters
    ("cx_exceptional", 2.5, r"(?:incredible|exceptional)"),
    # what came was not what was wanted: "not what I ordered", "wasn't what we had hoped for"
    (
        "cx_not_as_expected",
        -1.5,
        r"(?:not|never|nothing\s+like|(?:was|is|were|are|does|did)n['’]?t)\s+(?:exactly\s+|quite\s+|really\s+)?what\s+(?:i|we|you)\s+(?:had\s+|would\s+have\s+|['’]d\s+)?(?:hoped|expected|wanted|ordered|asked|paid)(?:\s+for)?",
    ),
    # a limit, not praise: "mediocre at best" (VADER reads "best" +3.2); "at Best Buy" is a shop
    ("cx_at_best", 0.0, r"at\s+best(?!\s+buy)"),
    # sarcastic thanks: "thanks for nothing", "thank you for ruining my weekend"
    (
        "cx_sarcastic_thanks",
        -2.0,
        r"thanks?\s+(?:you\s+)?(?:so\s+much\s+|a\s+lot\s+)?for\s+(?:nothing|ruining|wasting|losing|breaking|cancell?ing|making\s+me\s+wait|leaving\s+me|keeping\s+me|the\s+(?:delay|wait|runaround))",
    ),
    # requests for help: a customer stuck, not praise of help
    (
        "cx_help_request",
        -1.0,
        r"(?:any\s+help\s+(?:would\s+be|is|will\s+be)\s+(?:much\s+|greatly\s+|really\s+)?(?:appreciated|great|welcome)|please\s+help(?:\s+me)?|(?:can|could)\s+(?:someone|anyone|somebody|you)\s+(?:please\s+)?help(?:\s+me)?|(?:i\s+)?need\s+(?:some\s+)?help)",
    ),
)
VALENCES = {token: valence for token, valence, _ in RULES}
_COMPILED = tuple((token, re.compile(rf"(?<![\w'’]){pattern}(?![\w'’])", re.IGNORECASE)) for token, _, pattern in RULES)
#: Per rule, the words one of which every match contains (cxtext.text.regex_literals).
_NEEDED = tuple(needed_words(pattern) for _, _, pattern in RULES)
_INDEX = LiteralIndex(_NEEDED)


def apply_rules(text: str) -> str:
    """The text with every rule's matches rewritten into the rule's token, capitals kept when the
    match was all capitals (VADER reads ALL-CAPS as emphasis). A rule whose regex names words
    every match contains is run only on a text holding one of them (most texts hold none: the
    rules were a fifth of the sentiment time)."""
    candidates = _INDEX.candidates(text)
    i = 0
    while i < len(candidates):
        number = candidates[i]
        i += 1
        token, pattern = _COMPILED[number]
        rewritten = pattern.sub(lambda m, t=token: t.upper() if m.group(0).isupper() else t, text)
        if rewritten != text:  # the later rules read the rewritten text: its words again
            text = rewritten
            candidates = [n for n in _INDEX.candidates(text) if n > number]
            i = 0
    return text
