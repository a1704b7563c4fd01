"""The chunk-map: worker processes and a Dask cluster give the database an in-process run gives."""

import gc
import re
import shutil
import time
from dataclasses import replace

import pytest

from cxtext.enrich.parallel import ANALYSIS_COLLECT_AFTER, Inline, Processes, executor

pytestmark = pytest.mark.slow


def _square(context, x, seconds=0.0):
    time.sleep(seconds)
    return context * x * x


def test_executor_chooses_inline_for_small_jobs_and_processes_for_big_ones():
    with executor(3, workers=2, chunks=1, rows=10_000, min_rows=100) as one_chunk:
        assert isinstance(one_chunk, Inline)
    with executor(3, workers=2, chunks=5, rows=50, min_rows=100) as small:
        assert isinstance(small, Inline)
    with executor(3, workers=2, chunks=5, rows=500, min_rows=100) as big:
        assert isinstance(big, Processes)
        # In the tasks' order though the later ones finish first: enrichment's chunks may copy earlier ones' results.
        assert list(big.imap(_square, [(i, 0.3 - 0.04 * i) for i in range(7)])) == [3 * i * i for i in range(7)]


_warmed: list = []


def _warm(context):
    _warmed.append(context)
    if context == 0:
        raise RuntimeError("the models could not load")


def _warmed_times(context, x):
    return len(_warmed), context + x


def _failing(context, x):
    raise ValueError(f"chunk {x} met the error itself")


def test_each_worker_warms_up_as_it_starts_and_a_failed_warm_up_leaves_the_error_to_the_chunks():
    with executor(5, workers=2, chunks=4, rows=10, warm_up=_warm) as pool:
        assert list(pool.imap(_warmed_times, [(i,) for i in range(4)])) == [(1, 5 + i) for i in range(4)]
    with executor(0, workers=2, chunks=4, rows=10, warm_up=_warm) as pool:
        with pytest.raises(ValueError, match="chunk 0 met the error itself"):  # its own error, not a broken pool
            list(pool.imap(_failing, [(i,) for i in range(4)]))


def _collector(context, x):
    return gc.get_threshold()[0], gc.get_freeze_count() > 0


def test_chunks_run_with_what_was_loaded_frozen_and_fewer_collections_and_the_collector_is_given_back():
    before = gc.get_threshold()
    with executor(0, workers=2, chunks=4, rows=10, warm_up=_warm) as pool:  # workers: once warmed up
        assert set(pool.imap(_collector, [(i,) for i in range(4)])) == {(ANALYSIS_COLLECT_AFTER, True)}
    with executor(0, workers=1, chunks=3, rows=10) as pool:  # in-process: once the first chunk loaded the models
        assert (
            list(pool.imap(_collector, [(i,) for i in range(3)])) == [(before[0], False)] + [(ANALYSIS_COLLECT_AFTER, True)] * 2
        )
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def _note_exit_handlers_run(folder):
    """A warm-up that registers an exit handler: Python's teardown, which a worker's exit skips."""
    import atexit
    import os

    atexit.register(lambda: open(os.path.join(folder, f"teardown-{os.getpid()}"), "w").close())


