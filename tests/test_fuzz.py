"""Fuzzing ingest: hostile files of every format, each dropped next to a good file.

Hypothesis writes CSV, JSONL and Parquet files from hostile pieces (quotes, line ends, NUL and
control bytes, BOMs, invalid UTF-8, odd spaces, huge and tiny numbers, extreme or nonsense
timestamps, nested and binary values, wide headers, truncated last lines). For each: ingest either
accounts for every record (rows_read = loaded + duplicate + rejected) or fails the file with a
`failed` batch, never anything else; the good file after it loads whole; and enrichment then runs
over everything loaded. PII planted in a hostile record never reaches a stored value.

Bounded for every test run (CXTEXT_FUZZ_EXAMPLES examples per format, default 25, about half a
minute); a longer run on demand: ``make fuzz`` (CXTEXT_FUZZ_EXAMPLES=2000).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxtext.config import load_settings, make_source_spec
from cxtext.errors import SourceReadError
from cxtext.evaluation.pii import PLANTED, TEMPLATES
from cxtext.ingest.load import ingest_file
from cxtext.ingest.redact import fold, redact_text
from cxtext.store.db import Store
from tests.conftest import write_config

EXAMPLES = int(os.environ.get("CXTEXT_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 25,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
COLUMNS = {"id": "id", "created_at": "created_at", "text": "text", "rating": "stars", "customer_key": "user"}
CARD, MAIL = "4111 1111 1111 1111", "jane.doe@example.com"

#: Characters that break parsers and hide values: quotes, separators, line ends, NUL and other
#: controls, BOM, zero-width and space variants, fullwidth forms, RTL override, surrogate-free emoji.
HOSTILE_CHARS = '",;\t\r\n\x00\x01\x1b\x7f\ufeff\u200b\u2060\u00a0\u202f\u2009\uff20\uff11\u202e\u00ad😡é\\'
pieces = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
    st.text(alphabet=HOSTILE_CHARS + "ab 19@.-", max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            '"',
            '""',
            '12"',
            "\r\n",
            "\n\n",
            "=1+1",
            "null",
            "{}",
            "[]",
            "NaN",
            "-0",
            CARD,
            MAIL,
            f"\u200b{MAIL}",
            CARD.replace(" ", "\u202f"),
            "x" * 20_001,
        ]
    ),
)
plausible = st.sampled_from(
    [
        "Arrived late.",
        "The courier was rude",
        f"Charged twice on {CARD}",
        f"mail {MAIL}",
        "Refund for order 1234567812345678 never came.",
        'The 12" screen\r\narrived cracked',
    ]
)
texts = st.one_of(plausible, plausible, pieces)
timestamps = st.one_of(
    st.just("2026-07-06T10:00:00Z"),
    st.just("2026-07-05 09:00"),
    st.sampled_from(
        [
            "2026-07-06T10:00:00Z",
            "0001-01-01T00:00:00+14:00",
            "0001-01-01T00:00:00",
            "9999-12-31T23:59:59",
            "1970-01-01T00:00:00Z",
            "2026-02-30T10:00:00",
            "",
            "yesterday",
            "2026-07-06T10:00:00+25:00",
            "2026-07-06 10:00",
        ]
    ),
    st.datetimes().map(lambda d: d.isoformat()),
    pieces,
)
numbers = st.one_of(
    st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([4111111111111111, 2**63, -(2**63)])
)
values = st.one_of(pieces, numbers, st.none(), st.booleans())


@st.composite
def records(draw) -> list[dict]:
    """Records with every mapped field hostile, and hostile extra columns."""
    rows = []
    for i in range(draw(st.integers(0, 6))):
        row = {
            "id": draw(st.one_of(st.just(f"r{i}"), pieces)),
            "created_at": draw(timestamps),
            "text": draw(texts),
            "stars": draw(values),
            "user": draw(values),
        }
        for name in draw(st.lists(pieces, max_size=3)):
            row[name or "extra"] = draw(values)
        rows.append(row)
    return rows


def _csv(rows: list[dict], draw) -> bytes:
    header = ["id", "created_at", "text", "stars", "user", *draw(st.lists(st.sampled_from(["x", "y", ""]), max_size=3))]
    if draw(st.booleans()):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])))
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(c, "") for c in header])
        text = out.getvalue()
    else:  # written naively: quotes and separators in values break the record
        text = "\n".join([",".join(header), *(",".join(str(row.get(c, "")) for c in header) for row in rows)])
    data = (draw(st.sampled_from(["", "\ufeff"])) + text).encode("utf-8", "surrogatepass")
    cut = draw(st.one_of(st.none(), st.integers(0, max(0, len(data)))))
    return data[:cut] + draw(st.sampled_from([b"", b"\xff\xfe", b"\xe9", b"\x00"]))


def _jsonl(rows: list[dict], draw) -> bytes:
    lines = []
    for row in rows:
        line = json.dumps(row, ensure_ascii=draw(st.booleans()), default=str, allow_nan=True)
        lines.append(draw(st.sampled_from([line, line[: len(line) // 2], "[" + line + "]", line + " trailing"])))
    return "\n".join(lines).encode("utf-8", "surrogatepass") + draw(st.sampled_from([b"", b"\n", b"\r\n", b"\x00"]))


def _parquet(rows: list[dict], draw, path) -> None:
    columns = {"id": [], "created_at": [], "text": [], "stars": [], "user": [], "blob": [], "nested": []}
    for row in rows:
        for name in ("id", "created_at", "text"):
            columns[name].append(str(row[name]))
        columns["stars"].append(draw(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1))))
        columns["user"].append(draw(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.just(4111111111111111))))
        columns["blob"].append(draw(st.sampled_from([b"", b"\x00\xff", CARD.encode(), MAIL.encode("utf-16")])))
        columns["nested"].append({"phone": draw(st.sampled_from(["+44 20 7946 0958", "none"])), "n": 1})
    pq.write_table(pa.table(columns) if rows else pa.table({c: pa.array([], pa.string()) for c in columns}), path)


def _ingest_next_to_a_good_file(store, cfg, spec, path, good_spec, good) -> None:
    try:
        result = ingest_file(store, cfg, path, spec)
        assert result.rows_read == result.rows_loaded + result.rows_duplicate + result.rows_rejected
    except SourceReadError:
        assert store.scalar("SELECT status FROM ingest_batches ORDER BY batch_id DESC LIMIT 1") == "failed"
    ok = ingest_file(store, cfg, good, good_spec)
    assert ok.rows_rejected == 0 and ok.rows_loaded + ok.rows_duplicate == 2


def _assert_no_pii_stored(store) -> None:
    """The planted card, e-mail and phone appear in no stored text, however they were written."""
    for table, column in (
        ("feedback", "text"),
        ("feedback", "extra"),
        ("feedback", "title"),
        ("rejects", "raw"),
        ("rejects", "detail"),
        ("ingest_batches", "error"),
    ):
        for (value,) in store.execute(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"):
            folded = fold(value)
            digits = re.sub(r"[\s-]", "", folded)
            assert "4111111111111111" not in digits and "2079460958" not in digits, (table, column, value)
            assert MAIL not in folded, (table, column, value)


def _disguise(value: str, draw) -> str:
    """*value* as someone hiding it might write it: zero-width characters between its characters,
    its spaces as no-break, narrow or ideographic spaces, its characters fullwidth."""
    out = []
    for ch in value:
        if ch == " ":
            ch = draw(st.sampled_from([" ", "\u00a0", "\u202f", "\u2009", "\u3000"]))
        elif draw(st.booleans()) and "!" <= ch <= "~":
            ch = chr(ord(ch) + 0xFEE0)  # the fullwidth form
        out.append(ch + draw(st.sampled_from(["", "", "\u200b", "\u200d", "\u2060", "\ufeff"])))
    return "".join(out)


@FUZZ
@given(st.sampled_from([v for k, v in PLANTED if k != "handle"]), st.sampled_from(TEMPLATES), st.data())
def test_planted_pii_disguised_is_still_redacted(value, template, data):
    out = fold(redact_text(template.format(value=_disguise(value, data.draw))))
    assert value not in out and re.sub(r"\s", "", value) not in re.sub(r"\s", "", out), out


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_hostile_files_never_stop_ingest_nor_the_good_file_beside_them(fmt, tmp_path):
    from cxtext.enrich.run import enrich

    cfg = load_settings(write_config(tmp_path))
    spec = make_source_spec("fuzz", {"kind": "review", "format": fmt, "columns": COLUMNS})
    good_spec = make_source_spec("good", {"kind": "review", "format": "jsonl", "columns": COLUMNS})
    good = tmp_path / "good.jsonl"
    good.write_text(
        "".join(
            json.dumps({"id": f"g{i}", "created_at": "2026-07-06T10:00:00Z", "text": "Arrived late.", "stars": 2, "user": "c1"})
            + "\n"
            for i in range(2)
        )
    )
    path = tmp_path / f"hostile.{fmt}"
    with Store.open(cfg.work_db) as store:

        @FUZZ
        @given(records(), st.data())
        def run(rows, data):
            if fmt == "parquet":
                _parquet(rows, data.draw, path)
            else:
                path.write_bytes((_csv if fmt == "csv" else _jsonl)(rows, data.draw))
            _ingest_next_to_a_good_file(store, cfg, spec, path, good_spec, good)

        run()
        assert store.scalar("SELECT count(*) FROM feedback WHERE source = 'fuzz'") > 0  # not all rejected
        _assert_no_pii_stored(store)
        result = enrich(store, cfg)  # everything loaded is enriched (a year-0001 date crashed it)
        assert result.enriched == store.scalar("SELECT count(*) FROM feedback")
