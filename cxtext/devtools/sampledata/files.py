"""The sample's sources and records, and what is written of them: file layout, files and manifest.

The manifest is computed from the records actually written, so it is the truth by construction.
"""

from __future__ import annotations

import csv
import datetime
import pathlib
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from cxtext.devtools.sampledata.catalogue import IDEAS, PLANTED, STAGES

REPORTING_TIMEZONE = "Europe/London"
LONDON = ZoneInfo(REPORTING_TIMEZONE)

REVIEW_COLUMNS = ("review_id", "submitted_at", "product", "stars", "title", "text", "customer_id", "country")
SURVEY_COLUMNS = (
    "response_id",
    "responded_at",
    "survey",
    "touchpoint",
    "nps",
    "csat",
    "ces",
    "comment",
    "respondent_email",
    "channel",
)


@dataclass(frozen=True)
class Source:
    name: str
    file: str
    kind: str
    id_prefix: str
    defects: tuple[str, ...]  # expected reject reason of each malformed record, in order
    n_duplicates: int


SOURCES = (
    Source("shop_reviews", "reviews.csv", "review", "R", ("field_count", "missing_text", "out_of_range"), 3),
    Source("surveys", "survey_comments.csv", "survey", "S", ("out_of_range", "missing_text"), 2),
    Source("social_listening", "social_mentions.jsonl", "social", "T", ("invalid_json",), 2),
)
SOURCES_BY_NAME = {source.name: source for source in SOURCES}


# --------------------------------------------------------------------------- records


@dataclass(slots=True)
class Record:
    source: str
    record_id: str
    week: int
    when: datetime.datetime  # aware, Europe/London
    defect: str | None = None
    ideas: list[str] = field(default_factory=list)
    platform: str = ""
    handle: str = ""
    followers: int = 0
    copy_of: Record | None = None
    copy_kind: str = ""  # "retweet" | "near_duplicate"
    pii: tuple[str, str, str] | None = None  # (kind, value, sentence)
    text: str = ""


@dataclass(frozen=True)
class Period:
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


@dataclass
class ForeignRecord:
    """A non-English record: its language and polarity instead of ideas."""

    source: str
    record_id: str
    when: datetime.datetime
    language: str
    polarity: int
    text: str = ""


# --------------------------------------------------------------------------- files and manifest


def lay_out(
    rng: random.Random,
    source: Source,
    records: list[Record],
    payloads: list,
    foreign: list[tuple[ForeignRecord, object]] = (),
) -> dict:
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
            duplicates.append(
                {
                    "file": source.file,
                    "line": line,
                    "record_id": record.record_id,
                    "duplicate_of_line": line_of[record.record_id],
                }
            )
            continue
        line_of[record.record_id] = line
        if isinstance(record, ForeignRecord):
            non_english.append(
                {
                    "file": source.file,
                    "line": line,
                    "record_id": record.record_id,
                    "language": record.language,
                    "polarity": "negative" if record.polarity < 0 else "positive",
                }
            )
        elif record.defect:
            malformed.append({"file": source.file, "line": line, "record_id": record.record_id, "expected_reason": record.defect})
    return {
        "payloads": [payload for _, payload, _ in entries],
        "line_of": line_of,
        "malformed": malformed,
        "duplicates": duplicates,
        "non_english": non_english,
    }


def write_file(path: pathlib.Path, source: Source, payloads: list) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        if source.kind == "social":
            handle.writelines(line + "\n" for line in payloads)
        else:
            writer = csv.writer(handle)
            writer.writerow(REVIEW_COLUMNS if source.kind == "review" else SURVEY_COLUMNS)
            writer.writerows(payloads)


def build_manifest(seed: int, counts: dict, period: Period, records: dict, layouts: dict, pii: list) -> dict:
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
        planted.append(
            {
                "id": spec.id,
                "stage": IDEAS[spec.id].stage,
                "theme": spec.theme,
                "shape": spec.shape,
                "weeks": [period.iso_label(w) for w in live],
                "week_starts": [week_starts[w] for w in live],
                "expected_sentiment": "positive" if IDEAS[spec.id].polarity > 0 else "negative",
                "description": spec.description,
                "records": planted_ids[spec.id],
                "weekly_counts": weekly[spec.id],
                "total": sum(weekly[spec.id].values()),
            }
        )

    files = {}
    for source in SOURCES:
        layout = layouts[source.name]
        files[source.file] = {
            "source": source.name,
            "kind": source.kind,
            "records": len(layout["payloads"]),
            "good": counts[source.name] + len(layout["non_english"]),
            "malformed": len(layout["malformed"]),
            "duplicates": len(layout["duplicates"]),
            "non_english": len(layout["non_english"]),
        }
    social = records["social_listening"]
    files["social_mentions.jsonl"]["retweets"] = sum(r.copy_kind == "retweet" for r in social)
    return {
        "generator": {
            "seed": seed,
            "start": period.start.isoformat(),
            "weeks": period.weeks,
            "n_reviews": counts["shop_reviews"],
            "n_surveys": counts["surveys"],
            "n_social": counts["social_listening"],
            "reporting_timezone": REPORTING_TIMEZONE,
        },
        "period": {
            "first_day": period.start.isoformat(),
            "last_day": (period.week_start(period.weeks) - datetime.timedelta(days=1)).isoformat(),
            "week_starts": week_starts,
            "iso_weeks": [period.iso_label(w) for w in range(period.weeks)],
        },
        "files": files,
        "planted": planted,
        "stages": stages,
        "ideas": {
            i: {
                "stage": idea.stage,
                "polarity": "positive" if idea.polarity > 0 else "negative",
                "planted": i in planted_ids,
                "mentions": mentions[i],
            }
            for i, idea in IDEAS.items()
        },
        "malformed": [m for s in SOURCES for m in layouts[s.name]["malformed"]],
        "duplicates": [d for s in SOURCES for d in layouts[s.name]["duplicates"]],
        "non_english": [e for s in SOURCES for e in layouts[s.name]["non_english"]],
        "near_duplicates": [
            {"file": "social_mentions.jsonl", "record_id": r.record_id, "near_duplicate_of": r.copy_of.record_id}
            for r in social
            if r.copy_kind == "near_duplicate"
        ],
        "pii": [
            {
                "file": SOURCES_BY_NAME[r.source].file,
                "record_id": r.record_id,
                "line": layouts[r.source]["line_of"][r.record_id],
                "kind": kind,
                "value": value,
                "must_survive": kind == "order_number",
            }
            for r, kind, value in pii
        ],
    }
