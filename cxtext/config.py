"""Configuration: the one place that reads the config file and environment variables.

`cxtext.toml` (at the repository root by default) holds the settings and the declarative source
definitions. Environment variables override a few settings so that tests, CI and ops can point a
run elsewhere without editing the file:

- ``CXTEXT_CONFIG``: path of the config file;
- ``CXTEXT_STATE_DIR``: the state folder (databases, archive, reports);
- ``CXTEXT_PII_SALT``: the salt for hashing customer keys;
- ``CXTEXT_WORKERS``, ``CXTEXT_DASK_ADDRESS``: where the CPU-bound stages run.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cxtext.errors import ConfigError
from cxtext.redact import HandlePolicy

KINDS = ("review", "survey", "social")
FORMATS = ("csv", "jsonl", "parquet")

#: Canonical record fields a source column can be mapped to (``created_at`` and ``text`` required).
CANONICAL_FIELDS = (
    "source_record_id",
    "created_at",
    "text",
    "title",
    "rating",
    "nps",
    "csat",
    "ces",
    "product",
    "channel",
    "touchpoint",
    "region",
    "customer_key",
)
REQUIRED_FIELDS = ("created_at", "text")
#: Friendlier names accepted in ``--map`` and in the config file.
FIELD_ALIASES = {"source_id": "source_record_id", "id": "source_record_id", "stars": "rating"}

DEFAULT_CONFIG_NAME = "cxtext.toml"
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class SourceSpec:
    """How one source's files map onto the canonical feedback record."""

    name: str
    kind: str
    format: str
    columns: dict[str, str]
    landing: Path | None = None
    pattern: str = "*"
    created_at_format: str = "iso"
    timezone: str = "UTC"
    delimiter: str = ","
    keep_extra: bool = True

    def to_json(self) -> dict:
        """The mapping as stored beside an archived file, so a backfill can re-read it."""
        return {
            "name": self.name,
            "kind": self.kind,
            "format": self.format,
            "columns": dict(self.columns),
            "created_at_format": self.created_at_format,
            "timezone": self.timezone,
            "delimiter": self.delimiter,
            "keep_extra": self.keep_extra,
        }


#: Languages the detector chooses among (ISO 639-1); restricting them makes short texts far more
#: accurate (docs/LANGUAGE.md). English is always one of them.
DEFAULT_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl")


@dataclass(frozen=True)
class CheckThresholds:
    """Warn and fail thresholds of `cxtext check` ([checks] in cxtext.toml)."""

    last_run_warn_hours: float = 26
    last_run_fail_hours: float = 48
    silent_source_warn_days: float = 3
    silent_source_fail_days: float = 7
    reject_rate_warn: float = 0.05
    reject_rate_fail: float = 0.20
    stale_share_warn: float = 0.05
    stale_share_fail: float = 0.50
    no_theme_share_warn: float = 0.60
    no_theme_share_fail: float = 0.85
    state_growth_warn: float = 0.50
    state_growth_fail: float = 2.00


def check_thresholds(data: dict) -> CheckThresholds:
    """[checks]: every key a number, each warn threshold at most its fail threshold."""
    known = {f for f in CheckThresholds.__dataclass_fields__}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"checks: unknown setting(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"checks.{key}: must be a number >= 0, got {value!r}")
    thresholds = CheckThresholds(**{k: float(v) for k, v in data.items()})
    for key in known:
        if "_warn" in key:
            fail = key.replace("warn", "fail")
            if getattr(thresholds, key) > getattr(thresholds, fail):
                raise ConfigError(f"checks.{key}: must not be above checks.{fail}")
    return thresholds


