"""Erasure as a journaled operation: every source format (CSV with CR-only line ends and a multi-line
field, JSONL keyed by a nested field, Parquet keyed by a nested column), rejects, theme suggestions,
fitted topic and sentiment models and a recorded export, a reader holding a snapshot open, a kill
at each step, then an archive re-read: nothing of the customer is left anywhere, as bytes or as
values, and nobody else's data changed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import write_config

KEY = "ZedErasure77"
OTHER = "KeepMe12"
IDS = ["RZ-ERASE-1", "RZ-ERASE-2", "JZ-ERASE-3", "PZ-ERASE-4", "RZ-ERASE-5", "JZ-ERASE-6"]
TEXTS = [
    "Quorblax strap snapped on the second outing,\nthen the Vantrelle buckle flew off entirely",
    "Glimmerfen delivery was three weeks late and nobody answered",
    "Thrumbleway chat agent hung up on me twice this Tuesday",
    "Plenderquist survey: the Oxwhistle checkout kept failing for me",
    "Snorbulate reject row kept for its narrative words only",
]
#: Words only the customer wrote: what a fitted model's vocabulary would keep of them (lower-cased).
MARKERS = ["quorblax", "vantrelle", "glimmerfen", "thrumbleway", "plenderquist", "oxwhistle"]
OTHER_QUOTE = "The earbuds are great and delivery was fast"

SOURCES = """
[sources.reviews]
kind = "review"
landing = "landing/reviews"
pattern = "*.csv"
created_at_format = "%Y-%m-%d %H:%M"
[sources.reviews.columns]
source_record_id = "review_id"
created_at = "submitted_at"
text = "text"
customer_key = "customer_id"

[sources.chats]
kind = "social"
format = "jsonl"
landing = "landing/chats"
pattern = "*.jsonl"
[sources.chats.columns]
source_record_id = "id"
created_at = "ts"
text = "body"
customer_key = "user.handle"

