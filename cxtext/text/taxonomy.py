"""The taxonomy: journey stages and themes as data (``models/taxonomy.toml``), and the tagger.

A CX analyst edits the TOML file, not Python. Loading validates it and names the theme and field
of every problem. The file's content hash is its version: a changed file re-tags what it tagged.

Tagging runs spaCy's PhraseMatcher (phrases, on lemmas, so "was declined" finds "card decline")
and Matcher (token patterns) over each document. A match preceded within its clause by a negation
("no problem with delivery", "not late") is dropped for themes with ``negation = true`` (the
default). A theme is counted once per sentence.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from spacy.attrs import LEMMA, LOWER

from cxtext.resources import DEFAULT_TAXONOMY
from cxtext.errors import ConfigError
from cxtext.journey import JOURNEY_STAGES
from cxtext.text.nlp import sentences, string_key

STAGE_IDS = JOURNEY_STAGES
NEGATIONS = frozenset({"no", "not", "n't", "never", "without", "nothing", "none", "nobody", "hardly", "zero", "nor"})
#: How many tokens before a match a negation may stand ("no real problem with").
NEGATION_WINDOW = 4
#: Words that end the negation's reach: "no problem with checkout but the delivery was late".
CLAUSE_BREAKS = frozenset({"but", "however", "although", "though", "yet", "whereas", ";", ".", "!", "?"})
#: A negated problem word reaches further, to the match later in its clause: "never had an issue
#: with checkout", "no complaints at all about the delivery" (up to a comma or a clause break).
PROBLEM_WORDS = frozenset({"problem", "issue", "complaint", "complain", "trouble", "fault", "hassle", "worry",
                           "concern", "fuss", "drama", "hiccup", "niggle"})
PROBLEM_REACH = 10
_REACH_BREAKS = CLAUSE_BREAKS | {",", "until", "except", "apart"}
#: Separates a theme id from the number of its token pattern in the Matcher's keys.
_PATTERN_KEY = "#"
_ID_RE = re.compile(r"^[a-z][a-z0-9_]{1,60}$")


@dataclass(frozen=True)
class Stage:
    id: str
    name: str
    description: str


@dataclass(frozen=True)
class Theme:
    id: str
    name: str
    stage: str
    description: str
    phrases: tuple[str, ...]
    patterns: tuple[tuple[dict, ...], ...]
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...]
    negation: bool = True
    polarity: str | None = None  # "negative" for a problem by definition, "positive" for praise


@dataclass(frozen=True)
class Taxonomy:
    stages: tuple[Stage, ...]
    themes: tuple[Theme, ...]
    version: str
    path: Path | None = None

    def theme(self, theme_id: str) -> Theme:
        return self._by_id[theme_id]

    @cached_property
    def _by_id(self) -> dict[str, Theme]:
        return {t.id: t for t in self.themes}


@dataclass(frozen=True)
class Mention:
    """One theme found in one sentence; character offsets are in the analysed text."""

    theme: str
    stage: str
    sentence_index: int
    start_char: int
    end_char: int
    text: str


def load_taxonomy(path: Path | str = DEFAULT_TAXONOMY) -> Taxonomy:
    """Read and validate a taxonomy file. Errors name the theme and the field."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"taxonomy file not found: {path}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None
    return parse_taxonomy(data, version=hashlib.sha256(raw).hexdigest()[:12], path=path)


def parse_taxonomy(data: dict, *, version: str, path: Path | None = None) -> Taxonomy:
    stages = tuple(_stage(i, s) for i, s in enumerate(data.get("stages", [])))
    if tuple(s.id for s in stages) != STAGE_IDS:
        raise ConfigError(f"taxonomy stages must be, in order: {', '.join(STAGE_IDS)}; got {', '.join(s.id for s in stages)}")
    themes = tuple(_theme(i, t) for i, t in enumerate(data.get("themes", [])))
    seen: set[str] = set()
    for theme in themes:
        if theme.id in seen:
            raise ConfigError(f"theme {theme.id!r}: id used twice")
        seen.add(theme.id)
    if not themes:
        raise ConfigError("taxonomy has no themes")
    taxonomy = Taxonomy(stages, themes, version, path)
    build_matchers(taxonomy)  # validates the token patterns
    return taxonomy


