"""Seeded generator of synthetic customer feedback for Volta, a fictional electronics shop.

``generate(out_dir)`` writes three source files and a manifest that records the truth about them:

- ``reviews.csv``           shop reviews (stars 1-5, Europe/London local time without offset);
- ``survey_comments.csv``   survey answers (NPS / CSAT / CES and an open comment, ISO-8601 with offset);
- ``social_mentions.jsonl`` informal social posts (UTC), with retweets and near-duplicates;
- ``manifest.json``         what was planted where: pain points, malformed lines, duplicates, PII.

Design
------
Every piece of feedback is built from *ideas*. An idea belongs to one customer-journey stage, has a
polarity (+1 praise / -1 complaint) and a pool of phrasings with slots ("on hold for {duration}").
The generation runs in fixed steps, all drawing from one ``random.Random(seed)`` in a fixed order,
so the same arguments always give byte-identical files:

1. skeletons: each record gets a local timestamp inside the period; records are sorted by time and
   numbered, so ids grow with time;
2. a few records per file are marked as malformed (they are not "good" records);
3. social posts get a platform and a handle, and some become retweets or near-duplicates of an
   earlier post of the same week (they inherit its ideas);
4. planted pain points are assigned week by week to exact target counts (spike, steady, growing,
   praise), drawn from all three sources; every record then gets background ideas, uniformly over
   time, never two ideas of the same group (so no record says "fast delivery" and "parcel late");
5. a few records get a PII sentence; then texts and scores are rendered: scores follow the
   sentiment of the ideas, the last idea weighing most (people remember how it ended);
6. exact duplicate lines are inserted after their originals and the files and manifest are written.

A few non-English records (French, German, Spanish, Italian, Portuguese, Dutch: about 0.6% of the
reviews, 0.5% of the survey answers, 1.5% of the social posts) are drawn from a second stream,
``random.Random(seed + NON_ENGLISH_SEED_OFFSET)``, and slotted into the files at their place in time,
so the English records are exactly what they are without them. They carry no ideas: the manifest
lists them under "non_english" (file, line, id, language, polarity); the pipeline must detect them
and keep them out of the English sentiment and theme figures.

The manifest is computed from the records actually written, so it is the truth by construction.
The work is linear in the number of records (300,000 reviews: about 12 s on two slow cores).

The words (products, ideas and their phrasings, names, languages, PII plants) are data files,
cxtext/data/sample/*.toml, read by cxtext.sampledata_catalogue.
"""

from __future__ import annotations

import csv
import datetime
import functools
import json
import pathlib
import random
import string
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from cxtext.sampledata_catalogue import (
    BACKGROUND_COUNTS,
    CHANNELS,
    CONTEXT_SENTENCES,
    CONTRAST_JOINS,
    COUNTRIES,
    FIRST_NAMES,
    HANDLE_WORDS,
    HOURS,
    IDEA_SOCIAL_EXTRAS,
    IDEAS,
    LANGUAGES,
    LANGUAGES_BY_CODE,
    LAST_NAMES,
    MODELS,
    NEAR_DUPLICATE_SWAPS,
    NEGATIVE_EMOJI,
    NEGATIVE_TAGS,
    PII_PLANTS,
    PLANTED,
    PLANTED_IDS,
    PLATFORMS,
    POSITIVE_EMOJI,
    POSITIVE_TAGS,
    PRODUCTS,
    SARCASM,
    SHOP_HANDLE,
    SLOT_VALUES,
    SOCIAL_URLS,
    STAGES,
    SURVEY_BY_STAGE,
    SURVEY_LEADS,
    TITLES,
    TOUCHPOINTS,
    Idea,
    PlantedPainPoint,
    Product,
    pick,
    weighted,
)

# The generator's public face; the ideas and stages are the vocabulary of its manifest.
__all__ = ["DEFAULT_SEED", "IDEAS", "STAGES", "generate"]

DEFAULT_SEED = 42
REPORTING_TIMEZONE = "Europe/London"
LONDON = ZoneInfo(REPORTING_TIMEZONE)

REVIEW_COLUMNS = ("review_id", "submitted_at", "product", "stars", "title", "text", "customer_id", "country")
SURVEY_COLUMNS = ("response_id", "responded_at", "survey", "touchpoint", "nps", "csat", "ces", "comment",
                  "respondent_email", "channel")