[sources.surveys]
kind = "survey"
format = "parquet"
landing = "landing/surveys"
pattern = "*.parquet"
[sources.surveys.columns]
source_record_id = "rid"
created_at = "ts"
text = "comment"
customer_key = "customer.id"
"""


def _landing(root: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    for name in ("reviews", "chats", "surveys"):
        (root / "landing" / name).mkdir(parents=True)
    rows = [
        "review_id,submitted_at,text,customer_id",
        f'{IDS[0]},2026-09-01 10:00,"{TEXTS[0]}",{KEY}',
        "RK-1,2026-09-01 11:00,The earbuds are great and delivery was fast," + OTHER,
        f'{IDS[1]},2026-09-02 10:00,"{TEXTS[1]}",{KEY.upper()} ',  # the same key, written differently
        f"{IDS[4]},2026-09-02 12:00,{TEXTS[4]},{KEY},extra",  # a reject that cannot be parsed (a field too many)
        "RK-2,2026-09-03 11:00,,",  # another customer's reject (no text)
        "RK-3,2026-09-03 12:00,Word 5 of this line is not an id,5",
    ]
    # CR-only line ends: the multi-line field's continuation is a line of its own
    (root / "landing/reviews/reviews-1.csv").write_bytes("\r".join(rows).replace("\n", "\r").encode() + b"\r")
    chats = [
        {"id": IDS[2], "ts": "2026-09-04T10:00:00", "body": TEXTS[2], "user": {"handle": KEY}},
        {
            "id": "JK-1",
            "ts": "2026-09-04T11:00:00",
            "body": "Lovely support from the chat team today",
            "user": {"handle": OTHER},
        },
        {"id": "JK-2", "ts": "2026-09-04T12:00:00", "body": "", "user": {"handle": OTHER}},
        {"id": IDS[5], "ts": "2026-09-04T13:00:00", "body": "", "user": {"handle": KEY}},
    ]  # a reject with a key
    (root / "landing/chats/chats-1.jsonl").write_text("\n".join(json.dumps(c) for c in chats) + "\n")
    table = pa.Table.from_pylist(
        [
            {"rid": IDS[3], "ts": "2026-09-05T10:00:00", "comment": TEXTS[3], "customer": {"id": KEY, "tier": "gold"}},
            {
                "rid": "PK-1",
                "ts": "2026-09-05T11:00:00",
                "comment": "Checkout was smooth and quick",
                "customer": {"id": OTHER, "tier": "basic"},
            },
        ]
    )
    pq.write_table(table, root / "landing/surveys/surveys-1.parquet")


def _ingest_all(settings, store, *, reread: bool = False) -> None:
    from cxtext.config import make_source_spec
    from cxtext.ingest.load import Window, ingest_file, scan_landing

    if not reread:
        for spec, path in scan_landing(store, settings).new:
            ingest_file(store, settings, path, spec)
        return
    for sha, source, mapping, path in store.execute("SELECT file_sha256, source, mapping, archive_path FROM archived_files"):
        ingest_file(
            store,
            settings,
            settings.state_dir / path,
            make_source_spec(source, json.loads(mapping)),
            window=Window(None, None),
            archived_as=sha,
        )


def _publish(workspace) -> None:
    from cxtext.insights.refresh import publish_with_aggregates

    s = workspace.settings
    publish_with_aggregates(
        workspace.store,
        s.published_db,
        snapshots=s.snapshots_dir,
        keep=s.snapshots_kept,
        label="t",
        timezone=s.reporting_timezone,
    )


def _derived(root: Path, settings) -> None:
    """What is derived from feedback outside the databases, each holding the customer's words: theme
    suggestions quoting them, a topic model and a learned sentiment model fitted on their texts
    among others."""
    import pickle

    from cxtext.enrich.discovery import write_suggestions
    from cxtext.enrich.learned import INDEX, models_dir
    from cxtext.text.learned import fit
    from cxtext.text.topic_files import save_model
    from cxtext.text.topics import TopicModel

    def suggestion(id_, words, quotes):
        return {
            "id": id_,
            "name": " ".join(words).capitalize(),
            "stage": "usage",
            "stage_cues": [],
            "volume": 2,
            "share_negative": 1.0,
            "example": " ".join(words),
            "quotes": quotes,
            "keys": [list(words)],
            "patterns": [[{"LEMMA": words[0]}, {"OP": "{0,1}"}, {"LEMMA": words[1]}]],
        }

    write_suggestions(
        settings,
        {
            "generated_at": "2026-11-30T00:00:00",
            "suggestions": [
                suggestion("discovered_strap_buckle", ["strap", "buckle"], [TEXTS[0].splitlines()[1], OTHER_QUOTE]),
                suggestion("discovered_late_delivery", ["delivery", "late"], [TEXTS[1]]),
            ],
            "dismissed": [{"id": "discovered_old", "keys": [["strap", "buckle"]]}],
        },
    )
    others = [f"plain words number {i} about {w} and service" for i in range(40) for w in ("delivery", "refund")][:60]
    docs = [t.lower() for t in TEXTS] * 2 + others
    save_model(TopicModel(n_topics=2, random_state=0).fit(docs), settings.topic_models_dir, metadata={"size": len(docs)})
    folder = models_dir(settings)
    folder.mkdir(parents=True)
    model = fit([*TEXTS * 5, *others[:25]], [False] * 25 + [True] * 25, source="reviews")
    (folder / f"{model.version}.pkl").write_bytes(pickle.dumps(model))
    (folder / INDEX).write_text(json.dumps({"reviews": {"version": model.version, "score": "rating"}}))


def _export(root: Path, settings) -> None:
    """An export of a view holding every text, outside the state folder, recorded as `cxtext export` does."""
    from cxtext.ops.erasure_derived import record_export
    from cxtext.report.export import Filters, export_view
    from cxtext.store.db import Store

    out = root / "exports/feedback.csv"
    with Store.open(settings.published_db, read_only=True) as published:
        export_view(published, "feedback_enriched", out, "csv", Filters())
    record_export(settings, out, "feedback_enriched", "csv", {"equal": {}, "since": "", "until": ""})


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    from cxtext.config import load_settings
    from cxtext.ops.workspace import open_workspace

    root = tmp_path_factory.mktemp("erasure")
    _landing(root)
    settings = load_settings(write_config(root, SOURCES))
    with open_workspace(settings, purpose="test") as workspace:
        _ingest_all(settings, workspace.store)
        _publish(workspace)
        _publish(workspace)
    _derived(root, settings)
    # a killed ingest's copy of a raw file, left in the archive
    (settings.archive_dir / "ff").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(root / "landing/reviews/reviews-1.csv", settings.archive_dir / "ff/ffff.csv.tmp4242")
    return root


@pytest.fixture
def ws(base, tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(base, root)
    from cxtext.config import load_settings

    settings = load_settings(root / "cxtext.toml")
    _export(root, settings)  # recorded by its absolute path: made in this test's own copy
    return settings


def needles() -> list[str]:
    runs = {t[i : i + 20] for t in TEXTS for i in range(len(t) - 19)}
    return [KEY, KEY.lower(), KEY.upper(), *IDS, *sorted(runs)]


def byte_hits(folder: Path) -> list[tuple[str, str]]:
    """Needles found as UTF-8 or UTF-16 bytes in any file under *folder*."""
    found = []
    encodings = ("utf-8", "utf-16-le", "utf-16-be")
    words = [KEY, KEY.lower(), KEY.upper(), *IDS]
    # Every 20-character run of a text holds one of its aligned 10-character pieces: look for the
    # pieces, and for the runs only around a piece found (a search per run took minutes).
    pieces = [(t, i) for t in TEXTS for i in range(0, len(t) - 9, 10)]
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        hits = [n for n in words if any(n.encode(e) in data for e in encodings)]
        for text, i in pieces:
            if any(text[i : i + 10].encode(e) in data for e in encodings):
                runs = [text[j : j + 20] for j in range(max(0, i - 10), min(i, len(text) - 20) + 1)]
                hits += [r for r in runs if any(r.encode(e) in data for e in encodings)]
        found += [(str(path.relative_to(folder)), n) for n in dict.fromkeys(hits)]
    return found


def value_hits(path: Path) -> dict[str, str]:
    """Needles found in any value of any table of a database (read through DuckDB)."""
    hits = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()
        ]
        for t in tables:
            text = " ".join(str(row) for row in con.execute(f"SELECT CAST(x AS VARCHAR) FROM {t} x").fetchall()).lower()
            for n in needles():
                if n.lower() in text:
                    hits[t] = n
    return hits


def others(path: Path) -> tuple[list, list]:
    with duckdb.connect(str(path), read_only=True) as con:
        feedback = con.execute("SELECT source, source_record_id, text, customer_key FROM feedback ORDER BY ALL").fetchall()
        rejects = con.execute("SELECT source, reason, raw FROM rejects ORDER BY ALL").fetchall()
    return feedback, rejects


def archive_records(settings) -> list[str]:
    """Every record of every archived file, as its reader reads it."""
    from cxtext.config import make_source_spec
    from cxtext.ingest.readers import open_records

    with duckdb.connect(str(settings.work_db), read_only=True) as con:
        rows = con.execute("SELECT source, mapping, archive_path FROM archived_files").fetchall()
    out = []
    for source, mapping, path in rows:
        spec = make_source_spec(source, json.loads(mapping))
        out += [r.raw for r in open_records(settings.state_dir / path, spec.format, delimiter=spec.delimiter).records]
    return out


def marker_hits(folder: Path) -> list[tuple[str, str]]:
    """The customer's own words, in any case, in any file under *folder* (a model's vocabulary)."""
    return [
        (str(p.relative_to(folder)), m)
        for p in folder.rglob("*")
        if p.is_file()
        for m in MARKERS
        if m.encode() in p.read_bytes().lower()
    ]


def assert_erased(settings, expected_others) -> None:
    import tomllib

    state = settings.state_dir
    assert not (state / "erasure.journal.json").exists()
    assert byte_hits(state) == [] and byte_hits(state.parent / "exports") == []
    assert marker_hits(state) == [] and marker_hits(state.parent / "exports") == []
    suggestions = tomllib.loads((state / "themes/suggestions.toml").read_text())["suggestions"]
    assert [(s["id"], s["quotes"]) for s in suggestions] == [
        ("discovered_strap_buckle", [OTHER_QUOTE]),
        ("discovered_late_delivery", []),
    ]  # their quotes gone, the suggestions and others' quotes kept
    assert tomllib.loads((state / "themes/suggestions.toml").read_text())["dismissed"] == [
        {"id": "discovered_old", "keys": [["strap", "buckle"]]}
    ]
    export = (state.parent / "exports/feedback.csv").read_text()
    assert "Lovely support from the chat team today" in export  # written again, without them
    for db in [settings.work_db, settings.published_db, *settings.snapshots_dir.glob("*.duckdb")]:
        assert value_hits(db) == {}, db
    assert not any(n.lower() in r.lower() for r in archive_records(settings) for n in needles())
    with duckdb.connect(str(settings.work_db), read_only=True) as con:  # index and files agree
        for (path,) in con.execute("SELECT archive_path FROM archived_files").fetchall():
            assert (state / path).is_file(), path
    assert others(settings.work_db) == expected_others
    assert others(settings.published_db) == expected_others


def _forget(settings, target):
    from cxtext.ops.erasure import forget_everywhere
    from cxtext.ops.workspace import open_workspace

    with open_workspace(settings, purpose="cxtext forget") as workspace:
        return forget_everywhere(workspace, target)


def _held_reader(snapshot: Path) -> subprocess.Popen:
    """Another process holding a snapshot open (DuckDB's lock on the file) until it is stopped."""
    code = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
        "c.execute('SELECT count(*) FROM feedback').fetchone(); print('open', flush=True); time.sleep(120)"
    )
    reader = subprocess.Popen([sys.executable, "-c", code, str(snapshot)], stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "open"
    return reader


def _before(settings):
    """The state before the erasure: the target is there, and what everyone else has."""
    assert value_hits(settings.work_db) and byte_hits(settings.state_dir)
    models = {m for _, m in marker_hits(settings.state_dir / "models")}
    assert models == set(MARKERS) and byte_hits(settings.state_dir.parent / "exports")
    with duckdb.connect(str(settings.work_db), read_only=True) as con:
        from cxtext.ingest.redact import hash_customer_key

        mine = hash_customer_key(KEY, settings.salt())
        feedback = con.execute(
            "SELECT source, source_record_id, text, customer_key FROM feedback "
            "WHERE customer_key IS DISTINCT FROM ? ORDER BY ALL",
            [mine],
        ).fetchall()
        rejects = con.execute(
            "SELECT source, reason, raw FROM rejects WHERE raw NOT ILIKE '%ERASE%' AND raw NOT ILIKE '%Snorbulate%' ORDER BY ALL"
        ).fetchall()
        assert con.execute("SELECT count(*) FROM feedback WHERE customer_key = ?", [mine]).fetchone()[0] == 4
        assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] == len(rejects) + 2
    return feedback, rejects


