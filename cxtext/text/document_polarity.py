"""A document's VADER scores without rewriting it again: its sentences were rewritten (CX rules,
phrases, hyphenated words) for their own scores, and where they join as below, the document's
rewriting is theirs joined, and VADER reads it from their words, read when they were scored
(FastSentimentIntensityAnalyzer.joined_scores). The scores are VADER's on the same rewritten
text, bit for bit.

Why joining is exact: every rewriting pattern (the CX rules of cxtext.text.cx_rules, the
lexicon's phrases, split_hyphens) matches words, whitespace, apostrophes, hyphens and digits
("1.5 hours"), never '.', '!' or '?' before a space, so no match crosses a joint of sentences
joined by one space after '.', '!' or '?'. What a pattern checks beside its match sees the same
at a joint as at a text's edge: a space or nothing before a word (neither is a word character,
an apostrophe, "still " or "only "), the sentence's own '.', '!' or '?' after its last word; the
one rule anchored at a sentence start accepts both a text's start and '. ' before it. A lexicon
whose phrases hold any other character gets its documents rewritten whole.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from cxtext.text.sentiment import Polarity, SentimentScorer, _analyzer, load_lexicon, rewritten

_ENDS = frozenset(".!?")
_PHRASE_CHARACTERS = re.compile(r"[\w\s'’]+")


@lru_cache(maxsize=8)
def _joinable(mode: str, lexicon_path: Path | None) -> bool:
    """Whether the lexicon's phrases are made of word characters, spaces and apostrophes only."""
    if mode == "plain":
        return True
    return all(_PHRASE_CHARACTERS.fullmatch(phrase) for phrase, _ in load_lexicon(lexicon_path).phrases)


def joined_polarity(scorer: SentimentScorer, text: str, sentences: list[str]) -> Polarity | None:
    """= scorer.polarity(text) from its sentences' rewritings joined; None where they do not join
    as the module says (one sentence, another joint, a lexicon with other phrases)."""
    mode, path = scorer.mode, scorer.lexicon_path
    if (
        len(sentences) < 2
        or not _joinable(mode, path)
        or not all(s and s[-1] in _ENDS and not s[0].isspace() for s in sentences[:-1])
        or not sentences[-1][:1].strip()
        or " ".join(sentences) != text
    ):
        return None
    parts = [rewritten(mode, path, s) for s in sentences]  # VADER read (and scored) each of them just before
    return Polarity.from_vader(_analyzer(mode, path)[0].joined_scores(parts))
