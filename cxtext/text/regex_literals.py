"""A cheap test before a costly regex: the words every match of a pattern contains, read from the
pattern itself, so a rule is run only on a text that holds one of them (most texts hold none).

The words are runs of ASCII letters and digits the pattern must match, lower-cased; the text is
lower-cased once. That is exact under re.IGNORECASE but for four characters outside ASCII that
match an ASCII letter without lower-casing to it ("ſ" matches "s"): a text with one of them runs
every pattern (tests/test_cx_rules.py checks there are no others).
"""

from __future__ import annotations

import re
from functools import lru_cache

ODD_CASES = re.compile("[\u0130\u0131\u017f\u212a]")

try:
    import re._constants as _sre
    import re._parser as _parser
except ImportError:  # another Python than 3.11+: no pattern names its words, every one runs
    _sre = _parser = None


def needed_groups(pattern: str, flags: int = re.IGNORECASE) -> tuple[frozenset[str], ...]:
    """Sets of lower-case strings such that every match of *pattern* contains one of each set's,
    the most selective first; () when none can be named (then the pattern must always run)."""
    if _parser is None:
        return ()
    try:
        return _groups(_parser.parse(pattern, flags))
    except Exception:  # a private parser that changed shape: the pattern always runs
        return ()


def needed_words(pattern: str, flags: int = re.IGNORECASE) -> frozenset[str] | None:
    """Lower-case strings one of which every match of *pattern* contains (the most selective set),
    or None when none can be named (then the pattern must always run)."""
    groups = needed_groups(pattern, flags)
    return groups[0] if groups else None


#: What consumable_characters returns for a pattern that may consume characters it cannot name.
ANY_CHARACTER = None


def consumable_characters(pattern: str, flags: int = re.IGNORECASE) -> frozenset[str] | None:
    """The characters other than word characters and whitespace that a match of *pattern* (its
    lookaheads included) may consume, or None when it may consume others it does not name ('.',
    a negated class, \\S, \\W), looks behind, anchors at a text's start or end, or may start
    elsewhere than at a word boundary. With the set, no match crosses a character outside it that
    is not a word character or whitespace, none starts in whitespace after one, and what the
    pattern checks beside a match never reaches past one."""
    if _parser is None:
        return ANY_CHARACTER
    try:
        items = _parser.parse(pattern, flags)
        return _consumable(items) if _starts_at_boundary(list(items)) else ANY_CHARACTER
    except Exception:  # a private parser that changed shape: assume the worst
        return ANY_CHARACTER


def _starts_at_boundary(items: list) -> bool:
    if not items:
        return False
    op, value = items[0]
    if op is _sre.AT:
        return str(value) == "AT_BOUNDARY"
    if op is _sre.BRANCH:
        return all(_starts_at_boundary(list(branch)) for branch in value[1])
    if op is _sre.SUBPATTERN:
        return _starts_at_boundary(list(value[-1]))
    return False


_NAMED_CATEGORIES = ("CATEGORY_WORD", "CATEGORY_DIGIT", "CATEGORY_SPACE")


def _consumable(items) -> frozenset[str] | None:
    found: set[str] = set()
    for op, value in items:
        if op is _sre.LITERAL:
            found.add(chr(value))
        elif op is _sre.IN:
            for item, argument in value:
                if item is _sre.LITERAL:
                    found.add(chr(argument))
                elif item is _sre.RANGE and argument[1] - argument[0] < 256:
                    found.update(map(chr, range(argument[0], argument[1] + 1)))
                elif not (item is _sre.CATEGORY and str(argument) in _NAMED_CATEGORIES):
                    return ANY_CHARACTER  # a negation, a wide range, \S or \W
        elif op is _sre.BRANCH:
            parts = [_consumable(branch) for branch in value[1]]
            if ANY_CHARACTER in parts:
                return ANY_CHARACTER
            found.update(*parts)
        elif op in (_sre.SUBPATTERN, _sre.ATOMIC_GROUP, _sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            inner = _consumable(value if op is _sre.ATOMIC_GROUP else value[-1])
            if inner is ANY_CHARACTER:
                return ANY_CHARACTER
            found.update(inner)
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT) and value[0] == 1:  # a lookahead
            inner = _consumable(value[1])
            if inner is ANY_CHARACTER:
                return ANY_CHARACTER
            found.update(inner)
        elif not (op is _sre.AT and str(value) in ("AT_BOUNDARY", "AT_NON_BOUNDARY")):
            return ANY_CHARACTER  # '.', a lookbehind, ^ or $, a back-reference
    return frozenset(c for c in found if not (c.isalnum() or c == "_" or c.isspace()))


