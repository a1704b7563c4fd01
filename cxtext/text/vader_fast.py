"""VADER 3.3.2's ``polarity_scores`` with the same floats, bit for bit, for less CPU.

VADER was a third of the analysis' CPU time, and most of that was not its rules but how 3.3.2
writes them: the emoji pass rebuilds the text one character at a time; every lexicon word
lower-cases the whole text again three to five times (the negation, idiom and "but" checks each
build their own lower-cased word list) and the "but" rule walks the list with ``list.index``,
``pop`` and ``insert``. :class:`FastSentimentIntensityAnalyzer` lower-cases each word once, looks
emojis up only in a text with a non-ASCII character (one ``str.translate``), returns at once for a
text without a lexicon word (a fifth of what the pipeline scores), and keeps every rule and every
float operation of the library, in the library's order (tests/test_vader_fast.py compares both on
thousands of texts; ``python -m cxtext.devtools.vader_check`` on every text of a data folder).

What is kept on purpose, because it changes scores: the "but" rule's quirk (a sentiment equal to
an earlier one rescales that earlier one: ``list.index`` finds the first equal value); the
"never so/this" rule, which also fires on "so"/"this" just before the word; the idiom and
"kind of" n-gram checks, which run only where the word three back is not a lexicon word; "no"
before a lexicon word; "least" unless after "at"/"very"; ALL-CAPS emphasis only when some but
not all words are capitals; "!" and "?" emphasis. What changes nothing is left out: the zero
sentiments of words that carry none (their sign and int/float type never reach a score).

A document is scored after its sentences (cxtext.text.document_polarity): ``joined_scores`` gives
the joined text's scores from the sentences' remembered readings (their words, and the valences
of the words whose rule window stays inside their sentence), so the document's words are not
split, stripped, lower-cased and looked up a second time, nor most of their rules applied again
(the document's scores were a tenth of the analysis, most of it that second reading).
"""

from __future__ import annotations

import math
import string
from itertools import accumulate, compress

from vaderSentiment import vaderSentiment as _vader
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

_PUNCTUATION = string.punctuation
_BOOSTERS = _vader.BOOSTER_DICT
_NEGATIONS = frozenset(_vader.NEGATE)
_N_SCALAR = _vader.N_SCALAR
_C_INCR = _vader.C_INCR
_normalize = _vader.normalize


def _word_tuples(table: dict) -> dict[tuple[str, ...], float]:
    """A table's keys of two words or more as tuples of words. VADER joins words with one space
    and looks the string up; a word never holds a space (the text is split on whitespace), so a
    tuple matches exactly when the joined string does."""
    return {tuple(key.split(" ")): value for key, value in table.items() if " " in key}


_SPECIAL = _word_tuples(_vader.SPECIAL_CASES)
_BOOSTER_NGRAMS = _word_tuples(_BOOSTERS)
#: First words of the multi-word idioms and boosters: the checks are skipped unless one is near.
_SPECIAL_FIRST = frozenset(key[0] for key in _SPECIAL)
_BOOSTER_NGRAM_FIRST = frozenset(key[0] for key in _BOOSTER_NGRAMS)
_NO_WORDS = {"neg": 0.0, "neu": 0.0, "pos": 0.0, "compound": 0.0}
#: Texts whose reading an analyzer remembers (about a kilobyte each; cleared when full): the
#: documents joined from sentences come right after their sentences were scored.
REMEMBERED_READINGS = 1 << 12


class _Reading:
    """What VADER reads of a text: its words (emoji described, split on whitespace, stripped of
    punctuation), their lower case, the lexicon words that may score (before the "kind of" check,
    which looks at the next word), its '!' and '?'; once scored, its words' valences and the
    ALL-CAPS setting they were computed with."""

    __slots__ = ("words", "lowers", "lexical", "exclamations", "questions", "valences", "cap_diff")

    def __init__(self, words: list[str], lowers: list[str], lexical: list[int], exclamations: int, questions: int):
        self.words, self.lowers, self.lexical = words, lowers, lexical
        self.exclamations, self.questions = exclamations, questions
        self.valences: dict[int, float] | None = None
        self.cap_diff: bool | None = None


