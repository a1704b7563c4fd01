"""Sentiment of customer feedback: VADER, plain or extended with the CX lexicon.

VADER (Hutto & Gilbert 2014) was built on social-media text and misreads customer feedback in a
few systematic ways: "still waiting", "never arrived" and "on hold" carry no lexicon word;
"no issues" reads as negative because "no" itself is; "support" reads as praise. The CX lexicon
(`models/cx_lexicon.toml`, curated by CX analysts) adds single words and multi-word phrases on
VADER's own -4..+4 scale. Phrases are rewritten into one token ("on hold" -> "on_hold") before
scoring, so VADER's negation, booster and capitalisation rules apply to them as to any word.

``mode="plain"`` is the installed VADER untouched, for comparison and reproduction of the paper.
Every score carries :attr:`SentimentScorer.version`, which changes with the lexicon file's bytes, so
stored scores can be recomputed when the lexicon changes.

Theme-level sentiment ("checkout was easy but delivery was a week late") comes from scoring the
clause a theme is mentioned in (:func:`clause_spans`, :func:`clause_polarity`); a document's
remembered sentiment follows the peak-end rule (:func:`peak_end`).
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.metadata import version as _package_version
from pathlib import Path

from cxtext.errors import ConfigError
from cxtext.resources import DEFAULT_LEXICON
from cxtext.text.cx_rules import VALENCES as RULE_VALENCES
from cxtext.text.cx_rules import apply_rules
from cxtext.text.regex_literals import runs_of

LABEL_THRESHOLD = 0.05
MODES = ("default", "plain")
VALENCE_LIMIT = 4.0
#: The version of the rules outside the lexicon file (the document rule, the CX phrase rules):
#: bump it whenever they change, so stored scores are recomputed.
RULES_VERSION = "rules-3"

_LEXICON_KEYS = {"version", "description", "words", "phrases"}
_APOSTROPHES = "'\u2019"


# --- polarity --------------------------------------------------------------------------------


def label_for(compound: float) -> str:
    """The 3-class label of a compound score, with VADER's own ±0.05 thresholds (inclusive)."""
    if compound >= LABEL_THRESHOLD:
        return "positive"
    if compound <= -LABEL_THRESHOLD:
        return "negative"
    return "neutral"


@dataclass(frozen=True)
class Polarity:
    """VADER's four scores for one text: compound in [-1, 1]; pos/neu/neg are proportions."""

    compound: float
    pos: float
    neu: float
    neg: float

    @property
    def label(self) -> str:
        return label_for(self.compound)

    @classmethod
    def from_vader(cls, scores: dict) -> Polarity:
        return cls(scores["compound"], scores["pos"], scores["neu"], scores["neg"])


# --- the CX lexicon file ---------------------------------------------------------------------


@dataclass(frozen=True)
class CxLexicon:
    """A validated lexicon file: words and phrases (lowercase) with valences, and its digest."""

    path: Path
    sha256: str
    file_version: str
    words: tuple[tuple[str, float], ...]
    phrases: tuple[tuple[str, float], ...]


def phrase_token(phrase: str) -> str:
    """The single token a phrase is rewritten to: lowercase, apostrophes dropped, words joined
    by '_'. Apostrophes go because VADER treats any token containing "n't" as a negation."""
    kept = "".join(ch for ch in phrase.lower() if ch not in _APOSTROPHES)
    return "_".join(kept.split())


def _entry_key(table: str, raw_key: str) -> str:
    """Normalised key of one entry, or ConfigError saying what is wrong with it."""
    key = " ".join(raw_key.lower().split())
    if not key:
        raise ConfigError(f"[{table}] {raw_key!r}: empty key")
    words = key.split(" ")
    if table == "words" and len(words) != 1:
        raise ConfigError(f"[words] {raw_key!r}: contains whitespace; put it under [phrases]")
    if table == "phrases" and len(words) < 2:
        raise ConfigError(f"[phrases] {raw_key!r}: a phrase needs two words or more; use [words]")
    if table == "phrases" and not phrase_token(key).strip("_"):
        raise ConfigError(f"[phrases] {raw_key!r}: no word characters")
    return key


