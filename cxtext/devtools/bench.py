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
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
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


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory = next(
        (
            int(line.split()[1]) // (1024 * 1024)
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    import duckdb

    return (
        f"{os.cpu_count()} cores ({model}), {memory} GiB RAM, Linux {platform.release()}, "
        f"Python {platform.python_version()}, duckdb {duckdb.__version__}"
    )


def run_bench(
    n: int, *, workers: int, out: Path | None, keep: Path | None = None, echo=print, beside: int = 0, profile: int = 0
) -> str:
    """Run every measurement; return (and append to *out*) the Markdown section. *beside*: the
    records of a smaller run beside it (one worker and all workers), for the peak memory's growth;
    *profile*: how many of the texts to profile the analysis on (0: none)."""
    from cxtext import __version__
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
    section = _markdown(n, texts, tuple(loops), one, many, nightly, sizes, startup, __version__, smaller, shares)
    echo(section)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        existing = out.read_text(encoding="utf-8") if out.exists() else HEADER
        out.write_text(existing.rstrip("\n") + "\n\n" + section, encoding="utf-8")
    return section


HEADER = """# Benchmarks

Appended by `cxtext bench --n N` (see `cxtext/devtools/bench.py`): the whole pipeline on N records from the
sample generator, against the bare VADER loop on the same texts, in the same run. Speeds are
records per second of wall-clock time; ratios compare runs of the same invocation.

Every figure of issue 19's goals comes from one command (about half an hour on 2 quiet cores):
`cxtext bench --n 1000000 --beside 100000 --profile 20000`: the pipelines at 1M with one worker and
with all of them, the bare VADER loop before, between and after them (each pipeline's ratio uses
the faster of the two loops around it), the nightly run adding 1%, both pipelines again on 100,000 records for the peak memory's growth, the
profile's shares on 20,000 of the texts, and each goal met or not.
"""


#: How far the two VADER loops around a pipeline may differ before the bench says the host's speed drifted.
DRIFT_NOTED = 0.10


def _markdown(n, texts, loops, one, many, nightly, sizes, startup, version, smaller=None, shares=None) -> str:
    """*loops*: the bare VADER loop's seconds before the pipelines, between them and after them.
    Each pipeline's ratio uses the faster of the two loops around it (the lower ratio): a host
    whose speed drifts during the run (shared cores, another tenant's load) slows the loop and the
    pipelines by different amounts, and the goal is only claimed where it holds against both."""
    n_texts, n_distinct = len(texts), len({text for _, text in texts})
    before, between, after = loops
    around = {one.label: (before, between), many.label: (between, after)}
    drift = max(between, after) / min(between, after) - 1  # around the run the goal is about

    def ratio(run, pick=min) -> float:
        return run.rate / (n_texts / pick(around[run.label]))

    lines = [
        f"## {n:,} records, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine()}; cxtext {version}. Records: {one.records:,} read from "
        f"{n_texts:,} texts (planted malformed and duplicate records included), landing files of "
        f"{FILE_RECORDS:,} records. Distinct texts: {n_distinct:,} ({1 - n_distinct / n_texts:.0%} of the texts "
        f"repeat an earlier one; the pipeline analyses a text once per run (later feedback with the same text copy its stored results) and a sentence or clause once per worker process while it stays in its caches; the VADER loop scores every one).",
        "",
        "| stage | one worker: s | records/s | " + f"{many.label}: s | records/s | speed-up |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for stage in one.stages:
        a, b = one.stages[stage], many.stages[stage]
        lines.append(
            f"| {stage} | {a:.1f} | {one.records / a:,.0f} | {b:.1f} | {many.records / b:,.0f} | {a / b:.2f}× |"
            if a > 0 and b > 0
            else f"| {stage} | {a:.1f} | | {b:.1f} | | |"
        )
    lines += [
        f"| **end to end** | **{one.seconds:.1f}** | **{one.rate:,.0f}** | **{many.seconds:.1f}** | "
        f"**{many.rate:,.0f}** | **{one.seconds / many.seconds:.2f}×** |",
        "",
        "- (a) bare VADER loop, one process, document level: "
        + ", ".join(
            f"{seconds:.1f} s {when} ({n_texts / seconds:,.0f} docs/s)"
            for seconds, when in zip(loops, ("before the pipelines", "between them", "after them"))
        )
        + f"; the two around the {many.label} pipeline "
        + (
            f"{drift:.0%} apart: the host's speed drifted during it, so its ratio is loose."
            if drift > DRIFT_NOTED
            else f"within {drift:.0%} of each other: the host's speed held."
        ),
        f"- Pipeline end to end against (a), the faster of the loops around it: one worker {ratio(one):.2f}, "
        f"{many.label} {ratio(many):.2f}; against the slower: {ratio(one, max):.2f} and {ratio(many, max):.2f} "
        "(1.0 = as fast as scoring each text once with VADER and storing nothing).",
        f"- {many.label} against one worker: {one.seconds / many.seconds:.2f}× end to end, "
        f"{one.stages['enrich'] / many.stages['enrich']:.2f}× in enrich ({many.executor}).",
        f"- Peak memory (resident, each pipeline in a fresh process): one worker {one.peak_main_mb:,.0f} MB; "
        f"{many.label} {many.peak_main_mb:,.0f} MB in the main process, {many.peak_total_mb:,.0f} MB with its workers; "
        f"nightly +1% {nightly.peak_main_mb:,.0f} MB. Per stage, {many.label}, main process: "
        + ", ".join(f"{k} {v:,.0f} MB" for k, v in many.stage_peaks_mb.items())
        + ".",
        f"- Database size: working {sizes['pipeline.duckdb'] / 1e6:,.0f} MB, published "
        f"{sizes['cx.duckdb'] / 1e6:,.0f} MB; per 1M records {sizes['pipeline.duckdb'] / one.records * 1e6 / 1e9:.2f} "
        f"GB and {sizes['cx.duckdb'] / one.records * 1e6 / 1e9:.2f} GB.",
        f"- Nightly run adding {nightly.records:,} new records (1%, written in the week after the others) to the "
        f"{many.label} database: "
        f"{nightly.seconds:.1f} s = {nightly.seconds / many.seconds:.1%} of the full run "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in nightly.stages.items())}); start-up apart, as in every "
        f"pipeline here: a fresh process takes {startup:.1f} s to load scikit-learn, spaCy, VADER and the taxonomy "
        f"before its first record (Prefect's temporary "
        f"server adds ~10 s when no server is configured).",
        "",
    ]
    if smaller is not None:
        lines += _beside(one, many, *smaller)
    if shares is not None:
        from cxtext.devtools.profile import markdown

        lines += markdown(*shares)
    lines += _goals(ratio(many), one, many, nightly, smaller, drift)
    return "\n".join(lines)