def _groups(items) -> tuple[frozenset[str], ...]:
    """The sets of the runs of letters the parsed *items* must match, most selective first."""
    found, run = [], ""
    for op, value in list(items) + [(None, None)]:
        if op is _sre.LITERAL and chr(value).isascii() and chr(value).isalnum():
            run += chr(value).lower()
            continue
        if run:
            found.append(frozenset({run}))
            run = ""
        if op is _sre.BRANCH:
            branches = [_literals(branch) for branch in value[1]]
            if all(branches):
                found.append(frozenset().union(*branches))
        elif op is _sre.SUBPATTERN:
            found.append(_literals(value[-1]))
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT) and value[0] >= 1:
            found.append(_literals(value[2]))
        elif op is _sre.ATOMIC_GROUP:
            found.append(_literals(value))
    distinct = dict.fromkeys(f for f in found if f)  # in order: the first of equally selective sets leads
    return tuple(sorted(distinct, key=lambda f: (min(map(len, f)), -len(f)), reverse=True))


def _literals(items) -> frozenset[str] | None:
    """Of the runs of letters the parsed *items* must match, the most selective set."""
    groups = _groups(items)
    return groups[0] if groups else None


def lowered(text: str) -> str | None:
    """The text to look for needed words in; None when every pattern must run on it."""
    return None if ODD_CASES.search(text) else text.lower()


_RUN = re.compile("[a-z0-9]+")
#: Distinct runs of letters and digits an index remembers the patterns of (cleared when full).
RUN_CACHE = 1 << 15


@lru_cache(maxsize=1 << 12)
def runs_of(text: str) -> frozenset[str] | None:
    """The distinct runs of [a-z0-9] of the lower-cased text; None when every pattern must run on
    it. Remembered: the intent cues and the CX rules read the same sentences, and the effort
    patterns a one-sentence text that is its sentence."""
    lower = lowered(text)
    return None if lower is None else frozenset(_RUN.findall(lower))


class LiteralIndex:
    """From needed word to the patterns of a table that need it: a text visits only the patterns
    whose words it holds (and those that name none), in table order, instead of every pattern
    checking its words against the text (that loop was most of the rules' own time).

    A needed word is a run of ASCII letters and digits, so wherever the lower-cased text holds it,
    it lies inside one maximal run of [a-z0-9]: the patterns a text may match are the union, over
    its distinct runs, of the patterns with a needed word inside that run; remembered per run
    (texts share most of their words). A pattern with more sets of needed words (*also*) is kept
    only when the text's runs hold a word of each too."""

    def __init__(self, table: tuple[frozenset[str] | None, ...], also: tuple[tuple[frozenset[str], ...], ...] = ()):
        """*table*: per pattern, its needed words (None: it always runs); *also*: per pattern, more
        sets of words every match holds one of each of (needed_groups' others), indexed like the
        patterns under the numbers after theirs."""
        self._count = len(table)
        groups = list(dict.fromkeys(group for sets in also for group in sets))
        self._also = tuple(frozenset(self._count + groups.index(g) for g in sets) for sets in also)
        self._also += (frozenset(),) * (self._count - len(self._also))
        self._any_also = any(self._also)
        self._by_word: dict[str, list[int]] = {}
        for number, needed in enumerate([*table, *groups]):
            for word in needed or ():
                self._by_word.setdefault(word, []).append(number)
        self._always = frozenset(number for number, needed in enumerate(table) if needed is None)
        self._every = tuple(range(len(table)))
        self._runs: dict[str, frozenset[int]] = {}

    def candidates(self, text: str) -> tuple[int, ...]:
        """The numbers of the patterns that may match *text*, in table order."""
        return self.select(self.held(text))

    def held(self, text: str) -> frozenset[int] | None:
        """The patterns and *also* sets whose words *text* holds (None: every pattern may match).
        A text's runs are its parts' runs where no run crosses from one part into the next, so
        the union of its parts' held sets is its own (cxtext.text.effort joins sentences so)."""
        runs = runs_of(text)
        if runs is None:
            return None
        numbers = list(map(self._runs.get, runs))
        if None in numbers:  # a run not met before
            numbers = [self._run_patterns(run) if n is None else n for run, n in zip(runs, numbers)]
        return self._always.union(*numbers)  # patterns, and the *also* sets held (numbered after them)

    def needs(self, numbers: frozenset[int]) -> frozenset[int]:
        """The held numbers select reads to decide on the patterns *numbers*: theirs and their
        *also* sets' (a held set cut to them selects the same of those patterns)."""
        return frozenset(numbers).union(*(self._also[n] for n in numbers))

    def select(self, held: frozenset[int] | None) -> tuple[int, ...]:
        """The numbers of the patterns a text holding *held* may match, in table order."""
        if held is None:
            return self._every
        if not self._any_also:
            return tuple(sorted(held))
        return tuple(sorted(n for n in held if n < self._count and self._also[n] <= held))

    def _run_patterns(self, run: str) -> frozenset[int]:
        numbers = frozenset(n for word, patterns in self._by_word.items() if word in run for n in patterns)
        if len(self._runs) >= RUN_CACHE:
            self._runs.clear()
        self._runs[run] = numbers
        return numbers
