"""A nightly run as its user sees it (`cxtext run`'s own output): every step that can take
seconds says so when it starts, not only when it ends, and a second run with nothing new neither
republishes nor warns that the state folder grew."""

import random
import subprocess
import sys

import pytest

from tests.conftest import REVIEW_HEADER, REVIEWS_SOURCE, write_config

pytestmark = pytest.mark.slow

# (a step's first line, a line it writes when done): the first must come before the second
STEPS = [
    ("landing: ", "ingesting reviews_1.csv ("),
    ("ingesting reviews_1.csv (", "reviews_1.csv: read 260"),
    ("enrich: looking for new, edited and stale feedback (no topic model yet", "enrich: chunk 0/"),
    ("enrich: chunk 0/", "enrichment: 260 stale"),
    ("aggregate: refreshing", "topics table and views refreshed"),
    ("report: writing", "report written to"),
    ("publish: a copy of the working database", "published "),
    ("health checks...", "check ok"),
]


def cxtext_run(cwd) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cxtext.cli", "run"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 3), done.stdout
    return done.stdout


def test_every_step_of_a_run_says_what_it_does_before_it_is_done(tmp_path):
    write_config(tmp_path, REVIEWS_SOURCE)
    (tmp_path / "landing").mkdir()
    rng = random.Random(3)
    subjects = ["delivery", "refund", "checkout", "battery", "screen", "support", "app", "invoice"]
    verbs = ["was late", "never came", "crashed twice", "is great", "broke in a week", "was rude", "helped"]
    rows = [
        f"r{i},2026-08-{1 + i % 28:02d} 10:00,{1 + i % 5},,The {rng.choice(subjects)} {rng.choice(verbs)},c{i}"
        for i in range(260)
    ]
    (tmp_path / "landing/reviews_1.csv").write_text(REVIEW_HEADER + "\n".join(rows) + "\n")
    first = cxtext_run(tmp_path)
    for start, done in STEPS:
        assert start in first, f"no line {start!r} in:\n{first}"
        assert done in first, f"no line {done!r} in:\n{first}"
        assert first.index(start) < first.index(done), f"{start!r} only after {done!r}"
    assert "analysts' database:" in first
    again = cxtext_run(tmp_path)
    assert "nothing new since the last publish" in again and "report: writing" not in again
    assert "publish: a copy" not in again and "check ok    state_growth" in again, again