# Records per week in the default run; planted volumes scale with (records per week / this).
DEFAULT_WEEKLY_RECORDS = (1600 + 1400 + 1200) / 13


@dataclass(frozen=True)
class _Source:
    name: str
    file: str
    kind: str
    id_prefix: str
    defects: tuple[str, ...]  # expected reject reason of each malformed record, in order
    n_duplicates: int


SOURCES = (
    _Source("shop_reviews", "reviews.csv", "review", "R", ("field_count", "missing_text", "out_of_range"), 3),
    _Source("surveys", "survey_comments.csv", "survey", "S", ("out_of_range", "missing_text"), 2),
    _Source("social_listening", "social_mentions.jsonl", "social", "T", ("invalid_json",), 2),
)
SOURCES_BY_NAME = {source.name: source for source in SOURCES}

SPIKE_BACKGROUND_RATE = 0.4  # chance of one stray spike-idea record in any other week (at scale 1)
BACKGROUND_IDEAS = weighted((i.id, i.weight) for i in IDEAS.values() if i.id not in PLANTED_IDS)
RETWEET_RATE = 0.15  # of posts on x
NEAR_DUPLICATE_RATE = 0.04
CONTRAST_RATE = 0.6
TYPO_RATE = 0.1
NPS_ON_POST_SURVEYS = 0.6



# --------------------------------------------------------------------------- records


@dataclass(slots=True)
class _Record:
    source: str
    record_id: str
    week: int
    when: datetime.datetime  # aware, Europe/London
    defect: str | None = None
    ideas: list[str] = field(default_factory=list)
    platform: str = ""
    handle: str = ""
    followers: int = 0
    copy_of: _Record | None = None
    copy_kind: str = ""  # "retweet" | "near_duplicate"
    pii: tuple[str, str, str] | None = None  # (kind, value, sentence)
    text: str = ""


