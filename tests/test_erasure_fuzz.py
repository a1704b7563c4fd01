"""Hostile erasure scenarios, generated: keys that are prefixes, case or space variants of one
another or equal to other records' ids, texts naming other customers' keys, CR-only and
multi-line CSV fields, JSONL with nested keys, rejects. Erasing one customer removes all of theirs
and nothing of anyone else's, and an archive re-read brings nothing back. Bounded for CI
(CXTEXT_FUZZ_EXAMPLES examples, default 4); set it higher for a longer run on demand."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.conftest import write_config
from tests.test_erasure import SOURCES, _forget, _ingest_all

KEYS = ["C1", "C10", "5", "R1", "a@b.co", "J1", "x-1"]
WORDS = st.sampled_from(
    ["strap", "late", "C1", "C10", "5", "R1", "broke", '"quoted"', "a,b", "line\nbreak", "cr\rbreak", "naïve", "ok"]
)
TEXT = st.lists(WORDS, min_size=0, max_size=5).map(" ".join)


@st.composite
def scenarios(draw):
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=2, max_size=4, unique_by=lambda k: k.lower()))
    records = []
    for number in range(draw(st.integers(3, 8))):
        records.append(
            {
                "key": draw(st.sampled_from(keys)),
                "text": draw(TEXT),
                "csv": draw(st.booleans()),
                "id": f"{'R' if number % 2 else 'J'}{number + 1}",
            }
        )
    target = draw(st.sampled_from(keys))
    spelled = draw(st.sampled_from([target, target.upper(), f" {target.lower()}  "]))
    return records, target, spelled, draw(st.sampled_from(["\n", "\r", "\r\n"]))


def _write(root: Path, records, newline: str) -> None:
    for name in ("reviews", "chats", "surveys"):
        (root / "landing" / name).mkdir(parents=True)
    rows = ["review_id,submitted_at,text,customer_id"]
    for r in (r for r in records if r["csv"]):
        text = r["text"].replace('"', '""')
        rows.append(f'{r["id"]},2026-09-01 10:00,"{text}",{r["key"]}')
    (root / "landing/reviews/reviews-1.csv").write_bytes((newline.join(rows) + newline).encode())
    chats = [
        {"id": r["id"], "ts": "2026-09-02T10:00:00", "body": r["text"], "user": {"handle": r["key"]}}
        for r in records
        if not r["csv"]
    ]
    (root / "landing/chats/chats-1.jsonl").write_text("".join(json.dumps(c) + "\n" for c in chats))


def _rows(settings) -> tuple[set, set]:
    with duckdb.connect(str(settings.work_db), read_only=True) as con:
        feedback = set(con.execute("SELECT source, source_record_id, text, customer_key FROM feedback").fetchall())
        rejects = set(con.execute("SELECT source, source_record_id, reason, raw FROM rejects").fetchall())
    return feedback, rejects


def _archived_ids(settings) -> set[tuple[str, str]]:
    """(source, record id) of every record of every archived file, as its reader parses it."""
    from cxtext.config import make_source_spec
    from cxtext.ingest.readers import open_records

    with duckdb.connect(str(settings.work_db), read_only=True) as con:
        files = con.execute("SELECT source, mapping, archive_path FROM archived_files").fetchall()
    out = set()
    for source, mapping, path in files:
        spec = make_source_spec(source, json.loads(mapping))
        column = spec.columns["source_record_id"]
        out |= {
            (source, r.data[column])
            for r in open_records(settings.state_dir / path, spec.format, delimiter=spec.delimiter).records
            if r.data
        }
    return out


@hsettings(
    max_examples=int(os.environ.get("CXTEXT_FUZZ_EXAMPLES", "4")),
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@given(scenarios())
def test_erasing_one_customer_removes_theirs_and_nothing_else(scenario):
    from cxtext.config import load_settings
    from cxtext.ingest.redact import hash_customer_key
    from cxtext.ops.erasure import Target
    from cxtext.ops.workspace import open_workspace

    records, target, spelled, newline = scenario
    root = Path(tempfile.mkdtemp(prefix="cxtext-erasure-fuzz-"))
    try:
        _write(root, records, newline)
        settings = load_settings(write_config(root, SOURCES))
        with open_workspace(settings, purpose="fuzz") as workspace:
            _ingest_all(settings, workspace.store)
        mine = hash_customer_key(target, settings.salt())
        theirs = {(("reviews" if r["csv"] else "chats"), r["id"]) for r in records if r["key"] == target}
        feedback, rejects = _rows(settings)
        kept = ({f for f in feedback if f[3] != mine}, {r for r in rejects if (r[0], r[1]) not in theirs})

        _forget(settings, Target(customer=spelled))
        assert _rows(settings) == kept
        with open_workspace(settings, purpose="re-read") as workspace:
            _ingest_all(settings, workspace.store, reread=True)
        assert _rows(settings) == kept
        assert not theirs & _archived_ids(settings)
    finally:
        shutil.rmtree(root, ignore_errors=True)
