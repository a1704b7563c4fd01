import json
from datetime import datetime

import pytest

from cxtext.config import make_source_spec
from cxtext.ingest.records import Rejection, feedback_id, lookup, normalize_text, parse_score, parse_time, to_canonical

NOW = datetime(2026, 11, 23, 12, 0)


@pytest.mark.parametrize(
    "value, fmt, tz, expected",
    [
        ("2026-07-06 10:00", "%Y-%m-%d %H:%M", "Europe/London", datetime(2026, 7, 6, 9, 0)),  # BST = UTC+1
        ("2026-01-06 10:00", "%Y-%m-%d %H:%M", "Europe/London", datetime(2026, 1, 6, 10, 0)),  # GMT
        ("2026-07-06T10:00:00+02:00", "iso", "UTC", datetime(2026, 7, 6, 8, 0)),
        ("2026-07-06T10:00:00Z", "iso", "America/New_York", datetime(2026, 7, 6, 10, 0)),  # offset wins over zone
        ("2026-07-06T10:00:00", "iso", "America/New_York", datetime(2026, 7, 6, 14, 0)),
        ("2026-07-06", "iso", "UTC", datetime(2026, 7, 6, 0, 0)),
        ("1783332000", "epoch_s", "UTC", datetime(2026, 7, 6, 10, 0)),
        (1783332000000, "epoch_ms", "UTC", datetime(2026, 7, 6, 10, 0)),
        ("Mon Jul 06 10:00:00 +0000 2026", "%a %b %d %H:%M:%S %z %Y", "UTC", datetime(2026, 7, 6, 10, 0)),
        ("06/07/2026 23:30", "%d/%m/%Y %H:%M", "Australia/Sydney", datetime(2026, 7, 6, 13, 30)),
    ],
)
def test_parse_time_to_naive_utc(value, fmt, tz, expected):
    assert parse_time(value, fmt, tz) == expected


@pytest.mark.parametrize("fmt", ["%Y-%m-%d %H:%M", "%d/%m/%Y", "%Y%m%d", "%m-%d-%YT%H:%M:%S", "%d %b %Y"])
def test_strptime_fast_path_reads_what_strptime_reads(fmt):
    """parse_time skips strptime for texts of fixed-width numeric formats: same datetime, same errors."""
    import random

    from cxtext.ingest.records import _strptime

    rng = random.Random(19)
    pieces = {"%Y": 4, "%m": 2, "%d": 2, "%H": 2, "%M": 2, "%S": 2}
    for _ in range(3000):
        text = fmt
        for directive, width in pieces.items():
            text = text.replace(
                directive, "".join(rng.choice("0123456789" * 2 + "0123") for _ in range(width + rng.choice([0, 0, 0, -1, 1])))
            )
        text = text.replace("%b", "Jul") + rng.choice(["", "", "", " ", "x", "\n"])
        if rng.random() < 0.1:
            text = text.replace(" ", rng.choice(["  ", "\t", ""]), 1)
        outcomes = []
        for parse in (datetime.strptime, _strptime):
            try:
                outcomes.append(parse(text, fmt))
            except ValueError:
                outcomes.append(ValueError)
        assert outcomes[0] == outcomes[1], (fmt, text)


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "", "07/06/2026"])
def test_parse_time_rejects_garbage(value):
    with pytest.raises(ValueError):
        parse_time(value, "iso", "UTC")


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("nps", "0", 0),
        ("nps", "10", 10),
        ("nps", "9.0", 9),
        ("nps", 7, 7),
        ("nps", "", None),
        ("nps", None, None),
        ("nps", " 8 ", 8),
        ("rating", "5", 5),
        ("ces", "7", 7),
        ("csat", "1", 1),
    ],
)
def test_parse_score_ok(field, value, expected):
    assert parse_score(field, value) == expected


@pytest.mark.parametrize(
    "field, value, reason",
    [
        ("nps", "11", "out_of_range"),
        ("nps", "-1", "out_of_range"),
        ("rating", "0", "out_of_range"),
        ("rating", "4.5", "out_of_range"),
        ("rating", "five", "bad_number"),
        ("csat", "6", "out_of_range"),
        ("ces", "8", "out_of_range"),
        ("nps", True, "bad_number"),
    ],
)
def test_parse_score_rejects(field, value, reason):
    with pytest.raises(ValueError) as info:
        parse_score(field, value)
    assert info.value.args[0] == reason
    assert field in info.value.args[1]


def test_normalize_text():
    assert normalize_text("  Cafe\u0301\r\nline\rtwo\x00\x07 ") == "Café\nline\ntwo"


