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

This module runs the steps. The words (products, ideas and their phrasings, names, languages,
PII plants) are data files, cxtext/data/sample/*.toml, read by cxtext.devtools.sampledata.catalogue;
cxtext.devtools.sampledata.render turns ideas into texts and records into rows; cxtext.devtools.sampledata.files
holds the sources and records and writes the files and the manifest.
"""

from __future__ import annotations

import datetime
import json
import pathlib
import random
import string

from cxtext.devtools.sampledata.asks import plant_asks
from cxtext.devtools.sampledata.catalogue import (
    BACKGROUND_COUNTS,
    FIRST_NAMES,
    HANDLE_WORDS,
    HOURS,
    IDEAS,
    LANGUAGES,
    LAST_NAMES,
    PII_PLANTS,
    PLANTED,
    PLANTED_IDS,
    PLATFORMS,
    SHOP_HANDLE,
    STAGES,
    PlantedPainPoint,
    pick,
    weighted,
)
from cxtext.devtools.sampledata.files import (
    LONDON,
    SOURCES,
    ForeignRecord,
    Period,
    Record,
    Source,
    build_manifest,
    lay_out,
    write_file,
)
from cxtext.devtools.sampledata.render import FOREIGN_RENDERERS, RENDERERS
from cxtext.ingest.redact import luhn_ok

# The generator's public face; the ideas and stages are the vocabulary of its manifest.
__all__ = ["DEFAULT_SEED", "IDEAS", "STAGES", "generate"]

DEFAULT_SEED = 42
# Records per week in the default run; planted volumes scale with (records per week / this).
DEFAULT_WEEKLY_RECORDS = (1600 + 1400 + 1200) / 13

SPIKE_BACKGROUND_RATE = 0.4  # chance of one stray spike-idea record in any other week (at scale 1)
BACKGROUND_IDEAS = weighted((i.id, i.weight) for i in IDEAS.values() if i.id not in PLANTED_IDS)
RETWEET_RATE = 0.15  # of posts on x
NEAR_DUPLICATE_RATE = 0.04


def generate(
    out_dir: pathlib.Path,
    *,
    seed: int = DEFAULT_SEED,
    n_reviews: int = 1600,
    n_surveys: int = 1400,
    n_social: int = 1200,
    start: datetime.date = datetime.date(2026, 7, 6),
    weeks: int = 13,
    non_english: bool = True,
) -> dict:
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
    period = Period(start, weeks)

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
    layouts, asks = {}, {}
    for source in SOURCES:
        payloads = [RENDERERS[source.kind](rng, record) for record in records[source.name]]
        asks[source.name] = plant_asks(seed, source.kind, records[source.name], payloads)
        layouts[source.name] = lay_out(rng, source, records[source.name], payloads, foreign.get(source.name, ()))
        write_file(out_dir / source.file, source, layouts[source.name]["payloads"])

    manifest = build_manifest(seed, counts, period, records, layouts, pii)
    manifest["effort"] = {name: truth["effort"] for name, truth in asks.items() if truth["effort"]}
    manifest["requests"] = {name: truth["requests"] for name, truth in asks.items() if truth["requests"]}
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (out_dir / "manifest.json").write_text(text, encoding="utf-8", newline="")
    return manifest


# --------------------------------------------------------------------------- steps


def _skeletons(rng: random.Random, source: Source, count: int, period: Period) -> list[Record]:
    """Records with a local timestamp inside the period, sorted by time and numbered in that order."""
    keys = sorted(
        (
            rng.randrange(period.weeks),
            rng.randrange(7),
            pick(rng, HOURS),
            rng.randrange(60),
            0 if source.kind == "review" else rng.randrange(60),
        )
        for _ in range(count)
    )
    records = []
    for index, (week, day, hour, minute, second) in enumerate(keys):
        date = period.start + datetime.timedelta(days=7 * week + day)
        when = datetime.datetime(date.year, date.month, date.day, hour, minute, second, tzinfo=LONDON)
        records.append(Record(source.name, f"{source.id_prefix}{index + 1:06d}", week, when))
    return records


def _mark_defects(rng: random.Random, records: list[Record], defects: tuple[str, ...]) -> None:
    for index, defect in zip(rng.sample(range(len(records)), len(defects)), defects):
        records[index].defect = defect


def _link_social(rng: random.Random, posts: list[Record], period: Period) -> None:
    """Give posts a platform and handle; turn some into retweets or near-duplicates of an earlier post."""
    handles = _handles(rng, max(50, len(posts) // 2))
    seen: list[list[Record]] = [[] for _ in range(period.weeks)]  # earlier usable originals per week
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


def _weekly_targets(rng: random.Random, spec: PlantedPainPoint, period: Period, scale: float) -> list[int]:
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


def _plant(rng: random.Random, primaries: list[Record], period: Period, *, scale: float) -> None:
    """Give each planted idea its exact weekly count of records, drawn from all sources."""
    pools: list[list[Record]] = [[] for _ in range(period.weeks)]
    for record in primaries:
        pools[record.week].append(record)
    for pool in pools:
        rng.shuffle(pool)
    for spec in PLANTED:
        for week, target in enumerate(_weekly_targets(rng, spec, period, scale)):
            for _ in range(min(target, len(pools[week]))):
                pools[week].pop().ideas.append(spec.id)


def _add_background(rng: random.Random, record: Record, kind: str) -> None:
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


def _assign_pii(rng: random.Random, records: dict[str, list[Record]]) -> list[tuple[Record, str, str]]:
    """Pick one fresh record per PII plant; retweeted / copied posts are skipped so values stay unique."""
    copied = {id(r.copy_of) for r in records["social_listening"] if r.copy_of is not None}
    planted = []
    for kind, value, source, sentence in PII_PLANTS:
        pool = [r for r in records[source] if r.defect is None and r.copy_of is None and r.pii is None and id(r) not in copied]
        if not pool:
            continue
        record = rng.choice(pool)
        value = value or _order_number(rng)
        record.pii = (kind, value, sentence.format(value=value, shop=SHOP_HANDLE))
        planted.append((record, kind, value))
    return planted


def _order_number(rng: random.Random) -> str:
    """A 16-digit order number that fails the Luhn check, so card redaction must leave it alone."""
    digits = str(rng.randrange(10**15, 10**16))
    if luhn_ok("".join(c for c in digits if c.isdigit())):
        digits = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    return digits


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


def _non_english(seed: int, counts: dict, period: Period) -> dict[str, list[tuple[ForeignRecord, object]]]:
    """(record, payload) of each source's non-English records, in time order, from their own stream."""
    rng = random.Random(seed + NON_ENGLISH_SEED_OFFSET)
    sizes = {s.name: round(counts[s.name] * NON_ENGLISH_RATES[s.kind]) for s in SOURCES}
    codes = [LANGUAGES[i % len(LANGUAGES)].code for i in range(sum(sizes.values()))]
    rng.shuffle(codes)  # every language appears (from 6 records on), in no fixed order
    handles = _handles(rng, 20)
    seen: set[str] = set()
    out = {}
    for source in SOURCES:
        keys = sorted(
            (
                rng.randrange(period.weeks),
                rng.randrange(7),
                pick(rng, HOURS),
                rng.randrange(60),
                0 if source.kind == "review" else rng.randrange(60),
            )
            for _ in range(sizes[source.name])
        )
        first_number = counts[source.name] + len(source.defects) + 1  # after the English series
        rows = []
        for index, (week, day, hour, minute, second) in enumerate(keys):
            date = period.start + datetime.timedelta(days=7 * week + day)
            when = datetime.datetime(date.year, date.month, date.day, hour, minute, second, tzinfo=LONDON)
            record = ForeignRecord(
                source.name,
                f"{source.id_prefix}{first_number + index:06d}",
                when,
                codes.pop(),
                -1 if rng.random() < NON_ENGLISH_NEGATIVE_RATE else +1,
            )
            rows.append((record, FOREIGN_RENDERERS[source.kind](rng, record, seen, handles)))
        out[source.name] = rows
    return out
