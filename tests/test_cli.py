import subprocess
import sys

import duckdb
import pytest

from cxtext.cli import app
from tests.conftest import ROOT, write_config


def cxtext(*args, cwd):
    return subprocess.run([sys.executable, "-m", "cxtext.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def command_names():
    return sorted(c.name or c.callback.__name__ for c in app.registered_commands)


def test_every_command_has_help():
    for name in command_names():
        result = cxtext(name, "--help", cwd=ROOT)
        assert result.returncode == 0, result.stderr
        command = next(c for c in app.registered_commands if (c.name or c.callback.__name__) == name)
        assert (command.callback.__doc__ or "").strip(), f"{name} has no help text"


def test_user_mistakes_get_one_line_errors(tmp_path):
    write_config(tmp_path)
    data = tmp_path / "x.csv"
    data.write_text("a,b\n1,2\n")
    for args, message in [
        (["runs"], "no readable database"),
        (["ingest", str(data), "--source", "nowhere"], "source 'nowhere' is not configured"),
        (["ingest", str(data), "--source", "s", "--kind", "review", "--map", "txt=b"], "unknown field 'txt'"),
        (["ingest", str(data), "--source", "s", "--kind", "review", "--map", "text=b"], "created_at"),
        (["ingest", str(data), "--source", "s", "--kind", "review", "--map", "text=b,created_at=zzz"], "zzz"),
        (
            [
                "ingest",
                str(tmp_path / "missing.csv"),
                "--source",
                "s",
                "--kind",
                "review",
                "--map",
                "text=b,created_at=a",
            ],
            "no such file",
        ),
    ]:
        result = cxtext(*args, cwd=tmp_path)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)


def test_ad_hoc_ingest_of_an_unseen_csv(tmp_path):
    write_config(tmp_path)
    data = tmp_path / "tweets.csv"
    data.write_text(
        "tweet_id,tweet_created,body,who\n"
        "1,2026-08-01T10:00:00Z,Parcel late again #fail,@a\n"
        "2,2026-08-01T11:00:00Z,,@b\n"
        "3,not-a-date,hello,@c\n"
    )
    result = cxtext(
        "ingest",
        str(data),
        "--kind",
        "social",
        "--source",
        "twitter",
        "--map",
        "text=body,created_at=tweet_created,source_id=tweet_id,customer_key=who",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "read 3, loaded 1" in result.stdout and "rejected 2" in result.stdout
    with duckdb.connect(str(tmp_path / "state/pipeline.duckdb"), read_only=True) as con:
        assert con.execute("SELECT source, kind, source_record_id, text FROM feedback").fetchall() == [
            ("twitter", "social", "1", "Parcel late again #fail")
        ]
        assert con.execute("SELECT reason FROM rejects ORDER BY position").fetchall() == [
            ("missing_text",),
            ("bad_created_at",),
        ]
        mapping = con.execute("SELECT mapping->>'$.columns.text' FROM archived_files").fetchone()[0]
        assert mapping == "body"
        assert con.execute("SELECT flow, status FROM runs").fetchall() == [("ingest", "completed")]
    shown = cxtext("runs", cwd=tmp_path)
    assert shown.returncode == 0 and "ingest" in shown.stdout and "completed" in shown.stdout


def test_a_hostile_source_name_is_only_ever_a_bound_value(tmp_path):
    """CLI parameters reach SQL as bound parameters: a name written as an SQL injection is stored as-is."""
    write_config(tmp_path)
    data = tmp_path / "x.csv"
    data.write_text("id,ts,body\n1,2026-07-06T10:00:00,fine\n")
    name = "x'); DROP TABLE feedback; --"
    result = cxtext(
        "ingest",
        str(data),
        "--source",
        name,
        "--kind",
        "review",
        "--map",
        "id=id,created_at=ts,text=body",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert cxtext("runs", cwd=tmp_path).returncode == 0
    with duckdb.connect(str(tmp_path / "state/pipeline.duckdb"), read_only=True) as con:
        assert con.execute("SELECT source, text FROM feedback").fetchall() == [(name, "fine")]
        assert con.execute("SELECT source FROM ingest_batches").fetchall() == [(name,)]


def test_check_thresholds_are_validated(tmp_path):
    from cxtext.config import load_settings
    from cxtext.errors import ConfigError
    from tests.conftest import write_config

    path = write_config(tmp_path)
    path.write_text(path.read_text() + "[checks]\nlast_run_warn_hours = 50\n")
    with pytest.raises(ConfigError, match="last_run_warn_hours: must not be above checks.last_run_fail_hours"):
        load_settings(path)
    path.write_text(path.read_text().replace("last_run_warn_hours = 50", "stale_share_warn = 0.1"))
    assert load_settings(path).checks.stale_share_warn == 0.1


def test_version_completion_flags_without_types_and_runs_in_80_columns(tmp_path):
    from cxtext import __version__

    assert cxtext("--version", cwd=ROOT).stdout.strip() == f"cxtext {__version__}"
    top = cxtext("--help", cwd=ROOT).stdout
    assert "--install-completion" in top
    backfill = cxtext("backfill", "--help", cwd=ROOT).stdout
    assert "--dry-run" in backfill and "<bool>" not in backfill
    write_config(tmp_path)
    data = tmp_path / "a-rather-long-file-name-for-the-parameters-column.csv"
    data.write_text("id,at,body\n1,2026-08-01T10:00:00Z,Parcel late again\n2,2026-08-01,\n")
    for _ in range(2):
        assert (
            cxtext(
                "ingest",
                str(data),
                "--kind",
                "review",
                "--source",
                "reviews_from_a_long_named_export",
                "--map",
                "text=body,created_at=at,source_id=id",
                cwd=tmp_path,
            ).returncode
            == 0
        )
    from typer.testing import CliRunner

    from cxtext.cli.app import console

    width = console.width
    console.width = 80  # a terminal of 80 columns
    try:
        shown = CliRunner().invoke(app, ["runs", "--config", str(tmp_path / "cxtext.toml")])
    finally:
        console.width = width
    lines = shown.stdout.splitlines()
    assert shown.exit_code == 0 and sum("ingest" in line and "completed" in line for line in lines) == 2, shown.stdout
    assert max(map(len, lines)) <= 80, shown.stdout
