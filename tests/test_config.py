"""cxtext.toml and the environment: every mistake is one line naming the key and the file."""

from pathlib import Path

from cxtext.config import load_settings
from tests.conftest import ROOT


def test_the_library_knows_no_prefect_variable():
    """Prefect's environment is flows/environment.py's; only the CLI command that serves checks PREFECT_API_URL."""
    leaks = [str(p.relative_to(ROOT)) for p in (ROOT / "cxtext").rglob("*.py")
             if "PREFECT_" in p.read_text() and p.name != "cli.py"]
    assert not leaks
    from flows.environment import prefect_environment

    settings = load_settings(ROOT / "cxtext.toml", state_dir=Path("/tmp/cx-state"))
    assert prefect_environment(settings)["PREFECT_HOME"] == "/tmp/cx-state/prefect"