@dataclass(frozen=True)
class Settings:
    config_path: Path | None
    state_dir: Path
    reporting_timezone: str = "UTC"
    settle_seconds: float = 2.0
    lock_wait_seconds: float = 0.0
    max_text_chars: int = 20_000
    chunk_rows: int = 20_000
    enrich_chunk_rows: int = 2_000
    topic_features: str = "lsa"
    topic_sample_size: int = 20_000
    topic_k_max: int = 24
    taxonomy_packs: tuple[str, ...] = ("core",)  # shipped packs (models/packs), combined in order
    taxonomy_files: tuple[Path, ...] = ()  # the user's own taxonomy files, combined after the packs
    pii_salt: str | None = None
    nightly_recompute_budget: int = 100_000
    workers: int = 0
    duckdb_memory_limit: str = "256MB"
    dask_address: str | None = None
    parallel_min_rows: int = 20_000
    nightly_cron: str = "0 2 * * *"
    schedule_timezone: str = "UTC"
    pii_handles: HandlePolicy = HandlePolicy()
    sources: dict[str, SourceSpec] = field(default_factory=dict)
    snapshots_kept: int = 7
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    checks: CheckThresholds = CheckThresholds()

    @property
    def work_db(self) -> Path:
        """The pipeline's private working database: only cxtext opens it."""
        return self.state_dir / "pipeline.duckdb"

    @property
    def published_db(self) -> Path:
        """The analysts' file, replaced atomically at the end of each successful run."""
        return self.state_dir / "cx.duckdb"

    @property
    def report_path(self) -> Path:
        return self.state_dir / "report.html"

    @property
    def archive_dir(self) -> Path:
        return self.state_dir / "archive"

    @property
    def topic_models_dir(self) -> Path:
        """Fitted topic models, one folder per version, and CURRENT naming the one in use."""
        return self.state_dir / "models" / "topics"

    @property
    def snapshots_dir(self) -> Path:
        """The last snapshots_kept published files, for rollback (`cxtext publish --rollback`)."""
        return self.state_dir / "snapshots"

    @property
    def lock_path(self) -> Path:
        return self.state_dir / ".writer.lock"

    @property
    def prefect_home(self) -> Path:
        return self.state_dir / "prefect"

    def salt(self) -> str:
        """The customer-key salt: configured, or generated once per state folder and kept there."""
        if self.pii_salt:
            return self.pii_salt
        path = self.state_dir / "pii_salt"
        if not path.exists():
            self.state_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return path.read_text().strip()


def find_config(explicit: str | Path | None = None) -> Path | None:
    """The config file to use: explicit path, then $CXTEXT_CONFIG, then ./cxtext.toml."""
    candidate = explicit or os.environ.get("CXTEXT_CONFIG")
    if candidate:
        path = Path(candidate)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        return path.resolve()
    default = Path.cwd() / DEFAULT_CONFIG_NAME
    return default.resolve() if default.is_file() else None


