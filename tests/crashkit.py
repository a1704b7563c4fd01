"""The crash harness: run a cxtext command in its own process group and SIGKILL the whole group
at a seeded point, chosen from the command's own log lines (no hook in production code).

Killing the group, not the process, matters: a command without PREFECT_API_URL starts Prefect's
temporary server (a uvicorn subprocess) in its group; killing only the command would leave the
server running as an orphan, and they pile up. After each kill the harness checks that no process
of the group is left.

Phases, in order, as the log lines mark them (see `Phases.feed`):

- ``startup``: imports, Prefect's temporary server, up to "Beginning flow run";
- ``ingest``: the nightly flow's run ledger row, the landing scan, one transaction per file;
- ``enrich``: after the last file, topic model fit, enrichment chunk by chunk;
- ``aggregate``: after the enrichment summary: the topics table, the views, the report;
- ``publish``: after "report written": the run recorded, CHECKPOINT, the copy, the rename;
- ``after publish``: after "published": the flow closing, Prefect's server stopping.

A kill aimed at a phase waits until the log shows it started, then a seeded random delay within
that phase's usual length; where it landed is read afterwards from every line the victim wrote
before it died (the pipe keeps them), so the figures report where kills really landed.

Whether the victim replaced the analysts' file is not read from its log (the log line comes after
the rename): the file's inode, modification time, size and SHA-256 are compared before the victim
starts and after it is dead. A killed run may read 'completed' in the ledger only if it did.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PHASES = ("startup", "ingest", "enrich", "aggregate", "publish", "after publish", "finished")
#: How long after a phase starts a kill aimed at it may land (seconds): about the phase's length
#: with the harness's sample (a few hundred records in nine files, enrichment chunks of 50).
WINDOWS = {"ingest": 0.8, "enrich": 3.5, "aggregate": 0.6, "publish": 0.15, "after publish": 0.3}


class Phases:
    """Follows a victim's log lines and says which phase it is in."""

    def __init__(self, flow: str):
        self.flow = flow
        self.phase = "startup"
        self.files: int | None = None
        self.ingested = 0

    def feed(self, line: str) -> str:
        if "Beginning flow run" in line:
            self._to("ingest" if self.flow == "nightly" else "enrich")
        elif match := re.search(r"landing: (\d+) new file", line):
            self.files = int(match[1])
            if self.files == 0:
                self._to("enrich")
        elif "Task run 'ingest " in line and "Finished in state" in line:
            self.ingested += 1
            if self.ingested == self.files:
                self._to("enrich")
        elif re.search(r"enrichment: \d+ stale|backfill rewrote", line):
            self._to("aggregate")
        elif "report written" in line:
            self._to("publish")
        elif re.search(r"\bpublished /", line):
            self._to("after publish")
        return self.phase

    def _to(self, phase: str) -> None:
        if PHASES.index(phase) > PHASES.index(self.phase):
            self.phase = phase


@dataclass
class Kill:
    """One kill point: what was aimed at, where it landed, what the victim had written."""

    label: str
    command: list[str]
    aimed: str
    delay: float
    landed: str = ""
    killed: bool = False
    pid: int = 0
    seconds: float = 0.0
    group_gone_after: float = 0.0
    #: The watched file (the analysts' cx.duckdb) is another file after the victim than before it.
    replaced: bool = False
    lines: list[str] = field(default_factory=list)

    def tail(self, n: int = 15) -> str:
        return "\n".join(self.lines[-n:])

    def said(self, pattern: str) -> bool:
        """Whether a line the victim wrote matches the regular expression *pattern*."""
        return any(re.search(pattern, line) for line in self.lines)


def victim_env(prefect_home: Path) -> dict[str, str]:
    """The environment of a victim: its own Prefect home (shared by the harness's victims, so the
    temporary server's cold start is paid once), never a Prefect server of the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CXTEXT_"))}
    env.update(
        PREFECT_HOME=str(prefect_home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
        PYTHONUNBUFFERED="1",
        COLUMNS="200",
    )
    return env


def file_identity(path: Path) -> tuple | None:
    """(inode, mtime in ns, size, SHA-256) of *path*, None when there is no such file: a file
    renamed over it, or rewritten in place, gives another identity."""
    try:
        stat = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size, digest


def run_and_kill(
    args: list[str],
    *,
    cwd: Path,
    prefect_home: Path,
    flow: str,
    aim: str,
    seed: str,
    watch: Path,
    label: str = "",
    timeout: float = 300,
) -> Kill:
    """Start ``python -m cxtext.cli *args`` in a new session (its own process group), and when
    its log shows phase *aim* started, wait a delay drawn from *seed*, then SIGKILL the group.
    Returns what happened, and whether the file *watch* was replaced meanwhile; the victim may
    have finished first (``killed`` False)."""
    delay = round(random.Random(seed).uniform(0, WINDOWS[aim]), 3)
    kill = Kill(label or seed, args, aim, delay)
    before = file_identity(watch)
    command = [sys.executable, "-u", "-m", "cxtext.cli", *args]
    started = time.monotonic()
    victim = subprocess.Popen(
        command,
        cwd=cwd,
        env=victim_env(prefect_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    kill.pid = pgid = victim.pid  # start_new_session: the victim leads its own group
    phases = Phases(flow)
    try:
        for line in victim.stdout:
            kill.lines.append(line.rstrip("\n"))
            if PHASES.index(phases.feed(line)) >= PHASES.index(aim):
                time.sleep(delay)
                os.killpg(pgid, signal.SIGKILL)
                kill.killed = True
                break
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{label}: no {aim!r} phase after {timeout} s:\n{kill.tail()}")
    finally:
        if not kill.killed and victim.poll() is None:
            os.killpg(pgid, signal.SIGKILL)
        rest, _ = victim.communicate(timeout=60)  # what it wrote before it died
    kill.lines += rest.splitlines()
    kill.seconds = round(time.monotonic() - started, 2)
    if kill.killed and victim.returncode != -signal.SIGKILL:
        kill.killed = False  # it exited by itself between the last line and the signal
    replay = Phases(flow)
    for line in kill.lines:
        replay.feed(line)
    kill.landed = replay.phase if kill.killed else "finished"
    kill.group_gone_after = wait_group_gone(pgid)
    kill.replaced = file_identity(watch) != before
    return kill


def wait_group_gone(pgid: int, within: float = 20.0) -> float:
    """Seconds until no process of group *pgid* is left (zombies aside); fails after *within*."""
    started = time.monotonic()
    while True:
        alive = [pid for pid, group, state in processes() if group == pgid and state != "Z"]
        if not alive:
            return round(time.monotonic() - started, 2)
        if time.monotonic() - started > within:
            raise AssertionError(f"process group {pgid} survived SIGKILL: {[cmdline(p) for p in alive]}")
        time.sleep(0.05)


def processes() -> list[tuple[int, int, str]]:
    """(pid, process group, state) of every process we can see."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        out.append((int(entry.name), int(fields[2]), fields[0]))
    return out


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def processes_using(prefect_home: Path) -> list[str]:
    """Live processes whose environment names *prefect_home* (a victim or its Prefect server)."""
    needle = f"PREFECT_HOME={prefect_home}".encode() + b"\0"
    found = []
    for pid, _, state in processes():
        if state == "Z" or pid == os.getpid():
            continue
        try:
            environ = (Path("/proc") / str(pid) / "environ").read_bytes() + b"\0"
        except OSError:
            continue
        if needle in environ:
            found.append(f"{pid}: {cmdline(pid)}")
    return found
