"""What a sentence asks of us: a complaint, a question or request for help, a suggestion or request
for a change, praise, or none of these ("other"), with the words that show it.

Rules and cue lexicons written from how customers word these acts in any domain ("please add",
"it would be nice if", "how do I", "keeps crashing", "love it"): a score is not a sentiment, a
question is not a complaint, and a request is roadmap input. Each cue has a weight; a sentence's
score for an intent is the sum of its cues' weights; the first intent of ``PRIORITY`` whose score
reaches its threshold wins, and its strongest cue is the evidence. ``SUGGESTION_THRESHOLD`` was
chosen on the SemEval-2019 suggestion *trial* file (``cxtext eval``, "Intent"), never on its
evaluation file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cxtext.text.regex_literals import LiteralIndex, needed_words

INTENTS = ("complaint", "question", "suggestion", "praise", "other")
#: When a sentence carries several intents, the one it is stored under: a request for a change is
#: roadmap input even when it is worded as a question ("can you add dark mode?"); a problem report
#: worded as a question ("why does it keep crashing?") is a complaint.
PRIORITY = ("suggestion", "complaint", "question", "praise")
#: Score a sentence needs for the suggestion intent (chosen on the SemEval-2019 trial file).
SUGGESTION_THRESHOLD = 1.0
THRESHOLDS = {"suggestion": SUGGESTION_THRESHOLD, "complaint": 1.0, "question": 1.0, "praise": 1.0}

_ACTION = (
    r"add|allow|make|provide|include|consider|support|bring(?: back)?|let|give|enable|implement|introduce"
    r"|offer|extend|improve|create|put|expose|integrate|show|display|keep|remove|change|update|open|use"
    r"|develop|design|publish|release|start|have|send|set|increase|reduce|lower|fix"
)
_FEATURE = r"(?:option|way|setting|button|feature|ability|function(?:ality)?|choice|mode|filter|tool)"
_NEG = r"(?:n't|not|never|no longer|cannot|can ?not|won't|wont|doesnt|dont|cant|isnt|didnt)"
_PROBLEM_VERB = (
    r"work(?:s|ing)?|load(?:s|ing)?|open(?:s|ing)?|start(?:s|ing)?|connect(?:s|ing)?|sync(?:s|ing)?"
    r"|respond(?:s|ing)?|arrive[ds]?|deliver(?:ed)?|show(?:s|ing)? up|turn(?:s|ed)? up|come|came"
    r"|receive[ds]?|get (?:it|them|my|a)|play(?:s|ing)?|download(?:s|ing)?|update[sd]?|install(?:s|ed)?"
    r"|log(?:s)? ?in|sign(?:s)? ?in|save[sd]?|send(?:s)?|print(?:s)?|fit(?:s)?|charge[sd]?|refund(?:ed)?"
)

#: (intent, weight, pattern). Patterns are matched case-insensitively on the sentence.
CUES: tuple[tuple[str, float, str], ...] = (
    # --- a request for a change ---
    ("suggestion", 2.0, rf"\b(?:please|pls|plz|kindly)\s+(?:(?:do|just|also|try to)\s+)?(?:{_ACTION})\b"),
    (
        "suggestion",
        2.0,
        r"\bit(?:'d| would| will)? be (?:really |very |so |much |a lot |even )?(?:nice|great|good|helpful|"
        r"useful|awesome|cool|better|wonderful|fantastic|ideal|convenient|handy|easier|an? (?:improvement|"
        r"plus|bonus|great|nice|good|useful|welcome)|beneficial|preferable|perfect)\b",
    ),
    (
        "suggestion",
        2.0,
        r"\bwould (?:be|make (?:it|this|things)) (?:so |much |really |a lot |even )?(?:nice|great|helpful|"
        r"useful|awesome|cool|better|easier|a (?:nice|great|good|useful|welcome) (?:addition|feature|option|"
        r"improvement|touch))\b",
    ),
    (
        "suggestion",
        2.0,
        r"\b(?:i|we)(?: would| 'd|'d)?\s+(?:strongly |also |really )?(?:suggest|recommend (?:that|adding|you)|"
        r"propose|request)(?:s|ed|ing)?\b",
    ),
    (
        "suggestion",
        2.0,
        r"\b(?:my |a |one |the )?(?:suggestion|feature request|request|proposal|wish)(?: would be| is|:)",
    ),
    ("suggestion", 2.0, r"\b(?:i|we) (?:really |just |only )?wish\b"),
    (
        "suggestion",
        2.0,
        r"\b(?:i|we)(?:'d| would)? (?:really |also |sure |just )?(?:like|love|prefer|want)(?: it)? (?:to (?:see|have|be "
        r"able to|get)|if|it if|an? (?:option|way|setting|button|feature|choice))\b",
    ),
    ("suggestion", 2.0, r"\bwhy (?:not|don't you|dont you|can't you|cant you|not just)\b"),
    (
        "suggestion",
        2.0,
        r"\b(?:there|it|you|they|this|the \w+|we|users?|one) (?:should|ought to|must|needs? to|has to) "
        rf"(?:(?:also|really|just|definitely|at least|still|always) )?(?:be(?: able to)?|have|{_ACTION}|"
        r"allow|let|offer|get|give|work|consider|think about|come)\b",
    ),
    ("suggestion", 2.0, rf"\b(?:need|needs|want|wants)(?: to have)? (?:an?|the|some|more) (?:\w+ )?{_FEATURE}\b"),
    ("suggestion", 2.0, rf"\b(?:an?|the|some) {_FEATURE}s? (?:to|for|that|which) (?:\w+ ){{0,6}}would be\b"),
    (
        "suggestion",
        2.0,
        rf"\b(?:could|can|would|will) (?:you|they|we) (?:please |possibly |guys |also |just )*(?:{_ACTION}|get|"
        r"think about|look into)\b",
    ),
    ("suggestion", 2.0, r"\b(?:how|what) about (?:adding|having|making|allowing|an?|some|the option)\b"),
    (
        "suggestion",
        2.0,
        r"\b(?:if only|hope (?:you|they|that you|that they) (?:will|can|could|would|add|make|bring|fix))\b",
    ),
    (
        "suggestion",
        2.0,
        rf"^\W*(?:(?:also|and|so|but|just|then|maybe|perhaps)\s*,?\s+)?(?:{_ACTION}|let us|give us|bring back)\b"
        r"(?! (?:it|this|that|them|me|you)\b(?! (?:possible|easier|available)))"
        r"(?! \w+ed\b| (?:staff|team|agents?|people|was|were|is|are|has|had|sent)\b)",
    ),
    (
        "suggestion",
        1.0,
        r"(?<!nobody )(?<!no one )(?<!never )\b(?:should|shouldn't|could|would)\b"
        r"(?! (?:have|'ve|of) (?:been|had|got|done|known|thought))",
    ),
    (
        "suggestion",
        1.0,
        r"\b(?:option to|ability to|(?:would|should|could|to|will) be able to|instead of|in the future|future (?:version|release|update)s?|"
        r"next (?:version|release|update))\b",
    ),
    ("suggestion", 1.0, rf"\b(?:more|additional|extra|better|new) {_FEATURE}s?\b"),
    # --- a problem the customer reports ---
    ("complaint", 2.0, rf"\b(?:{_NEG})\s+(?:\w+\s+)?(?:{_PROBLEM_VERB})\b"),
    (
        "complaint",
        2.0,
        r"\b(?:crash(?:es|ed|ing)?|freez(?:e|es|ing)|froze|frozen|glitch(?:es|y)?|bugg?y|bugs?|error(?:s)?|"
        r"broken|broke|fail(?:s|ed|ing|ure)?|malfunction\w*|stuck|unusable|useless|lag(?:s|gy|ging)?|"
        r"(?:keeps?|kept) (?:\w+ing|on \w+ing)|force close[sd]?|not responding|unresponsive|blank screen)\b",
    ),
    (
        "complaint",
        2.0,
        r"\b(?:never|still (?:not|haven't|hasn't|no)|not yet) (?:arrived|received|came|showed up|turned up|got|"
        r"been|refunded|delivered|fixed|resolved|answered|heard)\b",
    ),
    (
        "complaint",
        2.0,
        r"\b(?:charged (?:twice|double|me twice|two times)|overcharged|double charged|wrong (?:item|order|size|"
        r"product|charge|amount|address|information|info)|damaged|missing|lost (?:my|our|the)|late|delayed|"
        r"delay|cancell?ed (?:my|our|without)|rude|unhelpful|refused|denied|ignored|misleading|scam|fraud\w*|"
        r"unauthori[sz]ed|incorrect(?:ly)?|inaccurate|waste of)\b",
    ),
    (
        "complaint",
        1.0,
        r"\b(?:problem|problems|issue|issues|terrible|awful|horrible|worst|disappoint\w*|frustrat\w*|annoy\w*|"
        r"unacceptable|ridiculous|poor|bad|slow|nightmare|complain\w*|sucks?|hate|angry|upset)\b",
    ),
    ("complaint", 1.0, r"\bplease (?:fix|resolve|sort|repair|correct)\b"),
    # --- a question or a request for help ---
    (
        "question",
        2.0,
        r"\b(?:how (?:do|can|could|should|would) (?:i|we|you|one)|how to|is (?:there|it) (?:a|any|some) way|"
        r"where (?:do|can|should) (?:i|we)|what (?:do|should|can) (?:i|we)|(?:can|could|would) (?:someone|"
        r"anyone|somebody|you) (?:please )?(?:help|tell|explain|advise|let me know)|does (?:anyone|anybody) know|"
        r"(?:any|some) (?:help|advice|ideas|suggestions)\?|(?:please|pls|plz) (?:help|advise|let me know|"
        r"tell me|explain)|(?:i|we) need (?:some )?help|(?:i'm|i am|we are) (?:wondering|not sure) "
        r"(?:how|if|whether|what|where|why)|i was wondering)\b",
    ),
    ("question", 1.0, r"\?"),
    # --- praise ---
    (
        "praise",
        2.0,
        r"\b(?:love|loved|loving|adore|excellent|amazing|awesome|fantastic|wonderful|brilliant|superb|outstanding|"
        r"perfect|perfectly|great|terrific|impressive|impressed|delighted|thank(?:s| you)|kudos|the best|best "
        r"(?:app|service|product|experience|ever)|highly recommend\w*|would recommend|recommend (?:it|this)|"
        r"(?:very |so |really )?(?:helpful|friendly|easy to use|pleased|happy|satisfied)|works (?:great|well|"
        r"perfectly|like a charm|fine)|five stars|5 stars|good job|well done|nice)\b",
    ),
    ("praise", 1.0, r"\b(?:good|like it|like this|fast|quick|smooth|useful|handy|enjoy\w*|fun)\b"),
)
_COMPILED = tuple((intent, weight, re.compile(pattern, re.IGNORECASE)) for intent, weight, pattern in CUES)
#: Per cue, the words one of which every match contains (cxtext.text.regex_literals): a cue runs
#: only on a sentence holding one of them (most sentences hold few; the cues were tried at every
#: character of every sentence).
_NEEDED = tuple(needed_words(pattern) for _, _, pattern in CUES)
_INDEX = LiteralIndex(_NEEDED)
_NEGATED = re.compile(
    rf"\b(?:{_NEG}|no|nothing|hardly|barely|without|not very|not so|not that|less than)\W+(?:\w+\W+)?$", re.IGNORECASE
)


@dataclass(frozen=True)
class Intent:
    """A sentence's intent, its scores, and the evidence: the span of its strongest cue."""

    intent: str
    score: float
    start: int = 0
    end: int = 0
    evidence: str = ""