@dataclass(frozen=True)
class _Period:
    start: datetime.date
    weeks: int

    def week_start(self, week: int) -> datetime.date:
        return self.start + datetime.timedelta(weeks=week)

    def iso_label(self, week: int) -> str:
        year, number, _ = self.week_start(week).isocalendar()
        return f"{year}-W{number:02d}"

    @property
    def spike_week(self) -> int:
        return min(6, self.weeks // 2)


def generate(out_dir: pathlib.Path, *, seed: int = DEFAULT_SEED, n_reviews: int = 1600, n_surveys: int = 1400,
             n_social: int = 1200, start: datetime.date = datetime.date(2026, 7, 6), weeks: int = 13,
             non_english: bool = True) -> dict:
    """Write reviews.csv, survey_comments.csv, social_mentions.jsonl and manifest.json into out_dir;
    return the manifest dict.

    Same arguments give byte-identical files. ``start`` must be a Monday; the period is ``weeks``
    ISO weeks from it, in Europe/London time. The English good records of each file number exactly
    n_reviews / n_surveys / n_social; with ``non_english`` (about 0.6% of reviews, 0.5% of surveys
    and 1.5% of social posts in French, German, Spanish, Italian, Portuguese and Dutch), malformed
    records and exact duplicates come on top. Without ``non_english`` the files are the same minus
    those lines (and their line numbers).
    """
    counts = {"shop_reviews": n_reviews, "surveys": n_surveys, "social_listening": n_social}
    if start.weekday() != 0:
        raise ValueError(f"start must be a Monday, got {start.isoformat()} ({start:%A})")
    if weeks < 1 or min(counts.values()) < 0:
        raise ValueError("weeks must be >= 1 and record counts >= 0")
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    period = _Period(start, weeks)

    records = {}
    for source in SOURCES:
        records[source.name] = _skeletons(rng, source, counts[source.name] + len(source.defects), period)
        _mark_defects(rng, records[source.name], source.defects)
    _link_social(rng, records["social_listening"], period)
    primaries = [r for s in SOURCES for r in records[s.name] if r.defect is None and r.copy_of is None]
    _plant(rng, primaries, period, scale=sum(counts.values()) / weeks / DEFAULT_WEEKLY_RECORDS)
    for source in SOURCES:  # malformed records get ideas too: their text must look real
        for record in records[source.name]:
            if record.copy_of is None:
                _add_background(rng, record, source.kind)
    for record in records["social_listening"]:
        if record.copy_of is not None:
            record.ideas = record.copy_of.ideas
    pii = _assign_pii(rng, records)

    foreign = _non_english(seed, counts, period) if non_english else {}
    layouts = {}
    for source in SOURCES:
        payloads = [RENDERERS[source.kind](rng, record) for record in records[source.name]]
        layouts[source.name] = _layout(rng, source, records[source.name], payloads, foreign.get(source.name, ()))
        _write(out_dir / source.file, source, layouts[source.name]["payloads"])

    manifest = _manifest(seed, counts, period, records, layouts, pii)
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (out_dir / "manifest.json").write_text(text, encoding="utf-8", newline="")
    return manifest


# --------------------------------------------------------------------------- steps


def _skeletons(rng: random.Random, source: _Source, count: int, period: _Period) -> list[_Record]:
    """Records with a local timestamp inside the period, sorted by time and numbered in that order."""
    keys = sorted(
        (rng.randrange(period.weeks), rng.randrange(7), pick(rng, HOURS),
         rng.randrange(60), 0 if source.kind == "review" else rng.randrange(60))
        for _ in range(count))
    records = []
    for index, (week, day, hour, minute, second) in enumerate(keys):
        date = period.start + datetime.timedelta(days=7 * week + day)
        when = datetime.datetime(date.year, date.month, date.day, hour, minute, second, tzinfo=LONDON)
        records.append(_Record(source.name, f"{source.id_prefix}{index + 1:06d}", week, when))
    return records


def _mark_defects(rng: random.Random, records: list[_Record], defects: tuple[str, ...]) -> None:
    for index, defect in zip(rng.sample(range(len(records)), len(defects)), defects):
        records[index].defect = defect


def _link_social(rng: random.Random, posts: list[_Record], period: _Period) -> None:
    """Give posts a platform and handle; turn some into retweets or near-duplicates of an earlier post."""
    handles = _handles(rng, max(50, len(posts) // 2))
    seen: list[list[_Record]] = [[] for _ in range(period.weeks)]  # earlier usable originals per week
    for post in posts:
        post.platform = pick(rng, PLATFORMS)
        post.handle, post.followers = rng.choice(handles)
        if post.defect is not None:
            continue
        roll = rng.random()
        if post.platform == "x" and roll < RETWEET_RATE:
            kind, pool = "retweet", [p for p in seen[post.week][-50:] if p.platform == "x"]
        elif roll > 1 - NEAR_DUPLICATE_RATE:
            kind, pool = "near_duplicate", seen[post.week][-50:]
        else:
            kind, pool = "", []
        original = rng.choice(pool) if pool else None
        if original is not None and original.when < post.when:
            post.copy_of, post.copy_kind = original, kind
            if post.handle == original.handle:
                post.handle += "_2"
        else:
            seen[post.week].append(post)


def _handles(rng: random.Random, count: int) -> list[tuple[str, int]]:
    """(handle, followers) pairs; follower counts are heavy-tailed like real ones."""
    handles = []
    for _ in range(count):
        name, style = rng.choice(FIRST_NAMES), rng.randrange(4)
        if style == 0:
            handle = f"{name}_{rng.choice(string.ascii_lowercase)}{rng.randrange(10, 100)}"
        elif style == 1:
            handle = f"{name}{rng.randrange(1970, 2007)}"
        elif style == 2:
            handle = f"{rng.choice(HANDLE_WORDS)}_{name}"
        else:
            handle = f"{name}_{rng.choice(LAST_NAMES)}"
        handles.append(("@" + handle, int(rng.lognormvariate(5.5, 1.6))))
    return handles


def _weekly_targets(rng: random.Random, spec: PlantedPainPoint, period: _Period, scale: float) -> list[int]:
    targets = []
    for week in range(period.weeks):
        if spec.shape == "spike":
            stray = rng.random() < SPIKE_BACKGROUND_RATE * min(1.0, scale)
            level = spec.level * scale if week == period.spike_week else float(stray)
        elif spec.shape == "growing":
            progress = week / (period.weeks - 1) if period.weeks > 1 else 1.0
            level = (spec.level_start + (spec.level - spec.level_start) * progress) * scale * rng.uniform(0.9, 1.1)
        else:
            level = spec.level * scale * rng.uniform(0.9, 1.1)
        targets.append(round(level))
    return targets


def _plant(rng: random.Random, primaries: list[_Record], period: _Period, *, scale: float) -> None:
    """Give each planted idea its exact weekly count of records, drawn from all sources."""
    pools: list[list[_Record]] = [[] for _ in range(period.weeks)]
    for record in primaries:
        pools[record.week].append(record)
    for pool in pools:
        rng.shuffle(pool)
    for spec in PLANTED:
        for week, target in enumerate(_weekly_targets(rng, spec, period, scale)):
            for _ in range(min(target, len(pools[week]))):
                pools[week].pop().ideas.append(spec.id)


def _add_background(rng: random.Random, record: _Record, kind: str) -> None:
    """Add background ideas (uniform over time) around the planted one, never two of one group."""
    planted = record.ideas
    wanted = pick(rng, BACKGROUND_COUNTS[kind][bool(planted)])
    groups = {group for idea in planted for group in IDEAS[idea].groups}
    ideas: list[str] = []
    for _ in range(4 * wanted):
        if len(ideas) == wanted:
            break
        idea = IDEAS[pick(rng, BACKGROUND_IDEAS)]
        if groups.isdisjoint(idea.groups):
            ideas.append(idea.id)
            groups.update(idea.groups)
    for idea in planted:
        ideas.insert(rng.randrange(len(ideas) + 1), idea)
    record.ideas = ideas


def _assign_pii(rng: random.Random, records: dict[str, list[_Record]]) -> list[tuple[_Record, str, str]]:
    """Pick one fresh record per PII plant; retweeted / copied posts are skipped so values stay unique."""
    copied = {id(r.copy_of) for r in records["social_listening"] if r.copy_of is not None}
    planted = []
    for kind, value, source, sentence in PII_PLANTS:
        pool = [r for r in records[source] if r.defect is None and r.copy_of is None and r.pii is None
                and id(r) not in copied]
        if not pool:
            continue
        record = rng.choice(pool)
        value = value or _order_number(rng)
        record.pii = (kind, value, sentence.format(value=value, shop=SHOP_HANDLE))
        planted.append((record, kind, value))
    return planted


def _order_number(rng: random.Random) -> str:
    """A 16-digit order number that fails the Luhn check, so card redaction must leave it alone."""
    digits = str(rng.randrange(10 ** 15, 10 ** 16))
    if _luhn_ok(digits):
        digits = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    return digits


def _luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()][::-1]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


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
        if (previous and previous.polarity != idea.polarity and not joined and lowerable
                and rng.random() < CONTRAST_RATE):
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
    words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2:] if kind == 2 else word[:j] + word[j + 1:]
    return " ".join(words)


def _sentiment(ideas: list[str]) -> float:
    """Weighted mean polarity in [-1, 1]; the last idea counts 1.5 times (peak-end rule)."""
    weights = [1.0] * (len(ideas) - 1) + [1.5]
    return sum(IDEAS[i].polarity * w for i, w in zip(ideas, weights)) / sum(weights)


def _score(rng: random.Random, sentiment: float, low: int, high: int) -> int:
    value = low + (sentiment + 1) / 2 * (high - low) + rng.gauss(0, 0.15 * (high - low))
    return min(high, max(low, round(value)))


def _feedback_text(rng: random.Random, record: _Record, product: Product, *, context_rate: float) -> str:
    text = _compose(rng, record.ideas, product, context_rate=context_rate)
    if rng.random() < TYPO_RATE:
        text = _typo(rng, text)
    return text


def _with_pii(record: _Record, text: str) -> str:
    return f"{text} {record.pii[2]}" if record.pii else text


def _primary_idea(record: _Record) -> Idea:
    return IDEAS[next((i for i in record.ideas if i in PLANTED_IDS), record.ideas[0])]


# --------------------------------------------------------------------------- rendering per source


def _review_row(rng: random.Random, record: _Record) -> list[str]:
    product = rng.choice(PRODUCTS)
    record.text = _with_pii(record, _feedback_text(rng, record, product, context_rate=0.2))
    stars = _score(rng, _sentiment(record.ideas), 1, 5)
    mood = "positive" if stars >= 4 else "negative" if stars <= 2 else "mixed"
    row = [record.record_id, record.when.strftime("%Y-%m-%d %H:%M"), product.name,
           str(7 if record.defect == "out_of_range" else stars),
           _fill(rng, rng.choice(TITLES[mood]), product),
           "" if record.defect == "missing_text" else record.text,
           f"C{rng.randrange(1, 100000):05d}", pick(rng, COUNTRIES)]
    return row[:5] if record.defect == "field_count" else row


def _survey_row(rng: random.Random, record: _Record) -> list[str]:
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
    email = (f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}{rng.randrange(1, 100)}"
             f"@{rng.choice(('example.com', 'example.org'))}")
    return [record.record_id, record.when.isoformat(timespec="seconds"), survey, touchpoint,
            str(11 if record.defect == "out_of_range" else nps), str(csat), str(ces),
            "   " if record.defect == "missing_text" else record.text, email,
            pick(rng, CHANNELS)]


