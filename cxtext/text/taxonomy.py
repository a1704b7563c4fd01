"""The taxonomy: journey stages and themes as data, in layers, and the tagger.

A taxonomy is one or more TOML files (layers) combined in order: the packs shipped in
``models/packs/`` that the configuration names (``taxonomy_packs``, "core" first), then the user's
own files (``taxonomy``). A CX analyst edits TOML, not Python; loading validates every layer and
names the file, theme and field of every problem. The layers' content hash is the version: a
changed file re-tags what it tagged. The format is described once, in docs/TAXONOMY.md; the
pattern part of it in cxtext.text.theme_patterns.

Tagging runs spaCy's PhraseMatcher (phrases, on lemmas, so "was declined" finds "card decline")
and one PatternMatcher (all token patterns) over the sentences not met before: one pass each. A
match is dropped when a sense guard says the word is used in another sense, or when a negation
precedes it within its clause ("no problem with delivery", "not late") for themes with
``negation = true`` (the default); see cxtext.text.theme_guards. A theme is counted once per
sentence; a theme that refines another replaces it in that sentence.
"""

from __future__ import annotations

import hashlib
import re
import threading
import tomllib
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from cxtext.errors import ConfigError
from cxtext.journey import JOURNEY_STAGES
from cxtext.resources import models_dir
from cxtext.text.nlp import WORD_ATTRS, sentence_bounds, words
from cxtext.text.pattern_matcher import ATTRS, PatternMatcher
from cxtext.text.theme_guards import hashes, negated, sense_ok
from cxtext.text.theme_patterns import DEFAULT_WINDOW, Pattern, guard_words, literal_words, parse_pattern

STAGE_IDS = JOURNEY_STAGES
#: Separates a theme id from the number of its token pattern in the Matcher's keys.
_PATTERN_KEY = "#"
_ID_RE = re.compile(r"^[a-z][a-z0-9_]{1,60}$")
#: The packs a configuration without ``taxonomy_packs`` uses.
DEFAULT_PACKS = ("core",)
_THEME_FIELDS = {
    "id",
    "name",
    "stage",
    "description",
    "phrases",
    "patterns",
    "examples",
    "counter_examples",
    "negation",
    "polarity",
    "not_near",
    "refines",
    "formerly",
    "override",
}


def packs_dir() -> Path:
    """The folder of the shipped packs (models/packs/<name>.toml)."""
    return models_dir() / "packs"


def pack_path(name: str) -> Path:
    path = packs_dir() / f"{name}.toml"
    if not _ID_RE.match(name) or not path.is_file():
        known = ", ".join(sorted(p.stem for p in packs_dir().glob("*.toml")))
        raise ConfigError(f"taxonomy_packs: no pack {name!r} (shipped packs: {known})")
    return path


def layer_paths(packs: Sequence[str] = DEFAULT_PACKS, files: Sequence[Path | str] = ()) -> tuple[Path, ...]:
    """The files of a taxonomy, in the order they combine: the named packs, then the user's files."""
    return tuple(pack_path(name) for name in packs) + tuple(Path(f) for f in files)


def settings_layers(settings) -> tuple[Path, ...]:
    """The taxonomy files a configuration names."""
    return layer_paths(settings.taxonomy_packs, settings.taxonomy_files)


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
    patterns: tuple[Pattern, ...]
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...]
    negation: bool = True
    polarity: str | None = None  # "negative" for a problem by definition, "positive" for praise
    not_near: frozenset[str] = frozenset()  # words that mean another sense, near any match of the theme
    refines: str | None = None  # a broader theme this one replaces where both match a sentence
    formerly: tuple[str, ...] = ()  # ids of older taxonomies this theme took over
    layer: str = ""  # the pack or file it comes from


@dataclass(frozen=True)
class Taxonomy:
    stages: tuple[Stage, ...]
    themes: tuple[Theme, ...]
    version: str
    layers: tuple[str, ...] = ()
    path: Path | None = None  # the last layer's file

    def theme(self, theme_id: str) -> Theme:
        return self._by_id[theme_id]

    @cached_property
    def _by_id(self) -> dict[str, Theme]:
        return {t.id: t for t in self.themes}

    @cached_property
    def renamed(self) -> dict[str, str]:
        """Older theme id -> the theme that took it over (from each theme's ``formerly``); an id a
        current theme still has (with a pack that keeps it) stays its own."""
        return {old: t.id for t in self.themes for old in t.formerly if old not in self._by_id}