def test_feedback_id_is_deterministic_and_separates_sources():
    assert feedback_id("a", "1") == feedback_id("a", "1")
    assert feedback_id("a", "1") != feedback_id("b", "1")
    assert feedback_id("a", "1") != feedback_id("a", "11")
    content = feedback_id("a", None, created_at=datetime(2026, 1, 1), text="hi")
    assert content == feedback_id("a", None, created_at=datetime(2026, 1, 1), text="hi")
    assert content != feedback_id("a", None, created_at=datetime(2026, 1, 1), text="hi!")


def test_lookup_dotted_paths():
    data = {"user": {"handle": "@x", "n": 1}, "a.b": 2}
    assert lookup(data, "user.handle") == "@x"
    assert lookup(data, "a.b") == 2
    assert lookup(data, "user.missing") is None


SOCIAL = make_source_spec(
    "social",
    {
        "kind": "social",
        "format": "jsonl",
        "columns": {
            "source_id": "id",
            "created_at": "ts",
            "text": "text",
            "customer_key": "user.handle",
            "channel": "platform",
        },
    },
)


def canonical(data, spec=SOCIAL, **kw):
    return to_canonical(data, spec, salt="s", max_text_chars=kw.get("max_text_chars", 1000), now=NOW)


def test_to_canonical_maps_redacts_and_keeps_extra():
    row = canonical(
        {
            "id": "T1",
            "ts": "2026-07-06T10:00:00Z",
            "text": "mail me: a@b.example.com",
            "platform": "x",
            "user": {"handle": "@maria", "followers": 12},
            "lang": "en",
        }
    )
    assert row["text"] == "mail me: [EMAIL]"
    assert row["source_record_id"] == "T1" and row["kind"] == "social" and row["channel"] == "x"
    assert row["created_at"] == datetime(2026, 7, 6, 10, 0)
    assert row["customer_key"] and "maria" not in row["customer_key"]
    assert json.loads(row["extra"]) == {"lang": "en", "user": {"followers": 12}}
    assert row["feedback_id"] == feedback_id("social", "T1")


def test_record_hash_changes_with_any_field_text_hash_only_with_text():
    base = {"id": "T1", "ts": "2026-07-06T10:00:00Z", "text": "late again", "platform": "x"}
    a, b = canonical(base), canonical(base | {"platform": "instagram"})
    c = canonical(base | {"text": "late again!"})
    assert a["text_hash"] == b["text_hash"] and a["record_hash"] != b["record_hash"]
    assert a["text_hash"] != c["text_hash"] and a["feedback_id"] == c["feedback_id"]


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"text": "   \n\t "}, "missing_text"),
        ({"text": None}, "missing_text"),
        ({"text": ""}, "missing_text"),
        ({"text": "\u200b\u200d "}, "missing_text"),
        ({"text": "x" * 1001}, "text_too_long"),
        ({"ts": ""}, "missing_created_at"),
        ({"ts": "not a date"}, "bad_created_at"),
        ({"ts": "2031-01-01T00:00:00Z"}, "future_created_at"),
        ({"id": ""}, "missing_source_record_id"),
    ],
)
def test_to_canonical_rejections(change, reason):
    base = {"id": "T1", "ts": "2026-07-06T10:00:00Z", "text": "fine", "platform": "x"}
    outcome = canonical(base | change)
    assert isinstance(outcome, Rejection) and outcome.reason == reason and outcome.detail


def test_content_id_when_source_has_no_ids():
    spec = make_source_spec("s", {"kind": "social", "format": "jsonl", "columns": {"created_at": "ts", "text": "text"}})
    a = canonical({"ts": "2026-07-06T10:00:00Z", "text": "hello"}, spec)
    assert a["source_record_id"] is None
    assert a["feedback_id"] == canonical({"ts": "2026-07-06T10:00:00Z", "text": "hello"}, spec)["feedback_id"]


def test_reject_details_quote_the_bad_value_redacted():
    base = {"id": "T1", "ts": "2026-07-06T10:00:00Z", "text": "fine", "platform": "x"}
    when = canonical(base | {"ts": "x" * 50 + " jane.doe@example.com " + "y" * 300})  # cut first, "jane.doe@e" would stay
    assert when.reason == "bad_created_at" and "jane" not in when.detail and "[EMAIL]" in when.detail
    assert len(when.detail) == 161
    survey = make_source_spec("s", {"kind": "survey", "columns": {"created_at": "ts", "text": "text", "nps": "nps"}})
    for nps, reason in (("4111111111111111", "out_of_range"), ("4111 1111 1111 1111", "bad_number")):
        outcome = canonical(base | {"nps": nps}, survey)
        assert outcome.reason == reason and "[CARD]" in outcome.detail and "4111" not in outcome.detail
