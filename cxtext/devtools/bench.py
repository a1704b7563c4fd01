"""`cxtext bench`: the whole pipeline on N generated records, against the bare libraries, in one run.

On the same texts it measures (a) the one-line script a user would otherwise write, VADER's
``polarity_scores`` over every text in one process; (b) the pipeline (ingest, topic fit, enrich,
aggregate, report, publish) with one worker; (c) the pipeline with the configured workers; and a
nightly run that adds 1% new records to (c)'s database. Figures are ratios within the run: the
absolute times of a shared machine are noise. Each pipeline runs in a fresh process whose peak
memory (with its worker processes) is sampled from /proc.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

from cxtext.config import Settings, load_settings
from cxtext.insights.refresh import publish_with_aggregates

#: Records per landing file: large sources arrive as daily or hourly exports, and one file is one
#: transaction, so this bounds what one batch stages.
FILE_RECORDS = 50_000
#: The full run's records span these weeks (the sample generator's default period); the nightly
#: run's 1% are written in the week after them, as a nightly delivery would be.
BASE_START, BASE_WEEKS = date(2026, 7, 6), 13
NIGHTLY_START = BASE_START + timedelta(weeks=BASE_WEEKS)
SHARES = {"reviews": 0.38, "surveys": 0.33, "social": 0.29}  # as in the sample data


@dataclass
class Run:
    """One pipeline run: seconds per stage, records, peak memory."""

    label: str
    stages: dict[str, float] = field(default_factory=dict)
    records: int = 0
    peak_main_mb: float = 0.0
    peak_total_mb: float = 0.0
    stage_peaks_mb: dict[str, float] = field(default_factory=dict)  # main process, per stage
    executor: str = ""

    @property
    def seconds(self) -> float:
        return sum(self.stages.values())

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


class MemorySampler:
    """Peak resident memory of this process, and of it plus its children (worker processes),
    sampled every 0.2 s from /proc (Linux)."""

    def __init__(self):
        self.peak_main = self.peak_total = self.stage_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            main = _rss(os.getpid())
            total = main + sum(_rss(pid) for pid in _children(os.getpid()))
            self.peak_main, self.peak_total = max(self.peak_main, main), max(self.peak_total, total)
            self.stage_peak = max(self.stage_peak, main)
            self._stop.wait(0.2)

    def stage(self) -> int:
        """The main process's peak since the last call (or the start), and start anew."""
        peak, self.stage_peak = max(self.stage_peak, _rss(os.getpid())), 0
        return peak


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found + [g for c in found for g in _children(c)]


# -- data -------------------------------------------------------------------------------------


