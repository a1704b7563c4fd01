"""Token patterns matched in one pass over a document, in time linear in its length.

The taxonomy's token patterns are a bounded subset of spaCy's Matcher patterns (checked by
cxtext.text.theme_patterns): at most MAX_TOKENS token tables, each matching a bounded run of words,
no regular expressions, at least one required word. That subset is matched here without spaCy's
Matcher, which tries every pattern at every word (most of the tagging time with a few hundred
patterns). Every pattern is indexed by its anchor: of the tokens every match must contain with
literal words, the one with the least common words ("recommend" in "i/we/would ... recommend").
One walk over the document's words finds the anchors; a pattern is tried only when the document
holds a word for each of its required words (a few set lookups, which leave a small part of the
tries), and only around its anchors, from each start its bounded prefix allows. Each try visits a
bounded number of (pattern token, position) states, so the work is linear in the document's
length. The matches are those spaCy's Matcher returns for the same patterns (every start and
end; tests compare them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress

from cxtext.text.nlp import string_key
from cxtext.text.theme_patterns import FLAG_KEYS, WORD_KEYS, anchors

#: Columns of the per-document array, in this order.
_COLUMNS = {"LOWER": 0, "LEMMA": 1, "ORTH": 2, "LIKE_NUM": 3, "IS_DIGIT": 4, "IS_PUNCT": 5}
ATTRS = list(_COLUMNS)  # spaCy's attribute names: importing this module imports no spaCy


@dataclass(frozen=True)
class _Token:
    """One token table: word tests (column, hashes, wanted in), flag tests, and how many words."""

    words: tuple[tuple[int, frozenset[int], bool], ...]
    flags: tuple[tuple[str, bool], ...]
    low: int
    high: int
    wildcard: bool  # no tests: any word fits


def _repeat(op) -> tuple[int, int]:
    if op is None:
        return 1, 1
    if op == "?":
        return 0, 1
    low, comma, high = op.strip("{}").partition(",")
    return (int(low or 0), int(high)) if comma else (int(low), int(low))


def _compile(table: dict) -> _Token:
    words, flags = [], []
    for key, value in table.items():
        if key in WORD_KEYS:
            if isinstance(value, str):
                words.append((_COLUMNS[key], frozenset({string_key(value)}), True))
            else:
                ((operator, listed),) = value.items()
                words.append((_COLUMNS[key], frozenset(string_key(w) for w in listed), operator == "IN"))
        elif key in FLAG_KEYS:
            flags.append((key, bool(value)))
    return _Token(tuple(words), tuple(flags), *_repeat(table.get("OP")), wildcard=not words and not flags)


class PatternMatcher:
    """Matches many bounded token patterns, each under a key, in one walk over a document."""

    def __init__(self):
        self._patterns: list[tuple[str, tuple[_Token, ...], int]] = []  # key, tokens, longest prefix
        #: Per pattern, the (column, words) one of which a document must hold for each required word
        #: test but its anchor's (a document the pattern is tried on holds that one).
        self._required: list[tuple[tuple[int, frozenset[int]], ...]] = []
        #: Per word column (LOWER, LEMMA, ORTH): anchor word -> the patterns it anchors.
        self._by_anchor: tuple[dict[int, list[int]], ...] = ({}, {}, {})
        self._anchor_words: tuple[frozenset[int], ...] = (frozenset(),) * 3

    def add(self, key: str, tables: list[dict]) -> None:
        tokens = tuple(_compile(t) for t in tables)
        anchor = _anchor(tables)
        number = len(self._patterns)
        self._patterns.append((key, tokens, sum(t.high for t in tokens[:anchor])))
        column, hashes, _ = next(w for w in tokens[anchor].words if w[2])
        required = ((c, h) for t in tokens if t.low >= 1 for c, h, wanted in t.words if wanted)
        self._required.append(tuple(test for test in required if test != (column, hashes)))  # the anchor is there
        for word in hashes:
            self._by_anchor[column].setdefault(word, []).append(number)
        self._anchor_words = tuple(frozenset(index) for index in self._by_anchor)

    def __call__(self, doc, sentence_starts: frozenset[int] = frozenset({0})) -> list[tuple[str, int, int]]:
        """(key, start, end) of every match in *doc*; IS_SENT_START is true at *sentence_starts*."""
        if not self._patterns or not len(doc):
            return []
        array = doc.to_array(ATTRS)
        return self.match(array.tolist(), sentence_starts, array[:, :3].T.tolist())

    def match(
        self, rows: list[list[int]], sentence_starts: frozenset[int] = frozenset({0}), columns: list | None = None
    ) -> list[tuple[str, int, int]]:
        """(key, start, end) of every match in the words *rows*: per word, the values of ATTRS in
        that order (more columns may follow); IS_SENT_START is true at *sentence_starts*.
        *columns*: the rows' first three columns, when the caller has them (transposing the rows
        here was a fifth of theme tagging)."""
        if not self._patterns or not rows:
            return []
        columns = columns if columns is not None else list(zip(*rows))[:3]
        present = [set(words) for words in columns]  # the document's words, per column
        anchored: dict[int, list[int]] = {}  # pattern -> where its anchor stands
        for column, words in enumerate(columns):
            hits = present[column] & self._anchor_words[column]
            if hits:
                index = self._by_anchor[column]
                for position in compress(range(len(words)), map(hits.__contains__, words)):
                    for number in index[words[position]]:
                        anchored.setdefault(number, []).append(position)
        found: set[tuple[str, int, int]] = set()
        for number, positions in anchored.items():
            for column, words in self._required[number]:
                if present[column].isdisjoint(words):
                    break  # a word the pattern requires is nowhere in the document
            else:
                key, tokens, prefix = self._patterns[number]
                for start in {s for position in positions for s in range(max(0, position - prefix), position + 1)}:
                    found.update((key, start, end) for end in _ends(tokens, rows, start, sentence_starts))
        return sorted(found, key=lambda m: (m[1], -m[2], m[0]))


def _anchor(tables: list[dict]) -> int:
    """The token to look for first: of the tokens every match must contain with literal words, the
    one whose words are least common (fewest English stop words or punctuation, then fewest words):
    "recommend" in "i/we/would ... recommend", not "i". Any would find the same matches; a rare
    one leaves fewer places to try."""
    from spacy.lang.en.stop_words import STOP_WORDS  # the tagger that adds patterns has loaded spaCy

    def cost(index: int) -> tuple[int, int]:
        words = _first_words(tables[index])
        return sum(w.lower() in STOP_WORDS or not w.isalpha() for w in words), len(words)

    return min((i for i, t in enumerate(tables) if anchors([t])), key=cost)


def _first_words(table: dict) -> list[str]:
    """The words of a token table's first positive word test (the one _compile indexes)."""
    for key, value in table.items():
        if key in WORD_KEYS:
            if isinstance(value, str):
                return [value]
            ((operator, listed),) = value.items()
            if operator == "IN":
                return list(listed)
    return []


