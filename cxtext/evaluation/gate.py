"""The evaluation's quality gate: each headline figure of `cxtext eval` against the floor the
project commits to (models/eval/floors.toml), so that CI notices when a change makes the analysis
worse. `cxtext eval --data DIR --gate FILE` exits 1 when a figure is below its floor or missing.

Figures are named by dotted paths (``sentiment.vader_amazon.macro_f1``); in the floors file they
are nested TOML tables. Every figure is a fraction or a correlation where higher is better.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from cxtext.errors import ConfigError


def slug(name: str) -> str:
    """A figure-name part from a data set or category name ("Hu & Liu 2004" -> "hu_liu_2004")."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def load_floors(path: Path) -> dict[str, float]:
    """The floors of a TOML file, flattened to dotted names; a bad file is a one-line ConfigError."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"floors file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    floors: dict[str, float] = {}

    def walk(table: dict, prefix: str) -> None:
        for key, value in table.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(value, name + ".")
            elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                floors[name] = float(value)
            else:
                raise ConfigError(f"{path}: {name}: a floor must be a number, got {value!r}")

    walk(data, "")
    if not floors:
        raise ConfigError(f"{path}: no floors in it")
    return floors


def gate_failures(figures: Mapping[str, float | None], floors: Mapping[str, float]) -> list[str]:
    """One line per floor the figures do not meet: below it, missing, or not a number. A figure
    without a floor is not a failure (see :func:`unfloored`)."""
    failures = []
    for name, floor in sorted(floors.items()):
        value = figures.get(name)
        if value is None:
            failures.append(f"{name}: missing (floor {floor:.3f}): the evaluation did not produce it")
        elif not math.isfinite(value):
            failures.append(f"{name}: {value} is not a number (floor {floor:.3f})")
        elif value < floor:
            failures.append(f"{name}: {value:.4f} is below its floor {floor:.3f}")
    return failures


def unfloored(figures: Mapping[str, float | None], floors: Mapping[str, float]) -> list[str]:
    """Figures the floors file does not name (a new figure, or a data set it did not expect)."""
    return sorted(set(figures) - set(floors))
