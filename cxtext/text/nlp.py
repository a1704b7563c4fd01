"""The text pipeline: social-text cleaning with an offset map, and spaCy loaded once per process.

spaCy runs as ``spacy.blank("en")`` with a sentencizer and lemmas from the lookup table of
``spacy-lookups-data``: nothing is downloaded. ``nlp.pipe`` in batches, never ``n_process``: worker
processes are :mod:`cxtext.enrich.parallel`'s job.

Cleaning rewrites social text for analysis (no URLs, handles or retweet prefixes, hashtags as
words) but keeps a map back to the stored text, so every evidence span an analyst sees is a
slice of ``feedback.text``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import compress
from typing import NamedTuple

TEXT_PIPELINE_VERSION = "text-2"  # text-2: a redacted handle, [HANDLE], is dropped like a handle

RETWEET_RE = re.compile(r"^\s*RT\s+(?:@\w+|\[HANDLE\]):?\s*", re.IGNORECASE)
URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
HANDLE_RE = re.compile(r"(?<!\w)@\w{1,30}|\[HANDLE\]")
HASHTAG_RE = re.compile(r"(?<!\w)#(\w{2,60})")
_SOCIAL_RE = re.compile(f"{URL_RE.pattern}|{HANDLE_RE.pattern}|{HASHTAG_RE.pattern}", re.IGNORECASE)
#: Words the lemma table lacks (they never inflect) but hashtags use: #neveragain, #notagain.
COMMON_WORDS = frozenset(
    "a i again never not no so too very still yet just now ever always back on in at to for of off up out "
    "my me we you it is the and or but".split()
)
CAMEL_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


@dataclass(frozen=True)
class CleanText:
    """Text prepared for analysis and, per character, its offset in the original (a ``range`` when
    the text is the original: a tuple of every offset per text was most of the cleaning's cost)."""

    text: str
    offsets: Sequence[int]
    retweet: bool = False

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map [start, end) in the clean text back to the original text."""
        if end <= start:
            return self.offsets[start], self.offsets[start]
        return self.offsets[start], self.offsets[end - 1] + 1


def split_hashtag(tag: str) -> list[str]:
    """'LateDelivery' → ['Late', 'Delivery']; 'latedelivery' → ['late', 'delivery'] when every
    piece is a known word; otherwise the tag unchanged."""
    camel = CAMEL_RE.findall(tag)
    if len(camel) > 1 and "".join(camel) == tag:
        return camel
    return _segment(tag.lower()) or [tag]


@lru_cache(maxsize=4096)
def _segment_cached(word: str) -> tuple[str, ...] | None:
    vocab = english_words()
    n = len(word)
    best: list[tuple[int, tuple[str, ...]] | None] = [None] * (n + 1)
    best[0] = (0, ())
    for end in range(1, n + 1):
        for start in range(max(0, end - 20), end):
            piece = word[start:end]
            if best[start] is None or (piece not in vocab):
                continue
            if len(piece) == 1 and piece not in ("a", "i"):
                continue
            candidate = (best[start][0] + 1, best[start][1] + (piece,))
            if best[end] is None or candidate[0] < best[end][0]:
                best[end] = candidate
    return best[n][1] if best[n] else None


def _segment(word: str) -> list[str] | None:
    pieces = _segment_cached(word)
    return list(pieces) if pieces and len(pieces) > 1 else None


@lru_cache(maxsize=1)
def lemma_table() -> dict[str, str]:
    """spacy-lookups-data's English lemma lookup table (inflected form → lemma)."""
    import os

    import spacy_lookups_data
    import srsly

    return srsly.read_gzip_json(os.path.join(spacy_lookups_data.__path__[0], "data", "en_lemma_lookup.json.gz"))


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """English word forms (inflected forms and lemmas), for splitting hashtags."""
    words = {w for pair in lemma_table().items() for w in pair if w.isalpha() and w.islower() and 2 <= len(w) <= 20}
    return frozenset(words | COMMON_WORDS)


def clean_text(text: str, *, kind: str) -> CleanText:
    """Prepare stored text for sentences, sentiment and themes; social text gets the full treatment."""
    if kind != "social":
        return CleanText(text, range(len(text)))
    pieces: list[tuple[str, int]] = []  # (text, original offset of its first char; -1 = inserted)
    retweet = RETWEET_RE.match(text)
    position = retweet.end() if retweet else 0
    for match in _SOCIAL_RE.finditer(text, position):
        if match.start() > position:
            pieces.append((text[position : match.start()], position))
        tag = match.group(1)
        if tag:  # hashtag → its words, mapped onto the tag's characters
            words = split_hashtag(tag)
            cursor = match.start() + 1
            for i, word in enumerate(words):
                if i:
                    pieces.append((" ", -cursor))
                pieces.append((word, cursor))
                cursor += len(word)
        position = match.end()
    pieces.append((text[position:], position))
    # Drop leading spaces and the runs of spaces that removed URLs and handles leave: a space
    # goes when nothing or a space was kept before it. A piece without two spaces in a row keeps
    # all of it but perhaps its first space, so only the others are walked a character at a time.
    kept: list[str] = []
    offsets: list[int] = []
    after_space = True  # nothing kept yet
    for piece, origin in pieces:
        if not piece:
            continue
        skip = 1 if piece[0] == " " and after_space else 0
        if "  " not in piece and skip < len(piece):
            kept.append(piece[skip:])
            offsets += range(origin + skip, origin + len(piece)) if origin >= 0 else [-origin] * (len(piece) - skip)
            after_space = piece[-1] == " "
            continue
        for i, ch in enumerate(piece):
            if ch == " " and after_space:
                continue
            kept.append(ch)
            offsets.append(origin + i if origin >= 0 else -origin)
            after_space = ch == " "
    cleaned = "".join(kept).rstrip()
    return CleanText(cleaned, tuple(offsets[: len(cleaned)]), retweet=bool(retweet))


@lru_cache(maxsize=1)
def load_nlp():
    """spaCy blank English + sentence starts and lower-cased lookup lemmas, once per process."""
    import spacy
    from spacy.language import Language

    if "cxtext_words" not in Language.factories:
        Language.factory("cxtext_words", func=SentencesAndLemmas)
    nlp = spacy.blank("en")
    nlp.add_pipe("cxtext_words")
    nlp.initialize()
    return nlp


#: SENT_START -1 (not a sentence start) as the unsigned value spaCy's arrays hold.
NOT_START = 2**64 - 1


class SentencesAndLemmas:
    """spaCy's rule-based ``sentencizer`` (default punctuation, no ``overwrite``) and lower-cased
    lemmas, in one pass over the words' hashes of a batch of docs at a time (numpy over the
    batch's words: spaCy's sentencizer made a Token object per word, and a Python loop per word
    was most of this component's cost).

    Sentences: a new one at the first word after a sentence-final character that is neither
    punctuation nor sentence-final; words an earlier pipe marked keep their mark. Lemmas: the lookup
    table's lemma of the lower-cased word, else the lower-cased lemma of the word as written, else
    the word lower-cased ("Delayed" -> "delay"), what spaCy's lookup lemmatizer followed by
    lower-casing gives."""

    def __init__(self, nlp, name: str):
        import numpy as np
        from spacy.pipeline import Sentencizer

        strings = nlp.vocab.strings
        table = lemma_table()
        self.final = np.array(sorted({strings.add(char) for char in Sentencizer.default_punct_chars}), dtype=np.uint64)
        self.by_lower = _KeyTable({string_key(form): strings.add(lemma) for form, lemma in table.items()})
        self.by_text = _KeyTable(
            {string_key(form): strings.add(lemma.lower()) for form, lemma in table.items() if form != form.lower()}
        )

    def __call__(self, doc):
        return self._mark([doc])[0]

    def pipe(self, docs, batch_size: int = 256):
        from spacy.util import minibatch

        for batch in minibatch(docs, batch_size):
            yield from self._mark(batch)

    def _mark(self, docs: list) -> list:
        import numpy as np
        from spacy.attrs import LEMMA, SENT_START

        nonempty = [doc for doc in docs if len(doc)]
        if not nonempty:
            return docs
        lengths = np.array([len(doc) for doc in nonempty])
        table = np.concatenate([doc.to_array(attribute_ids(*WORD_ATTRS)) for doc in nonempty])
        orth, lower, punct, preset = (table[:, _WORD_COLUMN[name]] for name in ("ORTH", "LOWER", "IS_PUNCT", "SENT_START"))
        lemmas = self.by_lower.get(lower)
        missing = lemmas == 0
        lemmas[missing] = self.by_text.get(orth[missing])
        missing = lemmas == 0
        lemmas[missing] = lower[missing]
        # A word (neither punctuation nor sentence-final) starts a sentence when the last word or
        # sentence-final character before it in its doc is sentence-final.
        final = np.isin(orth, self.final)
        events = np.flatnonzero(final | (punct == 0))
        doc_of = np.repeat(np.arange(len(nonempty)), lengths)
        after, before = events[1:], events[:-1]
        starts = after[~final[after] & final[before] & (doc_of[after] == doc_of[before])]
        marks = np.full(len(orth), NOT_START, dtype=np.uint64)
        marks[starts] = 1
        firsts = np.cumsum(lengths) - lengths
        marks[firsts] = 1
        marks = np.where(preset != 0, preset, marks)
        table[:, _WORD_COLUMN["SENT_START"]], table[:, _WORD_COLUMN["LEMMA"]] = marks, lemmas
        values = np.stack([marks, lemmas], axis=1)
        for doc, first, length in zip(nonempty, firsts.tolist(), lengths.tolist()):
            doc.from_array([SENT_START, LEMMA], values[first : first + length])
            doc.user_data[_WORDS_KEY] = table[first : first + length]  # = doc.to_array(WORD_ATTRS) now
        return docs


class _KeyTable:
    """A dict of spaCy hashes to hashes, looked up for a whole array at once (0 where missing)."""

    def __init__(self, mapping: dict[int, int]):
        import numpy as np

        keys = np.fromiter(mapping, dtype=np.uint64, count=len(mapping))
        order = np.argsort(keys)
        self.keys = keys[order]
        self.values = np.fromiter(mapping.values(), dtype=np.uint64, count=len(mapping))[order]

    def get(self, query):
        import numpy as np

        at = np.minimum(np.searchsorted(self.keys, query), len(self.keys) - 1)
        return np.where(self.keys[at] == query, self.values[at], np.uint64(0))


def sentences(doc) -> list:
    """The sentence spans of a doc the sentencizer has run on: ``list(doc.sents)``, read from one
    array of sentence starts instead of a Token object per word (a fifth of the analysis time)."""
    return [doc[s.start : s.end] for s in sentence_bounds(doc)]


class Sentence(NamedTuple):
    """A sentence's word range [start, end) and character range [start_char, end_char) in its doc:
    what the analysis reads of a sentence span."""

    start: int
    end: int
    start_char: int
    end_char: int


#: The word attributes the analysis reads, one column each: the theme matcher's columns first
#: (cxtext.text.pattern_matcher.ATTRS, in its order), then the sentence starts, the character
#: offsets, the lemmas' filter and the spaces the tagger's sentence keys hold.
WORD_ATTRS = ("LOWER", "LEMMA", "ORTH", "LIKE_NUM", "IS_DIGIT", "IS_PUNCT", "SENT_START", "IDX", "LENGTH", "IS_ALPHA", "SPACY")
_WORD_COLUMN = {name: i for i, name in enumerate(WORD_ATTRS)}
_WORDS_KEY = "cxtext_words"


def words(doc):
    """``doc.to_array(WORD_ATTRS)`` as the pipeline's last component left the doc: it reads them
    for its whole batch in one array and leaves each doc its rows (the sentence spans, the lemmas
    and the tagger each read their own array before: 4.5 calls a document, about 6% of the
    analysis by cProfile; reading them once took 1.3% of its instructions off). Read now for a
    doc the component did not see."""
    table = doc.user_data.get(_WORDS_KEY)
    return table if table is not None else doc.to_array(attribute_ids(*WORD_ATTRS))


@cache
def attribute_ids(*names: str) -> tuple[int, ...]:
    """spaCy's ids of the token attributes *names*, for Doc.to_array: looked up once, not by an
    import statement in every call (about a microsecond a document each)."""
    from spacy.attrs import IDS

    return tuple(IDS[name] for name in names)


def sentence_bounds(doc) -> list[Sentence]:
    """The sentences of a doc the sentencizer has run on, as word and character ranges read from
    one array: a spaCy Span per sentence cost more than the rest of the sentence splitting."""
    flags, idx, lengths = words(doc)[:, _WORD_COLUMN["SENT_START"] : _WORD_COLUMN["LENGTH"] + 1].T.tolist()
    if not flags:
        return []
    flags[0] = 1
    starts = list(compress(range(len(flags)), map((1).__eq__, flags)))
    ends = [*starts[1:], len(flags)]
    return [Sentence(start, end, idx[start], idx[end - 1] + lengths[end - 1]) for start, end in zip(starts, ends)]


def string_key(word: str) -> int:
    """The key spaCy stores *word* under: a fixed symbol id for its built-in strings ("mark",
    "agent"...), the hash otherwise (as StringStore does)."""
    from spacy.strings import hash_string
    from spacy.symbols import IDS

    return IDS.get(word) or hash_string(word)


#: How many lemmas' strings lemma_text remembers (a few dozen bytes each) before it starts afresh.
LEMMA_STRINGS_BOUND = 1 << 17
_lemma_strings: dict[int, str] = {}


def lemma_text(doc) -> str:
    """What the topic model reads: the alphabetic lemmas of a document. Each lemma's string is
    remembered by its hash: spaCy's StringStore decodes a new str on every lookup, which took
    half of this function's time."""
    strings, known = doc.vocab.strings, _lemma_strings
    if len(known) > LEMMA_STRINGS_BOUND:
        known.clear()
    lemmas, alpha = words(doc)[:, [_WORD_COLUMN["LEMMA"], _WORD_COLUMN["IS_ALPHA"]]].T.tolist()
    lemmas = list(compress(lemmas, alpha))
    forms = list(map(known.get, lemmas))
    if None in forms:
        for i, form in enumerate(forms):
            if form is None:
                forms[i] = known[lemmas[i]] = strings[lemmas[i]]
    return " ".join(forms)