def load_settings(config: str | Path | None = None, *, state_dir: str | Path | None = None) -> Settings:
    """Read the config file (if any) and apply environment overrides."""
    path = find_config(config)
    data: dict = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    base = path.parent if path else Path.cwd()

    state = state_dir or os.environ.get("CXTEXT_STATE_DIR") or data.get("state_dir", "out")
    tz = data.get("reporting_timezone", "UTC")
    check_timezone(tz, "reporting_timezone")
    pii = data.get("pii", {})
    schedule = data.get("schedule", {})
    schedule_tz = schedule.get("timezone", tz)
    check_timezone(schedule_tz, "schedule.timezone")
    budget = data.get("nightly_recompute_budget", 100_000)
    if not isinstance(budget, int) or budget < -1:
        raise ConfigError(f"nightly_recompute_budget: a number of rows, 0 (leave all to a backfill) or -1 (no limit), got {budget!r}")
    sources = {
        name: make_source_spec(name, spec, base=base) for name, spec in data.get("sources", {}).items()
    }
    return Settings(
        config_path=path,
        state_dir=(base / state).resolve() if not Path(state).is_absolute() else Path(state),
        reporting_timezone=tz,
        settle_seconds=float(data.get("settle_seconds", 2.0)),
        lock_wait_seconds=float(data.get("lock_wait_seconds", 0.0)),
        max_text_chars=int(data.get("max_text_chars", 20_000)),
        chunk_rows=int(data.get("chunk_rows", 20_000)),
        enrich_chunk_rows=int(data.get("enrich_chunk_rows", 2_000)),
        topic_features=str(data.get("topic_features", "lsa")),
        topic_sample_size=int(data.get("topic_sample_size", 20_000)),
        topic_k_max=int(data.get("topic_k_max", 24)),
        **_taxonomy_settings(data, base),
        pii_salt=os.environ.get("CXTEXT_PII_SALT") or pii.get("salt"),
        nightly_recompute_budget=budget,
        workers=_workers(os.environ.get("CXTEXT_WORKERS", data.get("workers", 0))),
        dask_address=os.environ.get("CXTEXT_DASK_ADDRESS") or data.get("dask_address") or None,
        parallel_min_rows=int(data.get("parallel_min_rows", 20_000)),
        duckdb_memory_limit=_memory(data.get("duckdb_memory_limit", "256MB")),
        nightly_cron=str(schedule.get("nightly_cron", "0 2 * * *")),
        schedule_timezone=schedule_tz,
        pii_handles=handle_policy(pii),
        sources=sources,
        snapshots_kept=_snapshots_kept(data.get("snapshots_kept", 7)),
        languages=_languages(data.get("languages", list(DEFAULT_LANGUAGES))),
        checks=check_thresholds(data.get("checks", {})),
    )


def _taxonomy_settings(data: dict, base: Path) -> dict:
    """``taxonomy_packs`` (names of shipped packs) and ``taxonomy`` (the user's files, one or a list)."""
    packs = data.get("taxonomy_packs", ["core"])
    if not isinstance(packs, list) or not all(isinstance(p, str) and p for p in packs):
        raise ConfigError(f"taxonomy_packs: a list of pack names such as [\"core\", \"retail\"], got {packs!r}")
    files = data.get("taxonomy", [])
    files = [files] if isinstance(files, str) else files
    if not isinstance(files, list) or not all(isinstance(f, str) and f for f in files):
        raise ConfigError(f"taxonomy: a taxonomy file or a list of them, got {files!r}")
    return {"taxonomy_packs": tuple(packs), "taxonomy_files": tuple((base / f).resolve() for f in files)}


def _memory(value) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", value.strip(), re.IGNORECASE):
        raise ConfigError(f"duckdb_memory_limit: a size such as '1GB' or '512MB', got {value!r}")
    return value.strip()


def _workers(value) -> int:
    """``workers``: processes for the CPU-bound stages; 0 means one per core."""
    from cxtext.parallel import default_workers

    try:
        workers = int(value)
    except (TypeError, ValueError):
        workers = -1
    if workers < 0:
        raise ConfigError(f"workers: a number of processes (0: one per core), got {value!r}")
    return workers or default_workers()


def _snapshots_kept(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"snapshots_kept: a number of published snapshots to keep, at least 1, got {value!r}")
    return value


def _languages(value) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and len(v) == 2 and v.isalpha() for v in value):
        raise ConfigError(f"languages: a list of ISO 639-1 codes such as [\"en\", \"fr\"], got {value!r}")
    codes = tuple(dict.fromkeys(["en", *(v.lower() for v in value)]))
    return codes


def handle_policy(pii: dict) -> HandlePolicy:
    """[pii] redact_handles (default true: a handle names a person) and keep_handles."""
    redact, keep = pii.get("redact_handles", True), pii.get("keep_handles", [])
    if not isinstance(redact, bool):
        raise ConfigError(f"pii.redact_handles: must be true or false, got {redact!r}")
    if not isinstance(keep, list) or not all(isinstance(h, str) and h.startswith("@") for h in keep):
        raise ConfigError(f"pii.keep_handles: must be a list of handles such as [\"@VoltaShop\"], got {keep!r}")
    return HandlePolicy.of(redact, keep)