def _entry_valence(table: str, raw_key: str, value: object) -> float:
    """The valence of one entry, or ConfigError: a number in [-4, 4] (VADER's scale)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"[{table}] {raw_key!r}: valence must be a number, got {value!r}")
    if not -VALENCE_LIMIT <= value <= VALENCE_LIMIT:
        raise ConfigError(f"[{table}] {raw_key!r}: valence {value} is outside [-4, 4]")
    return float(value)


def parse_lexicon(data: dict, path: Path, sha256: str) -> CxLexicon:
    """Validate a parsed lexicon file. Errors name the file, the entry and the problem."""
    try:
        unknown = sorted(set(data) - _LEXICON_KEYS)
        if unknown:
            raise ConfigError(f"unknown key(s) {unknown}; expected {sorted(_LEXICON_KEYS)}")
        seen: dict[str, str] = {}
        tables: dict[str, list[tuple[str, float]]] = {"words": [], "phrases": []}
        for table in tables:
            entries = data.get(table, {})
            if not isinstance(entries, dict):
                raise ConfigError(f"[{table}] must be a table of `key = valence` entries")
            for raw_key, value in entries.items():
                key = _entry_key(table, raw_key)
                valence = _entry_valence(table, raw_key, value)
                token = phrase_token(key) if table == "phrases" else key
                if token in seen:
                    raise ConfigError(
                        f"[{table}] {raw_key!r}: duplicate of {seen[token]!r} (keys are compared "
                        "in lowercase, ignoring apostrophes and extra spaces)"
                    )
                seen[token] = f"[{table}] {raw_key}"
                tables[table].append((key, valence))
        file_version = data.get("version", "")
        if not isinstance(file_version, str):
            raise ConfigError(f"version must be a string, got {file_version!r}")
    except ConfigError as exc:
        raise ConfigError(f"CX lexicon {path}: {exc}") from None
    return CxLexicon(path, sha256, file_version, tuple(tables["words"]), tuple(tables["phrases"]))


@lru_cache(maxsize=8)
def load_lexicon(path: Path = DEFAULT_LEXICON) -> CxLexicon:
    """Read and validate a lexicon file once per process (an edit takes effect in the next
    process). The digest is of the bytes parsed, so a scorer's version always describes the
    lexicon it actually scores with."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"CX lexicon {path}: cannot read it ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"CX lexicon {path}: not valid UTF-8 TOML ({exc})") from None
    return parse_lexicon(data, Path(path), hashlib.sha256(raw).hexdigest())


# --- phrase rewriting ------------------------------------------------------------------------


def _phrase_pattern(phrase: str) -> str:
    """Regex for one phrase: any whitespace between words, apostrophes optional and either kind."""
    words = []
    for word in phrase.split():
        parts = [re.escape(part) for part in re.split(f"[{_APOSTROPHES}]", word)]
        words.append(f"[{_APOSTROPHES}]?".join(parts))
    return r"\s+".join(words)


_ASCII_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=8)
def phrase_rewriter(phrases: tuple[str, ...]):
    """A function that rewrites every listed phrase in a text into its token, keeping the
    text's letter case (VADER reads ALL-CAPS as emphasis). Longest phrases win.

    One regex of every phrase tried at every character was four times VADER's own time, and
    most texts hold no phrase. A phrase can only match a text holding each of its plain words
    (ASCII letters and digits, matched between spaces) as a word of the lower-cased text: a text
    where no phrase passes that check is left as it is; one where some pass gets the regex of
    those alone, in the same order (the same rewrites: the others could not match anywhere in
    it), compiled once per set of phrases (the 1,024 most recent). A text with one of the four
    characters that match an ASCII letter without lower-casing to it gets every phrase."""
    if not phrases:
        return lambda text: text
    ordered = sorted(phrases, key=lambda p: (-len(p.split()), -len(p), p))
    required = [frozenset(w for w in p.split() if _ASCII_WORD.fullmatch(w)) for p in ordered]
    by_word: dict[str, list[int]] = {}
    always = []
    for i, words in enumerate(required):
        if words:
            by_word.setdefault(max(words, key=lambda w: (len(w), w)), []).append(i)
        else:
            always.append(i)

    @lru_cache(maxsize=1024)
    def compiled(chosen: tuple[int, ...]) -> re.Pattern:
        alternatives = "|".join(_phrase_pattern(ordered[i]) for i in chosen)
        return re.compile(rf"(?<![\w'’])(?:{alternatives})(?![\w'’])", re.IGNORECASE)

    every = tuple(range(len(ordered)))

    def as_token(match: re.Match) -> str:
        kept = "".join(ch for ch in match.group(0) if ch not in _APOSTROPHES)
        return "_".join(kept.split())

    def rewrite(text: str) -> str:
        words = runs_of(text)  # its words: remembered, the CX rules read them too
        if words is None:
            return compiled(every).sub(as_token, text)
        chosen = [i for word in words.intersection(by_word) for i in by_word[word] if required[i] <= words] + always
        if not chosen:
            return text
        return compiled(tuple(sorted(chosen))).sub(as_token, text)

    return rewrite