def _emoji_table(emojis: dict) -> dict[int, str]:
    """A ``str.translate`` table for VADER's emoji pass: each emoji its description, after a
    space. VADER's loop puts the space only where the character before is not a space, and reads
    one character at a time (so only one-character keys ever match); the text then only matters
    through its words (split on whitespace) and its '!' and '?', so a space more next to one
    changes nothing."""
    return {ord(key): " " + description for key, description in emojis.items() if len(key) == 1}


def _scalar(lower: str, word: str, valence: float, is_cap_diff: bool) -> float:
    """VADER's ``scalar_inc_dec`` with the word's lower case given."""
    scalar = 0.0
    booster = _BOOSTERS.get(lower)
    if booster is not None:
        scalar = booster
        if valence < 0:
            scalar *= -1
        if word.isupper() and is_cap_diff:
            if valence > 0:
                scalar += _C_INCR
            else:
                scalar -= _C_INCR
    return scalar


def _negated(lower: str) -> bool:
    """VADER's ``negated`` of one lower-cased word (lower-casing it again changes nothing)."""
    return lower in _NEGATIONS or "n't" in lower


def _idioms(valence: float, lowers: list[str], i: int) -> float:
    """VADER's ``_special_idioms_check`` (called for i > 2 only)."""
    l0, l1, l2, l3 = lowers[i], lowers[i - 1], lowers[i - 2], lowers[i - 3]
    n = len(lowers)
    if l1 in _SPECIAL_FIRST or l2 in _SPECIAL_FIRST or l3 in _SPECIAL_FIRST:
        for key in ((l1, l0), (l2, l1, l0), (l2, l1), (l3, l2, l1), (l3, l2)):
            special = _SPECIAL.get(key)
            if special is not None:
                valence = special
                break
    if l0 in _SPECIAL_FIRST:
        if n - 1 > i:
            special = _SPECIAL.get((l0, lowers[i + 1]))
            if special is not None:
                valence = special
        if n - 1 > i + 1:
            special = _SPECIAL.get((l0, lowers[i + 1], lowers[i + 2]))
            if special is not None:
                valence = special
    if l3 in _BOOSTER_NGRAM_FIRST or l2 in _BOOSTER_NGRAM_FIRST:
        for key in ((l3, l2, l1), (l3, l2), (l2, l1)):
            booster = _BOOSTER_NGRAMS.get(key)
            if booster is not None:
                valence = valence + booster
    return valence


