"""Operations end to end: backfills, versions driving recomputation, publishing under analysts'
sessions, one writer at a time. Each test works on its own copy of one small state folder."""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date, timedelta

import duckdb
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow
CXTEXT = [sys.executable, "-m", "cxtext.cli"]


#: The user's own taxonomy file of the workspace, combined after the packs (a test edits it).
USER_TAXONOMY = """[[themes]]
id = "gift_wrapping"
name = "Gift wrapping"
stage = "onboarding"
phrases = ["gift wrap", "gift wrapping"]
examples = ["The gift wrapping was lovely."]
"""


def write_config(root, **extra):
    config = (ROOT / "cxtext.toml").read_text().replace('state_dir = "out"', 'state_dir = "state"')
    config = config.replace("settle_seconds = 2", "settle_seconds = 0")
    config = config.replace(
        'taxonomy_packs = ["core", "retail"]', 'taxonomy_packs = ["core", "retail"]\ntaxonomy = "taxonomy.toml"'
    )
    for key, value in extra.items():
        config = config.replace(f"\n{key} = ", f"\n{key} = {value}\n#was ")
    (root / "cxtext.toml").write_text(config)
    if not (root / "taxonomy.toml").exists():  # the user's own file; a test edits it
        (root / "taxonomy.toml").write_text(USER_TAXONOMY)
    return root / "cxtext.toml"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A small sample (750 feedback over several months) after its first nightly run."""
    from cxtext.devtools.sampledata import generate
    from cxtext_flows.nightly import nightly

    root = tmp_path_factory.mktemp("ops")
    generate(root / "sample_data", seed=7, n_reviews=300, n_surveys=250, n_social=200)
    nightly(config=str(write_config(root)))
    return root


@pytest.fixture
def ws(base, tmp_path):
    """This test's own copy of the base state folder."""
    root = tmp_path / "ws"
    shutil.copytree(base, root)
    return root


def run_nightly(root):
    from cxtext_flows.nightly import nightly

    return nightly(config=str(root / "cxtext.toml"))


def run_backfill(root, **params):
    from cxtext_flows.backfill import backfill

    return backfill(config=str(root / "cxtext.toml"), **params)


def work(root):
    return duckdb.connect(str(root / "state/pipeline.duckdb"), read_only=True)


def fingerprint(path):
    from cxtext.store.db import Store
    from cxtext.store.introspection import content_fingerprint

    with Store.open(path, read_only=True) as store:
        return content_fingerprint(store)


def cli(root, *args, **kwargs):
    return subprocess.run(
        [*CXTEXT, *args, "--config", str(root / "cxtext.toml")],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=kwargs.pop("timeout", 300),
        **kwargs,
    )


def test_forced_backfill_rewrites_everything_and_changes_no_content(ws):
    work_before, published_before = fingerprint(ws / "state/pipeline.duckdb"), fingerprint(ws / "state/cx.duckdb")
    with work(ws) as con:
        total = con.execute("SELECT count(*) FROM feedback").fetchone()[0]
    summary = run_backfill(ws, force=True)
    assert summary["enriched"] == summary["rewritten"] == total > 0
    assert fingerprint(ws / "state/pipeline.duckdb") == work_before
    assert fingerprint(ws / "state/cx.duckdb") == published_before
    again = run_nightly(ws)
    assert (again["rows_read"], again["enriched"], again["topics_reassigned"], again["stale_before"]) == (0, 0, 0, 0)
    with work(ws) as con:
        assert con.execute("SELECT flow, status FROM runs ORDER BY run_id").fetchall() == [
            ("nightly", "completed"),
            ("backfill", "completed"),
            ("nightly", "completed"),
        ]


def busiest_week(root) -> tuple[date, date]:
    with work(root) as con:
        monday = con.execute(
            "SELECT date_trunc('week', CAST((created_at AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/London' AS DATE)) AS w "
            "FROM feedback GROUP BY w ORDER BY count(*) DESC, w LIMIT 1"
        ).fetchone()[0]
    monday = date(monday.year, monday.month, monday.day)
    return monday, monday + timedelta(days=6)


