"""The generated documents are current, and every command is documented where people look for it."""

import re

from typer.testing import CliRunner

from cxtext.cli import app
from cxtext.cli.reference import command_paths, reference
from tests.conftest import ROOT

COMMANDS = [" ".join(path) for path in command_paths() if path]


def section(text: str, heading: str) -> str:
    """The body of one `## heading` section of a Markdown text."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"no '## {heading}' section"
    return match.group(1)


def test_schema_md_is_the_generated_one():
    result = CliRunner().invoke(app, ["schema", "--fresh"])
    assert result.exit_code == 0, result.output
    assert "### `feedback` (table)" in result.output and "### `pain_points` (view)" in result.output
    assert (ROOT / "docs/SCHEMA.md").read_text() == result.output, (
        "docs/SCHEMA.md is out of date: regenerate it with `cxtext schema --fresh > docs/SCHEMA.md`"
    )


def test_cli_md_is_the_generated_one():
    assert (ROOT / "docs/CLI.md").read_text() == reference(), (
        "docs/CLI.md is out of date: regenerate it with `python -m cxtext.cli.reference > docs/CLI.md`"
    )


def test_every_command_is_in_the_readme_list_and_the_cli_reference():
    assert "topics fit" in COMMANDS and "run" in COMMANDS
    listed = section((ROOT / "README.md").read_text(), "Commands")
    missing = [name for name in COMMANDS if not re.search(rf"`cxtext {re.escape(name)}[ `\[]", listed)]
    assert not missing, f"README.md's command list does not show: {missing}"
    cli_md = (ROOT / "docs/CLI.md").read_text()
    missing = [name for name in COMMANDS if f"\n## cxtext {name}\n" not in cli_md]
    assert not missing, f"docs/CLI.md does not show: {missing}"


def test_readme_stays_short_and_keeps_the_setup_commands():
    """CI runs the test command README gives; the quick start's two commands are the whole setup."""
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    quick_start = section(readme, "Quick start")
    assert "make run" in quick_start and "make test" in quick_start