def _beside(one: Run, many: Run, records: int, one_small: Run, many_small: Run) -> list[str]:
    """The peak memory of this run against a smaller run of the same invocation."""
    growth = lambda big, small: f"{big:,.0f} MB against {small:,.0f} MB ({big / small:.2f}×)"  # noqa: E731
    return [
        f"Beside it, the same pipelines on {records:,} generated records ({one_small.records:,} read), each in a "
        f"fresh process: one worker {one_small.rate:,.0f} records/s, {many_small.label} {many_small.rate:,.0f} records/s "
        f"({many_small.executor}; below `parallel_min_rows` enrichment runs in-process, and the with-workers "
        "figures compare unlike runs).",
        f"- Peak resident memory here against there: one worker {growth(one.peak_main_mb, one_small.peak_main_mb)}; "
        f"{many.label}, main process {growth(many.peak_main_mb, many_small.peak_main_mb)}, with its workers "
        f"{growth(many.peak_total_mb, many_small.peak_total_mb)}.",
        "",
    ]


def _goals(ratio: float, one: Run, many: Run, nightly: Run, smaller, drift: float = 0.0) -> list[str]:
    """Issue 19's goals, each with this run's figure and whether it is met. *ratio*: against the
    faster of the VADER loops around the run; the goal asks for a quiet machine, so a run whose
    loops drifted apart by more than DRIFT_NOTED does not count as meeting it."""
    met = lambda ok: "met" if ok else "**not met**"  # noqa: E731
    enrich = one.stages["enrich"] / many.stages["enrich"]
    share = nightly.seconds / many.seconds
    steady = drift <= DRIFT_NOTED
    lines = [
        "Against the goals (issue 19):",
        f"- {many.label} end to end against the bare VADER loop ≥ 0.25 (aim 0.4), on a host of steady speed: "
        f"{ratio:.2f}, {met(ratio >= 0.25 and steady)}"
        + ("." if steady else f" (the loops around it drifted {drift:.0%} apart: not a quiet machine)."),
        f"- {many.label} against one in enrichment ≥ 1.5×: {enrich:.2f}×, {met(enrich >= 1.5)}.",
        f"- Nightly +1% ≤ 5% of the full run or ≤ 20 s: {share:.1%}, {nightly.seconds:.1f} s, "
        f"{met(share <= 0.05 or nightly.seconds <= 20)}.",
        f"- Main process under 2 GB: one worker {one.peak_main_mb:,.0f} MB, {many.label} {many.peak_main_mb:,.0f} MB, "
        f"{met(max(one.peak_main_mb, many.peak_main_mb) < 2000)}.",
    ]
    if smaller is not None:
        records, one_small, many_small = smaller
        growths = [one.peak_main_mb / one_small.peak_main_mb, many.peak_total_mb / many_small.peak_total_mb]
        lines.append(
            f"- Peak memory here ≤ 1.3× the {records:,}-record run: one worker {growths[0]:.2f}×, {many.label} "
            f"(with workers) {growths[1]:.2f}×, {met(max(growths) <= 1.3)}."
        )
    return [*lines, ""]
