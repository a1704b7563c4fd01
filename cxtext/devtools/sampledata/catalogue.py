"""The sample generator's words and tables, read from cxtext/data/sample/*.toml.

The phrasings, names and weights live in data files so that they can be read and edited as text;
this module turns them into the typed tables the generator draws from. Order in the files is part
of the seeded output: reordering or adding an entry changes every generated file.
"""

from __future__ import annotations

import itertools
import random
import tomllib
from dataclasses import dataclass
from importlib import resources

from cxtext.journey import JOURNEY_STAGES


def _load(name: str) -> dict:
    text = (resources.files("cxtext.devtools.sampledata") / "data" / f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def weighted(pairs) -> tuple[tuple, tuple[float, ...]]:
    """A weighted table for pick: (values, cumulative weights) from (value, weight) pairs."""
    values, weights = zip(*pairs)
    return values, tuple(itertools.accumulate(weights))


def pick(rng: random.Random, table: tuple[tuple, tuple[float, ...]]):
    return rng.choices(table[0], cum_weights=table[1])[0]


def _counts(weights: dict[str, int]) -> tuple[tuple, tuple[float, ...]]:
    """A weighted table of integers from a TOML table whose keys are the integers."""
    return weighted((int(count), weight) for count, weight in weights.items())


@dataclass(frozen=True)
class Product:
    name: str
    short: str
    features: tuple[str, ...]


@dataclass(frozen=True)
class Idea:
    id: str
    stage: str
    polarity: int  # +1 praise, -1 complaint
    groups: tuple[str, ...]  # ideas sharing a group never meet in one record
    templates: tuple[str, ...]
    weight: float = 1.0  # relative frequency as a background idea


@dataclass(frozen=True)
class PlantedPainPoint:
    id: str  # also the id of its idea
    theme: str
    shape: str  # spike | steady | growing | praise
    level: float  # records per week at the default density (spike: in its week; growing: last week)
    description: str
    level_start: float | None = None  # growing only: records in the first week


@dataclass(frozen=True)
class Language:
    code: str
    country: str
    negative: tuple[str, ...]
    positive: tuple[str, ...]
    titles: dict[str, tuple[str, ...]]


# --------------------------------------------------------------------------- catalogue and people

_catalogue = _load("catalogue")
SHOP_HANDLE: str = _catalogue["shop_handle"]
PRODUCTS = tuple(Product(p["name"], p["short"], tuple(_catalogue["feature_sets"][p["features"]])) for p in _catalogue["products"])
SLOT_VALUES = {name: tuple(values) for name, values in _catalogue["slots"].items()}
FIRST_NAMES = tuple(_catalogue["people"]["first_names"])
LAST_NAMES = tuple(_catalogue["people"]["last_names"])
HANDLE_WORDS = tuple(_catalogue["people"]["handle_words"])
COUNTRIES = weighted(_catalogue["countries"].items())
PLATFORMS = weighted(_catalogue["platforms"].items())
CHANNELS = weighted(_catalogue["channels"].items())
HOURS = _counts(_catalogue["hours"])

# --------------------------------------------------------------------------- ideas and planted pain points

# ideas.toml groups the ideas by these journey stages; IDEAS keeps this order.
STAGES = JOURNEY_STAGES
_ideas = _load("ideas")
IDEAS = {
    idea_id: Idea(idea_id, stage, spec["polarity"], tuple(spec["groups"]), tuple(spec["templates"]), spec.get("weight", 1.0))
    for stage in STAGES
    for idea_id, spec in _ideas["ideas"][stage].items()
}
PLANTED = tuple(
    PlantedPainPoint(idea_id, spec["theme"], spec["shape"], spec["level"], spec["description"], spec.get("level_start"))
    for idea_id, spec in _ideas["planted"].items()
)
PLANTED_IDS = tuple(p.id for p in PLANTED)
# (counts, weights) of background ideas per record: [kind][has a planted idea]
BACKGROUND_COUNTS = {
    kind: {True: _counts(spec["with_planted"]), False: _counts(spec["without_planted"])}
    for kind, spec in _ideas["background_counts"].items()
}

# --------------------------------------------------------------------------- framing of texts

_framing = _load("framing")
CONTEXT_SENTENCES = tuple(_framing["context_sentences"])
SURVEY_LEADS = tuple(_framing["survey_leads"])
CONTRAST_JOINS = {  # polarity of the second idea -> joins that lower-case it
    -1: tuple(_framing["contrast_joins"]["complaint"]),
    +1: tuple(_framing["contrast_joins"]["praise"]),
}
TITLES = {mood: tuple(titles) for mood, titles in _framing["titles"].items()}
SURVEY_BY_STAGE = {stage: weighted(surveys.items()) for stage, surveys in _framing["survey_by_stage"].items()}
TOUCHPOINTS: dict[str, str] = _framing["touchpoints"]

_social = _framing["social"]
POSITIVE_EMOJI = tuple(_social["positive_emoji"])
NEGATIVE_EMOJI = tuple(_social["negative_emoji"])
POSITIVE_TAGS = tuple(_social["positive_tags"])
NEGATIVE_TAGS = tuple(_social["negative_tags"])
IDEA_SOCIAL_EXTRAS = {
    idea: (tuple(extras["tags"]), tuple(extras["emoji"]))  # idea -> (hashtags, emoji)
    for idea, extras in _social["extras"].items()
}
SARCASM = tuple(_social["sarcasm"])
SOCIAL_URLS = tuple(_social["urls"])
NEAR_DUPLICATE_SWAPS: dict[str, str] = _social["near_duplicate_swaps"]

# (kind, value or None for a generated order number, source, sentence)
PII_PLANTS = tuple((plant["kind"], plant.get("value"), plant["source"], plant["sentence"]) for plant in _load("pii")["plants"])

# --------------------------------------------------------------------------- non-English feedback

_languages = _load("languages")
# {model}: the product without its English noun ("Boom 2 speaker" -> "Boom 2"); {n}: a number of days.
MODELS = tuple(_languages["models"])
LANGUAGES = tuple(
    Language(
        code,
        spec["country"],
        tuple(spec["negative"]),
        tuple(spec["positive"]),
        {mood: tuple(titles) for mood, titles in spec["titles"].items()},
    )
    for code, spec in _languages["languages"].items()
)
LANGUAGES_BY_CODE = {language.code: language for language in LANGUAGES}
