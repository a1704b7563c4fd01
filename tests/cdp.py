"""A small Chrome DevTools Protocol client for the report's browser tests: headless Debian chromium,
driven over its websocket (the `websockets` package Prefect installs), so tests can resize the
window, click and read the page without Playwright."""

from __future__ import annotations

import base64
import itertools
import json
import re
import subprocess
import time
import urllib.request
from pathlib import Path

from websockets.sync.client import connect


class Browser:
    """One headless chromium with one page; use as a context manager."""

    def __init__(self, chromium: str, flags: list[str], profile: Path):
        self.process = subprocess.Popen(
            [chromium, *flags, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline:  # chromium prints its endpoint on stderr
            line = self.process.stderr.readline()
            found = re.search(r"ws://127\.0\.0\.1:(\d+)/", line)
            port = found and found.group(1)
            if not line and self.process.poll() is not None:
                break
        if port is None:
            self.process.kill()
            raise RuntimeError("chromium did not open its DevTools endpoint")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            page = next(t for t in json.load(response) if t["type"] == "page")
        self.ws = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=30)
        self.ids = itertools.count(1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.ws.close()
        self.process.kill()
        self.process.wait(timeout=30)

    def send(self, method: str, **params):
        """One command; events that arrive before its answer are dropped."""
        message_id = next(self.ids)
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            answer = json.loads(self.ws.recv(timeout=60))
            if answer.get("id") == message_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def open(self, url: str, width: int, height: int = 900) -> None:
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=width < 600)
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + 30
        while self.js("document.readyState") != "complete" and time.monotonic() < deadline:
            time.sleep(0.1)

    def js(self, expression: str):
        """The value of a JavaScript expression (awaited when it is a promise), as JSON."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"].get("exception", {}).get("description", result))
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        """The whole page as PNG."""
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 16000), "scale": 1}
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path
