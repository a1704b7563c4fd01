"""Effort and requests planted into the sample (data/asks.toml), with their truth in the manifest.

Drawn from a stream of their own (seeded from the sample's seed), after the records are rendered, so
the rest of the sample is what it was: the planted pain points, their texts and scores. Effort
sentences go into post-support surveys that carry the planted support wait (level 0 to 3 sentences);
every post-support survey's CES answer (1-7, higher = easier) is drawn around its level's value, so
the text and the survey agree (a survey without planted effort is level 0). Requests end
a share of the English reviews and survey comments.
"""

from __future__ import annotations

import random

from cxtext.devtools.sampledata.catalogue import _load, pick, weighted
from cxtext.devtools.sampledata.files import Record

_ASKS = _load("asks")
EFFORT_LEVELS = weighted((int(k), w) for k, w in _ASKS["effort"]["levels"].items())
EFFORT_CES = {int(k): v for k, v in _ASKS["effort"]["ces"].items()}
EFFORT_SENTENCES = tuple(_ASKS["effort"]["sentences"])
REQUEST_SHARE = float(_ASKS["requests"]["share"])
REQUEST_SENTENCES = tuple(_ASKS["requests"]["sentences"])
#: Column of the text in a review row and in a survey row; of the survey and the CES answer.
TEXT_COLUMN = {"review": 5, "survey": 7}
SURVEY_COLUMN, CES_COLUMN = 2, 6


def plant_asks(seed: int, kind: str, records: list[Record], payloads: list) -> dict:
    """Append effort and request sentences to the rows of one source (in place); the truth:
    {"effort": {record_id: level}, "requests": [record_id, ...]}."""
    truth: dict = {"effort": {}, "requests": []}
    if kind not in TEXT_COLUMN:
        return truth
    rng = random.Random(f"{seed}/asks/{kind}")
    column = TEXT_COLUMN[kind]
    for record, row in zip(records, payloads):
        if record.defect is not None or len(row) <= column:
            continue
        added = []
        if kind == "survey" and row[SURVEY_COLUMN] == "post_support":
            level = pick(rng, EFFORT_LEVELS) if "support_wait_times" in record.ideas else 0
            added += rng.sample(EFFORT_SENTENCES, level)
            ces = EFFORT_CES[level] + rng.gauss(0, 0.6)
            row[CES_COLUMN] = str(min(7, max(1, round(ces))))
            truth["effort"][record.record_id] = level
        if rng.random() < REQUEST_SHARE:
            added.append(rng.choice(REQUEST_SENTENCES))
            truth["requests"].append(record.record_id)
        if added:
            row[column] = " ".join([row[column], *added])
            record.text = row[column]
    return truth
