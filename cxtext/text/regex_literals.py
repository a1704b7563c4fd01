"""A cheap test before a costly regex: the words every match of a pattern contains, read from the
pattern itself, so a rule is run only on a text that holds one of them (most texts hold none).

The words are runs of ASCII letters and digits the pattern must match, lower-cased; the text is
lower-cased once. That is exact under re.IGNORECASE but for four characters outside ASCII that
match an ASCII letter without lower-casing to it ("ſ" matches "s"): a text with one of them runs
every pattern (tests/test_cx_rules.py checks there are no others).
"""

from __future__ import annotations

import re

ODD_CASES = re.compile("[\u0130\u0131\u017f\u212a]")

try:
    import re._constants as _sre
    import re._parser as _parser
except ImportError:  # another Python than 3.11+: no pattern names its words, every one runs
    _sre = _parser = None


def needed_words(pattern: str, flags: int = re.IGNORECASE) -> frozenset[str] | None:
    """Lower-case strings one of which every match of *pattern* contains, or None when none can be
    named (then the pattern must always run)."""
    if _parser is None:
        return None
    try:
        return _literals(_parser.parse(pattern, flags))
    except Exception:  # a private parser that changed shape: the pattern always runs
        return None


def _literals(items) -> frozenset[str] | None:
    """Of the runs of letters the parsed *items* must match, the most selective set."""
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
    found = [f for f in found if f]
    return max(found, key=lambda f: (min(map(len, f)), -len(f))) if found else None


def lowered(text: str) -> str | None:
    """The text to look for needed words in; None when every pattern must run on it."""
    return None if ODD_CASES.search(text) else text.lower()


def all_needed(table: tuple[frozenset[str] | None, ...]) -> frozenset[str]:
    """Every needed word of a table of patterns (each pattern's from `needed_words`)."""
    return frozenset().union(*(needed for needed in table if needed))


def held_words(words: frozenset[str], text: str) -> frozenset[str] | None:
    """Which of *words* (a table's `all_needed`) the text holds, as `lowered` gives it: looked
    for once per text, not once per pattern (that was most of the rules' time); None when
    every pattern must run on it."""
    lower = lowered(text)
    return None if lower is None else frozenset([word for word in words if word in lower])


def may_match(needed: frozenset[str] | None, held: frozenset[str] | None) -> bool:
    """False only when the text holds none of the *needed* words (*held* as `held_words` gives it)."""
    return needed is None or held is None or not needed.isdisjoint(held)