class Mention(NamedTuple):
    """One theme found in one sentence; character offsets are in the analysed text. A named tuple:
    one is made per mention of every text, and a frozen dataclass sets each field through
    object.__setattr__."""

    theme: str
    stage: str
    sentence_index: int
    start_char: int
    end_char: int
    text: str


def _layer_name(path: Path) -> str:
    return path.stem if path.parent == packs_dir() else str(path)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"taxonomy file not found: {path} (the shipped themes are packs: taxonomy_packs = "
            '["core", "retail"], see docs/TAXONOMY.md)'
        ) from None


def load_taxonomy(paths: Path | str | Sequence[Path | str] | None = None) -> Taxonomy:
    """Read, validate and combine taxonomy files (default: the default packs). Errors name the
    file, the theme and the field."""
    paths = layer_paths() if paths is None else (paths,) if isinstance(paths, (str, Path)) else paths
    paths = tuple(Path(p) for p in paths)
    return parse_layers([(_layer_name(p), _read(p)) for p in paths], last_path=paths[-1] if paths else None)


def layers_version(layers: Sequence[tuple[str, bytes]]) -> str:
    """The content hash of a taxonomy: of its one file, or of its layers' names and contents."""
    if len(layers) == 1:
        return hashlib.sha256(layers[0][1]).hexdigest()[:12]
    digest = hashlib.sha256()
    for name, raw in layers:  # the file's name, not its folder: a moved configuration keeps its version
        digest.update(Path(name).name.encode("utf-8") + b"\0" + hashlib.sha256(raw).digest())
    return digest.hexdigest()[:12]


def parse_layers(layers: Sequence[tuple[str, bytes]], *, last_path: Path | None = None) -> Taxonomy:
    """Combine layers given as (name, TOML bytes): stages from the last layer that gives them;
    themes in order, a later theme with ``override = true`` replacing the earlier one of its id."""
    if not layers:
        raise ConfigError("taxonomy: no packs and no files")
    datas = []
    for name, raw in layers:
        try:
            datas.append((name, tomllib.loads(raw.decode("utf-8"))))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{Path(name).name}: not valid TOML: {exc}") from None
    return combine(datas, version=layers_version(layers), path=last_path)


def parse_taxonomy(data: dict, *, version: str, path: Path | None = None) -> Taxonomy:
    """One layer's parsed TOML as a whole taxonomy."""
    return combine([(path.stem if path else "taxonomy", data)], version=version, path=path)


def combine(datas: Sequence[tuple[str, dict]], *, version: str, path: Path | None = None) -> Taxonomy:
    stages: tuple[Stage, ...] = ()
    themes: dict[str, Theme] = {}
    for name, data in datas:
        where = "" if len(datas) == 1 else f"{Path(name).name}: "
        try:
            if "stages" in data:
                stages = tuple(_stage(i, s) for i, s in enumerate(data["stages"]))
                if tuple(s.id for s in stages) != STAGE_IDS:
                    raise ConfigError(
                        f"taxonomy stages must be, in order: {', '.join(STAGE_IDS)}; got {', '.join(s.id for s in stages)}"
                    )
            for i, raw in enumerate(data.get("themes", [])):
                theme = _theme(i, raw, name)
                if theme.id in themes and not (isinstance(raw, dict) and raw.get("override") is True):
                    raise ConfigError(
                        f"theme {theme.id!r}: id used twice (set override = true to replace the one of {themes[theme.id].layer})"
                    )
                if theme.id not in themes and isinstance(raw, dict) and raw.get("override") is True:
                    raise ConfigError(f"theme {theme.id!r}, override: no earlier theme has this id")
                themes[theme.id] = theme
        except ConfigError as exc:
            raise ConfigError(f"{where}{exc}") from None
    if not stages:
        raise ConfigError("taxonomy stages must be, in order: " + ", ".join(STAGE_IDS) + "; no layer gives them")
    if not themes:
        raise ConfigError("taxonomy has no themes")
    _check_links(themes)
    taxonomy = Taxonomy(stages, tuple(themes.values()), version, tuple(name for name, _ in datas), path)
    token_matcher(taxonomy)  # validates the token patterns
    return taxonomy