def test_blank_keys_are_refused_and_record_ids_match_exactly(ws):
    from cxtext.errors import CxtextError
    from cxtext.ops.erasure import Target

    for blank in ("", " ", "\t"):
        with pytest.raises(CxtextError, match="refused|give either"):
            Target(customer=blank)
    with pytest.raises(CxtextError, match="refused"):
        Target(source="reviews", record_id=" ")
    feedback, rejects = others(ws.work_db)
    erasure, _ = _forget(ws, Target(source="reviews", record_id="5"))  # a word of another's raw line, not an id
    assert sum(erasure.rows.values()) == 0 and others(ws.work_db) == (feedback, rejects)


def test_forget_erases_every_format_rejects_and_held_snapshots_and_stays_erased(ws):
    from cxtext.ops.erasure import Target
    from cxtext.ops.workspace import open_workspace

    expected = _before(ws)
    reader = _held_reader(sorted(ws.snapshots_dir.glob("*.duckdb"))[0])
    try:
        erasure, _ = _forget(ws, Target(customer=f"  {KEY.lower()} "))
    finally:
        reader.kill()
        reader.wait()
    assert erasure.rows["feedback"] == 4 and erasure.rows["rejects"] == 2 and erasure.archive_files == 3
    assert_erased(ws, expected)
    with open_workspace(ws, purpose="re-read") as workspace:  # the archive re-read brings nothing back
        _ingest_all(ws, workspace.store, reread=True)
        _publish(workspace)
    assert_erased(ws, expected)
    later = ws.sources["reviews"].landing / "reviews-2.csv"  # the same customer writes again: loaded normally
    later.write_text(f"review_id,submitted_at,text,customer_id\nRZ-NEW-9,2026-10-01 10:00,Back again and happy,{KEY}\n")
    with open_workspace(ws, purpose="later") as workspace:
        _ingest_all(ws, workspace.store)
        assert workspace.store.scalar("SELECT count(*) FROM feedback WHERE source_record_id = 'RZ-NEW-9'") == 1