def check_timezone(name: str, where: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: unknown time zone {name!r} (use an IANA name such as 'Europe/London')") from None


def canonical_field(name: str, where: str) -> str:
    """Resolve an alias and check that the name is a canonical field."""
    name = FIELD_ALIASES.get(name.strip(), name.strip())
    if name not in CANONICAL_FIELDS:
        raise ConfigError(
            f"{where}: unknown field {name!r}; known fields: {', '.join(CANONICAL_FIELDS)} "
            f"(aliases: {', '.join(f'{a}={b}' for a, b in FIELD_ALIASES.items())})"
        )
    return name


def make_source_spec(name: str, spec: dict, *, base: Path | None = None) -> SourceSpec:
    """Validate one source definition; errors name the source and the field."""
    where = f"source {name!r}"
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: must be a table of settings")
    known = {"kind", "format", "columns", "landing", "pattern", "created_at_format", "timezone",
             "delimiter", "keep_extra", "name"}
    unknown = set(spec) - known
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    fmt = spec.get("format", "csv")
    if fmt not in FORMATS:
        raise ConfigError(f"{where}: format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    raw_columns = spec.get("columns")
    if not isinstance(raw_columns, dict) or not raw_columns:
        raise ConfigError(f"{where}: 'columns' must map canonical fields to source columns")
    columns: dict[str, str] = {}
    for key, column in raw_columns.items():
        canonical = canonical_field(key, f"{where}, columns")
        if not isinstance(column, str) or not column.strip():
            raise ConfigError(f"{where}, columns.{key}: must be a non-empty column name")
        columns[canonical] = column.strip()
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if missing:
        raise ConfigError(f"{where}: columns must map {' and '.join(missing)}")
    tz = spec.get("timezone", "UTC")
    check_timezone(tz, f"{where}, timezone")
    landing = spec.get("landing")
    delimiter = spec.get("delimiter", ",")
    if len(delimiter) != 1:
        raise ConfigError(f"{where}, delimiter: must be one character, got {delimiter!r}")
    return SourceSpec(
        name=name,
        kind=kind,
        format=fmt,
        columns=columns,
        landing=(base / landing).resolve() if (landing and base) else (Path(landing) if landing else None),
        pattern=spec.get("pattern", "*"),
        created_at_format=spec.get("created_at_format", "iso"),
        timezone=tz,
        delimiter=delimiter,
        keep_extra=bool(spec.get("keep_extra", True)),
    )


def parse_map(text: str) -> dict[str, str]:
    """Parse ``text=body,created_at=tweet_created,source_id=tweet_id`` into canonical → column."""
    columns: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, column = part.partition("=")
        if not sep or not column.strip():
            raise ConfigError(f"--map: expected FIELD=COLUMN, got {part!r}")
        columns[canonical_field(key, "--map")] = column.strip()
    return columns


def guess_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    for fmt, exts in (("jsonl", {".jsonl", ".ndjson", ".json"}), ("parquet", {".parquet", ".pq"}), ("csv", {".csv", ".tsv", ".txt"})):
        if any(s in exts for s in suffixes):
            return fmt
    raise ConfigError(f"cannot tell the format of {path.name}: pass --format csv|jsonl|parquet")


def prefect_environment(settings: Settings) -> dict[str, str]:
    """Defaults for Prefect's environment, applied (never overriding) before Prefect is imported.

    Without PREFECT_API_URL Prefect starts a temporary local server; keep its state in the state
    folder, give its cold start time (16-22 s measured here against a 20 s default) and stay quiet
    offline.
    """
    return {
        "PREFECT_HOME": str(settings.prefect_home),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def apply_prefect_environment(settings: Settings) -> None:
    settings.prefect_home.mkdir(parents=True, exist_ok=True)  # Prefect creates only the last level
    for key, value in prefect_environment(settings).items():
        os.environ.setdefault(key, value)