def _social_line(rng: random.Random, record: _Record) -> str:
    if record.copy_kind == "retweet":
        record.text = f"RT {record.copy_of.handle}: {record.copy_of.text}"
    elif record.copy_kind == "near_duplicate":
        record.text = _near_duplicate(rng, record.copy_of.text, record.ideas)
    else:
        text = _feedback_text(rng, record, rng.choice(PRODUCTS), context_rate=0.0)
        record.text = _with_pii(record, _socialize(rng, text, record.ideas))
    created = record.when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    post = {"id": record.record_id, "platform": record.platform, "created_at": created, "text": record.text,
            "lang": "en", "retweet_of": record.copy_of.record_id if record.copy_kind == "retweet" else None,
            "user": {"handle": record.handle, "followers": record.followers}}
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
        parts.append(rng.choice(SOCIAL_URLS) if rng.random() < 0.4 else
                     "https://t.co/" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(10)))
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

# --------------------------------------------------------------------------- non-English feedback
#
# A few customers write in their own language. These records are extra good records on top of the
# English ones, drawn from their own random stream (seed + NON_ENGLISH_SEED_OFFSET) after the
# English records are rendered, so every English record, id, text and planted count stays what it
# was. They carry no ideas: they are not part of the planted truth, only of manifest["non_english"].
# Their ids continue each file's series after the English ones; in the file they sit at their
# place in time.