class Killed(BaseException):
    """A kill at a step (BaseException: nothing in the erasure may catch it)."""


#: (function in cxtext.ops.erasure, before or after it runs): each step boundary of an erasure.
KILL_POINTS = [
    ("scrub_archive", "after"),
    ("sweep_archive", "before"),
    ("sweep_archive", "after"),
    ("refresh_aggregates", "before"),
    ("compact", "after"),
    ("record_erasure", "before"),
    ("publish_with_aggregates", "after"),
    ("_rewrite_report", "before"),
]


@pytest.mark.parametrize("name,when", [KILL_POINTS[0], KILL_POINTS[2]])
def test_a_kill_at_a_step_is_finished_by_the_next_writer(ws, monkeypatch, name, when):
    _killed_then_finished(ws, monkeypatch, name, when)


@pytest.mark.slow
@pytest.mark.parametrize("name,when", [KILL_POINTS[1], *KILL_POINTS[3:]])
def test_a_kill_at_every_other_step_is_finished_by_the_next_writer(ws, monkeypatch, name, when):
    _killed_then_finished(ws, monkeypatch, name, when)


def _killed_then_finished(ws, monkeypatch, name, when):
    import cxtext.ops.erasure as erasure_module
    from cxtext.ops.erasure import Target
    from cxtext.ops.workspace import open_workspace

    expected = _before(ws)
    real = getattr(erasure_module, name)
    calls = []

    def killed(*args, **kwargs):
        calls.append(1)
        if when == "before" and len(calls) == 1:
            raise Killed(name)
        result = real(*args, **kwargs)
        if len(calls) == 1:
            raise Killed(name)
        return result

    monkeypatch.setattr(erasure_module, name, killed)
    with pytest.raises(Killed):
        _forget(ws, Target(customer=KEY))
    monkeypatch.setattr(erasure_module, name, real)
    assert (ws.state_dir / "erasure.journal.json").exists()
    assert KEY not in (ws.state_dir / "erasure.journal.json").read_text()
    with duckdb.connect(str(ws.work_db), read_only=True) as con:  # the index never names a missing file
        for (path,) in con.execute("SELECT archive_path FROM archived_files").fetchall():
            assert (ws.state_dir / path).is_file(), path
    with open_workspace(ws, purpose="cxtext publish"):  # the next writer finishes it first
        pass
    assert_erased(ws, expected)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0])