# --- scorers ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def vader_version() -> str:
    return _package_version("vaderSentiment")


@cache
def vader_words() -> frozenset[str]:
    """The installed VADER's own lexicon: words that say how something felt, not what it was about."""
    return frozenset(_analyzer("plain", None)[0].lexicon)


@lru_cache(maxsize=8)
def _analyzer(mode: str, lexicon_path: Path | None):
    """One VADER analyzer per (mode, lexicon): the library's scores from cxtext.text.vader_fast,
    bit for bit, for a quarter of its CPU. Its lexicon dict is its own copy, extended; VADER's
    module-level tables (boosters, negations, idioms) are never touched."""
    from cxtext.text.vader_fast import FastSentimentIntensityAnalyzer

    analyzer = FastSentimentIntensityAnalyzer()
    if mode == "plain":
        return analyzer, (lambda text: text)
    lexicon = load_lexicon(lexicon_path)
    extended = dict(analyzer.lexicon)
    for word, valence in lexicon.words:
        if valence == 0:
            extended.pop(word, None)  # 0 = "not a sentiment word in customer feedback"
        else:
            extended[word] = valence
    for phrase, valence in lexicon.phrases:
        if valence != 0:  # 0 = rewrite only, so the phrase's own words stop counting
            extended[phrase_token(phrase)] = valence
    extended.update(RULE_VALENCES)
    analyzer.lexicon = extended
    rewrite_phrases = phrase_rewriter(tuple(phrase for phrase, _ in lexicon.phrases))
    return analyzer, (lambda text: rewrite_phrases(apply_rules(split_hyphens(text, extended))))


_HYPHENATED = re.compile(r"(?<![\w'’-])[^\W\d_]+(?:-[^\W\d_]+)+(?![\w'’-])")


def split_hyphens(text: str, lexicon: dict) -> str:
    """The text with hyphenated words the lexicon does not know split into their words. VADER
    splits on whitespace only, so "food-awesome", "excellent-the service" and "not-so-fresh" read
    neutral; a hyphenated word the lexicon knows ("hassle-free") stays whole."""

    if "-" not in text:  # most texts: nothing to split, no regex walk
        return text

    def split(match: re.Match) -> str:
        word = match.group(0)
        return word if word.lower() in lexicon else word.replace("-", " ")

    return _HYPHENATED.sub(split, text)


class SentimentScorer:
    """VADER, plain or with the CX lexicon extension."""

    def __init__(self, *, mode: str = "default", lexicon_path: Path | None = None):
        if mode not in MODES:
            raise ConfigError(f"sentiment mode {mode!r}: expected one of {', '.join(MODES)}")
        if mode == "plain" and lexicon_path is not None:
            raise ConfigError("sentiment mode 'plain' uses no lexicon file; drop lexicon_path")
        self.mode = mode
        self.lexicon_path = None if mode == "plain" else Path(lexicon_path or DEFAULT_LEXICON)

    def __repr__(self) -> str:
        return f"SentimentScorer(mode={self.mode!r}, lexicon_path={self.lexicon_path!r})"

    @property
    def version(self) -> str:
        """What produced a score; stored beside it so a lexicon change triggers recomputation."""
        if self.mode == "plain":
            return f"vader-{vader_version()}-plain"
        return f"vader-{vader_version()}+cx-{load_lexicon(self.lexicon_path).sha256[:12]}+{RULES_VERSION}"

    def polarity(self, text: str) -> Polarity:
        return _polarity(self.mode, self.lexicon_path, text)


#: Texts whose VADER score and rewriting a process remembers. 1 << 16 of each filled only after
#: about 400,000 generated texts, so the process grew by some 50 MB between 100,000 and a million
#: records; 1 << 14 fills within 100,000, for the same CPU (200,000 generated texts in one process:
#: 74.9 s against 74.6 s; 332,000 hits against 336,000).
REMEMBERED_TEXTS = 1 << 14


