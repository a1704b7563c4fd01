"""The pattern format of a taxonomy, defined once (docs/TAXONOMY.md): what a theme's phrases and
token patterns may say, and the word-sense guards that make an everyday word fire only in the
sense a theme means ("return" of a purchase, not a "return flight").

Everything a pattern may say is bounded: at most MAX_TOKENS token tables, each matching at most
MAX_REPEAT words, no regular expressions, a guard looks at most MAX_WINDOW words either side, and
every pattern names at least one word it must contain. So a document of n words is matched in
one pass in time linear in n (times the size of the taxonomy), whatever the patterns say; the
checks here refuse anything else when a taxonomy file loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cxtext.errors import ConfigError

#: Token keys that name words, compared with the word's lemma, lower-cased form or exact text.
WORD_KEYS = ("LEMMA", "LOWER", "ORTH")
#: Token keys that test a property of the word (true or false).
FLAG_KEYS = ("LIKE_NUM", "IS_DIGIT", "IS_PUNCT", "IS_SENT_START")
MAX_TOKENS = 8
MAX_REPEAT = 6
MAX_WINDOW = 10
DEFAULT_WINDOW = 5
_REPEAT = re.compile(r"^\{(\d*)(,?)(\d*)\}$")
_WORD = re.compile(r"^[^\s]+$")


@dataclass(frozen=True)
class Pattern:
    """A token pattern and its sense guards: at least one *near* word (when given) and no
    *not_near* word within *window* words of the match, in its sentence."""

    tokens: tuple[dict, ...]
    near: frozenset[str] = frozenset()
    not_near: frozenset[str] = frozenset()
    window: int = DEFAULT_WINDOW


def guard_words(where: str, value) -> frozenset[str]:
    """A near / not_near list: single words, lower-cased (matched against lemma and written form)."""
    if not isinstance(value, list) or not all(isinstance(v, str) and _WORD.match(v.strip()) for v in value):
        raise ConfigError(f"{where}: must be a list of single words")
    return frozenset(v.strip().lower() for v in value)


def window_of(where: str, value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_WINDOW:
        raise ConfigError(f"{where}: a number of words from 1 to {MAX_WINDOW}, got {value!r}")
    return value


def parse_pattern(where: str, value) -> Pattern:
    """A pattern as written: a list of token tables, or a table {tokens, near, not_near, window}."""
    if isinstance(value, dict):
        unknown = set(value) - {"tokens", "near", "not_near", "window"}
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (tokens, near, not_near, window)")
        tokens = value.get("tokens")
        near = guard_words(f"{where}, near", value.get("near", []))
        not_near = guard_words(f"{where}, not_near", value.get("not_near", []))
        window = window_of(f"{where}, window", value.get("window", DEFAULT_WINDOW))
    else:
        tokens, near, not_near, window = value, frozenset(), frozenset(), DEFAULT_WINDOW
    if not isinstance(tokens, list) or not tokens or not all(isinstance(t, dict) for t in tokens):
        raise ConfigError(f"{where}: a pattern is a list of token tables, or a table with tokens = [...]")
    check_tokens(where, tokens)
    return Pattern(tuple(tokens), near, not_near, window)


def check_tokens(where: str, tokens: list[dict]) -> None:
    """Refuse what would make matching unbounded or slow: unknown keys (REGEX, FUZZY...), open
    repeats ("*", "+", "{2,}"), long patterns, gaps at either end, no required word."""
    if len(tokens) > MAX_TOKENS:
        raise ConfigError(f"{where}: at most {MAX_TOKENS} token tables, got {len(tokens)}")
    for number, token in enumerate(tokens, start=1):
        at = f"{where}, token {number}"
        for key, value in token.items():
            if key == "OP":
                _check_op(at, value)
            elif key in WORD_KEYS:
                _check_words(at, key, value)
            elif key in FLAG_KEYS:
                if not isinstance(value, bool):
                    raise ConfigError(f"{at}: {key} must be true or false")
            else:
                raise ConfigError(
                    f"{at}: unknown key {key!r}; a token may use {', '.join(WORD_KEYS + FLAG_KEYS)} and OP "
                    "(no REGEX or other spaCy attributes: they would not stay linear-time)"
                )
    for end in (tokens[0], tokens[-1]):
        if set(end) <= {"OP"}:
            raise ConfigError(f"{where}: a pattern must not start or end with a gap (a table with only OP)")
    if not anchors(tokens):
        raise ConfigError(f"{where}: name at least one word the match must contain (LEMMA, LOWER or ORTH, not optional)")


def _check_op(at: str, op) -> None:
    if op == "?":
        return
    match = _REPEAT.match(op) if isinstance(op, str) else None
    if match:
        low, comma, high = match.groups()
        if not comma and low and not high and 1 <= int(low) <= MAX_REPEAT:  # {n}
            return
        if comma and high and int(low or 0) <= int(high) <= MAX_REPEAT and int(high) >= 1:  # {n,m}, {,m}
            return
    raise ConfigError(
        f'{at}: OP must be "?", "{{n}}", "{{n,m}}" or "{{,m}}" with m at most {MAX_REPEAT}, '
        f'got {op!r} ("*", "+", "!" and open repeats are not allowed)'
    )


def _check_words(at: str, key: str, value) -> None:
    if isinstance(value, str) and value:
        return
    if isinstance(value, dict) and len(value) == 1:
        ((operator, words),) = value.items()
        if operator in ("IN", "NOT_IN") and isinstance(words, list) and words and all(isinstance(w, str) and w for w in words):
            return
    raise ConfigError(f"{at}: {key} must be a word or {{IN = [...]}} / {{NOT_IN = [...]}} of words")


def _required(token: dict) -> bool:
    op = str(token.get("OP", ""))
    return op != "?" and not op.startswith(("{0", "{,"))


def anchors(tokens) -> tuple[frozenset[str], ...]:
    """For each token that every match must contain and that names literal words, those words
    (lower-cased). A document that misses every word of one set cannot match the pattern."""
    required = []
    for token in tokens:
        if not _required(token):
            continue
        for key in WORD_KEYS:
            value = token.get(key)
            words = {value} if isinstance(value, str) else set(value.get("IN", [])) if isinstance(value, dict) else set()
            if words:
                required.append(frozenset(w.lower() for w in words))
    return tuple(required)


def literal_words(phrases, patterns) -> frozenset[str]:
    """The words some phrases and token patterns name literally."""
    words = {w.lower() for phrase in phrases for w in re.findall(r"[\w']+", phrase)}
    for tokens in patterns:
        for token in tokens:
            for value in token.values():
                values = value.get("IN", []) if isinstance(value, dict) else [value]
                words.update(v.lower() for v in values if isinstance(v, str))
    if any(w in ("not", "n't", "cannot") or w.endswith("n't") for w in words):  # "can't" is "ca" + "n't"
        words |= {"not", "n't"}
    return frozenset(words)
