"""Health checks, snapshot retention and rollback, the right to erasure: end to end on a small
state folder (its own copy per test)."""

import shutil
import subprocess
import sys

import duckdb
import pytest

from tests.test_operations import write_config

pytestmark = pytest.mark.slow
CXTEXT = [sys.executable, "-m", "cxtext.cli"]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A small sample after its first nightly run."""
    from cxtext.devtools.sampledata import generate
    from cxtext_flows.nightly import nightly

    root = tmp_path_factory.mktemp("health")
    generate(root / "sample_data", seed=11, n_reviews=200, n_surveys=150, n_social=150)
    summary = nightly(config=str(write_config(root)))
    assert summary["checks"]["fail"] == 0
    return root


@pytest.fixture
def ws(base, tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(base, root)
    return root


def cli(root, *args):
    return subprocess.run(
        [*CXTEXT, *args, "--config", str(root / "cxtext.toml")], capture_output=True, text=True, cwd=root, timeout=300
    )


def test_check_passes_after_a_fresh_run_and_fails_when_the_last_nightly_is_too_old(ws):
    fresh = cli(ws, "check")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    lines = fresh.stdout.splitlines()
    assert any(line.startswith("ok    last_nightly: 0.") for line in lines), lines
    for name in ("new_records[shop_reviews]", "reject_rate[surveys]", "stale_enrichment", "no_theme", "state_growth"):
        assert any(f"  {name}: " in line for line in lines), name
    assert not any(line.startswith("fail") for line in lines)

    with duckdb.connect(str(ws / "state/pipeline.duckdb")) as con:
        con.execute("UPDATE runs SET finished_at = finished_at - INTERVAL 3 DAY WHERE flow = 'nightly'")
    old = cli(ws, "check")
    assert old.returncode == 1, old.stdout + old.stderr
    line = next(line for line in old.stdout.splitlines() if "last_nightly" in line)
    assert line.startswith("fail  last_nightly: 72.") and "fail > 48 h" in line, line


def test_a_failed_check_is_a_result_one_line_each_exit_3_and_a_completed_run(ws):
    config = ws / "cxtext.toml"
    text = config.read_text().replace("no_theme_share_warn = 0.60", "no_theme_share_warn = 0")
    config.write_text(text.replace("no_theme_share_fail = 0.85", "no_theme_share_fail = 0"))
    run = cli(ws, "run")
    assert run.returncode == 3, run.stdout + run.stderr
    output = run.stdout + run.stderr
    assert "Traceback" not in output and "leaked" not in output.lower(), output
    failed = [line for line in run.stderr.splitlines() if line.startswith("fail")]
    assert len(failed) == 1 and failed[0].startswith("fail  no_theme: "), run.stderr
    assert "taxonomy_packs" in failed[0] and "cxtext themes suggest" in failed[0]  # says what to do
    assert "1 health check(s) failed (exit 3)" in run.stderr
    assert "nothing new since the last publish" in run.stdout  # the published file stays
    with duckdb.connect(str(ws / "state/pipeline.duckdb"), read_only=True) as con:
        status, size, n, names = con.execute(
            "SELECT status, counts->>'$.state_bytes', counts->>'$.checks_failed', counts->>'$.failed_checks' "
            "FROM runs ORDER BY run_id DESC LIMIT 1"
        ).fetchone()
    assert status == "completed" and int(size) > 0 and n == "1" and "no_theme" in names
    assert "checks_failed=1" in cli(ws, "runs").stdout


def test_a_run_with_nothing_new_publishes_nothing_and_warns_of_no_growth(ws):
    from cxtext_flows.nightly import nightly

    published = ws / "state/cx.duckdb"
    before, snapshots = published.stat().st_mtime_ns, sorted((ws / "state/snapshots").iterdir())
    summary = nightly(config=str(ws / "cxtext.toml"))
    assert summary["files_new"] == 0 and summary["published"] is False
    assert published.stat().st_mtime_ns == before and sorted((ws / "state/snapshots").iterdir()) == snapshots
    growth = cli(ws, "check").stdout
    assert any(line.startswith("ok    state_growth: ") for line in growth.splitlines()), growth


def rows_of(table):
    return sorted(map(repr, table.to_pylist()))


def test_export_round_trips_to_the_rows_of_the_view(ws):
    import pyarrow.parquet as pq
    from openpyxl import load_workbook

    stage = "purchase"
    with duckdb.connect(str(ws / "state/cx.duckdb"), read_only=True) as con:
        where = f"WHERE stage = '{stage}' AND CAST(period_start AS DATE) >= DATE '2026-08-01'"
        expected = con.sql(f"SELECT * FROM pain_points {where}").to_arrow_table()
        as_text = con.execute(f"SELECT COLUMNS(*)::VARCHAR FROM pain_points {where}").fetchall()
        assert expected.num_rows > 0
        for fmt in ("csv", "parquet", "xlsx"):
            out = ws / f"pain.{fmt}"
            result = cli(
                ws,
                "export",
                "pain_points",
                "--format",
                fmt,
                "--out",
                str(out),
                "--stage",
                stage,
                "--since",
                "2026-08-01",
            )
            assert result.returncode == 0 and f"wrote {expected.num_rows:,} row(s)" in result.stdout, result.stderr
        parquet = pq.read_table(ws / "pain.parquet")  # the same rows (the view leaves ties unordered)
        assert parquet.schema == expected.schema and rows_of(parquet) == rows_of(expected)
        back = con.execute(f"SELECT * FROM read_csv('{ws / 'pain.csv'}', all_varchar = true, header = true)").fetchall()
        assert sorted(back, key=repr) == sorted(as_text, key=repr)
    sheet = load_workbook(ws / "pain.xlsx", read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == expected.column_names and len(rows) == expected.num_rows + 1
    wrong = cli(ws, "export", "pain_points", "--where", "nosuch=1")
    assert wrong.returncode == 1 and "no column 'nosuch'" in wrong.stderr and "Traceback" not in wrong.stderr


def add_reviews(root, name, rows):
    """A new landing file of reviews: (review_id, customer_id, text) rows."""
    lines = ["review_id,submitted_at,product,stars,title,text,customer_id,country"]
    lines += [f'{rid},2026-09-30 10:00,Volta Aria Mini Earbuds,2,Meh,"{text}",{cid},GB' for rid, cid, text in rows]
    (root / "sample_data" / name).write_text("\n".join(lines) + "\n")


def published_count(root):
    with duckdb.connect(str(root / "state/cx.duckdb"), read_only=True) as con:
        return con.execute("SELECT count(*) FROM feedback").fetchone()[0]


def test_rollback_republishes_an_earlier_snapshot_until_the_next_run(ws):
    from cxtext.store.publish import snapshot_files
    from cxtext_flows.nightly import nightly

    before = published_count(ws)
    add_reviews(ws, "reviews_late.csv", [("RX1", "C1", "The strap broke."), ("RX2", "C2", "Nice colour.")])
    nightly(config=str(ws / "cxtext.toml"))
    assert published_count(ws) == before + 2
    assert len(snapshot_files(ws / "state/snapshots")) == 2

    rolled = cli(ws, "publish", "--rollback")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert published_count(ws) == before
    with duckdb.connect(str(ws / "state/pipeline.duckdb"), read_only=True) as con:
        flow, params = con.execute("SELECT flow, parameters->>'$.snapshot' FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
    assert flow == "rollback" and params == snapshot_files(ws / "state/snapshots")[1].name
    assert f"{before:,} pieces of feedback" in (ws / "state/report.html").read_text()
    assert "cannot roll back 5" in cli(ws, "publish", "--rollback", "5").stderr

    nightly(config=str(ws / "cxtext.toml"))  # publishes the working database again, with a warning
    assert published_count(ws) == before + 2


def test_only_the_last_snapshots_are_kept(ws):
    from cxtext.store.publish import snapshot_files

    config = ws / "cxtext.toml"
    config.write_text(config.read_text().replace("snapshots_kept = 7", "snapshots_kept = 2"))
    for _ in range(3):
        assert cli(ws, "publish").returncode == 0
    kept = snapshot_files(ws / "state/snapshots")
    assert len(kept) == 2 and all("-run" in p.name for p in kept)
    assert "2  " not in cli(ws, "publish", "--list").stdout


def database_hits(path, needles):
    """Rows of any table of a database file whose text contains one of *needles*."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()
        ]
        return {
            t: n
            for t in tables
            for n in needles
            if con.execute(f"SELECT count(*) FROM {t} x WHERE lower(CAST(x AS VARCHAR)) LIKE ?", [f"%{n.lower()}%"]).fetchone()[0]
        }