def _ends(tokens: tuple[_Token, ...], rows: list[list[int]], start: int, sentence_starts) -> set[int]:
    """Every end of a match of *tokens* starting at *start* (empty matches excluded)."""
    positions = {start}
    for token in tokens:
        following = set()
        for position in positions:
            following.update(_runs(token, rows, position, sentence_starts))
        if not following:
            return set()
        positions = following
    positions.discard(start)
    return positions


def _runs(token: _Token, rows: list[list[int]], position: int, sentence_starts) -> Sequence[int]:
    """The positions reached by *token* matching between low and high words from *position*."""
    if token.wildcard:  # any word: every count the document leaves room for
        return range(position + token.low, min(position + token.high, len(rows)) + 1)
    reached = [position] if token.low == 0 else []
    for count in range(1, token.high + 1):
        i = position + count - 1
        if i >= len(rows) or not _fits(token, rows[i], i, sentence_starts):
            break
        if count >= token.low:
            reached.append(position + count)
    return reached


def _fits(token: _Token, row: list[int], index: int, sentence_starts) -> bool:
    for column, hashes, wanted in token.words:
        if (row[column] in hashes) != wanted:
            return False
    for key, wanted in token.flags:
        value = index in sentence_starts if key == "IS_SENT_START" else bool(row[_COLUMNS[key]])
        if value != wanted:
            return False
    return True
