"""Texts and file rows of the sample generator: ideas become sentences, records become rows.

Every function draws from the generator's seeded stream in a fixed order; a change here that
draws once more or once less changes every file after it (cxtext.devtools.sampledata explains the steps).
"""

from __future__ import annotations

import datetime
import functools
import json
import random
import string
from typing import TYPE_CHECKING

from cxtext.devtools.sampledata.catalogue import (
    CHANNELS,
    CONTEXT_SENTENCES,
    CONTRAST_JOINS,
    COUNTRIES,
    FIRST_NAMES,
    IDEA_SOCIAL_EXTRAS,
    IDEAS,
    LANGUAGES_BY_CODE,
    LAST_NAMES,
    MODELS,
    NEAR_DUPLICATE_SWAPS,
    NEGATIVE_EMOJI,
    NEGATIVE_TAGS,
    PLANTED_IDS,
    PLATFORMS,
    POSITIVE_EMOJI,
    POSITIVE_TAGS,
    PRODUCTS,
    SARCASM,
    SHOP_HANDLE,
    SLOT_VALUES,
    SOCIAL_URLS,
    SURVEY_BY_STAGE,
    SURVEY_LEADS,
    TITLES,
    TOUCHPOINTS,
    Idea,
    Product,
    pick,
)

if TYPE_CHECKING:
    from cxtext.devtools.sampledata.files import ForeignRecord, Record

CONTRAST_RATE = 0.6
TYPO_RATE = 0.1
NPS_ON_POST_SURVEYS = 0.6

# --------------------------------------------------------------------------- text


@functools.cache
def _slots(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _fill(rng: random.Random, template: str, product: Product) -> str:
    values = {}
    for name in _slots(template):
        if name == "product":
            values[name] = product.short
        elif name == "feature":
            values[name] = rng.choice(product.features)
        elif name == "order":
            values[name] = f"#VS{rng.randrange(100000, 1000000)}"
        else:
            values[name] = rng.choice(SLOT_VALUES[name])
    return template.format_map(values)


def _compose(rng: random.Random, ideas: list[str], product: Product, *, context_rate: float) -> str:
    """One to four sentences; neighbouring ideas of opposite polarity are often joined by a contrast."""
    sentences: list[str] = []
    joined = True  # the last sentence cannot take another contrast
    for position, idea_id in enumerate(ideas):
        idea = IDEAS[idea_id]
        template = rng.choice(idea.templates)
        sentence = _fill(rng, template, product)
        previous = IDEAS[ideas[position - 1]] if position else None
        lowerable = not template.startswith(("{", "I ", "I'", "Volta", "Bluetooth"))
        if previous and previous.polarity != idea.polarity and not joined and lowerable and rng.random() < CONTRAST_RATE:
            join = rng.choice(CONTRAST_JOINS[idea.polarity])
            sentences[-1] = sentences[-1].rstrip(".!?") + join + sentence[0].lower() + sentence[1:]
            joined = True
        else:
            sentences.append(sentence)
            joined = False
    if len(sentences) < 4 and rng.random() < context_rate:
        sentences.insert(0, _fill(rng, rng.choice(CONTEXT_SENTENCES), product))
    return " ".join(sentences)


def _typo(rng: random.Random, text: str) -> str:
    """One human slip: all lower case, a dropped full stop, two swapped letters or a missing letter."""
    kind = rng.randrange(4)
    words = text.split(" ")
    candidates = [i for i, word in enumerate(words) if len(word) >= 5 and word.isalpha()]
    if kind == 0 or not candidates:
        return text.lower()
    if kind == 1:
        return text.rstrip(".")
    i = rng.choice(candidates)
    word, j = words[i], rng.randrange(1, len(words[i]) - 2)
    words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :] if kind == 2 else word[:j] + word[j + 1 :]
    return " ".join(words)


def _sentiment(ideas: list[str]) -> float:
    """Weighted mean polarity in [-1, 1]; the last idea counts 1.5 times (peak-end rule)."""
    weights = [1.0] * (len(ideas) - 1) + [1.5]
    return sum(IDEAS[i].polarity * w for i, w in zip(ideas, weights)) / sum(weights)


def _score(rng: random.Random, sentiment: float, low: int, high: int) -> int:
    value = low + (sentiment + 1) / 2 * (high - low) + rng.gauss(0, 0.15 * (high - low))
    return min(high, max(low, round(value)))


def _feedback_text(rng: random.Random, record: Record, product: Product, *, context_rate: float) -> str:
    text = _compose(rng, record.ideas, product, context_rate=context_rate)
    if rng.random() < TYPO_RATE:
        text = _typo(rng, text)
    return text


