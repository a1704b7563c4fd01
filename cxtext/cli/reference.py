"""docs/CLI.md: the `--help` of every cxtext command, so the reference cannot drift from the code.

    python -m cxtext.cli.reference > docs/CLI.md

Help is rendered at a fixed width without colour, so the file is the same on every machine;
tests/test_docs.py checks that docs/CLI.md equals what this writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
import typer.rich_utils
from typer.testing import CliRunner

from cxtext.cli import app

#: Columns the help is wrapped at in docs/CLI.md.
WIDTH = 100


def command_paths() -> list[tuple[str, ...]]:
    """Every command and subcommand, as the words that follow `cxtext` ((), ("run",), ("topics", "fit"), ...)."""
    paths: list[tuple[str, ...]] = []

    def walk(command, path: tuple[str, ...]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():  # a group's, in the order of its help
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return paths


@contextmanager
def _plain_help() -> Iterator[None]:
    """Typer's rich help at WIDTH columns and without colour (it reads these when it prints)."""
    names = ("MAX_WIDTH", "COLOR_SYSTEM", "FORCE_TERMINAL")
    saved = {name: getattr(typer.rich_utils, name) for name in names}
    for name, value in zip(names, (WIDTH, None, False)):
        setattr(typer.rich_utils, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(typer.rich_utils, name, value)


def help_text(path: tuple[str, ...]) -> str:
    """What `cxtext <path> --help` prints, lines stripped of trailing spaces."""
    with _plain_help():
        result = CliRunner().invoke(app, [*path, "--help"], prog_name="cxtext", env={"NO_COLOR": "1"})
    if result.exit_code != 0:
        raise RuntimeError(f"cxtext {' '.join(path)} --help failed: {result.output}")
    return "\n".join(line.rstrip() for line in result.output.splitlines()).strip("\n")


def reference() -> str:
    """The whole of docs/CLI.md."""
    paths = command_paths()
    lines = [
        "# Command-line reference",
        "",
        "Generated from the commands' own `--help` by `python -m cxtext.cli.reference > docs/CLI.md`;",
        "a test fails when it is out of date. Every command also answers `--help` itself.",
        "",
    ]
    lines += [f"- [`{' '.join(('cxtext', *p))}`](#{'-'.join(('cxtext', *p))})" for p in paths[1:]]
    for path in paths:
        lines += ["", f"## {' '.join(('cxtext', *path))}", "", "```text", help_text(path), "```"]
    return "\n".join(lines) + "\n"


def main() -> None:
    print(reference(), end="")


if __name__ == "__main__":
    main()
