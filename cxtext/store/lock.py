"""The state folder's single writer lock: one process writes at a time (DuckDB allows one
writing process per file); an OS file lock, freed when its process dies."""

from __future__ import annotations

import fcntl
import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from cxtext.errors import WriterLockHeld
from cxtext.store.db import utcnow


_held_locks: dict[Path, list] = {}



_held_guard = threading.Lock()



@contextmanager
def writer_lock(path: Path, *, purpose: str, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the state folder's single writer lock (an OS file lock, freed if the process dies).

    Re-entrant within one process, so a flow can hold it while its tasks, which also write,
    take it again. Another process waits up to *wait_seconds*, then gets WriterLockHeld naming
    the holder.
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
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "unknown process"
                os.close(fd)
                raise WriterLockHeld(
                    f"another cxtext writer is running ({holder}); wait for it to finish "
                    f"or set lock_wait_seconds"
                ) from None
            time.sleep(0.2)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}: {purpose}, since {utcnow():%Y-%m-%d %H:%M:%S} UTC".encode(), 0)
    with _held_guard:
        _held_locks[path] = [fd, 1]
    try:
        yield
    finally:
        with _held_guard:
            _held_locks.pop(path, None)
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