def test_workers_exit_at_once_without_pythons_teardown(tmp_path):
    import multiprocessing

    with executor(str(tmp_path), workers=2, chunks=4, rows=10, warm_up=_note_exit_handlers_run) as pool:
        assert list(pool.imap(_square, [(i,) for i in range(1, 5)])) == [str(tmp_path) * i * i for i in range(1, 5)]
        processes = list(pool.pool._processes.values())
    deadline = time.monotonic() + 30
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p.exitcode for p in processes] == [0, 0]
    # Freeing a worker's models object by object took a second of the next stage's CPU: skipped.
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A state folder with 756 ingested feedback (750 English, 6 non-English), none enriched yet."""
    from cxtext.config import load_settings
    from cxtext.devtools.sampledata import generate
    from cxtext.ingest.load import ingest_file
    from cxtext.store.db import Store
    from tests.test_operations import write_config

    root = tmp_path_factory.mktemp("parallel")
    generate(root / "sample_data", seed=11, n_reviews=300, n_surveys=250, n_social=200)
    settings = replace(load_settings(write_config(root)), enrich_chunk_rows=60, parallel_min_rows=0)
    with Store.open(settings.work_db) as store:
        for spec in settings.sources.values():
            for path in sorted(spec.landing.glob(spec.pattern)):
                ingest_file(store, settings, path, spec)
    return root, settings


def enrich_copy(loaded, tmp_path, **overrides):
    from cxtext.enrich.run import enrich
    from cxtext.store.db import Store
    from cxtext.store.introspection import content_fingerprint

    root, settings = loaded
    state = tmp_path / "state"
    shutil.copytree(settings.state_dir, state)
    settings = replace(settings, state_dir=state, **overrides)
    with Store.open(settings.work_db) as store:
        result = enrich(store, settings)
        return result, content_fingerprint(store)


def test_worker_processes_and_a_dask_cluster_write_what_one_process_writes(loaded, tmp_path):
    from distributed import LocalCluster

    inline, expected = enrich_copy(loaded, tmp_path / "inline", workers=1)
    assert inline.executor.startswith("1 worker") and inline.enriched == 756 and inline.chunks > 2
    processes, got = enrich_copy(loaded, tmp_path / "processes", workers=2)
    assert processes.executor == "2 worker processes" and processes.enriched == 756
    assert got == expected
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask, got = enrich_copy(loaded, tmp_path / "dask", dask_address=cluster.scheduler_address)
    assert dask.executor.startswith("Dask cluster") and dask.enriched == 756
    assert got == expected


def test_bench_measures_every_stage_and_appends_its_section(tmp_path):
    """`cxtext bench` at its smallest size: every stage timed, each pipeline in its own process
    (so its memory is its own), the nightly +1% run, a smaller run beside it for the memory's
    growth, the profile's shares, the issue's goals, and a section appended to the file."""
    from cxtext.devtools.bench import run_bench
    from cxtext.devtools.bench_markdown import HEADER

    out = tmp_path / "BENCHMARKS.md"
    section = run_bench(400, workers=2, out=out, echo=lambda line: None, beside=300, profile=200)
    text = out.read_text()
    assert text.startswith(HEADER.splitlines()[0]) and section in text
    for stage in ("ingest", "topic fit", "enrich", "aggregate", "report", "publish"):
        assert f"| {stage} |" in section
    assert "Distinct texts:" in section and "nightly +1%" in section and "Per stage, 2 workers" in section
    per_stage = section.split("Per stage, 2 workers, main process: ")[1].split("\n")[0]
    peaks = [float(mb.replace(",", "")) for mb in re.findall(r"([\d,]+) MB", per_stage)]
    assert len(peaks) == 6
    assert all(100 < peak < 4000 for peak in peaks)  # a real process's resident memory was sampled
    assert "Beside it, the same pipelines on 300 generated records" in section and "Against the goals" in section
    # the VADER loop before, between and after the pipelines; each ratio against the loops around it
    loops = re.findall(r"[\d.]+ s (?:before the pipelines|between them|after them) \(([\d,]+) docs/s\)", section)
    assert len(loops) == 3 and all(int(rate.replace(",", "")) > 0 for rate in loops)
    assert "the faster of the loops around it: one worker " in section
    assert "on a host of steady speed: " in section
    shares = [int(share) for share in re.findall(r"^\| [^|]+ \| (-?\d+)% \|$", section, re.M)]
    assert "| theme tagging (`ThemeTagger.tag`) |" in section and len(shares) == 11 and 97 <= sum(shares) <= 103


def test_bench_claims_the_ratio_only_on_a_host_of_steady_speed():
    """The speed goal is judged against the faster of the two VADER loops, and not claimed at all
    when they drifted apart by more than DRIFT_NOTED (a host whose speed changed mid-run)."""
    from types import SimpleNamespace

    from cxtext.devtools.bench_markdown import DRIFT_NOTED, _goals

    run = SimpleNamespace(label="2 workers", seconds=100.0, stages={"enrich": 50.0}, peak_main_mb=600, peak_total_mb=1500)
    one = SimpleNamespace(label="one worker", seconds=180.0, stages={"enrich": 90.0}, peak_main_mb=700, peak_total_mb=700)
    nightly = SimpleNamespace(seconds=4.0)
    steady = _goals(0.30, one, run, nightly, None, drift=DRIFT_NOTED / 2)[1]
    drifted = _goals(0.30, one, run, nightly, None, drift=DRIFT_NOTED * 3)[1]
    short = _goals(0.20, one, run, nightly, None, drift=0.0)[1]
    just_short = _goals(0.2499, one, run, nightly, None, drift=0.0)[1]
    assert steady.endswith("0.300, met.")
    assert "0.300, **not met** (the loops around it drifted 30% apart: not a quiet machine)." in drifted
    assert short.endswith("0.200, **not met**.")
    assert just_short.endswith("0.249, **not met**.")  # rounded down: never shown at the bar it misses


def test_bench_judges_each_pipeline_against_the_loops_around_it():
    """The one-worker run against the loops before and between the pipelines, the all-workers run
    against those between and after, even when both runs carry the same label (--workers 1)."""
    from types import SimpleNamespace

    from cxtext.devtools.bench_markdown import bench_section

    def run(seconds):
        return SimpleNamespace(
            label="one worker", rate=1000 / seconds, seconds=seconds, records=1000, executor="in-process",
            stages={"enrich": seconds / 2}, peak_main_mb=500, peak_total_mb=500, stage_peaks_mb={"enrich": 500},
        )  # fmt: skip

    texts = [("review", f"text {i}") for i in range(1000)]
    section = bench_section(
        1000, texts, (10.0, 12.0, 13.0), run(80.0), run(60.0), run(1.0), {"pipeline.duckdb": 1, "cx.duckdb": 1}, 1.0, "0"
    )
    # one worker: 10 s / 80 s and 12 s / 80 s; the other: 12 s / 60 s and 13 s / 60 s
    assert "around it: one worker 0.12, one worker 0.20; against the slower: 0.15 and 0.22 " in section
    assert "the two around the one worker pipeline within 8% of each other" in section
