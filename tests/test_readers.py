import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxtext.errors import SourceReadError
from cxtext.ingest.readers import _quote_left_open, open_records, parse_jsonl


def read(tmp_path, content: bytes, fmt="csv", name=None):
    path = tmp_path / (name or f"f.{fmt}")
    path.write_bytes(content)
    opened = open_records(path, fmt)
    return opened.columns, list(opened.records)


def test_csv_bom_crlf_and_quoted_newlines(tmp_path):
    columns, records = read(tmp_path, '\ufeffid,text\r\n1,"two\r\nlines"\r\n2,plain\r\n'.encode())
    assert columns == ["id", "text"]
    assert [r.data for r in records] == [{"id": "1", "text": "two\r\nlines"}, {"id": "2", "text": "plain"}]
    assert [r.position for r in records] == [2, 4]


def test_csv_mixed_line_ends_and_blank_lines(tmp_path):
    _, records = read(tmp_path, b"id,text\n1,a\r\n\n2,b\r3,c\n")
    assert [r.data["id"] for r in records] == ["1", "2", "3"]


def test_csv_field_count_both_ways(tmp_path):
    _, records = read(tmp_path, b"id,text,stars\n1,a\n2,b,3,extra\n3,c,4\n")
    assert [(r.position, r.reason) for r in records] == [(2, "field_count"), (3, "field_count"), (4, None)]
    assert records[0].raw == "1,a" and "expected 3 fields, got 2" in records[0].detail


def test_csv_unbalanced_quote_loses_only_its_line(tmp_path):
    _, records = read(tmp_path, b'id,text\n1,"never closed\n2,fine\n3,also fine\n')
    assert [(r.position, r.reason) for r in records] == [(2, "unbalanced_quote"), (3, None), (4, None)]
    assert records[1].data == {"id": "2", "text": "fine"}


def test_csv_invalid_utf8_is_one_reject(tmp_path):
    _, records = read(tmp_path, b"id,text\n1,caf\xe9\n2,ok\n")
    assert records[0].reason == "invalid_utf8" and "\\xe9" in records[0].raw
    assert records[1].data == {"id": "2", "text": "ok"}


def test_csv_huge_field_is_read_not_crashed(tmp_path):
    _, records = read(tmp_path, b"id,text\n1," + b"x" * 1_200_000 + b"\n")
    assert len(records[0].data["text"]) == 1_200_000


def test_csv_unparsed_records_parse_to_what_the_reader_yields(tmp_path):
    """Ingest finds where CSV records end in its main process and parses them in its workers: the
    same records, positions and rejects; the raw text is what was read, line ends included."""
    lines = [
        b"\xef\xbb\xbfid,text\r\n",
        b'1,"two\r\nlines"\r\n',  # one record over lines 2-3
        b"\r\n",  # blank: not a record
        b'2,12" screen\n',  # an inch mark, not a quoted field
        b'3,"never closed\n',  # swallows line 7, which is read again
        b'4,"after"\n',
        b"   \n",  # blank too, with two columns
        b"5,caf\xe9\n",
        b"6,nul\x00\n",
        b"7,a,b\n",
        b"8," + b"x" * 200 + b"\n",
        b'9,"a ""quoted"" word"\r',
        b'10,"open at the end',  # the file ends inside a quoted field
    ]
    path = tmp_path / "f.csv"
    path.write_bytes(b"".join(lines))
    opened = open_records(path, "csv", max_record_chars=100, parsed=False)
    unparsed = list(opened.records)
    assert [(r.position, r.unparsed) for r in unparsed] == [
        (2, True),
        (4, True),
        (5, True),
        (6, False),  # unbalanced_quote: where the next record starts depends on it
        (7, True),
        (8, True),
        (9, True),
        (10, True),
        (11, True),
        (12, False),  # too large: rejected while read, never held whole
        (13, True),
        (14, True),
    ]
    assert unparsed[0].raw == '1,"two\r\nlines"\r\n' and unparsed[1].raw == "\r\n"
    parsed = list(open_records(path, "csv", max_record_chars=100).records)
    assert [p for p in (opened.parse(r) if r.unparsed else r for r in unparsed) if p is not None] == parsed
    assert [(r.position, r.reason) for r in parsed] == [
        (2, None),
        (5, None),
        (6, "unbalanced_quote"),
        (7, None),
        (9, "invalid_utf8"),
        (10, "nul_byte"),
        (11, "field_count"),
        (12, "record_too_large"),
        (13, None),
        (14, None),
    ]
    assert [r.data["text"] for r in parsed if r.data] == [
        "two\r\nlines",
        '12" screen',
        "after",
        'a "quoted" word',
        "open at the end",
    ]
    assert parsed[0].raw == '1,"two\r\nlines"' and parsed[2].raw == '3,"never closed'
    assert parsed[4].raw == "5,caf\\xe9" and parsed[5].raw == "6,nul\\x00"
    assert not any(r.unparsed for r in parsed)


