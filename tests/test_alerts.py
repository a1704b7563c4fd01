"""Alerts reach a local webhook (a tiny http.server standing in for Slack, Teams or e-mail): an
emerging issue of the sample exactly once over two runs, without quotes unless configured."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.test_operations import write_config

pytestmark = pytest.mark.slow


@pytest.fixture
def webhook():
    """A local receiver of apprise's json:// posts; yields (url, the messages received)."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


def test_an_emerging_issue_reaches_the_webhook_exactly_once_over_two_runs(tmp_path, webhook):
    from cxtext.devtools.sampledata import generate
    from cxtext_flows.nightly import nightly

    url, received = webhook
    generate(tmp_path / "sample_data", seed=7, n_reviews=300, n_surveys=250, n_social=200)
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("\nurls = []\n", f'\nurls = ["{url}"]\n', 1))  # the [alerts] table

    first = nightly(config=str(config))
    sent = json.loads((tmp_path / "state/alerts_sent.json").read_text())
    emerging = [key for key in sent if key.startswith("emerging:theme:")]
    assert emerging and first["alerts_sent"] >= len(emerging)
    second = nightly(config=str(config))
    assert second["files_new"] == 0

    bodies = [m["message"] for m in received]
    assert all(m["title"].startswith("cxtext: ") for m in received)
    for key in emerging:
        _, _, stage, theme, week = key.split(":")
        mentions = sum(body.count(f"in the week of {week}") and f" at {stage}: " in body for body in bodies)
        assert mentions == 1, (key, bodies)
    assert sum(body.count("in the week of") for body in bodies) == len([k for k in sent if k.startswith("emerging:")])
    assert not any("\n> " in body for body in bodies)  # no quotes unless [alerts] quotes = true
