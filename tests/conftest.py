"""Shared fixtures. Prefect's environment is set here, before any test imports Prefect."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# One temporary Prefect home per test session: its temporary server starts once (~16 s cold).
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="cxtext-prefect-"))
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.pop("PREFECT_API_URL", None)
for name in ("CXTEXT_CONFIG", "CXTEXT_STATE_DIR", "CXTEXT_PII_SALT"):
    os.environ.pop(name, None)

REVIEW_COLUMNS = {
    "source_record_id": "review_id",
    "created_at": "submitted_at",
    "text": "text",
    "title": "title",
    "rating": "stars",
    "customer_key": "customer_id",
}
REVIEW_HEADER = "review_id,submitted_at,stars,title,text,customer_id\n"


def write_config(tmp_path: Path, sources: str = "", **settings) -> Path:
    """A config file in tmp_path whose state folder is tmp_path/state."""
    lines = ['state_dir = "state"', "settle_seconds = 0", 'reporting_timezone = "Europe/London"']
    lines += [f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}" for k, v in settings.items()]
    lines += ["[pii]", 'salt = "test-salt"', sources]
    path = tmp_path / "cxtext.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


REVIEWS_SOURCE = """
[sources.reviews]
kind = "review"
landing = "landing"
pattern = "reviews*.csv"
created_at_format = "%Y-%m-%d %H:%M"
timezone = "Europe/London"
[sources.reviews.columns]
source_record_id = "review_id"
created_at = "submitted_at"
text = "text"
title = "title"
rating = "stars"
customer_key = "customer_id"
"""


@pytest.fixture
def review_settings(tmp_path):
    """Settings with one CSV review source landing in tmp_path/landing."""
    from cxtext.config import load_settings

    (tmp_path / "landing").mkdir()
    return load_settings(write_config(tmp_path, REVIEWS_SOURCE))


@pytest.fixture
def store(review_settings):
    from cxtext.store.db import Store

    with Store.open(review_settings.work_db) as opened:
        yield opened


@pytest.fixture(scope="session", autouse=True)
def _stop_prefect_temporary_server():
    """Stop Prefect's temporary server while pytest's output is still open (its own atexit hook
    logs to a closed stream otherwise)."""
    yield
    import sys

    server_module = sys.modules.get("prefect.server.api.server")
    if server_module is not None:
        # Send the logs and events still queued first: once the server is gone, Prefect's exit
        # hook retries them against it for about a minute ("Error logging to API").
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=5)
        EventsWorker.drain_all(timeout=5)
        for server in list(server_module.SubprocessASGIServer._instances.values()):
            server.stop()
