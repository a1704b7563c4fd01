"""The effort a customer describes: what the surveys' Customer Effort Score asks about, read from
the text ("I had to call three times", "transferred four times", "two hours on hold", "filled in
the same form again").

Six kinds of signal, each found by rules with its span:

- ``repeated_contact``: contacting the company more than once (a count of calls, emails, visits);
- ``transfer``: being passed between people, departments or channels;
- ``wait``: waiting, with a duration ("on hold for 40 minutes", "waited three weeks");
- ``redo``: having to do something again (resubmit, re-explain, start over);
- ``paperwork``: forms, documents, faxes, notarised or certified letters to produce;
- ``chasing``: following up, chasing, no answer, promised call-backs that never came.

**Effort score** (docs/EFFORT_GUIDE.md): the sum of the weights of a feedback's signals, each kind
counted at most twice, capped at ``MAX_SCORE``::

    score = min(10, sum over kinds k of WEIGHTS[k] * min(count_k, 2)),   a wait of a day or more
                                                                          weighs WEIGHTS["wait"] + 1

0 means the text describes no effort; 1-2 some; 3-5 a lot; 6 and more an ordeal. It ranks texts
(the evaluation reports its Spearman correlation with survey CES answers); it is not a CES answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from cxtext.text.regex_literals import ANY_CHARACTER, LiteralIndex, consumable_characters, needed_groups

EFFORT_KINDS = ("repeated_contact", "transfer", "wait", "redo", "paperwork", "chasing")
WEIGHTS = {"repeated_contact": 2.0, "transfer": 2.0, "wait": 1.0, "redo": 2.0, "paperwork": 1.0, "chasing": 1.5}
MAX_SCORE = 10.0
#: Version of the rules: part of the enrichment's sentiment version, so a change re-enriches.
EFFORT_VERSION = "effort-1"

_NUM = (
    r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|a few|few|"
    r"several|multiple|many|numerous|countless|dozens of|a dozen|a couple of|a couple|half a dozen|over \d+|more than \d+)"
)
_MANY = (
    r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|several|multiple|many|"
    r"numerous|countless|dozens of|a dozen|half a dozen|repeated|(?:at least|over|more than|about|around|nearly) "
    r"(?:\d+|two|three|four|five|six|ten|twenty))"
)
_CONTACT_VERB = (
    r"(?:call(?:ed|ing)?|phon(?:ed|ing)|ring(?:ing)?|rang|email(?:ed|ing)?|e-mail(?:ed|ing)?|contact(?:ed|ing)?|"
    r"wr(?:ote|itten|ite|iting)(?: to)?|messag(?:ed|ing)|chat(?:ted|ting)(?: with)?|spo(?:ke|ken) (?:to|with)|"
    r"visit(?:ed|ing)|went (?:in)?to|reach(?:ed)? out to|tried to (?:call|contact|reach))"
)
_PEOPLE = (
    r"(?:departments?|agents?|representatives?|reps?|people|persons?|supervisors?|managers?|someone|somebody|"
    r"staff|teams?|branch(?:es)?|offices?|specialists?|lines?|numbers?|queues?|call cent(?:er|re)s?)"
)
_UNIT = r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)"
_DURATION = rf"(?:(?:over|more than|about|around|almost|nearly|at least|another|an|a|half an|{_NUM}) ){{1,2}}(?:\w+ )?{_UNIT}"
_LONG_UNIT = re.compile(r"days?|weeks?|months?|years?", re.IGNORECASE)

_ME = r"(?:i|we|i've|we've|i'd|we'd|myself|my (?:husband|wife|partner|son|daughter|mother|father))"
_AGAIN = (
    r"(?:again|twice|a second time|a third time|once more|every time|each time|(?:several|multiple|numerous|three|four|"
    r"five|\d+) times|over and over)"
)

PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "repeated_contact",
        rf"\b{_CONTACT_VERB}\b(?! (?:me|us)\b)(?: \S+){{0,5}}? (?:{_MANY} times|(?:over and over|again and again|"
        r"time (?:and|after) time|repeatedly|every (?:day|week)|twice))\b",
    ),
    (
        "repeated_contact",
        rf"\b(?:made|placed|sent|written|wrote|left|after|despite) (?:\w+ ){{0,2}}?{_MANY} (?:phone )?"
        r"(?:calls|emails|e-mails|letters|messages|chats|visits|attempts to (?:contact|reach|call))\b",
    ),
    ("repeated_contact", rf"\b{_MANY} (?:phone )?calls to\b|\b{_MANY} attempts to (?:contact|reach|call)\b"),
    (
        "repeated_contact",
        rf"\b(?:repeatedly|continuously|constantly|again and again|numerous times|multiple times) "
        rf"(?:\w+ )?{_CONTACT_VERB}\b(?! (?:me|us)\b)",
    ),
    ("repeated_contact", r"\b(?:called|phoned|emailed|wrote|contacted (?:them|you|the \w+)) (?:back |them )?again\b"),
    (
        "transfer",
        rf"\b(?:transferr?(?:ed|ing)|passed|bounced|shuffled|sent|handed|redirected|referred) (?:me |us )?"
        rf"(?:around|back and forth|from (?:one|department|agent|person|rep)\w* to|(?:to |between )(?:another|"
        rf"a different|different|other|the wrong|yet another|{_NUM}) {_PEOPLE}|{_MANY} times|again)\b",
    ),
    (
        "transfer",
        r"\b(?:i was|we were|i got|i've been|i have been|kept being|keep being|keeps|kept) (?:transferr?ed|"
        r"transferring me|passing me|bounced|passed)(?: around| back and forth| from \w+ to \w+)\b",
    ),
    ("transfer", rf"\b(?:transferr?ed|put through) (?:to|between) (?:\w+ )?{_PEOPLE}\b(?= (?:who|and|but|then|again))"),
    (
        "wait",
        rf"\b(?:on hold|held|kept waiting|waited|waiting|wait(?:ed)? time|hold time|queued?|in (?:a |the )?queue)"
        rf"(?: \w+){{0,3}}? (?:for )?{_DURATION}\b",
    ),
    ("wait", rf"\b{_DURATION} (?:on hold|in (?:a |the )?queue|of waiting|wait(?:ing)?|hold)\b"),
    (
        "wait",
        rf"\b(?:took|taken|taking|takes) (?:them |it |me )?{_DURATION} (?:to (?:answer|respond|reply|pick up|get "
        r"through|process|resolve|fix|get back|hear|receive|refund))\b",
    ),
    (
        "redo",
        r"\b(?:re-?submit\w*|re-?send\w*|re-?sent|re-?apply\w*|re-?appli\w*|re-?fil(?:e|ed|ing)|re-?enter\w*|"
        r"re-?upload\w*|re-?explain\w*|re-?fax\w*|re-?mail(?:ed|ing)|re-?dispute\w*)\b",
    ),
    ("redo", r"\b(?:start(?:ed|ing)?|begin|began) (?:all )?over(?: again)?\b|\bfrom scratch\b"),
    (
        "redo",
        rf"\b{_ME}(?: \w+)? (?:had|have|has|was|were|am|are|needed|need|got) (?:forced |asked |made |told )?to "
        rf"(?!be\b|{_CONTACT_VERB}\b)(?:\w+ ){{1,5}}?{_AGAIN}\b",
    ),
    ("redo", rf"\b(?:forced|asked|made|told|required|instructed) (?:me|us) (?:to )?(?:\w+ ){{1,5}}?{_AGAIN}\b"),
    (
        "redo",
        rf"\b{_ME} (?:\w+ )?(?:explain(?:ed)?|repeat(?:ed)?|sent|send|submitted|submit|provided|provide|faxed|mailed|"
        rf"uploaded|filled)(?: \w+){{0,4}}? {_AGAIN}\b",
    ),
    (
        "redo",
        r"\b(?:asked|asking|ask|requested|requesting|wanted) (?:me |us )?(?:for|to (?:send|provide|fill|submit|answer|"
        r"explain)(?: in| out)?) (?:all )?(?:of )?the same (?:form|forms|information|info|documents?|paperwork|questions?|"
        r"story|details)\b",
    ),
    (
        "paperwork",
        r"\b(?:(?:i|we) (?:had to |have to |then |also )?fax(?:ed)?|faxing|notari[sz](?:ed?|ing)|certified (?:mail|letter)|"
        r"affidavits?|(?:fill|filled|filling|complete|completed|completing|submit\w*|sen[dt]|redo) "
        r"(?:out |in )?(?:\w+ ){0,2}?(?:forms?|applications? forms?|questionnaires?|paperwork)|(?:more|mountains? of|"
        r"piles? of|endless|stacks? of) paperwork)\b",
    ),
    (
        "paperwork",
        rf"\b{_ME}(?: \w+){{0,3}}? (?:sent|send|submitted|submit|provided|provide|uploaded|upload|mailed|mail|gave|"
        r"faxed|produced) (?:them |it |you |him |her )?(?:\w+ ){0,3}?(?:documents|documentation|copies|proofs? of|"
        r"paperwork|statements|receipts|evidence)\b",
    ),
    (
        "chasing",
        r"\b(?:follow(?:ed|ing)? up|follow-ups?|followups?|(?-i:chas(?:ed|ing)|chase (?:them|him|her|it|up|after|"
        r"this|the))|escalated? (?:my|the|this|it)|(?:had|have|get|got|asked to have) (?:\w+ ){0,3}?escalated)\b",
    ),
    (
        "chasing",
        r"\b(?:(?:never|no one|nobody|not once|didn't|did not|have not|haven't|has not|hasn't|still not|yet to) "
        r"(?:\w+ )?(?:called|call|got|get|gotten|heard|hear|responded|respond|replied|reply|received|receive|"
        r"wrote|write|came|come) (?:me |us )?(?:back|a (?:response|reply|call ?back|answer)|any (?:response|reply|"
        r"answer)|an answer|from (?:them|anyone|you)))\b",
    ),
    (
        "chasing",
        r"\b(?:got|received|with|but|and|still|yet) no (?:response|reply|answer|call ?back|return call|one (?:ever )?"
        r"(?:called|got back|responded))\b",
    ),
    (
        "chasing",
        r"\b(?:promised|said (?:they|he|she) would|supposed) (?:to )?(?:call|get|email|write) (?:me |us )?back\b",
    ),
    ("chasing", r"\b(?:kept|keep|keeps) (?:calling|asking|emailing|writing|checking|pushing)\b"),
    (
        "chasing",
        r"\bstill (?:waiting|no (?:word|answer|response|reply)|have(?:n't| not) (?:heard|received|got(?:ten)?) "
        r"(?:back|from|a (?:response|reply|answer|call)|any))\b",
    ),
)
_COMPILED = tuple((kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in PATTERNS)
#: Per pattern, the sets of words every match contains one of each of (cxtext.text.regex_literals):
#: indexed by the most selective, the others checked too ("again" and "to" and "had/have...").
_GROUPS = tuple(needed_groups(pattern) for _, pattern in PATTERNS)
_NEEDED = tuple(groups[0] if groups else None for groups in _GROUPS)
_INDEX = LiteralIndex(_NEEDED, also=tuple(groups[1:] for groups in _GROUPS))


#: The patterns that may match across sentences (they consume characters they cannot name, such
#: as \S): run on the whole text. The others consume word characters, whitespace and _CONSUMED
#: only, and start at a word boundary (see sentence_signals).
_CROSSING = frozenset(n for n, (_, pattern) in enumerate(PATTERNS) if consumable_characters(pattern) is ANY_CHARACTER)
_CONSUMED = frozenset().union(*(consumable_characters(pattern) for n, (_, pattern) in enumerate(PATTERNS) if n not in _CROSSING))


@dataclass(frozen=True)
class EffortSignal:
    kind: str
    start: int
    end: int
    evidence: str
    weight: float


def signals(text: str) -> list[EffortSignal]:
    """The effort signals of *text*, in text order; overlapping matches keep the earliest (then
    the longest), so one phrase is one signal."""
    return _kept(_matches(text, _INDEX.candidates(text)))


def sentence_signals(text: str, spans: Sequence[tuple[int, int]]) -> list[EffortSignal]:
    """= signals(text), from its sentences (character ranges [start, end) of *text*, in order),
    each sentence's matches remembered: templated surveys, stock phrases and retweets repeat whole
    sentences in other texts, and the rules' own time was most of a text's effort cost.

    Exact where sentences join as sentences do: the first starts the text, the last ends it, only
    whitespace between them, and each but the last ends in a character that is no word character
    and that no pattern but the crossing ones (_CROSSING) can consume (punctuation, as the
    sentencizer ends sentences). Then no match of the others crosses a joint, what they check
    beside a match (\\b, lookaheads) reads the same on both sides, and the text's needed words are
    its sentences' (LiteralIndex.held). The crossing patterns run on the whole text when its words
    ask for them. Other texts are read whole."""
    if len(spans) < 2 or not _joined_as_sentences(text, spans):
        return signals(text)
    found, held = [], frozenset()
    for start, end in spans:
        sentence_held, matches = _sentence_matches(text[start:end])
        held = None if held is None or sentence_held is None else held | sentence_held
        found += [(number, kind, start + s, start + e, evidence, weight) for number, kind, s, e, evidence, weight in matches]
    crossing = [number for number in _INDEX.select(held) if number in _CROSSING]
    return _kept(found + _matches(text, crossing) if crossing else found)


def _joined_as_sentences(text: str, spans: Sequence[tuple[int, int]]) -> bool:
    if spans[0][0] != 0 or spans[-1][1] != len(text):
        return False
    for (_, end), (following, _) in zip(spans, spans[1:]):
        last = text[end - 1 : end]
        if not last or last.isalnum() or last == "_" or last.isspace() or last in _CONSUMED or text[end:following].strip():
            return False
    return True


#: What of a sentence's held set the crossing patterns' choice reads, and those cuts, shared.
_CROSSING_NEEDS = _INDEX.needs(_CROSSING)
_CUTS: dict[frozenset[int], frozenset[int]] = {}


@lru_cache(maxsize=1 << 14)
def _sentence_matches(sentence: str) -> tuple[frozenset[int] | None, tuple[tuple, ...]]:
    """The part of a sentence's held words (LiteralIndex.held) the crossing patterns need, and
    the matches of the patterns that do not cross sentences (bounded like the analysis' other
    sentence caches, cxtext.enrich.analyse; a whole held set took about 600 bytes a sentence)."""
    held = _INDEX.held(sentence)
    local = [number for number in _INDEX.select(held) if number not in _CROSSING]
    if held is not None:
        cut = held & _CROSSING_NEEDS
        held = _CUTS.setdefault(cut, cut)
    return held, tuple(_matches(sentence, local))


def _matches(text: str, numbers: Sequence[int]) -> list[tuple]:
    """(pattern number, kind, start, end, evidence, weight) of every match of those patterns."""
    found = []
    for number in numbers:  # the others name a word the text does not hold
        kind, pattern = _COMPILED[number]
        for match in pattern.finditer(text):
            weight = WEIGHTS[kind]
            if kind == "wait" and _LONG_UNIT.search(match.group()):
                weight += 1.0
            found.append((number, kind, match.start(), match.end(), match.group(), weight))
    return found


def _kept(found: list[tuple]) -> list[EffortSignal]:
    """The earliest, then longest, then first pattern's of overlapping matches, in text order."""
    found.sort(key=lambda m: (m[2], -(m[3] - m[2]), m[0]))
    kept: list[EffortSignal] = []
    for _, kind, start, end, evidence, weight in found:
        if not kept or start >= kept[-1].end:
            kept.append(EffortSignal(kind, start, end, evidence, weight))
    return kept


def effort_score(found: list[EffortSignal]) -> float:
    """The feedback's effort score (module docstring): each kind counts its two weightiest signals."""
    by_kind: dict[str, list[float]] = {}
    for signal in found:
        by_kind.setdefault(signal.kind, []).append(signal.weight)
    return min(MAX_SCORE, sum(sum(sorted(weights, reverse=True)[:2]) for weights in by_kind.values()))
