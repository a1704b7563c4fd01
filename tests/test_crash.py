"""Crash safety: `cxtext run` and `cxtext backfill --force` killed with SIGKILL (the whole process
group, Prefect's temporary server included) at seeded points during ingest, enrichment,
aggregation and publishing, then run again to completion, end exactly where a clean run ends.

Each chain kills the same command up to three times in a row (every re-run but the last is killed
again), then completes it and compares with a clean reference run on a copy of the same starting
state: every table's content (run and batch ids and timestamps aside, `content_fingerprint`) in the
working and the analysts' database, no duplicate feedback, no record lost (the same feedback ids,
one loaded batch per file with rows_read = loaded + duplicate + rejected), every killed run that
had started marked crashed in the ledger unless it had replaced the analysts' file (compared
before and after each kill; then it may read completed) or had found nothing new to publish (once
a kill lands after the rename, the re-runs have nothing to do). After each kill: no process of
the group is left, and the analysts' file, if there is one, is a complete snapshot a clean run
published, before or after. docs/RELIABILITY.md ("Crash safety") has the figures; set
CXTEXT_CRASH_LOG=FILE to get one JSON line per kill point.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.crashkit import Kill, processes_using, run_and_kill

SAMPLE = dict(seed=7, n_reviews=150, n_surveys=120, n_social=100)  # ~380 records
NEW_FILES = dict(seed=11, n_reviews=60, n_surveys=40, n_social=40)  # new and updated records
FILES_PER_SOURCE = 3
ENRICH_CHUNK_ROWS = 50  # ~8 enrichment chunks: kills land between and inside them


# -- workspaces -------------------------------------------------------------------------------


def split_into_landing(generated: Path, landing: Path, parts: int, tag: str = "") -> None:
    """Each generated file as *parts* landing files (one record a line in the sample data)."""
    landing.mkdir(parents=True, exist_ok=True)
    for name in ("reviews.csv", "survey_comments.csv", "social_mentions.jsonl"):
        lines = (generated / name).read_text(encoding="utf-8").splitlines(keepends=True)
        header, body = (lines[:1], lines[1:]) if name.endswith(".csv") else ([], lines)
        stem, suffix = name.split(".")
        for i in range(parts):
            part = body[i * len(body) // parts : (i + 1) * len(body) // parts]
            (landing / f"{stem}{tag}-{i + 1}.{suffix}").write_text("".join(header + part), encoding="utf-8")


def make_workspace(root: Path) -> Path:
    """Nine landing files (three per source), the repository's config pointed at them, small
    enrichment chunks, a fixed salt (so that copies of the workspace hash customer keys alike)."""
    from cxtext.devtools.sampledata import generate

    generate(root / "generated", **SAMPLE)
    split_into_landing(root / "generated", root / "landing", FILES_PER_SOURCE)
    config = (ROOT / "cxtext.toml").read_text()
    for old, new in (
        ('state_dir = "out"', 'state_dir = "state"'),
        ("settle_seconds = 2", "settle_seconds = 0"),
        ('landing = "sample_data"', 'landing = "landing"'),
        ("enrich_chunk_rows = 5000", f"enrich_chunk_rows = {ENRICH_CHUNK_ROWS}"),
        ('# salt = "..."', 'salt = "crash-harness"'),
    ):
        assert old in config, old
        config = config.replace(old, new)
    (root / "cxtext.toml").write_text(config)
    return root


def add_new_files(root: Path) -> None:
    """A second delivery: three more landing files per source, from another seed (its ids overlap
    the first delivery's, so some records are updates)."""
    from cxtext.devtools.sampledata import generate

    generate(root / "generated-new", **NEW_FILES)
    split_into_landing(root / "generated-new", root / "landing", FILES_PER_SOURCE, tag="-new")


def copy_workspace(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("prefect"))
    return target


# -- what a state folder holds ----------------------------------------------------------------


@dataclass
class Facts:
    work: dict
    published: dict | None
    feedback_ids: frozenset
    batches: list  # one row per loaded file: source, sha256, read, loaded, duplicate, rejected

    @classmethod
    def of(cls, root: Path) -> Facts:
        from cxtext.store.db import Store
        from cxtext.store.introspection import content_fingerprint

        with Store.open(root / "state/pipeline.duckdb", read_only=True) as store:
            work = content_fingerprint(store)
            total, distinct = store.execute("SELECT count(*), count(DISTINCT feedback_id) FROM feedback")[0]
            assert total == distinct, f"{total - distinct} duplicate feedback"
            ids = frozenset(i for (i,) in store.execute("SELECT feedback_id FROM feedback"))
            batches = store.execute(
                "SELECT source, file_sha256, rows_read, rows_loaded, rows_duplicate, rows_rejected FROM ingest_batches "
                "WHERE status = 'loaded' ORDER BY source, file_sha256"
            )
        published = None
        if (root / "state/cx.duckdb").exists():
            with Store.open(root / "state/cx.duckdb", read_only=True) as store:
                published = content_fingerprint(store)
        return cls(work, published, ids, batches)


def check_snapshot(root: Path, allowed: list[dict | None]) -> str:
    """The analysts' file, if there is one, opens read-only, has the schema, and is a snapshot a
    clean run published (its content, and its ledger's last run completed)."""
    from cxtext.store.db import Store
    from cxtext.store.introspection import content_fingerprint
    from cxtext.store.schema import SCHEMA_VERSION

    path = root / "state/cx.duckdb"
    if not path.exists():
        assert None in allowed, "the analysts' file is gone"
        return "none"
    with Store.open(path, read_only=True) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.execute("SELECT status FROM runs ORDER BY run_id DESC LIMIT 1") == [("completed",)]
        fingerprint = content_fingerprint(store)
    assert fingerprint in allowed, "the analysts' file is not a snapshot a clean run published"
    return f"snapshot {allowed.index(fingerprint)}"


# -- fixtures ---------------------------------------------------------------------------------


KILLS: list[Kill] = []


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory):
    """The victims' Prefect home: their temporary servers' cold start is paid once. At the end no
    process may be left that uses it (a victim or a Prefect server surviving its group)."""
    home = tmp_path_factory.mktemp("crash-prefect")
    yield home
    deadline = time.monotonic() + 10
    while (left := processes_using(home)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"processes left behind by the crash tests: {left}"
    if log := os.environ.get("CXTEXT_CRASH_LOG"):
        with open(log, "a") as handle:
            for kill in KILLS:
                handle.write(json.dumps({k: v for k, v in asdict(kill).items() if k != "lines"}) + "\n")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return make_workspace(tmp_path_factory.mktemp("crash-template"))


@pytest.fixture(scope="module")
def first_night(template, tmp_path_factory):
    """A clean first nightly run on the template: the reference for kills from an empty state,
    and the starting state of the other scenarios."""
    from cxtext_flows.nightly import nightly

    root = copy_workspace(template, tmp_path_factory.mktemp("crash-ref") / "ws")
    nightly(config=str(root / "cxtext.toml"))
    return root, Facts.of(root)


@pytest.fixture(scope="module")
def second_night(first_night, tmp_path_factory):
    """The first night's state with a new delivery landed, and a clean run of it."""
    from cxtext_flows.nightly import nightly

    start = copy_workspace(first_night[0], tmp_path_factory.mktemp("crash-new") / "ws")
    add_new_files(start)
    done = copy_workspace(start, tmp_path_factory.mktemp("crash-new-ref") / "ws")
    nightly(config=str(done / "cxtext.toml"))
    return start, Facts.of(done)


@pytest.fixture(scope="module")
def forced_backfill(first_night, tmp_path_factory):
    """A clean forced backfill of the first night's state."""
    from cxtext_flows.backfill import backfill

    done = copy_workspace(first_night[0], tmp_path_factory.mktemp("crash-backfill-ref") / "ws")
    backfill(force=True, config=str(done / "cxtext.toml"))
    return first_night[0], Facts.of(done)


# -- the chains -------------------------------------------------------------------------------

NIGHTLY = (["run", "--config", "cxtext.toml"], "nightly")
#: What a run logs when the run before it published and it found nothing new: it replaces nothing.
NOTHING_NEW = "nothing new since the last publish"
FORCED_BACKFILL = (["backfill", "--force", "--config", "cxtext.toml"], "backfill")


def kill_chain(label: str, root: Path, command, aims: list[str], allowed: list[dict | None], prefect_home: Path) -> list[Kill]:
    args, flow = command
    kills = []
    for number, aim in enumerate(aims, start=1):
        kill = run_and_kill(
            args,
            cwd=root,
            prefect_home=prefect_home,
            flow=flow,
            aim=aim,
            seed=f"{label}-{number}",
            watch=root / "state/cx.duckdb",
            label=f"{label} #{number}",
        )
        KILLS.append(kill)
        kills.append(kill)
        assert kill.killed or kill.landed == "finished", kill.tail()
        if kill.said(NOTHING_NEW):
            # an earlier kill of the chain landed after its rename: the analysts' file is already
            # the clean run's snapshot, and a run with nothing new leaves it be
            assert not kill.replaced and any(k.replaced for k in kills[:-1]), kill.tail()
            assert check_snapshot(root, allowed) == f"snapshot {len(allowed) - 1}", kill.tail()
        else:
            # the log says "published" after the rename, and nothing before the publish phase renames
            assert kill.replaced or kill.landed not in ("after publish", "finished"), kill.tail()
        assert not kill.replaced or kill.landed in ("publish", "after publish", "finished"), kill.tail()
        assert "Traceback" not in "\n".join(kill.lines), kill.tail(60)
        # a copy killed before its rename stays beside the analysts' file, unread, until the next publish
        assert not (root / "state/.cx.duckdb.publishing").exists() or any(k.landed == "publish" for k in kills)
        check_snapshot(root, allowed)
    return kills


def complete_and_compare(root: Path, flow: str, reference: Facts, kills: list[Kill]) -> None:
    from cxtext.store.db import Store

    if flow == "nightly":
        from cxtext_flows.nightly import nightly

        nightly(config=str(root / "cxtext.toml"))
    else:
        from cxtext_flows.backfill import backfill

        backfill(force=True, config=str(root / "cxtext.toml"))
    facts = Facts.of(root)
    assert facts.work == reference.work
    assert facts.published == reference.published
    assert facts.feedback_ids == reference.feedback_ids  # none lost, none extra
    assert facts.batches == reference.batches  # each file loaded once, every record accounted for
    assert all(read == loaded + duplicate + rejected for _, _, read, loaded, duplicate, rejected in facts.batches)
    assert not (root / "state/.cx.duckdb.publishing").exists()
    with Store.open(root / "state/pipeline.duckdb", read_only=True) as store:
        ledger = dict(store.execute("SELECT pid, status FROM runs"))
        assert store.execute("SELECT status FROM runs ORDER BY run_id DESC LIMIT 1") == [("completed",)]
    for kill in kills:
        if kill.killed and kill.pid in ledger:  # it got as far as recording its run
            # completed only once its snapshot is in place: a run killed before its rename must read
            # crashed; one killed after it reads completed, or crashed if it had not yet said so in
            # the working ledger. A run that found nothing new publishes nothing: once it said so,
            # it may have recorded itself completed, and it has once it logged "run N completed".
            expected = {"crashed", "completed"} if kill.replaced or kill.said(NOTHING_NEW) else {"crashed"}
            if kill.landed == "after publish" or kill.said(r"\brun \d+ completed"):
                expected = {"completed"}
            replaced = "replaced" if kill.replaced else "not replaced"
            assert ledger[kill.pid] in expected, (
                f"{kill.label} (landed in {kill.landed}, analysts' file {replaced}): {ledger[kill.pid]}"
            )


def test_nightly_killed_in_ingest_enrich_and_publish_then_completed(template, first_night, prefect_home, tmp_path):
    """The fast subset: three kills of one nightly run from an empty state."""
    root = copy_workspace(template, tmp_path / "ws")
    kills = kill_chain(
        "empty-fast", root, NIGHTLY, ["ingest", "enrich", "publish"], [None, first_night[1].published], prefect_home
    )
    complete_and_compare(root, "nightly", first_night[1], kills)


SLOW_CHAINS = {
    "empty-a": ("empty", ["enrich", "aggregate", "publish"]),
    "empty-b": ("empty", ["ingest", "publish", "enrich"]),
    "new-a": ("new", ["ingest", "enrich", "aggregate"]),
    "new-b": ("new", ["publish", "ingest", "enrich"]),
    "new-c": ("new", ["after publish", "enrich", "enrich"]),  # the re-runs find nothing new
    "backfill-a": ("backfill", ["enrich", "aggregate", "publish"]),
    "backfill-b": ("backfill", ["aggregate", "enrich", "publish"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("label", SLOW_CHAINS)
def test_killed_runs_end_where_a_clean_run_ends(
    label, template, first_night, second_night, forced_backfill, prefect_home, tmp_path
):
    scenario, aims = SLOW_CHAINS[label]
    if scenario == "empty":
        start, reference, command, before = template, first_night[1], NIGHTLY, None
    elif scenario == "new":
        start, reference, command, before = second_night[0], second_night[1], NIGHTLY, first_night[1].published
    else:
        start, reference, command, before = (
            forced_backfill[0],
            forced_backfill[1],
            FORCED_BACKFILL,
            first_night[1].published,
        )
    root = copy_workspace(start, tmp_path / "ws")
    kills = kill_chain(label, root, command, aims, [before, reference.published], prefect_home)
    complete_and_compare(root, command[1], reference, kills)