NON_ENGLISH_SEED_OFFSET = 7919
NON_ENGLISH_RATES = {"review": 0.006, "survey": 0.005, "social": 0.015}  # of the file's good records
NON_ENGLISH_NEGATIVE_RATE = 0.6


@dataclass
class _Foreign:
    """A non-English record: its language and polarity instead of ideas."""

    source: str
    record_id: str
    when: datetime.datetime
    language: str
    polarity: int
    text: str = ""


def _non_english(seed: int, counts: dict, period: _Period) -> dict[str, list[tuple[_Foreign, object]]]:
    """(record, payload) of each source's non-English records, in time order, from their own stream."""
    rng = random.Random(seed + NON_ENGLISH_SEED_OFFSET)
    sizes = {s.name: round(counts[s.name] * NON_ENGLISH_RATES[s.kind]) for s in SOURCES}
    codes = [LANGUAGES[i % len(LANGUAGES)].code for i in range(sum(sizes.values()))]
    rng.shuffle(codes)  # every language appears (from 6 records on), in no fixed order
    handles = _handles(rng, 20)
    seen: set[str] = set()
    out = {}
    for source in SOURCES:
        keys = sorted((rng.randrange(period.weeks), rng.randrange(7), pick(rng, HOURS), rng.randrange(60),
                       0 if source.kind == "review" else rng.randrange(60)) for _ in range(sizes[source.name]))
        first_number = counts[source.name] + len(source.defects) + 1  # after the English series
        rows = []
        for index, (week, day, hour, minute, second) in enumerate(keys):
            date = period.start + datetime.timedelta(days=7 * week + day)
            record = _Foreign(source.name, f"{source.id_prefix}{first_number + index:06d}",
                              datetime.datetime(date.year, date.month, date.day, hour, minute, second, tzinfo=LONDON),
                              codes.pop(), -1 if rng.random() < NON_ENGLISH_NEGATIVE_RATE else +1)
            rows.append((record, _FOREIGN_RENDERERS[source.kind](rng, record, seen, handles)))
        out[source.name] = rows
    return out


def _foreign_text(rng: random.Random, record: _Foreign, seen: set[str]) -> str:
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


