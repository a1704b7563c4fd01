"""The README's own-data path, as a new user follows it from the checkout (where the sample's
cxtext.toml is): `cxtext init`, uncomment the source template, drop a file, `cxtext run`. The
result holds the user's records and no sample record; the sample's config cannot add its
sources to that state folder; a run with no config found is an error."""

import re
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow
CXTEXT = [sys.executable, "-m", "cxtext.cli"]


def cxtext(*args, cwd):
    return subprocess.run([*CXTEXT, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def uncomment_template(text: str) -> str:
    """What the README asks: uncomment the source template (its lines after the Sources banner)."""
    head, banner, tail = text.partition("# [sources.my_reviews]")
    return head + re.sub(r"(?m)^# ?", "", banner + tail)


def test_the_readme_own_data_path_holds_no_sample_record(tmp_path):
    readme = (ROOT / "README.md").read_text()
    assert "cxtext init mydata" in readme and "cxtext run --config mydata/cxtext.toml" in readme
    mydata = tmp_path / "mydata"
    made = cxtext("init", str(mydata), "--timezone", "Europe/London", cwd=ROOT)
    assert made.returncode == 0, made.stderr
    config = mydata / "cxtext.toml"
    assert "[sources." not in re.sub(r"(?m)^#.*$", "", config.read_text())  # no source until the user adds one
    config.write_text(uncomment_template(config.read_text()))
    rows = [
        f'r{i},2026-09-{1 + i % 28:02d}T10:00:00,{1 + i % 5},"Order {i}: the delivery was late and the box was damaged"'
        for i in range(40)
    ]
    (mydata / "landing" / "export.csv").write_text("id,date,stars,review\n" + "\n".join(rows) + "\n")

    run = cxtext("run", "--config", str(config), cwd=ROOT)
    assert run.returncode in (0, 3), run.stdout + run.stderr  # 3: a health check failed, the run published
    with duckdb.connect(str(mydata / "state/cx.duckdb"), read_only=True) as con:
        assert con.execute("SELECT DISTINCT source FROM feedback").fetchall() == [("my_reviews",)]
        assert con.execute("SELECT count(*) FROM feedback").fetchone()[0] == 40
    report = (mydata / "state/report.html").read_text()
    for sample_source in ("shop_reviews", "surveys", "social_listening"):
        assert sample_source not in report

    # The sample's config (./cxtext.toml of the checkout) may not add its sources to this folder.
    mixed = cxtext("run", "--state-dir", str(mydata / "state"), cwd=ROOT)
    assert mixed.returncode == 1 and "would add source(s) shop_reviews" in mixed.stderr, mixed.stderr
    assert len(mixed.stderr.strip().splitlines()) == 1 and "Traceback" not in mixed.stderr

    # No config found: an error, not a silent empty run.
    empty = cxtext("run", cwd=tmp_path)
    assert empty.returncode == 1 and "no config file found" in empty.stderr and "cxtext init" in empty.stderr
