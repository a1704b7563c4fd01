"""Prefect's environment for a cxtext run: set before Prefect is imported, so this module imports no Prefect.

Without PREFECT_API_URL Prefect starts a temporary local server; its state goes in the state
folder (`prefect/`), it gets time for its cold start (16-22 s measured here against a 20 s
default) and it stays quiet offline. The library knows none of these variables.
"""

from __future__ import annotations

import os
from pathlib import Path

from cxtext.config import Settings


def prefect_home(settings: Settings) -> Path:
    """Prefect's local state when no server is configured: inside the state folder."""
    return settings.state_dir / "prefect"


def prefect_environment(settings: Settings) -> dict[str, str]:
    """Defaults for Prefect's environment, applied (never overriding) before Prefect is imported."""
    return {
        "PREFECT_HOME": str(prefect_home(settings)),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def apply_prefect_environment(settings: Settings) -> None:
    prefect_home(settings).mkdir(parents=True, exist_ok=True)  # Prefect creates only the last level
    for key, value in prefect_environment(settings).items():
        os.environ.setdefault(key, value)