def _foreign_review(rng: random.Random, record: _Foreign, seen: set[str], handles) -> list[str]:
    record.text = _foreign_text(rng, record, seen)
    language = LANGUAGES_BY_CODE[record.language]
    stars = rng.choice((1, 1, 2) if record.polarity < 0 else (4, 5, 5))
    mood = "negative" if record.polarity < 0 else "positive"
    return [record.record_id, record.when.strftime("%Y-%m-%d %H:%M"), rng.choice(PRODUCTS).name, str(stars),
            rng.choice(language.titles[mood]), record.text, f"C{rng.randrange(1, 100000):05d}", language.country]


def _foreign_survey(rng: random.Random, record: _Foreign, seen: set[str], handles) -> list[str]:
    record.text = _foreign_text(rng, record, seen)
    survey = rng.choice(("relationship_nps", "post_purchase", "post_delivery", "post_support"))
    sentiment = 0.8 * record.polarity
    nps = _score(rng, sentiment, 0, 10) if survey == "relationship_nps" or rng.random() < NPS_ON_POST_SURVEYS else ""
    csat = _score(rng, sentiment, 1, 5) if survey != "relationship_nps" else ""
    ces = _score(rng, sentiment, 1, 7) if survey == "post_support" else ""
    email = (f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}{rng.randrange(1, 100)}"
             f"@{rng.choice(('example.com', 'example.org'))}")
    return [record.record_id, record.when.isoformat(timespec="seconds"), survey, TOUCHPOINTS.get(survey, "general"),
            str(nps), str(csat), str(ces), record.text, email, pick(rng, CHANNELS)]


def _foreign_social(rng: random.Random, record: _Foreign, seen: set[str], handles) -> str:
    text = _foreign_text(rng, record, seen)
    if rng.random() < 0.5:
        text = f"{SHOP_HANDLE} {text}"
    if rng.random() < 0.6:
        emoji = NEGATIVE_EMOJI if record.polarity < 0 else POSITIVE_EMOJI
        text += " " + "".join(rng.choice(emoji) for _ in range(rng.randint(1, 2)))
    record.text = text
    handle, followers = rng.choice(handles)
    post = {"id": record.record_id, "platform": pick(rng, PLATFORMS),
            "created_at": record.when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "text": text, "lang": record.language, "retweet_of": None,
            "user": {"handle": handle, "followers": followers}}
    return json.dumps(post, ensure_ascii=False, sort_keys=True)


_FOREIGN_RENDERERS = {"review": _foreign_review, "survey": _foreign_survey, "social": _foreign_social}


# --------------------------------------------------------------------------- files and manifest


def _layout(rng: random.Random, source: _Source, records: list[_Record], payloads: list,
            foreign: list[tuple[_Foreign, object]] = ()) -> dict:
    """Insert exact duplicates after their originals and the non-English records at their place in
    time (no draw from rng); locate malformed, duplicate and non-English lines."""
    entries = [(record, payload, False) for record, payload in zip(records, payloads)]
    good = [i for i, record in enumerate(records) if record.defect is None]
    for index in sorted(rng.sample(good, min(source.n_duplicates, len(good))), reverse=True):
        position = min(len(entries), index + rng.randint(1, 40))
        entries.insert(position, (records[index], payloads[index], True))
    pending = list(foreign)
    merged = []
    for entry in entries:
        while pending and not entry[2] and pending[0][0].when < entry[0].when:
            merged.append((*pending.pop(0), False))
        merged.append(entry)
    entries = merged + [(record, payload, False) for record, payload in pending]
    first_line = 2 if source.kind in ("review", "survey") else 1  # CSV line 1 is the header
    line_of: dict[str, int] = {}
    malformed, duplicates, non_english = [], [], []
    for offset, (record, _, is_copy) in enumerate(entries):
        line = first_line + offset
        if is_copy:
            duplicates.append({"file": source.file, "line": line, "record_id": record.record_id,
                               "duplicate_of_line": line_of[record.record_id]})
            continue
        line_of[record.record_id] = line
        if isinstance(record, _Foreign):
            non_english.append({"file": source.file, "line": line, "record_id": record.record_id,
                                "language": record.language,
                                "polarity": "negative" if record.polarity < 0 else "positive"})
        elif record.defect:
            malformed.append({"file": source.file, "line": line, "record_id": record.record_id,
                              "expected_reason": record.defect})
    return {"payloads": [payload for _, payload, _ in entries], "line_of": line_of,
            "malformed": malformed, "duplicates": duplicates, "non_english": non_english}