def test_a_one_week_backfill_leaves_other_days_untouched(ws):
    first, last = busiest_week(ws)
    query = (
        "SELECT f.feedback_id, e.enriched_at, CAST((f.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/London' "
        "AS DATE) BETWEEN ? AND ? FROM feedback f JOIN enrichment e USING (feedback_id)"
    )
    with work(ws) as con:
        before = {r[0]: r[1:] for r in con.execute(query, [first, last]).fetchall()}
    summary = run_backfill(ws, start=str(first), end=str(last), force=True)
    with work(ws) as con:
        after = {r[0]: r[1:] for r in con.execute(query, [first, last]).fetchall()}
    inside = [k for k, (_, within) in before.items() if within]
    assert summary["enriched"] == len(inside) > 10
    assert all(after[k][0] > before[k][0] for k in inside)
    assert all(after[k] == before[k] for k, (_, within) in before.items() if not within)
    assert summary["chunks"] >= 1


def test_the_same_backfill_run_again_does_nothing(ws):
    first, last = busiest_week(ws)
    assert run_backfill(ws, start=str(first), end=str(last))["rewritten"] == 0
    assert run_backfill(ws, start=str(first), end=str(last), steps=["reingest", "enrich"])["rewritten"] == 0
    with work(ws) as con:
        rejects = con.execute("SELECT count(*) FROM rejects").fetchone()[0]
    run_backfill(ws, steps=["reingest"])  # re-reading the whole archive records no reject twice
    with work(ws) as con:
        assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] == rejects


def test_a_killed_forced_backfill_finishes_the_rest_when_run_again(ws):
    """A backfill that stops after its first chunks (whole days, a few chunks a transaction) and is
    run again with the same parameters does only what is left."""
    from cxtext.config import load_settings
    from cxtext.ops.backfill import BackfillRequest
    from cxtext.ops.backfill import run_backfill as library_backfill
    from cxtext.store.db import Store, utcnow
    from cxtext.store.ledger import start_run

    write_config(ws, enrich_chunk_rows=100)
    settings = load_settings(ws / "cxtext.toml")
    before = fingerprint(ws / "state/pipeline.duckdb")
    request = BackfillRequest.parse(settings, force=True)
    started = utcnow()

    class Killed(BaseException):
        pass

    def die_after_two(step, progress):
        if progress.chunks_done >= 2:  # reported as committed: a few chunks a transaction
            raise Killed  # like a kill: the run is left 'running'

    with Store.open(settings.work_db) as store, pytest.raises(Killed):
        run_id = start_run(store, "backfill", request.parameters() | {"forced_before": started.isoformat()})
        library_backfill(store, settings, request, run_id=run_id, forced_before=started, on_progress=die_after_two)
    with work(ws) as con:
        total = con.execute("SELECT count(*) FROM feedback").fetchone()[0]
        done = con.execute("SELECT count(*) FROM enrichment WHERE enriched_at >= ?", [started]).fetchone()[0]
    assert 0 < done < total
    summary = run_backfill(ws, force=True)
    assert summary["enriched"] == total - done
    assert fingerprint(ws / "state/pipeline.duckdb") == before
    with work(ws) as con:
        runs = con.execute("SELECT status, parameters->>'$.resumes' FROM runs WHERE flow = 'backfill' ORDER BY run_id").fetchall()
    assert runs == [("crashed", None), ("completed", str(run_id))]