@lru_cache(maxsize=REMEMBERED_TEXTS)
def _polarity(mode: str, lexicon_path: Path | None, text: str) -> Polarity:
    """VADER's score is a function of the text alone: a text scored before (a one-sentence
    document is also its sentence, a clause often its whole sentence, a retweet its original)
    is not scored again."""
    return Polarity.from_vader(_analyzer(mode, lexicon_path)[0].polarity_scores(rewritten(mode, lexicon_path, text)))


@lru_cache(maxsize=REMEMBERED_TEXTS)
def rewritten(mode: str, lexicon_path: Path | None, text: str) -> str:
    """The text as VADER reads it (the CX rules and phrases rewritten): remembered, since a
    document's is its sentences' joined when they allow it (cxtext.text.document_polarity)."""
    return _analyzer(mode, lexicon_path)[1](text)


@cache
def get_scorer(mode: str = "default") -> SentimentScorer:
    """The process-wide scorer of a mode (the lexicon is read on its first use, not here)."""
    return SentimentScorer(mode=mode)


# --- a document's sentiment from its sentences -----------------------------------------------

#: How much more a negative sentence weighs than a positive or neutral one in a document's
#: sentiment ("bad is stronger than good", Baumeister et al. 2001). 2 was chosen on the
#: development half of the stars tasks only (docs/EVALUATION.md, "Stars").
NEGATIVE_WEIGHT = 2.0


def document_compound(compounds: list[float]) -> float | None:
    """A document's compound from its sentences' compounds: their mean, a negative sentence
    weighing NEGATIVE_WEIGHT times as much; None for no sentences. VADER's compound of a whole
    text grows towards ±1 with its length, so a long complaint that mentions a few good things
    reads positive; a mean does not drift with length."""
    if not compounds:
        return None
    weights = [NEGATIVE_WEIGHT if c < 0 else 1.0 for c in compounds]
    return sum(c * w for c, w in zip(compounds, weights)) / sum(weights)


# --- peak-end --------------------------------------------------------------------------------


def peak_end(compounds: list[float]) -> float | None:
    """Peak-end rule (how an experience is remembered): mean of the compound of the most intense sentence
    (max |compound|, first on ties) and of the final sentence; None for no sentences."""
    if not compounds:
        return None
    peak = max(range(len(compounds)), key=lambda i: abs(compounds[i]))
    return (compounds[peak] + compounds[-1]) / 2


# --- clauses ---------------------------------------------------------------------------------

#: Contrastive markers: the clause they open starts at the marker ("but the battery is weak").
_CONTRAST = re.compile(
    r"(?<![\w'’-])(?:but|however|although|even\s+though|though|yet|whereas|except)(?![\w'’-])",
    re.IGNORECASE,
)
#: Separators dropped from both clauses: ';', a dash between spaces, '--' or an em dash between words.
_SEPARATOR = re.compile(r";|\s(?:-{1,2}|\u2013|\u2014)\s|(?<=\w)(?:--+|\u2014)(?=\w)")
_AND = re.compile(r"(?<![\w'’-])and(?![\w'’-])", re.IGNORECASE)
#: A sentence opening with a subordinate contrast ends that clause at its first comma.
_OPENING_CONTRAST = re.compile(r"\s*(?:although|even\s+though|though|whereas|while)\b", re.I)
#: Words before which "yet" is an adverb ("not yet arrived"), not a conjunction.
_YET_ADVERB_AFTER = {
    "not", "as", "and", "nor", "or", "never", "have", "has", "had", "haven't", "hasn't",
    "hadn't", "havent", "hasnt", "hadnt", "isn't", "aren't", "wasn't", "isnt", "arent", "wasnt",
}  # fmt: skip
#: Words that open a clause without a subject of its own after "but" or "yet": the clause goes on
#: about the same subject ("the service is ok but could be better"), so it is not cut off.
_SUBJECTLESS_OPENERS = {
    "could", "couldn't", "couldnt", "should", "shouldn't", "can't",
    "cannot", "might", "is", "isn't", "was", "wasn't", "are", "aren't", "were", "weren't", "does",
    "doesn't", "doesnt", "did", "didn't", "didnt", "has", "hasn't", "have", "haven't", "had", "hadn't",
    "needs", "needed", "lacks", "lacked", "tastes", "tasted", "looks", "looked", "seems", "seemed",
    "feels", "felt", "doubt",
}  # fmt: skip
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
MIN_AND_CLAUSE_WORDS = 3


