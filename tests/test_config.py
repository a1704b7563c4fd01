"""cxtext.toml and the environment: every mistake is one line naming the key and the file."""

import subprocess
import sys
from pathlib import Path

import pytest

from cxtext.config import CheckThresholds, load_settings, make_source_spec
from cxtext.errors import ConfigError
from tests.conftest import REVIEWS_SOURCE, ROOT

ENV = ("CXTEXT_CONFIG", "CXTEXT_STATE_DIR", "CXTEXT_PII_SALT", "CXTEXT_WORKERS", "CXTEXT_DASK_ADDRESS")


@pytest.fixture(autouse=True)
def _no_cxtext_environment(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def config_with(tmp_path: Path, text: str, *, sources: str = REVIEWS_SOURCE) -> Path:
    """A config file whose state folder is tmp_path/state: *text*, then *sources*."""
    path = tmp_path / "cxtext.toml"
    path.write_text(f'state_dir = "state"\n{text}\n{sources}\n')
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    message = str(raised.value)
    assert "\n" not in message, message
    assert "cxtext.toml" in message, message
    return message


def test_the_repository_config_and_no_config_load(tmp_path, monkeypatch):
    settings = load_settings(ROOT / "cxtext.toml")
    assert set(settings.sources) == {"shop_reviews", "surveys", "social_listening"}
    assert settings.reporting_timezone == settings.schedule_timezone == "Europe/London"
    assert settings.sources["shop_reviews"].columns["rating"] == "stars"
    monkeypatch.chdir(tmp_path)
    defaults = load_settings()
    assert defaults.config_path is None and defaults.state_dir == tmp_path / "out"
    assert (defaults.chunk_rows, defaults.checks, defaults.languages[0]) == (20_000, CheckThresholds(), "en")


@pytest.mark.parametrize(
    "text, key, nearest",
    [
        ("chunk_row = 5", "chunk_row", "chunk_rows"),
        ("[checks]\nlast_run_warn_hour = 5", "checks.last_run_warn_hour", "checks.last_run_warn_hours"),
        ("[schedule]\nnightly_corn = '0 3 * * *'", "schedule.nightly_corn", "schedule.nightly_cron"),
        ("[pii]\nredact_handle = false", "pii.redact_handle", "pii.redact_handles"),
        ("[schedul]\nnightly_cron = '0 3 * * *'", "schedul", "schedule"),
    ],
)
def test_a_typo_is_an_error_naming_the_nearest_key(tmp_path, text, key, nearest):
    message = error_of(config_with(tmp_path, text, sources=""))
    assert f"unknown setting '{key}'; did you mean '{nearest}'?" in message, message


def test_a_typo_in_a_source_or_its_columns_names_the_nearest_key(tmp_path):
    path = config_with(tmp_path, "", sources=REVIEWS_SOURCE.replace("pattern =", "patern ="))
    assert "unknown setting 'sources.reviews.patern'; did you mean 'sources.reviews.pattern'?" in error_of(path)
    path = config_with(tmp_path, "", sources=REVIEWS_SOURCE.replace('text = "text"', 'txt = "text"'))
    assert "unknown field 'sources.reviews.columns.txt'; did you mean 'sources.reviews.columns.text'?" in error_of(path)
    aliased = REVIEWS_SOURCE.replace("source_record_id =", "id =").replace("rating =", "stars =")
    columns = load_settings(config_with(tmp_path, "", sources=aliased)).sources["reviews"].columns
    assert columns["source_record_id"] == "review_id" and columns["rating"] == "stars"


@pytest.mark.parametrize(
    "text, expected",
    [
        ('chunk_rows = "lots"', "chunk_rows: must be a whole number, got 'lots'"),
        ('workers = "x"', "workers: must be a whole number (a number of processes, 0 for one per core), got 'x'"),
        ("settle_seconds = true", "settle_seconds: must be a number, got True"),
        ('languages = "en"', "languages: must be a list, got 'en'"),
        ('languages = ["en", "english"]', "languages[1]: must be an ISO 639-1 code"),
        ("checks = 5", "checks: must be a table, got 5"),
        ('[checks]\nstale_share_warn = "high"', "checks.stale_share_warn: must be a number, got 'high'"),
        ("[pii]\nkeep_handles = ['VoltaShop']", "pii.keep_handles[0]: must be a handle such as '@VoltaShop'"),
        ("[pii]\nredact_handles = 'yes'", "pii.redact_handles: must be true or false, got 'yes'"),
        ("nightly_recompute_budget = -2", "nightly_recompute_budget: must be at least -1"),
        ("snapshots_kept = 0", "snapshots_kept: must be at least 1"),
        ('duckdb_memory_limit = "lots"', "duckdb_memory_limit: must be a size such as '1GB'"),
        ('[schedule]\ntimezone = "Mars/Olympus"', "schedule.timezone: unknown time zone 'Mars/Olympus'"),
    ],
)
def test_a_wrong_value_is_one_line_naming_the_key_and_the_file(tmp_path, text, expected):
    message = error_of(config_with(tmp_path, text, sources=""))
    assert message.startswith("cxtext.toml: ") or message.startswith(str(tmp_path)), message
    assert expected in message, message


@pytest.mark.parametrize(
    "old, new, key",
    [
        ("[sources.reviews]", "[sources.reviews]\ndelimiter = 5", "delimiter: must be a string, got 5"),
        ('kind = "review"', 'kind = "reviews"', "kind: must be one of 'review', 'survey' or 'social', got 'reviews'"),
        ('timezone = "Europe/London"', 'timezone = "Europe/Londres"', "timezone: unknown time zone 'Europe/Londres'"),
        ('text = "text"\n', "", "columns: must map text"),
        ('title = "title"', "title = 3", "columns.title: must be a non-empty column name, got 3"),
        ("[sources.reviews]", "[sources.reviews]\nkeep_extra = 'no'", "keep_extra: must be true or false"),
    ],
)
def test_a_wrong_source_value_names_the_source_and_the_key(tmp_path, old, new, key):
    message = error_of(config_with(tmp_path, "", sources=REVIEWS_SOURCE.replace(old, new, 1)))
    assert f"sources.reviews.{key}" in message, message


def test_every_warn_threshold_above_its_fail_threshold_is_an_error(tmp_path):
    warns = [name for name in CheckThresholds.model_fields if "_warn" in name]
    assert len(warns) == 6
    for warn in warns:
        fail = warn.replace("warn", "fail")
        path = config_with(tmp_path, "", sources=f"[checks]\n{warn} = 9\n{fail} = 1\n")
        assert f"checks.{warn}: must not be above checks.{fail} (9 > 1)" in error_of(path)
    equal = config_with(tmp_path, "", sources="[checks]\nreject_rate_warn = 0.3\nreject_rate_fail = 0.3\n")
    assert load_settings(equal).checks.reject_rate_warn == 0.3


def test_several_problems_are_still_one_line(tmp_path):
    message = error_of(config_with(tmp_path, 'chunk_rows = "lots"\nworkers = "x"', sources=""))
    assert message.endswith("(and 1 more problem)"), message


def test_environment_overrides_the_file(tmp_path, monkeypatch):
    path = config_with(tmp_path, 'workers = 3\ndask_address = "tcp://file:8786"\n[pii]\nsalt = "file-salt"')
    settings = load_settings(path)
    assert (settings.state_dir, settings.pii_salt, settings.workers) == (tmp_path / "state", "file-salt", 3)
    assert settings.dask_address == "tcp://file:8786"
    monkeypatch.setenv("CXTEXT_STATE_DIR", "elsewhere")
    monkeypatch.setenv("CXTEXT_PII_SALT", "env-salt")
    monkeypatch.setenv("CXTEXT_WORKERS", "2")
    monkeypatch.setenv("CXTEXT_DASK_ADDRESS", "tcp://env:8786")
    monkeypatch.setenv("cxtext_workers", "5")  # only the names in capitals are read
    settings = load_settings(path)
    assert settings.state_dir == tmp_path / "elsewhere"  # relative to the config file, as the file's own
    assert (settings.pii_salt, settings.workers, settings.dask_address) == ("env-salt", 2, "tcp://env:8786")
    assert load_settings(path, state_dir=tmp_path / "explicit").state_dir == tmp_path / "explicit"
    monkeypatch.setenv("CXTEXT_WORKERS", "x")
    with pytest.raises(ConfigError, match=r"^environment: CXTEXT_WORKERS: must be a whole number .*got 'x'$"):
        load_settings(path)


def test_cxtext_config_names_the_file(tmp_path, monkeypatch):
    (tmp_path / "conf").mkdir()
    path = config_with(tmp_path / "conf", "chunk_rows = 7")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CXTEXT_CONFIG", str(path))
    assert load_settings().chunk_rows == 7
    monkeypatch.setenv("CXTEXT_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings()
    assert load_settings(path).config_path == path  # an explicit file wins over CXTEXT_CONFIG


def test_an_archived_mapping_is_still_a_valid_source():
    spec = make_source_spec("s", {"kind": "social", "format": "jsonl", "columns": {"id": "i", "created_at": "c", "text": "t"}})
    assert make_source_spec("s", spec.to_json()) == spec
    with pytest.raises(ConfigError, match=r"^source 's': delimiter: must be one character, got ';;'$"):
        make_source_spec("s", {**spec.to_json(), "delimiter": ";;"})


def test_the_cxtext_command_prints_a_bad_config_as_one_line(tmp_path):
    command = Path(sys.executable).parent / "cxtext"
    assert command.exists(), "the cxtext console script is installed beside the interpreter"
    for text, expected in [
        ("chunk_row = 5", "did you mean 'chunk_rows'?"),
        ('chunk_rows = "lots"', "chunk_rows: must be a whole number"),
        ("[checks]\nstale_share_warn = 0.9", "checks.stale_share_warn: must not be above"),
    ]:
        config_with(tmp_path, text, sources="")
        result = subprocess.run([str(command), "sources"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert result.returncode == 1, (result.stdout, result.stderr)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: cxtext.toml: "), result.stderr
        assert expected in lines[0] and "Traceback" not in result.stderr, result.stderr


def test_the_library_knows_no_prefect_variable():
    """Prefect's environment is flows/environment.py's; only the CLI command that serves checks PREFECT_API_URL."""
    leaks = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "cxtext").rglob("*.py")
        if "PREFECT_" in p.read_text() and p.parent.name != "cli"
    ]
    assert not leaks
    from cxtext_flows.environment import prefect_environment

    settings = load_settings(ROOT / "cxtext.toml", state_dir=Path("/tmp/cx-state"))
    assert prefect_environment(settings)["PREFECT_HOME"] == "/tmp/cx-state/prefect"


def test_the_init_template_is_valid_with_every_commented_table_switched_on(tmp_path):
    """`cxtext init`'s file: core pack by default; its commented [themes] table, once uncommented,
    parses into the settings it names (a renamed setting would break new users' configs)."""
    import re

    from cxtext.cli.starter import TEMPLATE

    text = TEMPLATE.format(timezone="UTC", config_name="cxtext.toml")
    assert "# [themes]" in text and "cxtext themes suggest" in text
    settings = load_settings(_write(tmp_path / "plain.toml", text))
    assert settings.taxonomy_packs == ("core",)

    def on(block: str) -> str:  # uncomment one commented table: its header and its "# key = value" lines
        head, banner, tail = text.partition(f"# [{block}]\n")
        body, sep, rest = tail.partition("\n\n")
        return head + f"[{block}]\n" + re.sub(r"(?m)^# (\w+ = )", r"\1", body) + sep + rest

    changed = on("themes").replace("suggest_every_days = 7", "suggest_every_days = 3")
    settings = load_settings(_write(tmp_path / "themes.toml", changed))
    assert settings.themes.suggest_every_days == 3 and settings.themes.tag_discovered is True


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_ingest_memory_cap_is_a_setting(tmp_path):
    assert load_settings(config_with(tmp_path, "")).ingest_memory_limit == "128MB"
    assert load_settings(config_with(tmp_path, 'ingest_memory_limit = "1GiB"')).ingest_memory_limit == "1GiB"
