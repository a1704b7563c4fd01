"""The state folder's single writer lock: one process writes at a time (DuckDB allows one
writing process per file); an OS file lock, freed when its process dies."""

from __future__ import annotations

import fcntl
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cxtext.errors import WriterLockHeld
from cxtext.store.db import utcnow

_held_locks: dict[Path, list] = {}  # path → [fd, depth, the holder's line]
_held_guard = threading.Lock()
#: How often a writer queued behind another says what it waits for.
QUEUE_NOTE_SECONDS = 30.0


def note_progress(path: Path, note: str) -> None:
    """Add where the holder stands (e.g. a backfill's chunks and estimate) to the lock's holder
    line, so that a writer queued behind it can say what it waits for and how long."""
    with _held_guard:
        held = _held_locks.get(Path(path))
        if held:
            line = f"{held[2]}; {note}".encode()
            os.pwrite(held[0], line, 0)  # then cut: a reader never sees the line empty
            os.ftruncate(held[0], len(line))


@contextmanager
def writer_lock(
    path: Path,
    *,
    purpose: str,
    wait_seconds: float = 0.0,
    queue_behind: tuple[str, ...] = (),
    queue_seconds: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the state folder's single writer lock (an OS file lock, freed if the process dies).

    Re-entrant within one process, so a flow can hold it while its tasks, which also write,
    take it again. Another process waits up to *wait_seconds*, then gets WriterLockHeld naming
    the holder; a holder whose purpose is one of *queue_behind* (the nightly queues behind a backfill)
    is waited for up to *queue_seconds*, with *on_wait* told the holder's line now and then.
    """
    path = Path(path)
    with _held_guard:
        held = _held_locks.get(path)
        if held:
            held[1] += 1
    if held:
        try:
            yield
        finally:
            with _held_guard:
                held[1] -= 1
        return

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    started = time.monotonic()
    told = -QUEUE_NOTE_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "unknown process"
            queued = any(f": {other}," in holder for other in queue_behind)
            waited = time.monotonic() - started
            if queued and on_wait and waited - told >= QUEUE_NOTE_SECONDS:
                on_wait(holder)
                told = waited
            if waited >= (max(wait_seconds, queue_seconds) if queued else wait_seconds):
                os.close(fd)
                raise WriterLockHeld(
                    f"another cxtext writer is running ({holder}); wait for it to finish or set lock_wait_seconds"
                ) from None
            time.sleep(0.2)
    line = f"pid {os.getpid()} on {socket.gethostname()}: {purpose}, since {utcnow():%Y-%m-%d %H:%M:%S} UTC"
    os.pwrite(fd, line.encode(), 0)
    os.ftruncate(fd, len(line.encode()))
    with _held_guard:
        _held_locks[path] = [fd, 1, line]
    try:
        yield
    finally:
        with _held_guard:
            _held_locks.pop(path, None)
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