def _word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _trimmed(sentence: str, start: int, end: int) -> tuple[int, int] | None:
    """(start, end) without surrounding whitespace and separator punctuation; None if no word."""
    strip = " \t\r\n,;:-\u2013\u2014"
    while start < end and sentence[start] in strip:
        start += 1
    while end > start and sentence[end - 1] in strip:
        end -= 1
    return (start, end) if _word_count(sentence[start:end]) else None


def _contrast_cuts(sentence: str) -> list[tuple[int, int]]:
    """(end of previous clause, start of next) at every contrastive marker and separator."""
    cuts = [(m.start(), m.end()) for m in _SEPARATOR.finditer(sentence)]
    for m in _CONTRAST.finditer(sentence):
        before, after = sentence[: m.start()], sentence[m.end() :]
        if not _word_count(before) or not _word_count(after):
            continue  # sentence-initial or final marker: nothing to contrast with
        if m.group(0).lower() in ("but", "yet") and after.split()[0].lower().replace("’", "'") in _SUBJECTLESS_OPENERS:
            continue  # "ok but could be better": the same subject goes on
        if m.group(0).lower() == "yet":
            previous = before.split()[-1].lower()
            if previous in _YET_ADVERB_AFTER and not before.rstrip().endswith(","):
                continue
        cuts.append((m.start(), m.start()))
    opening = _OPENING_CONTRAST.match(sentence)
    if opening:
        comma = sentence.find(",", opening.end())
        if comma != -1 and _word_count(sentence[comma:]):
            cuts.append((comma, comma + 1))
    return sorted(cuts)


def _split_and(sentence: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split one clause at 'and' where both sides have enough words to be clauses themselves
    (so a short list like 'fast, cheap and reliable' stays whole)."""
    for m in _AND.finditer(sentence, start, end):
        left, right = sentence[start : m.start()], sentence[m.end() : end]
        if _word_count(left) >= MIN_AND_CLAUSE_WORDS and _word_count(right) >= MIN_AND_CLAUSE_WORDS:
            return [(start, m.start())] + _split_and(sentence, m.start(), end)
    return [(start, end)]


@lru_cache(maxsize=1 << 12)
def _clause_groups(sentence: str) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Clauses grouped by contrast: each group is the text between two contrastive points,
    split further at 'and'. Clauses of one group are joined without contrast, so they usually
    share a polarity. Remembered: a mention's clause and its sentiment both need them."""
    pieces, start = [], 0
    for cut_end, cut_start in _contrast_cuts(sentence):
        if cut_end >= start:
            pieces.append((start, cut_end))
            start = cut_start
    pieces.append((start, len(sentence)))
    groups = []
    for piece_start, piece_end in pieces:
        group = tuple(s for s in (_trimmed(sentence, *p) for p in _split_and(sentence, piece_start, piece_end)) if s)
        if group:
            groups.append(group)
    return tuple(groups)


def clause_spans(sentence: str) -> list[tuple[int, int]]:
    """Character spans (start, end) of the sentence's clauses, split at contrastive or joining
    points, so each theme mention can take the sentiment of its own clause. Spans are in order,
    never empty, stripped, and together cover every word of the sentence."""
    return [span for group in _clause_groups(sentence) for span in group]


def clause_polarity(sentence: str, start: int, end: int, scorer: SentimentScorer | None = None) -> Polarity:
    """Sentiment of the clause containing the span [start, end) of the sentence (a theme mention).
    A span crossing clauses takes the clause where it starts; one starting between clauses takes
    the next clause. A neutral clause joined to others by 'and' takes the sentiment of its group
    ("delivery took two weeks and the parcel was damaged"): 'and' adds, it does not contrast."""
    if not 0 <= start < end <= len(sentence):
        raise ValueError(f"span ({start}, {end}) is not inside a sentence of {len(sentence)} chars")
    scorer = scorer or get_scorer()
    groups = _clause_groups(sentence) or [[(0, len(sentence))]]
    group = next((g for g in groups if start < g[-1][1]), groups[-1])
    clause = next((s for s in group if start < s[1]), group[-1])
    polarity = scorer.polarity(sentence[clause[0] : clause[1]])
    if polarity.label == "neutral" and len(group) > 1:
        polarity = scorer.polarity(sentence[group[0][0] : group[-1][1]])
    return polarity