def _check_links(themes: dict[str, Theme]) -> None:
    claimed: dict[str, str] = {}
    for theme in themes.values():
        where = f"{Path(theme.layer).name}: theme {theme.id!r}"
        if theme.refines is not None and (theme.refines not in themes or theme.refines == theme.id):
            raise ConfigError(f"{where}, refines: no other theme {theme.refines!r}")
        for old in theme.formerly:
            if old in claimed:
                raise ConfigError(f"{where}, formerly: {old!r} is claimed by {claimed[old]!r} too")
            claimed[old] = theme.id


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


def _theme(index: int, data: dict, layer: str = "") -> Theme:
    if not isinstance(data, dict):
        raise ConfigError(f"theme #{index + 1}: must be a table")
    theme_id = data.get("id")
    if not isinstance(theme_id, str) or not _ID_RE.match(theme_id):
        raise ConfigError(f"theme #{index + 1}, id: must be lower_snake_case, got {theme_id!r}")
    unknown = set(data) - _THEME_FIELDS
    if unknown:
        raise ConfigError(f"theme {theme_id!r}: unknown field(s) {', '.join(sorted(unknown))}")
    stage = data.get("stage")
    if stage not in STAGE_IDS:
        raise ConfigError(f"theme {theme_id!r}, stage: must be one of {', '.join(STAGE_IDS)}, got {stage!r}")
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise ConfigError(f"theme {theme_id!r}, name: required")
    raw_patterns = data.get("patterns", [])
    if not isinstance(raw_patterns, list):
        raise ConfigError(f"theme {theme_id!r}, patterns: must be a list of token patterns (lists of tables)")
    patterns = tuple(parse_pattern(f"theme {theme_id!r}, patterns #{n}", p) for n, p in enumerate(raw_patterns, start=1))
    phrases = _strings(theme_id, data, "phrases")
    if not phrases and not patterns:
        raise ConfigError(f"theme {theme_id!r}: give phrases or patterns")
    negation = data.get("negation", True)
    if not isinstance(negation, bool):
        raise ConfigError(f"theme {theme_id!r}, negation: must be true or false")
    polarity = data.get("polarity")
    if polarity not in (None, "negative", "positive"):
        raise ConfigError(f'theme {theme_id!r}, polarity: must be "negative" or "positive" (or left out), got {polarity!r}')
    refines = data.get("refines")
    if refines is not None and not isinstance(refines, str):
        raise ConfigError(f"theme {theme_id!r}, refines: the id of another theme")
    formerly = _strings(theme_id, data, "formerly")
    if not all(_ID_RE.match(old) for old in formerly):
        raise ConfigError(f"theme {theme_id!r}, formerly: theme ids (lower_snake_case)")
    return Theme(
        id=theme_id,
        name=data["name"].strip(),
        stage=stage,
        description=str(data.get("description", "")),
        phrases=phrases,
        patterns=patterns,
        examples=_strings(theme_id, data, "examples", required=True),
        counter_examples=_strings(theme_id, data, "counter_examples"),
        negation=negation,
        polarity=polarity,
        not_near=guard_words(f"theme {theme_id!r}, not_near", data.get("not_near", [])),
        refines=refines,
        formerly=formerly,
        layer=layer,
    )


def token_matcher(taxonomy: Taxonomy):
    """spaCy's Matcher with every token pattern (a key per pattern: its guards and the negations
    it names are its own): building it validates the patterns, and a pattern spaCy refuses
    raises ConfigError naming the theme. The tagger matches with its own PatternMatcher."""
    from spacy.matcher import Matcher

    from cxtext.text.nlp import load_nlp

    matcher = Matcher(load_nlp().vocab)
    for theme in taxonomy.themes:
        for number, pattern in enumerate(theme.patterns, start=1):
            try:
                matcher.add(f"{theme.id}{_PATTERN_KEY}{number}", [list(pattern.tokens)])
            except Exception as exc:  # spaCy raises ValueError / MatchPatternError
                raise ConfigError(f"theme {theme.id!r}, patterns #{number}: {exc}".splitlines()[0]) from None
    return matcher