def _with_pii(record: Record, text: str) -> str:
    return f"{text} {record.pii[2]}" if record.pii else text


def _primary_idea(record: Record) -> Idea:
    return IDEAS[next((i for i in record.ideas if i in PLANTED_IDS), record.ideas[0])]


# --------------------------------------------------------------------------- rendering per source


def _review_row(rng: random.Random, record: Record) -> list[str]:
    product = rng.choice(PRODUCTS)
    record.text = _with_pii(record, _feedback_text(rng, record, product, context_rate=0.2))
    stars = _score(rng, _sentiment(record.ideas), 1, 5)
    mood = "positive" if stars >= 4 else "negative" if stars <= 2 else "mixed"
    row = [
        record.record_id,
        record.when.strftime("%Y-%m-%d %H:%M"),
        product.name,
        str(7 if record.defect == "out_of_range" else stars),
        _fill(rng, rng.choice(TITLES[mood]), product),
        "" if record.defect == "missing_text" else record.text,
        f"C{rng.randrange(1, 100000):05d}",
        pick(rng, COUNTRIES),
    ]
    return row[:5] if record.defect == "field_count" else row


def _survey_row(rng: random.Random, record: Record) -> list[str]:
    product = rng.choice(PRODUCTS)
    stage = _primary_idea(record).stage
    survey = pick(rng, SURVEY_BY_STAGE[stage])
    touchpoint = TOUCHPOINTS.get(survey, "account" if stage == "loyalty" else "general")
    sentiment = _sentiment(record.ideas)
    asks_nps = survey == "relationship_nps" or rng.random() < NPS_ON_POST_SURVEYS
    nps = _score(rng, sentiment, 0, 10) if asks_nps else ""
    csat = _score(rng, sentiment, 1, 5) if survey != "relationship_nps" else ""
    ces = _score(rng, sentiment, 1, 7) if survey == "post_support" else ""
    text = _feedback_text(rng, record, product, context_rate=0.1)
    if rng.random() < 0.12:
        text = rng.choice(SURVEY_LEADS) + text
    record.text = _with_pii(record, text)
    email = (
        f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}{rng.randrange(1, 100)}@{rng.choice(('example.com', 'example.org'))}"
    )
    return [
        record.record_id,
        record.when.isoformat(timespec="seconds"),
        survey,
        touchpoint,
        str(11 if record.defect == "out_of_range" else nps),
        str(csat),
        str(ces),
        "   " if record.defect == "missing_text" else record.text,
        email,
        pick(rng, CHANNELS),
    ]