def test_a_taxonomy_change_is_counted_budgeted_then_backfilled(ws):
    taxonomy = ws / "taxonomy.toml"
    taxonomy.write_text(taxonomy.read_text() + "\n# edited: a new version\n")
    with work(ws) as con:
        total = con.execute("SELECT count(*) FROM feedback").fetchone()[0]
    dry = cli(ws, "backfill", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"new_version {total:,}" in dry.stdout and "enrich" in dry.stdout
    with work(ws) as con:  # a dry run writes nothing
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1

    write_config(ws, nightly_recompute_budget=100, stale_share_fail=1)  # leaving rows stale is the point here
    night = run_nightly(ws)
    assert (night["stale_before"], night["enriched"], night["stale_left"]) == (total, 100, total - 100)
    with work(ws) as con:
        newest = con.execute("SELECT max(f.created_at) FROM feedback f").fetchone()[0]
        assert (
            con.execute(
                "SELECT count(*) FROM enrichment e JOIN feedback f USING (feedback_id) "
                "WHERE f.created_at = ? AND e.taxonomy_version = (SELECT value FROM cxtext_meta "
                "WHERE key = 'taxonomy_version')",
                [newest],
            ).fetchone()[0]
            >= 1
        )  # newest first
    rest = run_backfill(ws)
    assert rest["enriched"] == total - 100
    assert run_nightly(ws)["enriched"] == 0


def test_a_new_topic_model_only_reassigns_topics(ws):
    fit = cli(ws, "topics", "fit", "--n-topics", "6")
    assert fit.returncode == 0, fit.stderr
    with work(ws) as con:
        total = con.execute("SELECT count(*) FROM feedback").fetchone()[0]
        sentences = con.execute("SELECT count(*), sum(hash(text, compound)) FROM sentences").fetchone()
    night = run_nightly(ws)
    assert (night["enriched"], night["topics_reassigned"]) == (0, total)
    with work(ws) as con:
        assert con.execute("SELECT count(DISTINCT topic_version) FROM enrichment").fetchone()[0] == 1
        assert con.execute("SELECT count(DISTINCT topic_id) FROM feedback_topics").fetchone()[0] <= 6
        assert con.execute("SELECT count(*), sum(hash(text, compound)) FROM sentences").fetchone() == sentences


def add_landing_file(root, name="reviews-extra.csv", n=5):
    rows = [
        f"X{i},2026-09-1{i % 9} 10:00,Volta Aria,2,Late,The delivery was late again and nobody answered,cust{i},GB"
        for i in range(n)
    ]
    (root / "sample_data" / name).write_text(
        "review_id,submitted_at,product,stars,title,text,customer_id,country\n" + "\n".join(rows) + "\n"
    )


READ_ONLY_ANALYST = textwrap.dedent("""
    import duckdb, sys, threading
    con = duckdb.connect(sys.argv[1], read_only=True)
    first = con.execute("SELECT count(*) FROM feedback").fetchone()[0]
    scored = con.execute("SELECT count(*) FROM feedback f JOIN sentiment s USING (feedback_id)").fetchone()[0]
    print(first, scored, flush=True)  # non-English feedback has no sentiment row: scored < first
    stop, counts = threading.Event(), set()
    def query():
        while not stop.is_set():  # a query always running: an analyst's dashboard refreshing
            counts.add(con.execute("SELECT count(*) FROM feedback f JOIN sentiment s USING (feedback_id)").fetchone()[0])
    worker = threading.Thread(target=query)
    worker.start()
    sys.stdin.readline()
    stop.set(); worker.join()
    print(sorted(counts), flush=True)
""")

WRITING_ANALYST = textwrap.dedent("""
    import duckdb, sys
    con = duckdb.connect(sys.argv[1])  # read-write: what the duckdb CLI, Python and DBeaver do by default
    con.execute("CREATE TABLE my_notes AS SELECT feedback_id FROM feedback LIMIT 10")
    con.execute("CREATE TEMP TABLE my_scratch AS SELECT 1 AS x")
    print(con.execute("SELECT count(*) FROM feedback").fetchone()[0], flush=True)
    sys.stdin.readline()
    print(con.execute("SELECT count(*) FROM my_notes").fetchone()[0], flush=True)
""")


@pytest.mark.parametrize("script", [READ_ONLY_ANALYST, WRITING_ANALYST], ids=["read-only-querying", "read-write-wrote"])
def test_an_analyst_session_neither_blocks_a_run_nor_breaks_the_next_open(ws, script):
    published = ws / "state/cx.duckdb"
    analyst = subprocess.Popen(
        [sys.executable, "-c", script, str(published)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        before, *scored_before = map(int, analyst.stdout.readline().split())
        add_landing_file(ws)
        summary = run_nightly(ws)  # the whole run, with the analyst's session open
        assert summary["rows_loaded"] == 5 and summary["enriched"] == 5
        with duckdb.connect(str(published)) as fresh:  # a new session, read-write as tools default to
            assert fresh.execute("SELECT count(*) FROM feedback").fetchone()[0] == before + 5
        out, _ = analyst.communicate("\n", timeout=60)
    finally:
        analyst.kill()
    assert analyst.returncode == 0
    if script is READ_ONLY_ANALYST:
        assert out.strip() == str(scored_before)  # every query saw one complete snapshot, the old one
    else:
        assert out.strip() == "10"  # the analyst's own session went on working
    with duckdb.connect(str(published)) as later:
        assert later.execute("SELECT count(*) FROM feedback").fetchone()[0] == before + 5


def test_two_writers_started_together_one_waits_or_fails_naming_the_holder(ws):
    def both(*args):
        procs = [
            subprocess.Popen(
                [*CXTEXT, *args, "--config", str(ws / "cxtext.toml")],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ws,
            )
            for _ in range(2)
        ]
        return [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]

    fail_fast = both("topics", "fit", "--n-topics", "5")
    codes = sorted(code for code, _, _ in fail_fast)
    assert codes == [0, 1], fail_fast
    message = next(err for code, _, err in fail_fast if code == 1)
    assert "another cxtext writer is running" in message and "cxtext topics fit" in message and "pid " in message

    write_config(ws, lock_wait_seconds=300)
    waited = both("topics", "fit", "--n-topics", "5")
    assert [code for code, _, _ in waited] == [0, 0], waited
    with work(ws) as con:
        assert con.execute("SELECT status, count(*) FROM runs WHERE flow = 'topics_fit' GROUP BY 1").fetchall() == [
            ("completed", 3)
        ]


def test_a_dead_writer_leaves_no_lock_and_its_run_is_marked_crashed(ws):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import time
        from cxtext.store.db import Store
        from cxtext.store.ledger import start_run
        from cxtext.store.lock import writer_lock
        with writer_lock({str(ws / "state/.writer.lock")!r}, purpose="doomed"), Store.open({str(ws / "state/pipeline.duckdb")!r}) as s:
            start_run(s, "backfill", {{}})
            print("holding", flush=True)
            time.sleep(600)
    """),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert holder.stdout.readline().strip() == "holding"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    started = time.monotonic()
    summary = run_nightly(ws)  # lock_wait_seconds = 0: the dead holder's lock is gone with it
    assert time.monotonic() - started < 120 and summary["rows_read"] == 0
    with work(ws) as con:
        assert con.execute("SELECT flow, status FROM runs ORDER BY run_id").fetchall()[-2:] == [
            ("backfill", "crashed"),
            ("nightly", "completed"),
        ]


def test_runs_lists_parameters_counts_versions_and_a_one_line_error(ws):
    broken = cli(ws, "backfill", "--start", "2026-13-01")
    assert broken.returncode == 1 and "start must be a date" in broken.stderr
    run_backfill(ws, start="2026-08-01", end="2026-08-31", sources=["surveys"], steps=["enrich", "aggregate"])
    shown = cli(ws, "runs")
    assert shown.returncode == 0, shown.stderr
    assert "backfill" in shown.stdout and "start=2026-08-01" in shown.stdout and "sources=surveys" in shown.stdout
    assert "rows_read=" in shown.stdout  # versions: `runs --run N` (the table fits 80 columns)
    whole = cli(ws, "runs", "--run", "2")
    assert json.loads(whole.stdout)["parameters"]["steps"] == ["enrich", "aggregate"]
    assert json.loads(whole.stdout)["versions"]["taxonomy"]


def test_a_reingest_reads_only_inside_the_archive(ws):
    outside = ws / "elsewhere.csv"
    outside.write_text(
        (ws / "sample_data").joinpath(sorted(p.name for p in (ws / "sample_data").glob("reviews*.csv"))[0]).read_text()
    )
    with duckdb.connect(str(ws / "state/pipeline.duckdb")) as con:
        con.execute("UPDATE archived_files SET archive_path = '../elsewhere.csv' WHERE source = 'shop_reviews'")
    with pytest.raises(Exception, match="outside the archive"):
        run_backfill(ws, steps=["reingest"])
    with work(ws) as con:
        assert con.execute("SELECT status FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()[0] == "failed"
