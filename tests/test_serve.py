"""`cxtext serve` against a real local Prefect server: the scheduler itself schedules the nightly
deployment, and a backfill started through the Prefect CLI with parameters lands in DuckDB."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(url: str, path: str, body: dict | None = None):
    request = urllib.request.Request(
        url + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def wait_for(what: str, check, timeout: float, proc_logs: list[Path]):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        time.sleep(1)
    logs = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in proc_logs if p.exists())
    pytest.fail(f"timed out waiting for {what}\n{logs}")


def stop(proc: subprocess.Popen) -> None:
    """Stop a process group: serve first (it pauses its schedules), then the server."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def workspace(tmp_path):
    from cxtext.devtools.sampledata import generate

    generate(tmp_path / "sample_data", seed=3, n_reviews=120, n_surveys=100, n_social=80)
    config = (ROOT / "cxtext.toml").read_text().replace('state_dir = "out"', 'state_dir = "state"')
    config = config.replace("settle_seconds = 2", "settle_seconds = 0")
    (tmp_path / "cxtext.toml").write_text(config)
    return tmp_path


def test_served_nightly_is_scheduled_and_a_backfill_runs_through_the_api(workspace):
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(workspace / "prefect"),
        "PREFECT_API_URL": url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    }
    logs = [workspace / "server.log", workspace / "serve.log"]
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=logs[0].open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    served = None
    try:
        wait_for("the Prefect server", lambda: api(url, "/health") is True, 120, logs)
        served = subprocess.Popen(
            [str(BIN / "cxtext"), "serve", "--config", str(workspace / "cxtext.toml")],
            env=env,
            cwd=workspace,
            stdout=logs[1].open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        # The server's scheduler, not us, creates the upcoming nightly runs from the cron schedule.
        scheduled = wait_for(
            "a scheduled nightly run",
            lambda: [
                r
                for r in api(url, "/flow_runs/filter", {"deployments": {"name": {"any_": ["nightly"]}}})
                if r["state_type"] == "SCHEDULED" and r["auto_scheduled"]
            ],
            120,
            logs,
        )
        deployment = api(url, f"/deployments/{scheduled[0]['deployment_id']}")
        assert (
            deployment["global_concurrency_limit"]["limit"] == 1 and deployment["schedules"][0]["schedule"]["cron"] == "0 2 * * *"
        )

        def trigger(name: str, *params: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                [str(BIN / "prefect"), "deployment", "run", name, *params, "--watch", "--watch-timeout", "300"],
                env=env,
                capture_output=True,
                text=True,
                timeout=360,
            )

        by_hand = trigger("nightly/nightly")
        assert by_hand.returncode == 0 and "Completed" in by_hand.stdout, by_hand.stdout + by_hand.stderr
        backfill = trigger(
            "backfill/backfill",
            "--param",
            "start=2026-08-01",
            "--param",
            "end=2026-08-31",
            "--param",
            "force=true",
            "--param",
            'sources=["surveys"]',
        )
        assert backfill.returncode == 0 and "Completed" in backfill.stdout, backfill.stdout + backfill.stderr
    finally:
        if served is not None:
            stop(served)
        stop(server)
    with duckdb.connect(str(workspace / "state/cx.duckdb"), read_only=True) as con:
        runs = con.execute(
            "SELECT flow, status, parameters->>'$.start', parameters->>'$.sources', "
            "(counts->>'$.enriched')::INT FROM runs ORDER BY run_id"
        ).fetchall()
        in_august = con.execute(
            "SELECT count(*) FROM feedback WHERE source = 'surveys' AND created_at >= '2026-07-31' "
            "AND CAST((created_at AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/London' AS DATE) "
            "BETWEEN '2026-08-01' AND '2026-08-31'"
        ).fetchone()[0]
    assert runs[0][:2] == ("nightly", "completed")
    assert runs[1] == ("backfill", "completed", "2026-08-01", '["surveys"]', in_august) and in_august > 0
    shown = subprocess.run(
        [str(BIN / "cxtext"), "runs", "--config", str(workspace / "cxtext.toml")],
        capture_output=True,
        text=True,
        cwd=workspace,
    )
    assert "backfill" in shown.stdout and "start=2026-08-01" in shown.stdout
    assert shutil.which("prefect", path=str(BIN))
