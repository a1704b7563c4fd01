"""PII outside the text field, in the fast suite: an e-mail address, a phone number and a
Luhn-valid card number in a review's title and in unmapped columns (kept as feedback.extra) are
redacted before they reach feedback, and so are the records rejected with them (rejects.raw and
rejects.detail). The slow nightly test covers every other place a run writes to."""

from __future__ import annotations

import csv
import json

from cxtext.evaluation.pii import LOOK_ALIKES, PLACEHOLDER
from cxtext.ingest.load import ingest_file

VALUES = {"email": "jane.doe@example.com", "phone": "+44 20 7946 0958", "card": "4111 1111 1111 1111"}
HEADER = ["review_id", "submitted_at", "stars", "title", "text", "customer_id", "contact", "notes"]

SOCIAL = """
[sources.social]
kind = "social"
format = "jsonl"
landing = "landing"
pattern = "social*.jsonl"
[sources.social.columns]
source_record_id = "id"
created_at = "created_at"
text = "text"
customer_key = "user.handle"
"""


def _places(store) -> dict[str, str]:
    return {
        "feedback.title": "\n".join(str(t) for (t,) in store.execute("SELECT title FROM feedback")),
        "feedback.extra": "\n".join(str(e) for (e,) in store.execute("SELECT extra FROM feedback")),
        "rejects.raw": "\n".join(r for (r,) in store.execute("SELECT raw FROM rejects")),
        "rejects.detail": "\n".join(d for (d,) in store.execute("SELECT detail FROM rejects")),
    }


def test_title_and_extra_columns_are_redacted_in_feedback_and_rejects(store, review_settings, tmp_path):
    rows = [HEADER]
    for i, (_kind, value) in enumerate(VALUES.items()):
        rows.append(
            [
                f"R{i}",
                "2026-07-06 10:00",
                "2",
                f"Re: {value}",
                "Delivery was late.",
                f"C{i}",
                value,
                f"call me on {value} {LOOK_ALIKES[0]}",
            ]
        )
        rows.append([f"X{i}", "2026-07-06 10:00", "9", f"about {value}", "stars out of range", f"C{i}", value, ""])
    rows.append(["X9", "2026-07-06 10:00", "4", f"short line {VALUES['card']}"])  # too few fields
    path = tmp_path / "landing/reviews.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    result = ingest_file(store, review_settings, path, review_settings.sources["reviews"])
    assert (result.rows_new, result.rows_rejected) == (3, 4)

    places = _places(store)
    leaks = [(kind, place) for kind, value in VALUES.items() for place, text in places.items() if value in text]
    assert leaks == []
    titles = dict(store.execute("SELECT source_record_id, title FROM feedback"))
    assert titles == {f"R{i}": f"Re: {PLACEHOLDER[kind]}" for i, kind in enumerate(VALUES)}
    extras = {r: json.loads(e) for r, e in store.execute("SELECT source_record_id, extra FROM feedback")}
    assert extras == {
        f"R{i}": {"contact": PLACEHOLDER[kind], "notes": f"call me on {PLACEHOLDER[kind]} {LOOK_ALIKES[0]}"}
        for i, kind in enumerate(VALUES)
    }  # a Luhn-invalid order number is kept
    assert all(PLACEHOLDER[kind] in places["rejects.raw"] for kind in VALUES)


def test_nested_extra_fields_of_json_records_are_redacted(tmp_path):
    from cxtext.config import load_settings
    from cxtext.store.db import Store
    from tests.conftest import write_config

    (tmp_path / "landing").mkdir()
    settings = load_settings(write_config(tmp_path, SOCIAL))
    posts = [
        {
            "id": f"T{i}",
            "created_at": "2026-07-06T10:00:00Z",
            "text": "late again",
            "user": {"handle": f"@user{i}", "location": value, "links": [f"mailto {value}"]},
            "contact": value,
        }
        for i, value in enumerate(VALUES.values())
    ]
    path = tmp_path / "landing/social.jsonl"
    path.write_text("\n".join(json.dumps(p) for p in posts) + "\n" + '{"id": "T9", "contact": "' + VALUES["email"] + '"}\n')
    with Store.open(settings.work_db) as store:
        result = ingest_file(store, settings, path, settings.sources["social"])
        places = _places(store)
        extras = [json.loads(e) for (e,) in store.execute("SELECT extra FROM feedback ORDER BY source_record_id")]
    assert (result.rows_new, result.rows_rejected) == (3, 1)
    assert [(k, p) for k, v in VALUES.items() for p, text in places.items() if v in text] == []
    assert extras == [
        {"contact": PLACEHOLDER[k], "user": {"location": PLACEHOLDER[k], "links": [f"mailto {PLACEHOLDER[k]}"]}} for k in VALUES
    ]


def test_pii_in_the_keys_of_an_unmapped_json_field_is_redacted(tmp_path):
    from cxtext.config import load_settings
    from cxtext.store.db import Store
    from tests.conftest import write_config

    (tmp_path / "landing").mkdir()
    settings = load_settings(write_config(tmp_path, SOCIAL))
    path = tmp_path / "landing/social.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": "T1",
                "created_at": "2026-07-06T10:00:00Z",
                "text": "late again",
                "user": {"handle": "@someone"},
                "votes": {VALUES["email"]: 1},
            }
        )
        + "\n"
    )
    with Store.open(settings.work_db) as store:
        ingest_file(store, settings, path, settings.sources["social"])
        extra = store.scalar("SELECT extra FROM feedback")
    assert VALUES["email"] not in extra