def _social_line(rng: random.Random, record: Record) -> str:
    if record.copy_kind == "retweet":
        record.text = f"RT {record.copy_of.handle}: {record.copy_of.text}"
    elif record.copy_kind == "near_duplicate":
        record.text = _near_duplicate(rng, record.copy_of.text, record.ideas)
    else:
        text = _feedback_text(rng, record, rng.choice(PRODUCTS), context_rate=0.0)
        record.text = _with_pii(record, _socialize(rng, text, record.ideas))
    created = record.when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    post = {
        "id": record.record_id,
        "platform": record.platform,
        "created_at": created,
        "text": record.text,
        "lang": "en",
        "retweet_of": record.copy_of.record_id if record.copy_kind == "retweet" else None,
        "user": {"handle": record.handle, "followers": record.followers},
    }
    line = json.dumps(post, ensure_ascii=False, sort_keys=True)
    return line[: len(line) * 2 // 3] if record.defect == "invalid_json" else line


def _social_extras(ideas: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Hashtags and emoji fitting the post: the planted idea's own, else by overall polarity."""
    for idea in ideas:
        if idea in IDEA_SOCIAL_EXTRAS:
            return IDEA_SOCIAL_EXTRAS[idea]
    if _sentiment(ideas) >= 0:
        return POSITIVE_TAGS, POSITIVE_EMOJI
    return NEGATIVE_TAGS, NEGATIVE_EMOJI


def _socialize(rng: random.Random, text: str, ideas: list[str]) -> str:
    """Make a sentence sound like a post: mention, sarcasm, caps, !!!, emoji, hashtags, lol, a link."""
    negative = _sentiment(ideas) < 0
    tags, emoji = _social_extras(ideas)
    if negative and rng.random() < 0.1:
        text = rng.choice(SARCASM).format(text=text, shop=SHOP_HANDLE)
    elif negative and rng.random() < 0.07:
        text = text.upper()
    if text.endswith(".") and rng.random() < 0.3:
        text = text[:-1] + "!!!"
    roll = rng.random()
    if roll < 0.45:
        text = f"{SHOP_HANDLE} {text}"
    parts = [text]
    if roll > 0.85:
        parts.append(SHOP_HANDLE)
    if rng.random() < 0.6:
        parts.append("".join(rng.choice(emoji) for _ in range(rng.randint(1, 3))))
    if rng.random() < 0.55:
        parts.extend(rng.sample(tags, rng.randint(1, 2)))
    if rng.random() < 0.05:
        parts.append("lol")
    if rng.random() < 0.15:
        parts.append(
            rng.choice(SOCIAL_URLS)
            if rng.random() < 0.4
            else "https://t.co/" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(10))
        )
    return " ".join(parts)


def _near_duplicate(rng: random.Random, text: str, ideas: list[str]) -> str:
    """The same complaint reposted with a small change: an extra emoji or hashtag, or one word swapped."""
    tags, emoji = _social_extras(ideas)
    kind = rng.randrange(3)
    if kind == 2:
        words = text.split(" ")
        for i, word in enumerate(words):
            if word in NEAR_DUPLICATE_SWAPS:
                words[i] = NEAR_DUPLICATE_SWAPS[word]
                return " ".join(words)
    return f"{text} {rng.choice(tags) if kind == 1 else rng.choice(emoji)}"


RENDERERS = {"review": _review_row, "survey": _survey_row, "social": _social_line}


# --------------------------------------------------------------------------- non-English records


def _foreign_text(rng: random.Random, record: ForeignRecord, seen: set[str]) -> str:
    """One or two sentences of the record's language and polarity, a text not used before."""
    language = LANGUAGES_BY_CODE[record.language]
    pool = language.negative if record.polarity < 0 else language.positive
    for _ in range(50):
        sentences = rng.sample(pool, 1 if rng.random() < 0.5 else 2)
        model = rng.choice(MODELS)
        text = " ".join(s.format(model=model, n=rng.randint(3, 15)) for s in sentences)
        if text not in seen:
            break
    seen.add(text)
    return text


def _foreign_review(rng: random.Random, record: ForeignRecord, seen: set[str], handles) -> list[str]:
    record.text = _foreign_text(rng, record, seen)
    language = LANGUAGES_BY_CODE[record.language]
    stars = rng.choice((1, 1, 2) if record.polarity < 0 else (4, 5, 5))
    mood = "negative" if record.polarity < 0 else "positive"
    return [
        record.record_id,
        record.when.strftime("%Y-%m-%d %H:%M"),
        rng.choice(PRODUCTS).name,
        str(stars),
        rng.choice(language.titles[mood]),
        record.text,
        f"C{rng.randrange(1, 100000):05d}",
        language.country,
    ]


def _foreign_survey(rng: random.Random, record: ForeignRecord, seen: set[str], handles) -> list[str]:
    record.text = _foreign_text(rng, record, seen)
    survey = rng.choice(("relationship_nps", "post_purchase", "post_delivery", "post_support"))
    sentiment = 0.8 * record.polarity
    nps = _score(rng, sentiment, 0, 10) if survey == "relationship_nps" or rng.random() < NPS_ON_POST_SURVEYS else ""
    csat = _score(rng, sentiment, 1, 5) if survey != "relationship_nps" else ""
    ces = _score(rng, sentiment, 1, 7) if survey == "post_support" else ""
    email = (
        f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}{rng.randrange(1, 100)}@{rng.choice(('example.com', 'example.org'))}"
    )
    return [
        record.record_id,
        record.when.isoformat(timespec="seconds"),
        survey,
        TOUCHPOINTS.get(survey, "general"),
        str(nps),
        str(csat),
        str(ces),
        record.text,
        email,
        pick(rng, CHANNELS),
    ]


def _foreign_social(rng: random.Random, record: ForeignRecord, seen: set[str], handles) -> str:
    text = _foreign_text(rng, record, seen)
    if rng.random() < 0.5:
        text = f"{SHOP_HANDLE} {text}"
    if rng.random() < 0.6:
        emoji = NEGATIVE_EMOJI if record.polarity < 0 else POSITIVE_EMOJI
        text += " " + "".join(rng.choice(emoji) for _ in range(rng.randint(1, 2)))
    record.text = text
    handle, followers = rng.choice(handles)
    post = {
        "id": record.record_id,
        "platform": pick(rng, PLATFORMS),
        "created_at": record.when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "text": text,
        "lang": record.language,
        "retweet_of": None,
        "user": {"handle": handle, "followers": followers},
    }
    return json.dumps(post, ensure_ascii=False, sort_keys=True)


FOREIGN_RENDERERS = {"review": _foreign_review, "survey": _foreign_survey, "social": _foreign_social}
