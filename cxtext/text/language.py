"""Offline language identification of feedback (py3langid: its model ships inside the wheel).

The detector chooses among a configured set of languages (``languages`` in cxtext.toml): on
short texts that is far more accurate than among all 97 (docs/LANGUAGE.md). Text with fewer than
MIN_LETTERS letters (an emoji, "ok", a number) is 'und', undetermined, and is scored as English:
the English scorers read emoji and a stray word, and leaving it out would hide it.

English is preferred unless another language is ENGLISH_ODDS times likelier: short English posts
("SO BAD service in Miami", "DM sent", "Pizza time.") share their few character n-grams with other
languages, and the detector's narrow win for one of them threw real English feedback away
(96 of the 4,200 VADER tweets; docs/LANGUAGE.md).
"""

from __future__ import annotations

from functools import lru_cache

UNDETERMINED = "und"
MIN_LETTERS = 3
#: How many times likelier than English another language must be to be chosen over it (chosen on
#: the VADER tweets and the short labelled texts: 5 keeps every non-English text 4 would keep).
ENGLISH_ODDS = 5.0
#: Languages the English-only scorers (VADER, the taxonomy) read.
SCORED_LANGUAGES = ("en", UNDETERMINED)


@lru_cache(maxsize=4)
def _identifier(languages: tuple[str, ...]):
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(languages))
    return identifier


def detect(text: str, languages: tuple[str, ...]) -> str:
    """ISO 639-1 code of the language of *text* among *languages*, or 'und'."""
    if sum(ch.isalpha() for ch in text) < MIN_LETTERS:
        return UNDETERMINED
    identifier = _identifier(tuple(languages))
    best, probability = identifier.classify(text)
    if best == "en" or "en" not in languages:
        return best
    english = dict(identifier.rank(text))["en"]  # ranking every language is slower: only when needed
    return "en" if probability < ENGLISH_ODDS * english else best


def language_version(languages: tuple[str, ...]) -> str:
    """Changes when the detector or its languages do (stored results then become stale)."""
    from importlib.metadata import version

    return f"py3langid{version('py3langid')}:{','.join(sorted(languages))}:en-odds{ENGLISH_ODDS:g}"