def _stage(index: int, data: dict) -> Stage:
    where = f"stage #{index + 1}"
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise ConfigError(f"{where}: needs an id")
    return Stage(data["id"], str(data.get("name", data["id"])), str(data.get("description", "")))


def _strings(theme_id: str, data: dict, field: str, *, required: bool = False) -> tuple[str, ...]:
    value = data.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"theme {theme_id!r}, {field}: must be a list of non-empty strings")
    if required and not value:
        raise ConfigError(f"theme {theme_id!r}, {field}: give at least one")
    return tuple(v.strip() for v in value)


def _theme(index: int, data: dict) -> Theme:
    if not isinstance(data, dict):
        raise ConfigError(f"theme #{index + 1}: must be a table")
    theme_id = data.get("id")
    if not isinstance(theme_id, str) or not _ID_RE.match(theme_id):
        raise ConfigError(f"theme #{index + 1}, id: must be lower_snake_case, got {theme_id!r}")
    known = {"id", "name", "stage", "description", "phrases", "patterns", "examples", "counter_examples", "negation",
             "polarity"}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"theme {theme_id!r}: unknown field(s) {', '.join(sorted(unknown))}")
    stage = data.get("stage")
    if stage not in STAGE_IDS:
        raise ConfigError(f"theme {theme_id!r}, stage: must be one of {', '.join(STAGE_IDS)}, got {stage!r}")
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise ConfigError(f"theme {theme_id!r}, name: required")
    patterns = data.get("patterns", [])
    if not isinstance(patterns, list) or not all(
        isinstance(p, list) and p and all(isinstance(t, dict) for t in p) for p in patterns
    ):
        raise ConfigError(f"theme {theme_id!r}, patterns: must be a list of token patterns (lists of tables)")
    phrases = _strings(theme_id, data, "phrases")
    if not phrases and not patterns:
        raise ConfigError(f"theme {theme_id!r}: give phrases or patterns")
    negation = data.get("negation", True)
    if not isinstance(negation, bool):
        raise ConfigError(f"theme {theme_id!r}, negation: must be true or false")
    polarity = data.get("polarity")
    if polarity not in (None, "negative", "positive"):
        raise ConfigError(f"theme {theme_id!r}, polarity: must be \"negative\" or \"positive\" (or left out), got {polarity!r}")
    return Theme(
        id=theme_id,
        name=data["name"].strip(),
        stage=stage,
        description=str(data.get("description", "")),
        phrases=phrases,
        patterns=tuple(tuple(p) for p in patterns),
        examples=_strings(theme_id, data, "examples", required=True),
        counter_examples=_strings(theme_id, data, "counter_examples"),
        negation=negation,
        polarity=polarity,
    )


def build_matchers(taxonomy: Taxonomy):
    """spaCy matchers for the taxonomy: one PhraseMatcher for every theme's phrases, and one Matcher
    per token pattern with the word sets a document must hit for it to match (see
    _required_words). A bad token pattern raises ConfigError naming the theme."""
    from spacy.matcher import Matcher, PhraseMatcher

    from cxtext.text.nlp import load_nlp

    nlp = load_nlp()
    phrase_matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
    pattern_matchers: list[tuple[tuple[frozenset[str], ...], Matcher]] = []
    for theme in taxonomy.themes:
        if theme.phrases:
            phrase_matcher.add(theme.id, list(nlp.pipe(theme.phrases)))
        for number, pattern in enumerate(theme.patterns, start=1):
            if _names_regex(pattern):
                raise ConfigError(f"theme {theme.id!r}, patterns #{number}: REGEX is not allowed (one word can make it "
                                  "backtrack for hours); use IN, LOWER, LEMMA or a phrase")
            matcher = Matcher(nlp.vocab)
            try:  # one key per pattern: a negation a pattern names is its own, not its theme's
                matcher.add(f"{theme.id}{_PATTERN_KEY}{number}", [list(pattern)])
            except Exception as exc:  # spaCy raises ValueError / MatchPatternError
                raise ConfigError(f"theme {theme.id!r}, patterns #{number}: {exc}".splitlines()[0]) from None
            pattern_matchers.append((_required_words(pattern), matcher))
    return phrase_matcher, pattern_matchers


