"""One chunk-map for the CPU-bound stages (text pipeline, sentiment, theme tagging, topic
assignment): worker processes on this machine, a Dask cluster when one is configured, or the
caller's own process for small jobs. Results come back to the caller, DuckDB's one writer.

Work that needs the same large read-only objects for every chunk (the taxonomy, the topic model)
gets them once per worker as a *context*: through the pool's initializer for processes, scattered
to every worker for Dask, so a chunk carries only its rows.

Every executor hands results back in the order of its tasks: enrichment writes its chunks in
order, and a chunk may copy the results an earlier one wrote (cxtext.enrich.repeats). A chunk
slower than the next ones holds their results back while the workers go on with the tasks
submitted ahead (CHUNKS_AHEAD per worker).
"""

from __future__ import annotations

import atexit
import gc
import itertools
import logging
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Any

log = logging.getLogger(__name__)

_context: Any = None  # a worker process's context, set once by the pool's initializer

#: Chunks submitted ahead per worker process. The caller submits the next chunk only between its
#: writes, and a commit that checkpoints DuckDB's log holds it for seconds (1M records, 2 workers:
#: three of 71 commits took 2.2-3.4 s, the others at most 0.4 s). With two a worker the workers ran
#: dry there: 5.9-6.0 core-seconds idle in enrichment, against 3.2-3.6 with four (each chunk in
#: flight holds its texts and results, a few MB).
CHUNKS_AHEAD = 4

#: Python's collector runs a young collection after this many new containers (its default: 700)
#: while chunks are analysed.
ANALYSIS_COLLECT_AFTER = 10_000


def collector_for_analysis() -> tuple[int, ...]:
    """Set Python's cyclic garbage collector for the analysis; returns its thresholds before.

    The analysis keeps tens of thousands of small containers per chunk (its rows) and frees them
    by reference counting (it makes no cycles to speak of); at the default threshold the collector
    walked them some 800 times per 20,000 texts, and walked every object of the loaded models
    (spaCy, VADER, the tagger, the topic model) at each full collection: 15% of the analysis' CPU.
    What is loaded now is frozen (full collections skip it) and young collections come less often."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(ANALYSIS_COLLECT_AFTER, *before[1:])
    return before


def collector_back(before: tuple[int, ...]) -> None:
    gc.set_threshold(*before)
    gc.unfreeze()


class Inline:
    """The caller's own process: no start-up cost, for small jobs and one worker."""

    description = "1 worker (in-process)"

    def __init__(self, context):
        self.context = context

    def imap(self, fn: Callable, tasks: Iterable[tuple]) -> Iterator:
        before = None
        try:
            for task in tasks:
                result = fn(self.context, *task)
                if before is None:  # the first chunk loaded the models: they are frozen with the rest
                    before = collector_for_analysis()
                yield result
        finally:
            if before is not None:
                collector_back(before)

    def close(self) -> None:
        pass


def _install(context, warm_up: Callable | None = None) -> None:
    global _context
    _context = context
    if warm_up is not None:
        try:
            warm_up(context)
        except Exception:  # noqa: BLE001 - a failing initializer breaks the pool without a word; the
            log.debug("warm-up failed", exc_info=True)  # first chunk meets the error, with its message
    collector_for_analysis()  # for the worker's life
    atexit.register(_exit_at_once)


def _exit_at_once() -> None:
    """A worker process's exit without Python's teardown, which freed its models and caches object
    by object: about 1.2 s of CPU per worker after a 100,000-record run (2 workers), taken from
    the caller's next stage, which runs while the workers exit; the system frees their memory at
    once. Registered last, so it runs first of the exit handlers, after the pool's worker loop has
    returned (its results are sent): only logging and the standard streams are left to flush."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0)


def _with_context(fn: Callable, *args):
    return fn(_context, *args)


class Processes:
    """Worker processes on this machine, started with 'spawn': the parent runs DuckDB's and
    Prefect's threads, which a fork would copy in an undefined state. Each worker loads spaCy and
    VADER once."""

    def __init__(self, context, workers: int, warm_up: Callable | None = None):
        """*warm_up(context)* runs in each worker as it starts: the workers are started here, so
        they load their models while the caller prepares the first tasks (about 2 s each)."""
        self.description = f"{workers} worker processes"
        self.in_flight = CHUNKS_AHEAD * workers  # bounded, so memory is too
        self.pool = ProcessPoolExecutor(
            workers, mp_context=get_context("spawn"), initializer=_install, initargs=(context, warm_up)
        )
        for _ in range(workers):  # a submit starts a process while none is idle
            self.pool.submit(int)

    def imap(self, fn: Callable, tasks: Iterable[tuple]) -> Iterator:
        """Results in the order of *tasks* (see the module docstring); the next task is submitted before a
        result is handed back, so the workers stay busy while the caller writes it."""
        tasks = iter(tasks)
        running = deque(self.pool.submit(_with_context, fn, *task) for task in itertools.islice(tasks, self.in_flight))
        while running:
            result = running.popleft().result()
            task = next(tasks, None)
            if task is not None:
                running.append(self.pool.submit(_with_context, fn, *task))
            yield result

    def close(self) -> None:
        # Not waiting: a worker's exit (freeing its models) took a second the caller need not spend.
        self.pool.shutdown(wait=False, cancel_futures=True)


class Dask:
    """The workers of an existing Dask cluster (``distributed``). They need the same cxtext
    installed; the context is scattered to each of them once."""

    def __init__(self, context, address: str):
        try:
            from distributed import Client
        except ImportError:
            from cxtext.errors import ConfigError

            raise ConfigError(
                "dask_address is set but the 'distributed' package is not installed (pip install 'cxtext[dask]')"
            ) from None
        self.client = Client(address, set_as_default=False)
        workers = len(self.client.scheduler_info().get("workers", {}))
        self.description = f"Dask cluster {address} ({workers} workers)"
        self.in_flight = 2 * max(workers, 1)
        self.context = self.client.scatter(context, broadcast=True)

    def imap(self, fn: Callable, tasks: Iterable[tuple]) -> Iterator:
        """Results in the order of *tasks* (see the module docstring)."""
        tasks = iter(tasks)
        running = deque(
            self.client.submit(fn, self.context, *task, pure=False) for task in itertools.islice(tasks, self.in_flight)
        )
        while running:
            future = running.popleft()
            result = future.result()
            future.release()
            task = next(tasks, None)
            if task is not None:
                running.append(self.client.submit(fn, self.context, *task, pure=False))
            yield result

    def close(self) -> None:
        self.client.close()


@contextmanager
def executor(
    context,
    *,
    workers: int,
    dask_address: str | None = None,
    chunks: int = 0,
    rows: int = 0,
    min_rows: int = 0,
    warm_up: Callable | None = None,
) -> Iterator[Inline | Processes | Dask]:
    """The executor for a job of *chunks* chunks and *rows* rows: Dask when an address is
    given; processes when more than one worker is allowed and the job is big enough to repay
    their start-up (a couple of seconds each; *warm_up* runs in each as it starts); otherwise inline."""
    if dask_address:
        chosen = Dask(context, dask_address)
    elif workers > 1 and chunks > 1 and rows >= min_rows:
        chosen = Processes(context, min(workers, chunks), warm_up)
    else:
        chosen = Inline(context)
    try:
        yield chosen
    finally:
        chosen.close()