def test_a_sigkill_of_cxtext_forget_at_any_moment_is_finished_by_the_next_writer(ws, delay):
    """The real thing: `cxtext forget` in its own process group, SIGKILLed after *delay* seconds
    (imports take about 2 s; the erasure itself a few more), then the next writer."""
    import os
    import signal
    import time

    from cxtext.ops.workspace import open_workspace
    from tests.crashkit import wait_group_gone

    expected = _before(ws)
    victim = subprocess.Popen(
        [sys.executable, "-m", "cxtext.cli", "forget", "--customer", KEY, "--config", str(ws.config_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(delay)
    if victim.poll() is None:
        os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    wait_group_gone(victim.pid)
    with duckdb.connect(str(ws.work_db), read_only=True) as con:  # the index never names a missing file
        for (path,) in con.execute("SELECT archive_path FROM archived_files").fetchall():
            assert (ws.state_dir / path).is_file(), path
    journaled = (ws.state_dir / "erasure.journal.json").exists()
    with open_workspace(ws, purpose="cxtext publish"):
        pass
    if not journaled and value_hits(ws.work_db):  # killed before it began: nothing changed; run it again
        from cxtext.ops.erasure import Target

        assert not list(ws.snapshots_dir.glob(".*.erasing"))
        _forget(ws, Target(customer=KEY))
    assert_erased(ws, expected)


def test_an_export_that_cannot_be_written_again_is_named_and_stops_nothing(ws, monkeypatch):
    import cxtext.report.export as export_module
    from cxtext.ops.erasure_derived import rewrite_exports

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(export_module, "export_view", refused)
    failed = rewrite_exports(ws)
    assert len(failed) == 1 and "feedback.csv: Permission denied" in failed[0]
    assert "feedback.csv" in (ws.state_dir / "exports.json").read_text()  # still recorded: tried again next time
