"""The generated documents are current, and every command is documented where people look for it."""

from typer.testing import CliRunner

from cxtext.cli import app
from tests.conftest import ROOT


def test_schema_md_is_the_generated_one():
    result = CliRunner().invoke(app, ["schema", "--fresh"])
    assert result.exit_code == 0, result.output
    assert "### `feedback` (table)" in result.output and "### `pain_points` (view)" in result.output
    assert (ROOT / "docs/SCHEMA.md").read_text() == result.output, (
        "docs/SCHEMA.md is out of date: regenerate it with `cxtext schema --fresh > docs/SCHEMA.md`")