def scores(sentence: str) -> dict[str, tuple[float, tuple[int, int, float] | None]]:
    """Per intent: the summed weight of its cues in *sentence*, and its strongest cue (start, end,
    weight). A praise cue under a negation ("not great", "never helpful") counts for nothing: it
    is a complaint's word, not praise."""
    out: dict[str, tuple[float, tuple[int, int, float] | None]] = {i: (0.0, None) for i in PRIORITY}
    for number in _INDEX.candidates(sentence):  # the others name a word the sentence does not hold
        intent, weight, pattern = _COMPILED[number]
        for match in pattern.finditer(sentence):
            if intent == "praise" and _NEGATED.search(sentence[max(0, match.start() - 30) : match.start()]):
                continue
            total, best = out[intent]
            if best is None or weight > best[2]:
                best = (match.start(), match.end(), weight)
            out[intent] = (total + weight, best)
            break  # a cue counts once per sentence
    if out["suggestion"][0] and out["complaint"][1] and out["complaint"][1][2] >= 2.0 and not _asks(sentence):
        # "it should work but it crashes": a modal beside a problem report is the report, not a request
        out["suggestion"] = (out["suggestion"][0] - 1.0, out["suggestion"][1])
    return out


def _asks(sentence: str) -> bool:
    """Whether the sentence has a strong request cue (weight 2)."""
    return any(w >= 2.0 and p.search(sentence) for i, w, p in _COMPILED if i == "suggestion")


def classify(sentence: str, suggestion_threshold: float = SUGGESTION_THRESHOLD) -> Intent:
    """The sentence's intent: the first of PRIORITY whose score reaches its threshold, else 'other'."""
    found = scores(sentence)
    thresholds = THRESHOLDS | {"suggestion": suggestion_threshold}
    for intent in PRIORITY:
        total, best = found[intent]
        if best is not None and total >= thresholds[intent]:
            start, end, _ = best
            return Intent(intent, total, start, end, sentence[start:end])
    return Intent("other", 0.0)


def feedback_intents(intents: list[Intent]) -> tuple[str, ...]:
    """The intents a feedback carries (its sentences' intents but 'other'), in INTENTS order."""
    present = {i.intent for i in intents}
    return tuple(i for i in INTENTS if i in present and i != "other")


#: Version of the rules: part of the enrichment's sentiment version, so a change re-enriches.
INTENT_VERSION = "intent-1"