def file_hits(root, needles):
    return sorted(
        {
            (str(p.relative_to(root)), n)
            for p in root.rglob("*")
            if p.is_file()
            for n in needles
            if n.lower().encode() in p.read_bytes().lower()
        }
    )


def test_forget_a_customer_leaves_nothing_of_theirs_in_the_state_folder(ws, caplog):
    """Through a nightly run, fitted topic and sentiment models, theme suggestions and an export,
    the CLI's `forget`, and a later archive re-read: the key, the record ids, the hashed key, the
    customer's own words and every 20-character run of their texts are in no file of the state
    folder, no table of either database or any snapshot, no log line (captured, the CLI's output,
    Prefect's `log` table) and no table of Prefect's database."""
    from cxtext.ingest.redact import hash_customer_key
    from cxtext_flows.nightly import nightly

    markers = ["Zorblaxian", "Quixotrumble"]
    texts = [
        f"The {markers[0]} strap snapped on day two and the {markers[1]} case cracked.",
        f"Refund for my {markers[1]} never arrived, awful support, and the {markers[0]} buckle too.",
    ]
    add_reviews(
        ws,
        "reviews_planted.csv",
        [
            ("RFORGET1", "CFORGET42", texts[0]),
            ("RFORGET2", "CFORGET42", texts[1]),
            ("RKEEP1", "CKEEP7", "The earbuds are great, fast delivery."),
        ],
    )
    with open(ws / "sample_data/reviews_planted.csv", "a") as handle:  # a malformed row: a reject naming them
        handle.write("RFORGET3,2026-09-30 11:00,broken row with too few fields,CFORGET42\n")
    nightly(config=str(ws / "cxtext.toml"))
    for command in (["topics", "fit"], ["sentiment", "fit"]):  # models whose vocabularies hold their words
        fitted = cli(ws, *command)
        assert fitted.returncode == 0, fitted.stdout + fitted.stderr
    state = ws / "state"
    (state / "themes").mkdir(exist_ok=True)
    from cxtext.enrich.discovery import suggestions_text

    strap = {
        "id": "discovered_strap",
        "name": "Strap",
        "stage": "usage",
        "volume": 2,
        "share_negative": 1.0,
        "quotes": [texts[0], "The earbuds are great, fast delivery."],
        "patterns": [[{"LEMMA": "strap"}]],
    }
    (state / "themes/suggestions.toml").write_text(suggestions_text({"suggestions": [strap], "dismissed": []}))
    exported = cli(ws, "export", "feedback_enriched", "--out", str(ws / "exports/all.csv"))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    with duckdb.connect(str(state / "pipeline.duckdb"), read_only=True) as con:
        ids = [r[0] for r in con.execute("SELECT feedback_id FROM feedback WHERE source_record_id LIKE 'RFORGET%'").fetchall()]
        before = con.execute("SELECT count(*) FROM feedback").fetchone()[0]
    runs = sorted({t[i : i + 20] for t in texts for i in range(len(t) - 19)})
    needles = [*markers, "CFORGET42", "RFORGET", hash_customer_key("CFORGET42", "test-salt"), *ids, *runs]
    assert len(ids) == 2
    assert database_hits(state / "cx.duckdb", needles) and file_hits(state / "archive", needles)
    assert "rejects" in database_hits(state / "pipeline.duckdb", ["CFORGET42"])
    assert {n for _, n in file_hits(state / "models", markers)} == set(markers)  # the topic model's vocabulary
    assert file_hits(ws / "exports", needles)

    done = cli(ws, "forget", "--customer", "cforget42 ")  # keys are matched as the salted hash does: case and spaces aside
    assert done.returncode == 0, done.stdout + done.stderr
    for db in [state / "pipeline.duckdb", state / "cx.duckdb", *(state / "snapshots").glob("*.duckdb")]:
        assert database_hits(db, needles) == {}, db
    assert file_hits(state, needles) == [] and file_hits(ws / "exports", needles) == []
    assert "The earbuds are great, fast delivery." in (state / "themes/suggestions.toml").read_text()
    assert "RKEEP1" in (ws / "exports/all.csv").read_text()  # the export, written again without them
    with duckdb.connect(str(state / "pipeline.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM feedback").fetchone()[0] == before - 2
        assert con.execute("SELECT count(*) FROM feedback WHERE source_record_id = 'RKEEP1'").fetchone()[0] == 1
        erasure = con.execute(
            "SELECT requested_by, rows_removed->>'$.feedback', rows_removed->>'$.rejects', "
            "archive_files_rewritten, snapshots_rewritten FROM erasures"
        ).fetchall()
        assert erasure == [("customer", "2", "1", 1, 1)]
        assert con.execute("SELECT flow, status FROM runs ORDER BY run_id DESC LIMIT 1").fetchone() == (
            "forget",
            "completed",
        )
    assert published_count(ws) == before - 2

    # the landing file still holds them, but it is known by the hash it arrived with: not ingested again
    again = nightly(config=str(ws / "cxtext.toml"))
    assert again["files_new"] == 0 and published_count(ws) == before - 2
    from cxtext_flows.backfill import backfill

    backfill(config=str(ws / "cxtext.toml"), steps=["reingest", "enrich", "aggregate"])  # the rewritten archive re-reads
    assert file_hits(state, needles) == [] and database_hits(state / "pipeline.duckdb", needles) == {}
    assert prefect_hits(needles) == []  # every table of Prefect's database: flow runs, parameters, logs
    logs = caplog.text + done.stdout + done.stderr
    assert [n for n in needles if n.lower() in logs.lower()] == []


def prefect_hits(needles):
    """Needles in any row of any table of Prefect's own database (its flow runs, parameters, logs)."""
    import os
    import sqlite3
    from pathlib import Path

    path = Path(os.environ["PREFECT_HOME"]) / "prefect.db"
    if not path.exists():
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        text = {t: str(con.execute(f'SELECT * FROM "{t}"').fetchall()).lower() for t in tables}
    return sorted({(t, n) for t, rows in text.items() for n in needles if n.lower() in rows})


def test_forget_one_record(ws):
    with duckdb.connect(str(ws / "state/pipeline.duckdb"), read_only=True) as con:
        source, record, before = con.execute(
            "SELECT source, source_record_id, (SELECT count(*) FROM feedback) FROM feedback "
            "WHERE kind = 'social' ORDER BY feedback_id LIMIT 1"
        ).fetchone()
    done = cli(ws, "forget", "--source", source, "--record-id", record)
    assert done.returncode == 0, done.stdout + done.stderr
    assert published_count(ws) == before - 1
    assert file_hits(ws / "state/archive", [f'"id": "{record}"']) == []
    assert "give either" in cli(ws, "forget", "--source", source).stderr


def test_retention_deletes_prefect_flow_runs_older_than_prefect_runs_days_with_their_logs(ws):
    """[retention] prefect_runs_days: the nightly run deletes Prefect's flow runs that started
    before it (one made 40 days old here, through SQL on Prefect's database), their task runs and
    logs with them, through Prefect's API; newer runs stay."""
    import os
    import sqlite3
    from datetime import datetime, timedelta
    from pathlib import Path

    from cxtext_flows.nightly import nightly

    config = ws / "cxtext.toml"
    config.write_text(config.read_text() + "\n[retention]\nprefect_runs_days = 30\n")
    path = Path(os.environ["PREFECT_HOME"]) / "prefect.db"
    with sqlite3.connect(path, timeout=30) as con:
        old, started = con.execute(
            "SELECT id, start_time FROM flow_run WHERE start_time IS NOT NULL ORDER BY start_time"
        ).fetchone()
        kept = {r for (r,) in con.execute("SELECT id FROM flow_run WHERE id <> ?", [old])}
        assert con.execute("SELECT count(*) FROM log WHERE flow_run_id = ?", [old]).fetchone()[0] > 0
        aged = str(datetime.fromisoformat(started) - timedelta(days=40))
        con.execute("UPDATE flow_run SET start_time = ? WHERE id = ?", [aged, old])
    summary = nightly(config=str(config))
    assert summary["retention"]["prefect_runs"] == 1, summary
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as con:
        left = {r for (r,) in con.execute("SELECT id FROM flow_run")}
        assert old not in left and kept <= left
        assert con.execute("SELECT count(*) FROM task_run WHERE flow_run_id = ?", [old]).fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM log WHERE flow_run_id = ?", [old]).fetchone()[0] == 0
