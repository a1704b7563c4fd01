"""PII: recall on the planted corpus, look-alikes kept, no false positive on the sample data, and
after a full nightly run no planted value anywhere a run writes to."""

from __future__ import annotations

import csv
import json
import logging

import pytest

from cxtext.evaluation.pii import PLACEHOLDER, PLANTED, TEMPLATES, changed_look_alikes, markdown, sample_redactions
from cxtext.ingest.redact import redact_text
from tests.conftest import REVIEWS_SOURCE, ROOT, write_config


@pytest.mark.parametrize("kind, value", PLANTED, ids=[v for _, v in PLANTED])
def test_every_planted_value_is_redacted_wherever_it_is_written(kind, value):
    for template in TEMPLATES:
        out = redact_text(template.format(value=value))
        assert value not in out and PLACEHOLDER[kind] in out, out


def test_look_alikes_survive():
    assert changed_look_alikes() == []


def test_no_false_positive_on_the_sample_data():
    sample = sample_redactions()
    assert sample["planted"] == {"EMAIL": 2, "PHONE": 3, "CARD": 2}
    assert {k: v for k, v in sample["found"].items() if k != "HANDLE"} == sample["planted"]


def test_the_reliability_doc_states_the_measured_figures():
    assert markdown() in (ROOT / "docs/RELIABILITY.md").read_text(encoding="utf-8")


SOCIAL_SOURCE = """
[sources.social]
kind = "social"
format = "jsonl"
landing = "landing"
pattern = "social*.jsonl"
[sources.social.columns]
id = "id"
created_at = "created_at"
text = "text"
customer_key = "user.handle"
"""


def planted_files(landing) -> None:
    """Every planted value in a text, a title, an extra column and a customer key of a loaded
    record, and in rejected records (raw line, bad score, bad time, an overwritten duplicate)."""
    values = [v for _, v in PLANTED]
    first = {}
    for kind, value in PLANTED:
        first.setdefault(kind, value)
    rows = [["review_id", "submitted_at", "stars", "title", "text", "customer_id", "contact"]]
    for i, value in enumerate(values):
        rows.append(
            [
                f"P{i}",
                "2026-07-06 10:00",
                "2",
                f"about {values[(i + 7) % len(values)]}",
                f"Delivery was late. Contact me at {value} please.",
                values[(i + 3) % len(values)],
                values[(i + 11) % len(values)],
            ]
        )
    rows += [
        ["X1", "2026-07-06 10:00", "9", "t", f"stars out of range, call {first['phone']}", "C1", first["email"]],
        ["X2", "2026-07-06 10:00", "6011111111111117", "t", "a card number as stars", "C1", ""],
        ["X3", first["email"], "4", "t", "an e-mail address as the date", "C1", ""],
        ["X4", "2026-07-06 10:00", "4", "t", f"first text with {first['iban']}", "C1", ""],
        ["X4", "2026-07-06 10:00", "4", "t", "second text", "C1", ""],
        ["X5", "2026-07-06 10:00", "4", f"missing columns {first['ip']}"],
    ]
    with open(landing / "reviews.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    handles = [v for k, v in PLANTED if k == "handle"]
    posts = [
        json.dumps(
            {
                "id": f"T{i}",
                "created_at": "2026-07-06T10:00:00Z",
                "text": f"RT {handle}: late again {value}",
                "user": {"handle": handle, "location": value},
            }
        )
        for i, (handle, value) in enumerate(zip(handles, values))
    ]
    posts.append('{"id": "T9", "text": "broken ' + first["email"] + '"')
    (landing / "social.jsonl").write_text("\n".join(posts) + "\n", encoding="utf-8")


class Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.mark.slow
def test_no_planted_value_anywhere_after_a_nightly_run(tmp_path):
    import duckdb

    from cxtext.report.html import top_pain_points_markdown
    from cxtext.store.db import Store
    from cxtext_flows.nightly import nightly

    (tmp_path / "landing").mkdir()
    planted_files(tmp_path / "landing")
    config = write_config(tmp_path, REVIEWS_SOURCE + SOCIAL_SOURCE)
    capture = Capture()
    logging.getLogger("prefect").addHandler(capture)
    try:
        result = nightly(config=str(config))
    finally:
        logging.getLogger("prefect").removeHandler(capture)
    assert result["files_failed"] == 0 and result["rows_loaded"] == len(PLANTED) + 1 + 3
    logs = "\n".join(capture.lines)
    assert "landing: 2 new file(s)" in logs  # the capture sees the run's log lines

    state = tmp_path / "state"
    places = {"log lines": logs, "report.html": (state / "report.html").read_text(encoding="utf-8")}
    for db in ("pipeline.duckdb", "cx.duckdb"):
        with duckdb.connect(str(state / db), read_only=True) as con:
            tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
            for table in tables:
                places[f"{db}:{table}"] = "\n".join(map(str, con.execute(f"SELECT * FROM {table}").fetchall()))
            reasons = dict(con.execute("SELECT reason, count(*) FROM rejects GROUP BY ALL").fetchall())
    with Store.open(state / "cx.duckdb", read_only=True) as store:
        places["pain points artifact"] = top_pain_points_markdown(store)
    assert reasons == {
        "out_of_range": 2,
        "bad_created_at": 1,
        "conflicting_duplicate_id": 1,
        "field_count": 1,
        "invalid_json": 1,
    }
    assert places["cx.duckdb:archived_files"] and places["cx.duckdb:rejects"]
    leaks = [(kind, value, place) for kind, value in PLANTED for place, text in places.items() if value in text]
    assert leaks == []
