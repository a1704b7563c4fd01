"""The checks a theme match must pass in its sentence: its sense guards (near and not_near words
around it) and no negation before it in its clause. They read the words' LOWER and LEMMA hashes
from one array of the document, not a spaCy Token per word (making Token objects was most of
their cost); a word's hash stands for the word (cxtext.text.nlp.string_key)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cxtext.text.nlp import string_key

NEGATIONS = frozenset({"no", "not", "n't", "never", "without", "nothing", "none", "nobody", "hardly", "zero", "nor"})
#: How many tokens before a match a negation may stand ("no real problem with").
NEGATION_WINDOW = 4
#: Words that end the negation's reach: "no problem with checkout but the delivery was late".
CLAUSE_BREAKS = frozenset({"but", "however", "although", "though", "yet", "whereas", ";", ".", "!", "?"})
#: A negated problem word reaches further, to the match later in its clause: "never had an issue
#: with checkout", "no complaints at all about the delivery" (up to a comma or a clause break).
PROBLEM_WORDS = frozenset(
    {
        "problem",
        "issue",
        "complaint",
        "complain",
        "trouble",
        "fault",
        "hassle",
        "worry",
        "concern",
        "fuss",
        "drama",
        "hiccup",
        "niggle",
    }
)
PROBLEM_REACH = 10
REACH_BREAKS = CLAUSE_BREAKS | {",", "until", "except", "apart"}


def hashes(words) -> frozenset[int]:
    return frozenset(string_key(w) for w in words)


@dataclass(frozen=True)
class _Words:
    negations: frozenset[int]
    breaks: frozenset[int]
    reach_breaks: frozenset[int]
    problems: frozenset[int]


@lru_cache(maxsize=1)
def _words() -> _Words:
    return _Words(hashes(NEGATIONS), hashes(CLAUSE_BREAKS), hashes(REACH_BREAKS), hashes(PROBLEM_WORDS))


def sense_ok(rows: list[list[int]], start: int, end: int, sent_start: int, sent_end: int, near, not_near, window: int) -> bool:
    """The words (LOWER and LEMMA, the rows' first two columns) within *window* of the match
    [start, end) and inside it, in its sentence, include a near word (when there are some) and no
    not_near word."""
    context = {w for row in rows[max(sent_start, start - window) : min(sent_end, end + window)] for w in row[:2]}
    if near and context.isdisjoint(near):
        return False
    return context.isdisjoint(not_near)


def negated(rows: list[list[int]], start: int, end: int, sentence_start: int, own_words: frozenset[int]) -> bool:
    """A negation shortly before the match in its clause, or inside a gapped match ("order was not
    late"), unless the matching phrase or pattern names it itself ("never arrived"); or a negated
    problem word earlier in the clause ("never had an issue with checkout"). *rows*: each word's
    LOWER and LEMMA hashes first; *own_words*: hashes."""
    words = _words()
    negations = words.negations
    for i in range(start, end):  # the first token too: a pattern may open with a NOT_IN token
        lower, lemma = rows[i][0], rows[i][1]
        if (lower in negations or lemma in negations) and lower not in own_words:
            return True
    for i in range(start - 1, max(sentence_start, start - NEGATION_WINDOW) - 1, -1):
        lower, lemma = rows[i][0], rows[i][1]
        if lower in words.breaks:
            return False
        if lower in negations or lemma in negations:
            return True
    for i in range(start - 1, max(sentence_start, start - PROBLEM_REACH) - 1, -1):
        if rows[i][0] in words.reach_breaks:
            return False
        if rows[i][1] in words.problems:
            for j in range(i - 1, max(sentence_start, i - 3) - 1, -1):
                lower, lemma = rows[j][0], rows[j][1]
                if lower in words.reach_breaks:
                    break
                if lower in negations or lemma in negations:
                    return True
    return False