def _reader_reads_on(line: str, delimiter: str) -> bool:
    """Whether csv.reader, having read *line*, reads the next line into the same record."""
    read = []

    def lines():
        for text in (line, "next\n"):
            read.append(text)
            yield text

    try:
        next(csv.reader(lines(), delimiter=delimiter))
    except (csv.Error, StopIteration):
        pass
    return len(read) > 1


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from(['"', '"', '""', "a", " ", ",", ";", "\t", 'x"y']), max_size=14).map("".join),
    st.sampled_from(["", "\n", "\r\n", "\r"]),
    st.sampled_from([",", ";", "\t"]),
)
def test_csv_record_ends_where_csv_reader_ends_it(text, end, delimiter):
    """The main process finds where a record ends without csv.reader: a line leaves a quoted
    field open exactly when csv.reader reads on (a line inside a quoted field starts with one open)."""
    line = text + end
    assert bool(_quote_left_open(delimiter)(line)) == _reader_reads_on(line, delimiter)
    assert bool(_quote_left_open(delimiter)('"' + line)) == _reader_reads_on('"' + line, delimiter)


@pytest.mark.parametrize("content", [b"", b"id,text\n", b"id,text\r\n\r\n"])
def test_csv_empty_and_header_only(tmp_path, content):
    _, records = read(tmp_path, content)
    assert records == []


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("id,text\n1,a\n".encode("utf-16"), "UTF-16"),
        (b"id,id\n1,2\n", "repeats column"),
    ],
)
def test_unreadable_files_raise_with_the_file_name(tmp_path, content, message):
    with pytest.raises(SourceReadError, match=message) as info:
        read(tmp_path, content, name="data.csv")
    assert "data.csv" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(SourceReadError, match="no such file"):
        open_records(tmp_path / "nope.csv", "csv")


def test_jsonl_bad_lines_are_rejects_with_line_numbers(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    lines = [b'\xef\xbb\xbf{"id": 1}', b'{"id": 2', b"", b"[1, 2]", b'{"id": "caf\xe9"}', deep.encode(), b'{"id": 3}\r']
    _, records = read(tmp_path, b"\n".join(lines) + b"\n", fmt="jsonl")
    assert [(r.position, r.reason) for r in records] == [
        (1, None),
        (2, "invalid_json"),
        (4, "not_an_object"),
        (5, "invalid_utf8"),
        (6, "invalid_json"),
        (7, None),
    ]
    assert records[0].data == {"id": 1} and records[-1].data == {"id": 3}


def test_jsonl_unparsed_lines_parse_to_what_the_reader_yields(tmp_path):
    """Ingest reads lines in its main process and parses them in its workers: the same records."""
    deep = "[" * 100_000 + "]" * 100_000
    lines = [b'\xef\xbb\xbf{"id": 1}', b'{"id": 2', b"", b"[1, 2]", b'{"id": "caf\xe9"}', deep.encode(), b'{"t": "\\ud800"}']
    lines += [b'{"id": "' + b"x" * 200 + b'"}', b'{"id": 3}\r']
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    unparsed = list(open_records(path, "jsonl", max_record_chars=100, parsed=False).records)
    assert [(r.position, r.unparsed) for r in unparsed] == [
        (1, True),
        (2, True),
        (4, True),
        (5, False),  # not UTF-8: rejected while read
        (6, False),  # too large: rejected while read, never held whole
        (7, True),
        (8, False),
        (9, True),
    ]
    assert unparsed[0].raw == '{"id": 1}' and unparsed[-1].raw == '{"id": 3}'
    parsed = list(open_records(path, "jsonl", max_record_chars=100).records)
    assert [parse_jsonl(r) if r.unparsed else r for r in unparsed] == parsed
    assert [r.reason for r in parsed] == [
        None,
        "invalid_json",
        "not_an_object",
        "invalid_utf8",
        "record_too_large",
        "invalid_json",  # a lone surrogate
        "record_too_large",
        None,
    ]
    assert not any(r.unparsed for r in parsed)


def test_parquet(tmp_path):
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["x", "y"], "n": [1, None]}), path)
    opened = open_records(path, "parquet")
    records = list(opened.records)
    assert opened.columns == ["id", "text", "n"]
    assert [r.data for r in records] == [{"id": "a", "text": "x", "n": 1}, {"id": "b", "text": "y", "n": None}]
    assert json.loads(records[0].raw)["id"] == "a"


def test_broken_parquet(tmp_path):
    path = tmp_path / "f.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(SourceReadError, match="f.parquet"):
        open_records(path, "parquet")


def test_csv_unbalanced_quote_mid_file_with_quoted_rows_after(tmp_path):
    _, records = read(tmp_path, b'id,text\n1,"open\n2,"ok, quoted"\n3,"also ok"\n')
    assert records[0].reason == "unbalanced_quote" and records[0].position == 2
    assert [r.data for r in records[1:]] == [{"id": "2", "text": "ok, quoted"}, {"id": "3", "text": "also ok"}]
