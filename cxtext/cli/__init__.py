"""The `cxtext` command: a thin face over the library and the flows (docs/CLI.md).

Commands turn the library's named errors into one-line messages; only `run`, `backfill` and
`serve` reach into the flows (and Prefect), lazily, so that the other commands start fast.
"""
# ruff: noqa: I001  (the order of the imports below is the order --help lists the commands in)

from cxtext.cli.app import app, main
from cxtext.cli import starter, pipeline, themes, operate, share, develop  # noqa: F401  (each registers its commands)

__all__ = ["app", "main"]