class FastSentimentIntensityAnalyzer(SentimentIntensityAnalyzer):
    """A drop-in ``SentimentIntensityAnalyzer`` whose ``polarity_scores`` returns the library's
    dict, the same floats, in less CPU. ``lexicon`` and ``emojis`` are read on every call, so an
    analyzer whose lexicon was replaced scores with the new one (the texts' remembered readings
    go with the old one: replace the tables, do not edit them in place); VADER's module-level
    tables (boosters, negations, idioms) are read once, at import."""

    _emojis: dict | None = None  # the emoji table _emoji_table was made from
    _emoji_table: dict[int, str]
    _emoji_ascii: bool  # whether an emoji is an ASCII character (VADER's are not: most texts are skipped)
    _lexicon: dict | None = None  # the lexicon the remembered readings were made with
    _readings: dict[str, _Reading]

    def polarity_scores(self, text):
        if not isinstance(text, str):
            return super().polarity_scores(text)
        return self.joined_scores([text])

    def joined_scores(self, texts: list[str]) -> dict:
        """``polarity_scores(" ".join(texts))``, the same floats, reading each text once: a
        document scored after its sentences reuses their words and the valences of the words
        that see only their own sentence (three words back, two ahead); the words near a joint,
        the "kind of" check, the "but" rule, ALL-CAPS and the '!' and '?' are the joined text's."""
        if self.emojis is not self._emojis or self.lexicon is not self._lexicon:
            self._emojis, self._emoji_table = self.emojis, _emoji_table(self.emojis)
            self._emoji_ascii = any(code < 128 for code in self._emoji_table)
            self._lexicon, self._readings = self.lexicon, {}
        parts = [self._readings.get(text) or self._read(text) for text in texts]
        if len(parts) == 1:
            part = parts[0]
            words, lowers, lexical = part.words, part.lowers, part.lexical
        else:
            words = [word for part in parts for word in part.words]
            lowers = [lower for part in parts for lower in part.lowers]
            offsets = list(accumulate((len(part.words) for part in parts[:-1]), initial=0))
            lexical = [offset + i for part, offset in zip(parts, offsets) for i in part.lexical]
        n = len(words)
        if not n:
            return dict(_NO_WORDS)
        hits = [i for i in lexical if not (lowers[i] == "kind" and i < n - 1 and lowers[i + 1] == "of")]
        if not hits:
            return {"neg": 0.0, "neu": 1.0, "pos": 0.0, "compound": 0.0}
        uppers = sum(map(str.isupper, words))
        is_cap_diff = 0 < n - uppers < n
        sentiments: list = [0] * n
        if len(parts) == 1:
            for i in hits:
                sentiments[i] = self._valence(words, lowers, i, is_cap_diff)
            part.valences, part.cap_diff = {i: sentiments[i] for i in hits}, is_cap_diff
        else:
            last = len(parts) - 1
            for k, (part, offset) in enumerate(zip(parts, offsets)):
                known = part.valences if part.cap_diff == is_cap_diff else None
                low, high = (0 if k == 0 else 3), len(part.words) - (0 if k == last else 2)
                for j in part.lexical:
                    i = offset + j
                    if lowers[i] == "kind" and i < n - 1 and lowers[i + 1] == "of":
                        continue
                    if known is not None and low <= j < high and j in known:
                        sentiments[i] = known[j]
                    else:
                        sentiments[i] = self._valence(words, lowers, i, is_cap_diff)
        nonzero = [i for i in hits if sentiments[i]]
        if "but" in lowers:
            _but(sentiments, nonzero, lowers.index("but"))
        return _score(sentiments, nonzero, sum(p.exclamations for p in parts), sum(p.questions for p in parts))

    def _read(self, text: str) -> _Reading:
        """VADER's reading of *text* (emoji described, words split and stripped of punctuation,
        the lexicon words that may score), remembered for the documents its sentences join into."""
        original = text
        if self._emoji_ascii or not text.isascii():
            text = text.translate(self._emoji_table)
        words = [token if len(stripped := token.strip(_PUNCTUATION)) <= 2 else stripped for token in text.split()]
        lowers = list(map(str.lower, words))
        lexicon = self.lexicon
        lexical = [i for i in compress(range(len(lowers)), map(lexicon.__contains__, lowers)) if lowers[i] not in _BOOSTERS]
        if len(self._readings) >= REMEMBERED_READINGS:
            self._readings.clear()
        reading = self._readings[original] = _Reading(words, lowers, lexical, text.count("!"), text.count("?"))
        return reading

    def _valence(self, words: list[str], lowers: list[str], i: int, is_cap_diff: bool):
        """VADER's ``sentiment_valence`` of the lexicon word at i (with ``_negation_check`` and
        ``_least_check`` written out), step by step in the library's order."""
        lexicon = self.lexicon
        lower = lowers[i]
        n = len(lowers)
        valence = lexicon[lower]
        if lower == "no" and i != n - 1 and lowers[i + 1] in lexicon:
            valence = 0.0
        if (
            (i > 0 and lowers[i - 1] == "no")
            or (i > 1 and lowers[i - 2] == "no")
            or (i > 2 and lowers[i - 3] == "no" and lowers[i - 1] in ("or", "nor"))
        ):
            valence = lexicon[lower] * _N_SCALAR
        if is_cap_diff and words[i].isupper():
            if valence > 0:
                valence += _C_INCR
            else:
                valence -= _C_INCR
        if i > 0:
            l1 = lowers[i - 1]
            if l1 not in lexicon:
                valence = valence + _scalar(l1, words[i - 1], valence, is_cap_diff)
                if _negated(l1):
                    valence = valence * _N_SCALAR
            if i > 1:
                l2 = lowers[i - 2]
                if l2 not in lexicon:
                    s = _scalar(l2, words[i - 2], valence, is_cap_diff)
                    if s != 0:
                        s = s * 0.95
                    valence = valence + s
                    if l2 == "never" and (l1 == "so" or l1 == "this"):
                        valence = valence * 1.25
                    elif l2 == "without" and l1 == "doubt":
                        pass
                    elif _negated(l2):
                        valence = valence * _N_SCALAR
                if i > 2:
                    l3 = lowers[i - 3]
                    if l3 not in lexicon:
                        s = _scalar(l3, words[i - 3], valence, is_cap_diff)
                        if s != 0:
                            s = s * 0.9
                        valence = valence + s
                        if (l3 == "never" and (l2 == "so" or l2 == "this")) or (l1 == "so" or l1 == "this"):
                            valence = valence * 1.25
                        elif l3 == "without" and (l2 == "doubt" or l1 == "doubt"):
                            pass
                        elif _negated(l3):
                            valence = valence * _N_SCALAR
                        valence = _idioms(valence, lowers, i)
            if l1 == "least" and l1 not in lexicon and (i == 1 or lowers[i - 2] not in ("at", "very")):
                valence = valence * _N_SCALAR
        return valence


