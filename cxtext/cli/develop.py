"""Developer commands: sample data, evaluation, benchmark."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from cxtext.cli.app import ConfigOption, _settings, app, console, working
from cxtext.errors import ConfigError


@app.command("sample-data")
def sample_data(
    out: Path = typer.Option(Path("sample_data"), "--out", "-o", help="Folder to write the files and manifest.json into."),
    seed: int = typer.Option(42, help="Random seed: the same seed writes byte-identical files."),
    reviews: int = typer.Option(1600, help="Number of good review records."),
    surveys: int = typer.Option(1400, help="Number of good survey records."),
    social: int = typer.Option(1200, help="Number of good social mentions."),
) -> None:
    """Write the seeded sample data (reviews, survey comments, social mentions) and its manifest."""
    from cxtext.devtools.sampledata import generate

    manifest = generate(out, seed=seed, n_reviews=reviews, n_surveys=surveys, n_social=social)
    for name, info in manifest["files"].items():
        console.print(f"wrote {out / name}: {info['records']} records ({info['good']} good)")
    console.print(f"wrote {out / 'manifest.json'}: {len(manifest['planted'])} planted pain points")


@app.command("eval")
def evaluate(
    data: Path = typer.Option(..., "--data", help="Folder of the public labelled data sets (e.g. ../shared/data); only read."),
    sample: Path = typer.Option(Path("sample_data"), "--sample", help="The sample data folder (with manifest.json)."),
    out: Optional[Path] = typer.Option(
        None, "--out", help="Markdown file to write (default docs/EVALUATION.md; with --only, printed unless given)."
    ),
    gate: Optional[Path] = typer.Option(
        None,
        "--gate",
        help="Floors file (models/eval/floors.toml): exit 1 when a figure is below its floor or missing.",
    ),
    only: Optional[str] = typer.Option(
        None,
        "--only",
        help="Run only these sections, comma-separated: sentiment, aspects, intent, effort, themes, discovered, language, sample "
        "(--gate then checks only their floors).",
    ),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Measure sentiment, theme detection and the sample's planted pain points; write the figures; check floors."""
    import shlex

    from cxtext.evaluation.gate import gate_failures, load_floors, unfloored
    from cxtext.evaluation.report import SECTIONS, build_report, write_report

    if not data.is_dir():
        raise ConfigError(f"--data {data}: not a folder")
    sections = SECTIONS if only is None else tuple(part.strip() for part in only.split(",") if part.strip())
    unknown = [name for name in sections if name not in SECTIONS]
    if unknown or not sections:
        raise ConfigError(f"--only {only}: sections are {', '.join(SECTIONS)}")
    floors = load_floors(gate) if gate else None  # a bad floors file fails before the long run
    settings = _settings(config, None)
    command = "cxtext eval " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    figures: dict[str, float] = {}
    with working("evaluating on the public data and the sample (5-15 min)"):
        report = build_report(data, sample_dir=sample, settings=settings, command=command.strip(), figures=figures, only=sections)
    write_report(report, out if out is not None or only is not None else Path("docs/EVALUATION.md"))
    if floors is None:
        return
    if only is not None:  # a floor belongs to the section its figure's first name part is produced by
        produced = {name.split(".")[0] for name in figures} | set(sections)
        floors = {name: floor for name, floor in floors.items() if name.split(".")[0] in produced}
    extra = unfloored(figures, floors)
    if extra:
        print(f"eval gate: {len(extra)} figures have no floor in {gate}: {', '.join(extra)}", file=sys.stderr)
    failures = gate_failures(figures, floors)
    for line in failures:
        print(f"eval gate: {line} ({gate})", file=sys.stderr)
    if failures:
        print(f"eval gate: FAILED, {len(failures)} of {len(floors)} floors not met", file=sys.stderr)
        raise typer.Exit(1)
    console.print(f"eval gate: all {len(floors)} figures at or above their floors in {gate}")


@app.command()
def bench(
    n: int = typer.Option(10_000, "--n", help="Records to generate (e.g. 10000, 100000, 1000000)."),
    workers: Optional[int] = typer.Option(
        None, "--workers", help="Workers of the parallel run (default: the config's, one per core)."
    ),
    out: Optional[Path] = typer.Option(
        Path("docs/BENCHMARKS.md"), "--out", help="Markdown file the results are appended to ('-' for none)."
    ),
    keep: Optional[Path] = typer.Option(
        None, "--keep", help="Work in this folder and keep it (default: a temporary folder, removed)."
    ),
    beside: int = typer.Option(
        0, "--beside", help="Also run both pipelines on this many records (e.g. 100000), for the peak memory's growth."
    ),
    profile: int = typer.Option(
        0, "--profile", help="Profile the analysis of this many of the texts (e.g. 20000) and print each part's share."
    ),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Benchmark the whole pipeline on N generated records against the bare VADER loop, with one worker and with all of them."""
    from cxtext.devtools.bench import run_bench

    settings = _settings(config, None)
    if n < 300:
        raise ConfigError("--n: at least 300 records (a topic model needs 200 feedback)")
    run_bench(
        n,
        workers=workers or settings.workers,
        out=None if str(out) == "-" else out,
        keep=keep,
        echo=lambda line: console.print(line, highlight=False, markup=False),
        beside=beside,
        profile=profile,
    )
