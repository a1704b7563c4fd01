"""The workspace every writer opens: the store's (writer lock, working database), with an erasure
that a kill interrupted finished first, so nothing publishes or re-reads what it was removing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from cxtext.config import Settings
from cxtext.ops.erasure import finish_interrupted
from cxtext.store.workspace import Workspace
from cxtext.store.workspace import open_workspace as open_store_workspace


@contextmanager
def open_workspace(settings: Settings, *, purpose: str, **options) -> Iterator[Workspace]:
    """Take the writer lock, open the working database (cxtext.store.workspace.open_workspace, same
    *options*), finish an interrupted erasure."""
    with open_store_workspace(settings, purpose=purpose, **options) as workspace:
        finish_interrupted(workspace)
        yield workspace