def _but(sentiments: list, nonzero: list[int], bi: int) -> None:
    """VADER's ``_but_check`` on the non-zero sentiments, quirk included: each sentiment, taken
    in order, rescales the first sentiment equal to it (0.5 before the first "but", 1.5 after).
    Zero sentiments only ever rescale zeros, which stay zeros, so they are skipped."""
    for k in nonzero:
        sentiment = sentiments[k]
        si = sentiments.index(sentiment)
        if si < bi:
            sentiments[si] = sentiment * 0.5
        elif si > bi:
            sentiments[si] = sentiment * 1.5


def _score(sentiments: list, nonzero: list[int], exclamations: int, questions: int) -> dict:
    """VADER's ``score_valence`` (with ``_sift_sentiment_scores`` over the non-zero sentiments,
    in order: zeros only count as neutral), given the text's counts of '!' and '?'."""
    sum_s = float(sum(sentiments))
    ep_count = exclamations
    if ep_count > 4:
        ep_count = 4
    ep_amplifier = ep_count * 0.292
    qm_count = questions
    qm_amplifier = 0
    if qm_count > 1:
        qm_amplifier = qm_count * 0.18 if qm_count <= 3 else 0.96
    punct_emph_amplifier = ep_amplifier + qm_amplifier
    if sum_s > 0:
        sum_s += punct_emph_amplifier
    elif sum_s < 0:
        sum_s -= punct_emph_amplifier
    compound = _normalize(sum_s)
    pos_sum = 0.0
    neg_sum = 0.0
    neu_count = len(sentiments)
    for i in nonzero:
        sentiment_score = sentiments[i]
        if sentiment_score > 0:
            pos_sum += float(sentiment_score) + 1
        if sentiment_score < 0:
            neg_sum += float(sentiment_score) - 1
        neu_count -= 1
    if pos_sum > math.fabs(neg_sum):
        pos_sum += punct_emph_amplifier
    elif pos_sum < math.fabs(neg_sum):
        neg_sum -= punct_emph_amplifier
    total = pos_sum + math.fabs(neg_sum) + neu_count
    return {
        "neg": round(math.fabs(neg_sum / total), 3),
        "neu": round(math.fabs(neu_count / total), 3),
        "pos": round(math.fabs(pos_sum / total), 3),
        "compound": round(compound, 4),
    }