def _write(path: pathlib.Path, source: _Source, payloads: list) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        if source.kind == "social":
            handle.writelines(line + "\n" for line in payloads)
        else:
            writer = csv.writer(handle)
            writer.writerow(REVIEW_COLUMNS if source.kind == "review" else SURVEY_COLUMNS)
            writer.writerows(payloads)


def _manifest(seed: int, counts: dict, period: _Period, records: dict, layouts: dict, pii: list) -> dict:
    week_starts = [period.week_start(w).isoformat() for w in range(period.weeks)]
    stages = {stage: {"positive": 0, "negative": 0} for stage in STAGES}
    mentions = dict.fromkeys(IDEAS, 0)
    planted_ids = {p.id: {s.name: [] for s in SOURCES} for p in PLANTED}
    weekly = {p.id: dict.fromkeys(week_starts, 0) for p in PLANTED}
    for source in SOURCES:
        for record in records[source.name]:
            if record.defect:
                continue
            for idea_id in record.ideas:
                idea = IDEAS[idea_id]
                mentions[idea_id] += 1
                stages[idea.stage]["positive" if idea.polarity > 0 else "negative"] += 1
                if idea_id in planted_ids:
                    planted_ids[idea_id][source.name].append(record.record_id)
                    weekly[idea_id][week_starts[record.week]] += 1

    planted = []
    for spec in PLANTED:
        live = [period.spike_week] if spec.shape == "spike" else range(period.weeks)
        planted.append({
            "id": spec.id, "stage": IDEAS[spec.id].stage, "theme": spec.theme, "shape": spec.shape,
            "weeks": [period.iso_label(w) for w in live], "week_starts": [week_starts[w] for w in live],
            "expected_sentiment": "positive" if IDEAS[spec.id].polarity > 0 else "negative",
            "description": spec.description, "records": planted_ids[spec.id], "weekly_counts": weekly[spec.id],
            "total": sum(weekly[spec.id].values())})

    files = {}
    for source in SOURCES:
        layout = layouts[source.name]
        files[source.file] = {
            "source": source.name, "kind": source.kind, "records": len(layout["payloads"]),
            "good": counts[source.name] + len(layout["non_english"]), "malformed": len(layout["malformed"]),
            "duplicates": len(layout["duplicates"]), "non_english": len(layout["non_english"])}
    social = records["social_listening"]
    files["social_mentions.jsonl"]["retweets"] = sum(r.copy_kind == "retweet" for r in social)
    return {
        "generator": {"seed": seed, "start": period.start.isoformat(), "weeks": period.weeks,
                      "n_reviews": counts["shop_reviews"], "n_surveys": counts["surveys"],
                      "n_social": counts["social_listening"], "reporting_timezone": REPORTING_TIMEZONE},
        "period": {"first_day": period.start.isoformat(),
                   "last_day": (period.week_start(period.weeks) - datetime.timedelta(days=1)).isoformat(),
                   "week_starts": week_starts, "iso_weeks": [period.iso_label(w) for w in range(period.weeks)]},
        "files": files,
        "planted": planted,
        "stages": stages,
        "ideas": {i: {"stage": idea.stage, "polarity": "positive" if idea.polarity > 0 else "negative",
                      "planted": i in planted_ids, "mentions": mentions[i]} for i, idea in IDEAS.items()},
        "malformed": [m for s in SOURCES for m in layouts[s.name]["malformed"]],
        "duplicates": [d for s in SOURCES for d in layouts[s.name]["duplicates"]],
        "non_english": [e for s in SOURCES for e in layouts[s.name]["non_english"]],
        "near_duplicates": [{"file": "social_mentions.jsonl", "record_id": r.record_id,
                             "near_duplicate_of": r.copy_of.record_id}
                            for r in social if r.copy_kind == "near_duplicate"],
        "pii": [{"file": SOURCES_BY_NAME[r.source].file, "record_id": r.record_id,
                 "line": layouts[r.source]["line_of"][r.record_id], "kind": kind, "value": value,
                 "must_survive": kind == "order_number"} for r, kind, value in pii],
    }
