"""Health checks, snapshot retention and rollback, the right to erasure: end to end on a small
state folder (its own copy per test)."""

import shutil
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import ROOT
from tests.test_operations import write_config

pytestmark = pytest.mark.slow
CXTEXT = [sys.executable, "-m", "cxtext.cli"]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A small sample after its first nightly run."""
    from cxtext.sampledata import generate
    from flows.nightly import nightly

    root = tmp_path_factory.mktemp("health")
    generate(root / "sample_data", seed=11, n_reviews=200, n_surveys=150, n_social=150)
    shutil.copy(ROOT / "models/taxonomy.toml", root / "taxonomy.toml")
    summary = nightly(config=str(write_config(root)))
    assert summary["checks"]["fail"] == 0
    return root


@pytest.fixture
def ws(base, tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(base, root)
    return root


def cli(root, *args):
    return subprocess.run([*CXTEXT, *args, "--config", str(root / "cxtext.toml")], capture_output=True, text=True,
                          cwd=root, timeout=300)


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


def test_the_nightly_run_fails_after_publishing_when_a_check_fails(ws):
    from flows.nightly import nightly
    from flows.tasks import ChecksFailed

    config = ws / "cxtext.toml"
    text = config.read_text().replace("no_theme_share_warn = 0.60", "no_theme_share_warn = 0")
    config.write_text(text.replace("no_theme_share_fail = 0.85", "no_theme_share_fail = 0"))
    published = ws / "state/cx.duckdb"
    before = published.stat().st_mtime_ns
    with pytest.raises(ChecksFailed, match="no_theme"):
        nightly(config=str(config))
    assert published.stat().st_mtime_ns > before  # published first
    with duckdb.connect(str(ws / "state/pipeline.duckdb"), read_only=True) as con:
        status, size = con.execute("SELECT status, counts->>'$.state_bytes' FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
    assert status == "completed" and int(size) > 0


def add_reviews(root, name, rows):
    """A new landing file of reviews: (review_id, customer_id, text) rows."""
    lines = ["review_id,submitted_at,product,stars,title,text,customer_id,country"]
    lines += [f"{rid},2026-09-30 10:00,Volta Aria Mini Earbuds,2,Meh,\"{text}\",{cid},GB" for rid, cid, text in rows]
    (root / "sample_data" / name).write_text("\n".join(lines) + "\n")


def published_count(root):
    with duckdb.connect(str(root / "state/cx.duckdb"), read_only=True) as con:
        return con.execute("SELECT count(*) FROM feedback").fetchone()[0]


def test_rollback_republishes_an_earlier_snapshot_until_the_next_run(ws):
    from cxtext.store import snapshot_files
    from flows.nightly import nightly

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
    from cxtext.store import snapshot_files

    config = ws / "cxtext.toml"
    config.write_text(config.read_text().replace("snapshots_kept = 7", "snapshots_kept = 2"))
    for _ in range(3):
        assert cli(ws, "publish").returncode == 0
    kept = snapshot_files(ws / "state/snapshots")
    assert len(kept) == 2 and all("-run" in p.name for p in kept)
    assert "2  " not in cli(ws, "publish", "--list").stdout
