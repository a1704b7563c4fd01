"""Where the curated artefacts (taxonomy packs, lexicon) are: package data in an installed wheel, the
repository's ``models/`` folder in a checkout. The one place that knows either layout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def models_dir() -> Path:
    """The folder of curated models: ``cxtext/models`` when installed from a wheel (pyproject maps
    the repository's ``models/`` there), else the checkout's ``models/`` (editable install)."""
    installed = _PACKAGE / "models"
    return installed if installed.is_dir() else _PACKAGE.parent / "models"


DEFAULT_LEXICON = models_dir() / "cx_lexicon.toml"