def generate(
    folder: Path, n: int, *, seed: int, id_prefix: str = "", start: date = BASE_START, weeks: int = BASE_WEEKS
) -> list[tuple[str, str]]:
    """N records written over *weeks* weeks from *start*, from the sample generator (in a child
    process: its memory is not ours), split into landing files of FILE_RECORDS; returns every
    (kind, text), for the bare VADER loop and the profile."""
    raw = folder / ".generated"
    counts = {k: max(1, round(n * share)) for k, share in SHARES.items()}
    code = (
        "import sys, datetime, pathlib; from cxtext.devtools.sampledata import generate; "
        "generate(pathlib.Path(sys.argv[1]), seed=int(sys.argv[2]), n_reviews=int(sys.argv[3]), "
        "n_surveys=int(sys.argv[4]), n_social=int(sys.argv[5]), start=datetime.date.fromisoformat(sys.argv[6]), "
        "weeks=int(sys.argv[7]))"
    )
    subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(raw),
            str(seed),
            str(counts["reviews"]),
            str(counts["surveys"]),
            str(counts["social"]),
            start.isoformat(),
            str(weeks),
        ],
        check=True,
        capture_output=True,
    )
    texts: list[tuple[str, str]] = []
    for name, text_column, kind in (("reviews.csv", "text", "review"), ("survey_comments.csv", "comment", "survey")):
        with open(raw / name, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            rows = list(reader)
        for part in range(0, len(rows), FILE_RECORDS):
            target = folder / f"{Path(name).stem}-{id_prefix or 'base'}-{part // FILE_RECORDS:04d}.csv"
            with open(target, "w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(header)
                for row in rows[part : part + FILE_RECORDS]:
                    if row and id_prefix:
                        row[0] = id_prefix + row[0]
                    writer.writerow(row)
        index = header.index(text_column)
        texts += [(kind, row[index]) for row in rows if len(row) > index and row[index].strip()]
    with open(raw / "social_mentions.jsonl", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    for part in range(0, len(lines), FILE_RECORDS):
        target = folder / f"social_mentions-{id_prefix or 'base'}-{part // FILE_RECORDS:04d}.jsonl"
        with open(target, "w", encoding="utf-8") as out:
            for line in lines[part : part + FILE_RECORDS]:
                try:
                    record = json.loads(line)
                except ValueError:
                    out.write(line + "\n")  # a planted broken line stays broken
                    continue
                if isinstance(record, dict) and record.get("text"):
                    texts.append(("social", record["text"]))
                    if id_prefix:
                        record["id"] = id_prefix + str(record.get("id"))
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    shutil.rmtree(raw)
    return texts


def bench_settings(root: Path, state: Path, landing: Path, *, workers: int) -> Settings:
    """The repository's configuration pointed at a temporary state folder and landing folder."""
    base = load_settings(Path(__file__).resolve().parents[2] / "cxtext.toml", state_dir=state)
    sources = {
        name: replace(spec, landing=landing, pattern=spec.pattern.replace("*", "-*")) for name, spec in base.sources.items()
    }
    return replace(base, sources=sources, settle_seconds=0, workers=workers, pii_salt="bench")


# -- measurements -----------------------------------------------------------------------------


def vader_loop(texts: list[str]) -> float:
    """(a) The bare baseline: seconds for VADER's polarity_scores over every text, one process."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    clock = time.perf_counter()
    for text in texts:
        analyzer.polarity_scores(text)
    return time.perf_counter() - clock


def start_up() -> None:
    """What a fresh process loads before its first record: the libraries (scikit-learn's import
    alone takes seconds), spaCy, VADER and the taxonomy's tagger. The pipeline's clock starts after
    it, as the issue's goals are meant start-up apart; :func:`startup_seconds` measures it."""
    import cxtext.text.topics  # noqa: F401  (scikit-learn, which unpickling the topic model imports)
    from cxtext.text.nlp import load_nlp
    from cxtext.text.sentiment import get_scorer
    from cxtext.text.taxonomy import get_tagger

    load_nlp()
    get_scorer()
    get_tagger()


def pipeline(settings: Settings, label: str) -> Run:
    """Every stage of a nightly run, called directly (Prefect's start-up is not the pipeline's),
    after the process's own start-up."""
    start_up()
    from cxtext.enrich.run import Selection, enrich
    from cxtext.enrich.topics import ensure_topic_model
    from cxtext.ingest.load import ingest_file, ingest_workers, scan_landing, with_following
    from cxtext.insights.refresh import refresh_aggregates
    from cxtext.report.html import write_report
    from cxtext.store.db import Store

    run = Run(label)
    with MemorySampler() as memory, Store.open(settings.work_db, memory_limit=settings.duckdb_memory_limit) as store:
        memory.stage()

        def timed(stage: str, work):
            clock = time.perf_counter()
            value = work()
            run.stages[stage] = time.perf_counter() - clock
            run.stage_peaks_mb[stage] = memory.stage() / 1e6
            return value

        def ingest():
            with ingest_workers(settings) as workers:
                new = scan_landing(store, settings).new
                return sum(
                    ingest_file(store, settings, path, spec, workers=workers, following=after).rows_read
                    for spec, path, after in with_following(new)
                )

        run.records = timed("ingest", ingest)
        timed("topic fit", lambda: ensure_topic_model(store, settings))
        run.executor = timed(
            "enrich", lambda: enrich(store, settings, selection=Selection(timezone=settings.reporting_timezone))
        ).executor
        timed("aggregate", lambda: refresh_aggregates(store, settings))
        timed("report", lambda: write_report(store, settings.report_path))
        timed(
            "publish",
            lambda: publish_with_aggregates(store, settings.published_db, timezone=settings.reporting_timezone, aggregated=True),
        )
    run.peak_main_mb, run.peak_total_mb = memory.peak_main / 1e6, memory.peak_total / 1e6
    return run


def in_child(fn, *args):
    """*fn(*args)* in a fresh process, so that its peak memory is its own: not this process's
    texts, nor what an earlier run left in the allocator."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def pipeline_with(root: Path, landing: Path, workers: int, echo) -> tuple[Run, Settings]:
    """The pipeline with *workers* in a fresh process, on its own state folder under *root*."""
    label = "one worker" if workers == 1 else f"{workers} workers"
    echo(f"pipeline with {label} …")
    settings = bench_settings(root, root / f"state-{workers}", landing, workers=workers)
    run = in_child(pipeline, settings, label)
    echo(f"    {run.rate:,.0f} records/s end to end ({run.executor})")
    return run, settings


def pipelines(root: Path, landing: Path, workers: int, echo) -> tuple[Run, Run, Settings]:
    """The pipeline with one worker, then with *workers*; and the settings of the second."""
    one, _ = pipeline_with(root, landing, 1, echo)
    many, settings = pipeline_with(root, landing, workers, echo)
    return one, many, settings


def startup_seconds() -> float:
    """What a fresh process pays before its first record: imports, spaCy, VADER, the taxonomy."""
    code = (
        "import time; t = time.perf_counter(); from cxtext.devtools.bench import start_up; start_up(); "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def run_bench(
    n: int, *, workers: int, out: Path | None, keep: Path | None = None, echo=print, beside: int = 0, profile: int = 0
) -> str:
    """Run every measurement; return (and append to *out*) the Markdown section. *beside*: the
    records of a smaller run beside it (one worker and all workers), for the peak memory's growth;
    *profile*: how many of the texts to profile the analysis on (0: none)."""
    from cxtext import __version__
    from cxtext.devtools.bench_markdown import HEADER, bench_section
    from cxtext.devtools.profile import profile_analysis

    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="cxtext-bench-", dir=keep))
    try:
        echo(f"generating {n:,} records …")
        landing = root / "landing"
        landing.mkdir()
        texts = generate(landing, n, seed=20261123)
        loops = []

        def loop(when: str) -> None:  # the bare VADER loop, before, between and after the pipelines
            echo(f"(a) bare VADER loop over {len(texts):,} texts, {when} …")
            loops.append(vader_loop([text for _, text in texts]))
            echo(f"    {len(texts) / loops[-1]:,.0f} docs/s")

        loop("before the pipelines")
        one, _ = pipeline_with(root, landing, 1, echo)
        loop("between them")
        many, settings = pipeline_with(root, landing, workers, echo)
        loop("after them: did the host's speed hold?")
        sizes = {name: (settings.state_dir / name).stat().st_size for name in ("pipeline.duckdb", "cx.duckdb")}
        echo("nightly run adding 1% new records …")
        generate(landing, max(1, n // 100), seed=20261124, id_prefix="N", start=NIGHTLY_START, weeks=1)
        nightly = in_child(pipeline, settings, "nightly +1%")
        startup = startup_seconds()
        smaller = None
        if beside:
            echo(f"beside it, {beside:,} records, for the peak memory …")
            (root / "beside" / "landing").mkdir(parents=True)
            generate(root / "beside" / "landing", beside, seed=20261123)
            smaller = (beside, *pipelines(root / "beside", root / "beside" / "landing", workers, echo)[:2])
        shares = None
        if profile:
            echo(f"profile of the analysis of {min(profile, len(texts)):,} of the texts …")
            first = bench_settings(root, root / "state-1", landing, workers=1)
            spread = texts[:: max(1, len(texts) // profile)][:profile]  # reviews, surveys and social posts alike
            shares = in_child(profile_analysis, spread, first, first.enrich_chunk_rows)
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)
    section = bench_section(n, texts, tuple(loops), one, many, nightly, sizes, startup, __version__, smaller, shares)
    echo(section)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        existing = out.read_text(encoding="utf-8") if out.exists() else HEADER
        out.write_text(existing.rstrip("\n") + "\n\n" + section, encoding="utf-8")
    return section