def phrase_matcher(taxonomy: Taxonomy):
    """One spaCy PhraseMatcher (on lemmas) for every theme's phrases."""
    from spacy.matcher import PhraseMatcher

    from cxtext.text.nlp import load_nlp

    nlp = load_nlp()
    matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
    for theme in taxonomy.themes:
        if theme.phrases:
            matcher.add(theme.id, list(nlp.pipe(theme.phrases)))
    return matcher


@dataclass(frozen=True)
class _Key:
    """What the tagger knows of one matcher key (a theme's phrases, or one token pattern); words
    as hashes (string_key)."""

    theme: str
    negation: bool
    own_words: frozenset[int]  # negations the phrase or pattern names itself do not cancel it
    near: frozenset[int]
    not_near: frozenset[int]
    window: int


#: How many distinct sentences a tagger remembers the mentions of (9 bytes a word and the
#: mentions: a few hundred bytes each).
SENTENCE_CACHE = 1 << 14


#: Columns of cxtext.text.nlp.words (which begins with the pattern matcher's ATTRS): a sentence key's.
_ORTH, _SPACY = WORD_ATTRS.index("ORTH"), WORD_ATTRS.index("SPACY")


class ThemeTagger:
    """Finds the taxonomy's themes in spaCy docs. Build once per process (see get_tagger).

    A sentence's mentions depend on its words alone: a match must end inside the sentence it
    starts in, and its guards and negations look no further than that sentence. So they are
    remembered per distinct sentence (its words and spaces, the last SENTENCE_CACHE sentences):
    templated surveys, stock phrases and retweets repeat whole sentences in other texts."""

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        self._stage = {t.id: t.stage for t in taxonomy.themes}
        self._phrases = phrase_matcher(taxonomy)
        self._matcher = PatternMatcher()
        self._refines = {t.id: t.refines for t in taxonomy.themes if t.refines}
        self._keys: dict[str, _Key] = {}
        self._sentences: OrderedDict[bytes, tuple] = OrderedDict()
        self._lock = threading.Lock()  # a Dask worker may tag in several threads
        for t in taxonomy.themes:
            self._keys[t.id] = _Key(
                t.id, t.negation, hashes(literal_words(t.phrases, ())), frozenset(), hashes(t.not_near), DEFAULT_WINDOW
            )
            for number, p in enumerate(t.patterns, start=1):
                key = f"{t.id}{_PATTERN_KEY}{number}"
                self._keys[key] = _Key(
                    t.id,
                    t.negation,
                    hashes(literal_words((), (p.tokens,))),
                    hashes(p.near),
                    hashes(p.not_near | t.not_near),
                    p.window,
                )
                self._matcher.add(key, list(p.tokens))

    def tag(self, doc, sents: list | None = None) -> list[Mention]:
        """Theme mentions of *doc*, one per theme and sentence (the earliest, longest match that its
        guards and negation leave). *sents*: its sentences, when the caller has them already."""
        sents = sents if sents is not None else sentence_bounds(doc)
        if not sents:
            return []
        table = words(doc)  # a sentence's key: its words' hashes, then its spaces, as bytes
        orths, spaces = table[:, _ORTH], table[:, _SPACY].astype("uint8")
        keys = [orths[sent.start : sent.end].tobytes() + spaces[sent.start : sent.end].tobytes() for sent in sents]
        with self._lock:
            known = [self._sentences.get(key) for key in keys]
            for key, result in zip(keys, known):
                if result is not None:
                    self._sentences.move_to_end(key)
        new = [i for i, result in enumerate(known) if result is None]
        if new:
            fresh = self._tag_sentences(doc, sents, new[0], new[-1] + 1)
            with self._lock:
                for i in new:
                    known[i] = fresh[i]
                    self._sentences[keys[i]] = fresh[i]
                while len(self._sentences) > SENTENCE_CACHE:
                    self._sentences.popitem(last=False)
        stage = self._stage
        return [  # in order of start, then theme: each sentence's are, and sentences are in order
            Mention(theme, stage[theme], index, sent.start_char + start, sent.start_char + end, text)
            for index, (sent, result) in enumerate(zip(sents, known))
            for theme, start, end, text in result
        ]

    def _tag_sentences(self, doc, sents: list, first: int, last: int) -> dict[int, tuple]:
        """The mentions of sentences *first* to *last* - 1, per sentence: (theme, start and end
        character in the sentence, text), by start and theme. The matchers walk those sentences'
        words only: a match crossing out of them would cross out of its sentence."""
        lo, hi = sents[first].start, sents[last - 1].end
        starts = [sent.start for sent in sents]
        strings = doc.vocab.strings
        phrases = self._phrases(doc if lo == 0 and hi == len(doc) else doc[lo:hi])  # doc positions
        matches = [(strings[match_id], start, end) for match_id, start, end in phrases]
        # The words as string hashes, in one array (LOWER and LEMMA first: what the guards read).
        array = words(doc)[lo:hi, : len(ATTRS)]
        rows = array.tolist()
        sentence_starts = frozenset(start - lo for start in starts[first:last])
        matches += [
            (name, start + lo, end + lo)
            for name, start, end in self._matcher.match(rows, sentence_starts, array[:, :3].T.tolist())
        ]
        matches.sort(key=lambda m: (m[1], -m[2]))
        found: dict[tuple[str, int], tuple[int, int, str]] = {}
        for name, start, end in matches:
            key = self._keys[name]
            index = bisect_right(starts, start) - 1  # the sentence the match starts in
            sent = sents[index]
            if end > sent.end or (key.theme, index) in found:  # a gapped pattern ran into the next sentence
                continue
            if (key.near or key.not_near) and not sense_ok(
                rows, start - lo, end - lo, sent.start - lo, sent.end - lo, key.near, key.not_near, key.window
            ):
                continue
            if key.negation and negated(rows, start - lo, end - lo, sent.start - lo, key.own_words):
                continue
            span = doc[start:end]  # its text = doc.text[start_char:end_char]; doc.text would join every word
            found[(key.theme, index)] = (span.start_char - sent.start_char, span.end_char - sent.start_char, span.text)
        for theme, index in list(found):  # a refining theme replaces the broader one in its sentence
            broader = self._refines.get(theme)
            while broader is not None:
                found.pop((broader, index), None)
                broader = self._refines.get(broader)
        per_sentence: dict[int, list] = {index: [] for index in range(first, last)}
        for (theme, index), (start, end, text) in found.items():
            per_sentence[index].append((theme, start, end, text))
        return {index: tuple(sorted(mentions, key=lambda m: (m[1], m[0]))) for index, mentions in per_sentence.items()}


