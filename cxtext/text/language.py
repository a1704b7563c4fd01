"""Offline language identification of feedback (py3langid: its model ships inside the wheel).

The detector chooses among a configured set of languages (``languages`` in cxtext.toml): on
short texts that is far more accurate than among all 97 (docs/LANGUAGE.md). Text with fewer than
MIN_LETTERS letters (an emoji, "ok", a number) is 'und', undetermined, and is scored as English:
the English scorers read emoji and a stray word, and leaving it out would hide it.

English is preferred unless another language is ENGLISH_ODDS times likelier: short English posts
("SO BAD service in Miami", "DM sent", "Pizza time.") share their few character n-grams with other
languages, and the detector's narrow win for one of them threw real English feedback away
(96 of the 4,200 VADER tweets; docs/LANGUAGE.md).

The detector is skipped where it cannot change the answer: a text with ENGLISH_MARKERS_NEEDED
English function words that no other configured language writes alike ("the", "with", "very"),
making at least ENGLISH_MARKER_SHARE of its words, is English (with the English prior the
detector said so for every such text of the evaluation data and the sample; docs/LANGUAGE.md).
"""

from __future__ import annotations

import re
from functools import lru_cache

UNDETERMINED = "und"
MIN_LETTERS = 3
#: How many times likelier than English another language must be to be chosen over it (chosen on
#: the VADER tweets and the short labelled texts: 5 keeps every non-English text 4 would keep).
ENGLISH_ODDS = 5.0
#: English function words spelled as no word of MARKER_LANGUAGES ("was", "in", "is", "of", "we",
#: "so", "will" are Dutch or German words too; "a", "no", "me", "but" Romance ones).
ENGLISH_MARKERS = frozenset(
    "the and with this that you your they their them there not very have been were would could should "
    "from what when which about because after before our its it's i'm i've don't didn't doesn't can't "
    "won't wasn't isn't got get my any every really than then to it for has all out up if can did does how "
    "who why by too only some into off us him her she one".split()
)
#: The languages the markers were checked against: with any other configured, the detector decides.
MARKER_LANGUAGES = frozenset({"en", "fr", "de", "es", "it", "pt", "nl"})
ENGLISH_MARKERS_NEEDED = 3
ENGLISH_MARKER_SHARE = 0.1
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
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
    if not _has_letters(text, MIN_LETTERS):
        return UNDETERMINED
    if "en" in languages and MARKER_LANGUAGES.issuperset(languages) and _clearly_english(text):
        return "en"
    identifier = _identifier(tuple(languages))
    best, probability = identifier.classify(text)
    if best == "en" or "en" not in languages:
        return best
    english = dict(identifier.rank(text))["en"]  # ranking every language is slower: only when needed
    return "en" if probability < ENGLISH_ODDS * english else best


def _has_letters(text: str, needed: int) -> bool:
    """At least *needed* letters in *text* (stops counting there: most texts have them at once)."""
    for ch in text:
        if ch.isalpha():
            needed -= 1
            if not needed:
                return True
    return needed <= 0


def _clearly_english(text: str) -> bool:
    """Enough English-only function words, and a large enough share of the words, to leave the
    detector no say (it would answer English: see the module docstring)."""
    words = _WORD.findall(text.lower().replace("’", "'"))
    hits = sum(map(ENGLISH_MARKERS.__contains__, words))
    return hits >= ENGLISH_MARKERS_NEEDED and hits >= ENGLISH_MARKER_SHARE * len(words)


def language_version(languages: tuple[str, ...]) -> str:
    """Changes when the detector or its languages do (stored results then become stale)."""
    from importlib.metadata import version

    return f"py3langid{version('py3langid')}:{','.join(sorted(languages))}:en-odds{ENGLISH_ODDS:g}:en-markers{ENGLISH_MARKERS_NEEDED}"