_WORD_KEYS = ("LEMMA", "LOWER", "ORTH", "TEXT", "NORM")


def _names_regex(value) -> bool:
    """Whether a token pattern uses spaCy's REGEX attribute anywhere (Python's backtracking engine)."""
    if isinstance(value, dict):
        return any((isinstance(k, str) and k.upper() == "REGEX") or _names_regex(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_names_regex(v) for v in value)
    return False


def _required_words(pattern) -> tuple[frozenset[str], ...]:
    """For each token that every match must contain and that names literal words, those words
    (lower-cased). A document missing all the words of one set cannot match, so the tagger skips
    the pattern: most documents never reach the Matcher, which is the slow part."""
    required = []
    for token in pattern:
        op = str(token.get("OP", ""))
        if op in ("?", "*", "!") or op.startswith(("{0", "{,")):
            continue
        for key in _WORD_KEYS:
            value = token.get(key)
            words = {value} if isinstance(value, str) else set(value.get("IN", [])) if isinstance(value, dict) else set()
            if words:
                required.append(frozenset(w.lower() for w in words))
    return tuple(required)


class ThemeTagger:
    """Finds the taxonomy's themes in spaCy docs. Build once per process (see get_tagger)."""

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        self._stage = {t.id: t.stage for t in taxonomy.themes}
        self._negation = {t.id: t.negation for t in taxonomy.themes}
        self._phrases, self._patterns = build_matchers(taxonomy)
        self._hashed_patterns = [(tuple(frozenset(string_key(w) for w in needed) for needed in required), matcher)
                                 for required, matcher in self._patterns]
        # Word -> the patterns that need it (their first required word set): a document is checked
        # against the few patterns its words can start, not against every pattern.
        self._patterns_needing: dict[int, list[int]] = {}
        self._unanchored = []  # patterns that name no required word: always tried
        for number, (required, _) in enumerate(self._hashed_patterns):
            if not required:
                self._unanchored.append(number)
            for word in required[0] if required else ():
                self._patterns_needing.setdefault(word, []).append(number)
        # Matcher key -> the words it names literally: a theme's phrases share the theme id as key,
        # each token pattern has its own ("payment_failure#3").
        self._own_words = {t.id: _literal_words(t.phrases, ()) for t in taxonomy.themes}
        for t in taxonomy.themes:
            for number, pattern in enumerate(t.patterns, start=1):
                self._own_words[f"{t.id}{_PATTERN_KEY}{number}"] = _literal_words((), (pattern,))

    def tag(self, doc, sents: list | None = None) -> list[Mention]:
        """Theme mentions of *doc*, one per theme and sentence (the earliest, longest match).
        *sents*: its sentences, when the caller has them already (cxtext.text.nlp.sentences)."""
        sentence_of = {}
        for index, sent in enumerate(sents if sents is not None else sentences(doc)):
            for i in range(sent.start, sent.end):
                sentence_of[i] = (index, sent)
        found: dict[tuple[str, int], Mention] = {}
        strings = doc.vocab.strings
        matches = self._phrases(doc)
        # The document's words as string hashes, read in one array: creating a Token object per
        # word is what made this slow.
        words = set(doc.to_array([LOWER, LEMMA]).ravel().tolist())
        candidates = set(self._unanchored)
        for word in words.intersection(self._patterns_needing):
            candidates.update(self._patterns_needing[word])
        for number in sorted(candidates):
            required, matcher = self._hashed_patterns[number]
            if all(not words.isdisjoint(needed) for needed in required):
                matches += matcher(doc)
        matches.sort(key=lambda m: (m[1], -m[2]))
        text = doc.text if matches else ""  # doc.text joins every word: once per document
        for match_id, start, end in matches:
            match_key = strings[match_id]
            theme = match_key.partition(_PATTERN_KEY)[0]
            index, sent = sentence_of[start]
            if end > sent.end:  # a gapped pattern ran into the next sentence
                continue
            if self._negation[theme] and _negated(doc, start, end, sent.start, self._own_words[match_key]):
                continue
            key = (theme, index)
            if key not in found:
                span = doc[start:end]
                found[key] = Mention(theme, self._stage[theme], index, span.start_char, span.end_char,
                                     text[span.start_char:span.end_char])
        return sorted(found.values(), key=lambda m: (m.start_char, m.theme))


def _negated(doc, start: int, end: int, sentence_start: int, own_words: frozenset[str]) -> bool:
    """A negation shortly before the match in its clause, or inside a gapped match ("order was not
    late"), unless the matching phrase or pattern names it itself ("never arrived"); or a negated
    problem word earlier in the clause ("never had an issue with checkout")."""
    for i in range(start, end):  # the first token too: a pattern may open with a NOT_IN or wildcard token
        if (doc[i].lower_ in NEGATIONS or doc[i].lemma_ in NEGATIONS) and doc[i].lower_ not in own_words:
            return True
    for i in range(start - 1, max(sentence_start, start - NEGATION_WINDOW) - 1, -1):
        lower = doc[i].lower_
        if lower in CLAUSE_BREAKS:
            return False
        if lower in NEGATIONS or doc[i].lemma_ in NEGATIONS:
            return True
    for i in range(start - 1, max(sentence_start, start - PROBLEM_REACH) - 1, -1):
        if doc[i].lower_ in _REACH_BREAKS:
            return False
        if doc[i].lemma_ in PROBLEM_WORDS:
            for j in range(i - 1, max(sentence_start, i - 3) - 1, -1):
                if doc[j].lower_ in _REACH_BREAKS:
                    break
                if doc[j].lower_ in NEGATIONS or doc[j].lemma_ in NEGATIONS:
                    return True
    return False


def _literal_words(phrases, patterns) -> frozenset[str]:
    """The words some phrases and token patterns name literally."""
    words = {w.lower() for phrase in phrases for w in re.findall(r"[\w']+", phrase)}
    for pattern in patterns:
        for token in pattern:
            for value in token.values():
                values = value.get("IN", []) if isinstance(value, dict) else [value]
                words.update(v.lower() for v in values if isinstance(v, str))
    if any(w in ("not", "n't", "cannot") or w.endswith("n't") for w in words):  # "can't" is "ca" + "n't"
        words |= {"not", "n't"}
    return frozenset(words)


_taggers: dict[str, ThemeTagger] = {}


def get_tagger(path: Path | str = DEFAULT_TAXONOMY) -> ThemeTagger:
    """The tagger for the taxonomy file as it is now (rebuilt when its content changes)."""
    try:  # an unchanged file is only hashed: loading it would build and validate the matchers again
        cached = _taggers.get(hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12])
    except OSError:
        cached = None
    if cached is not None:
        return cached
    taxonomy = load_taxonomy(path)
    if taxonomy.version not in _taggers:
        _taggers[taxonomy.version] = ThemeTagger(taxonomy)
    return _taggers[taxonomy.version]


def tagger_from_bytes(raw: bytes) -> ThemeTagger:
    """The tagger for a taxonomy file's bytes (how worker processes get it: no path needed)."""
    version = hashlib.sha256(raw).hexdigest()[:12]
    if version not in _taggers:
        _taggers[version] = ThemeTagger(parse_taxonomy(tomllib.loads(raw.decode("utf-8")), version=version))
    return _taggers[version]
