"""The Typer app, the options the commands share, and the entry point that turns the library's
named errors into one-line messages."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Optional

import duckdb
import typer
import typer.core
from rich.console import Console

from cxtext import __version__
from cxtext.config import (
    Settings,
    load_settings,
)
from cxtext.errors import CxtextError
from cxtext.store.db import Store

app = typer.Typer(
    help="cxtext: customer feedback (reviews, surveys, social) into a DuckDB file analysts can use.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _flag_without_type(display_type_rich):
    """Typer shows a flag as `--dry-run <bool>`, as if it took a value; a flag shows no type."""

    def shown(self, ctx):
        return None if self.is_flag else display_type_rich(self, ctx)

    return shown


typer.core.TyperOption.display_type_rich = _flag_without_type(typer.core.TyperOption.display_type_rich)


def _version(value: bool) -> None:
    if value:
        print(f"cxtext {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print cxtext's version and exit."),
) -> None:
    """cxtext: customer feedback (reviews, surveys, social) into a DuckDB file analysts can use."""


# Piped output is not cut to 80 columns: tables stay whole in files and logs.
console = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True)

ConfigOption = typer.Option(None, "--config", "-c", help="Config file (default: $CXTEXT_CONFIG or ./cxtext.toml).")
StateOption = typer.Option(None, "--state-dir", help="State folder (default: from the config, 'out').")


@contextmanager
def working(what: str) -> Iterator[None]:
    """Say what a step that can take seconds is doing, as soon as it starts: a spinner on a
    terminal, one line on stderr otherwise (a piped or scheduled command is never silent)."""
    if err.is_terminal:
        with err.status(what):
            yield
    else:
        err.print(f"{what}...", highlight=False)
        yield


def _settings(config: Optional[Path], state_dir: Optional[Path]) -> Settings:
    return load_settings(config, state_dir=state_dir)


@contextmanager
def _reader(settings: Settings) -> Iterator[Store]:
    """The working database read-only; the published file when a run holds the working one."""
    for path in (settings.work_db, settings.published_db):
        if not path.exists():
            continue
        with ExitStack() as stack:
            try:
                store = stack.enter_context(Store.open(path, read_only=True))
            except duckdb.IOException as exc:  # a lock held by a run (a damaged file raises DatabaseDamaged)
                err.print(
                    f"{path.name} is busy (a run is writing it: {str(exc).splitlines()[0][:120]}); "
                    f"trying {settings.published_db.name}",
                    highlight=False,
                )
                continue
            yield store
            return
    raise CxtextError(f"no readable database in {settings.state_dir}: run `cxtext run` first")


def _optional_rollback(argv: list[str]) -> list[str]:
    """`--rollback` with no number means one publish back (Typer options always take a value)."""
    out = list(argv)
    for i, arg in enumerate(out):
        if arg == "--rollback" and (i + 1 == len(out) or not out[i + 1].lstrip("-").isdigit()):
            out.insert(i + 1, "1")
            break
    return out


def main() -> None:
    try:
        app(args=_optional_rollback(sys.argv[1:]))
    except CxtextError as exc:
        err.print(f"[red]error:[/] {exc}", soft_wrap=True, highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