_taggers: dict[str, ThemeTagger] = {}


def get_tagger(paths: Path | str | Sequence[Path | str] | None = None) -> ThemeTagger:
    """The tagger for taxonomy files as they are now (default: the default packs); rebuilt when
    their content changes."""
    paths = layer_paths() if paths is None else (paths,) if isinstance(paths, (str, Path)) else paths
    paths = tuple(Path(p) for p in paths)
    layers = read_layers(paths)
    cached = _taggers.get(layers_version(layers))  # an unchanged taxonomy is only hashed, not rebuilt
    if cached is None:
        taxonomy = parse_layers(layers, last_path=paths[-1] if paths else None)
        cached = _taggers.setdefault(taxonomy.version, ThemeTagger(taxonomy))
    return cached


def read_layers(paths: Sequence[Path]) -> tuple[tuple[str, bytes], ...]:
    """(name, bytes) of each taxonomy file: what worker processes build their tagger from."""
    return tuple((_layer_name(Path(p)), _read(Path(p))) for p in paths)


def tagger_from_layers(layers: Sequence[tuple[str, bytes]]) -> ThemeTagger:
    """The tagger for taxonomy layers given as (name, bytes): no file needed."""
    version = layers_version(layers)
    if version not in _taggers:
        _taggers[version] = ThemeTagger(parse_layers(layers))
    return _taggers[version]
