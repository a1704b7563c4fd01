"""Configuration: the one place that reads the config file and environment variables.

`cxtext.toml` (at the repository root by default) holds the settings and the declarative source
definitions. Its shape is declared once, as the pydantic models below: an unknown key, a wrong type
or a broken rule (a warn threshold above its fail threshold) is a one-line `ConfigError` naming the
key and the file. Environment variables (`Environment`, read with pydantic-settings) override a few
settings so that tests, CI and ops can point a run elsewhere without editing the file:

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
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from cxtext.config_messages import one_line_error, problem, shown_path, suggest
from cxtext.config_tables import AlertsConfig, LimitsConfig, RetentionConfig, ThemesConfig
from cxtext.config_tables import ConfigTable as _Table
from cxtext.errors import ConfigError

Kind = Literal["review", "survey", "social"]
Format = Literal["csv", "jsonl", "parquet"]
KINDS: tuple[str, ...] = get_args(Kind)
FORMATS: tuple[str, ...] = get_args(Format)

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


@dataclass(frozen=True)
class HandlePolicy:
    """Whether social @handles are redacted, and the accounts that stay (the brand's own, which
    identify no customer). *keep* holds lower-case handles with their @."""

    redact: bool = True
    keep: frozenset[str] = frozenset()

    @classmethod
    def of(cls, redact: bool, keep) -> HandlePolicy:
        return cls(bool(redact), frozenset(h.strip().lower() for h in keep))


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


#: Languages the detector chooses among (ISO 639-1); restricting them makes short texts far more
#: accurate (docs/LANGUAGE.md). English is always one of them.
DEFAULT_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl")
_WORKERS = "a number of processes, 0 for one per core"


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise problem(f"unknown time zone {name!r} (use an IANA name such as 'Europe/London')") from None
    return name


def _memory(value: str) -> str:
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", value.strip(), re.IGNORECASE):
        raise problem(f"must be a size such as '1GB' or '512MB', got {value!r}")
    return value.strip()


def _language(code: str) -> str:
    if len(code) != 2 or not code.isalpha():
        raise problem(f"must be an ISO 639-1 code such as 'en' or 'fr', got {code!r}")
    return code.lower()


def _handle(handle: str) -> str:
    if not handle.startswith("@"):
        raise problem(f"must be a handle such as '@VoltaShop', got {handle!r}")
    return handle


def _delimiter(value: str) -> str:
    if len(value) != 1:
        raise problem(f"must be one character, got {value!r}")
    return value


TimeZone = Annotated[str, AfterValidator(_zone)]
Rows = Annotated[int, Field(ge=1)]
Seconds = Annotated[float, Field(ge=0)]
Threshold = Annotated[float, Field(ge=0)]


class CheckThresholds(_Table):
    """Warn and fail thresholds of `cxtext check` ([checks] in cxtext.toml)."""

    last_run_warn_hours: Threshold = 26
    last_run_fail_hours: Threshold = 48
    silent_source_warn_days: Threshold = 3
    silent_source_fail_days: Threshold = 7
    reject_rate_warn: Threshold = 0.05
    reject_rate_fail: Threshold = 0.20
    stale_share_warn: Threshold = 0.05
    stale_share_fail: Threshold = 0.50
    no_theme_share_warn: Threshold = 0.60
    no_theme_share_fail: Threshold = 0.85
    state_growth_warn: Threshold = 0.50
    state_growth_fail: Threshold = 2.00

    @model_validator(mode="after")
    def _warn_at_most_fail(self) -> CheckThresholds:
        for warn in type(self).model_fields:
            fail = warn.replace("warn", "fail")
            if "_warn" in warn and getattr(self, warn) > getattr(self, fail):
                raise problem(f"must not be above checks.{fail} ({getattr(self, warn):g} > {getattr(self, fail):g})", warn)
        return self


class ScheduleConfig(_Table):
    """[schedule]: when `cxtext serve` runs the nightly flow."""

    nightly_cron: str = "0 2 * * *"
    timezone: TimeZone | None = Field(None, description="default: reporting_timezone")


class PiiConfig(_Table):
    """[pii]: the customer-key salt and the social-handle policy."""

    salt: str | None = None
    redact_handles: bool = True
    keep_handles: list[Annotated[str, AfterValidator(_handle)]] = []


class SourceConfig(_Table):
    """[sources.NAME]: how one source's files map onto the canonical feedback record."""

    kind: Kind = Field(description="review, survey or social")
    format: Format = "csv"
    columns: dict[str, str] = Field(description="canonical field = source column; created_at and text required")
    landing: str | None = None
    pattern: str = "*"
    created_at_format: str = "iso"
    timezone: TimeZone = "UTC"
    delimiter: Annotated[str, AfterValidator(_delimiter)] = ","
    keep_extra: bool = True
    name: str | None = Field(None, description="ignored: archived mappings carry it")

    @field_validator("columns", mode="before")
    @classmethod
    def _canonical_columns(cls, raw):
        if not isinstance(raw, dict) or not raw:
            raise problem('must map canonical fields to source columns, e.g. text = "body"')
        columns: dict[str, str] = {}
        for key, column in raw.items():
            canonical = _canonical(key)
            if canonical is None:
                known = (*CANONICAL_FIELDS, *FIELD_ALIASES)
                raise PydanticCustomError("unknown_field", "unknown field {key}", {"key": key, "known": known})
            if not isinstance(column, str) or not column.strip():
                raise problem(f"must be a non-empty column name, got {column!r}", key)
            columns[canonical] = column.strip()
        missing = [f for f in REQUIRED_FIELDS if f not in columns]
        if missing:
            raise problem(f"must map {' and '.join(missing)}")
        return columns


class ConfigFile(_Table):
    """The whole of cxtext.toml; `load_settings` turns it into `Settings`."""

    state_dir: str = "out"
    reporting_timezone: TimeZone = "UTC"
    settle_seconds: Seconds = 2.0
    lock_wait_seconds: Seconds = 0.0
    nightly_queue_hours: Annotated[float, Field(ge=0, description="how long a nightly run waits behind a backfill")] = 12.0
    max_text_chars: Rows = 20_000
    chunk_rows: Rows = 20_000
    enrich_chunk_rows: Rows = 5_000
    topic_features: str = "lsa"
    topic_sample_size: Rows = 20_000
    topic_k_max: Rows = 24
    # The taxonomy's layers: shipped packs (models/packs), then the user's own files (docs/TAXONOMY.md).
    taxonomy_packs: list[Annotated[str, Field(min_length=1)]] = ["core"]
    taxonomy: str | list[Annotated[str, Field(min_length=1)]] = []
    nightly_recompute_budget: int = Field(
        100_000, ge=-1, description="a number of rows, 0 to leave all to a backfill, -1 for no limit"
    )
    workers: int = Field(0, ge=0, description=_WORKERS)
    dask_address: str | None = None
    parallel_min_rows: int = Field(20_000, ge=0)
    duckdb_memory_limit: Annotated[str, AfterValidator(_memory)] = "160MB"
    ingest_memory_limit: Annotated[str, AfterValidator(_memory)] = "128MB"
    snapshots_kept: int = Field(7, ge=1, description="published snapshots to keep")
    languages: list[Annotated[str, AfterValidator(_language)]] = list(DEFAULT_LANGUAGES)
    checks: CheckThresholds = CheckThresholds()
    schedule: ScheduleConfig = ScheduleConfig()
    retention: RetentionConfig = RetentionConfig()
    pii: PiiConfig = PiiConfig()
    alerts: AlertsConfig = AlertsConfig()
    limits: LimitsConfig = LimitsConfig()
    themes: ThemesConfig = ThemesConfig()
    sources: dict[str, SourceConfig] = {}


class Environment(BaseSettings):
    """The environment variables cxtext reads, all of them; each overrides the file."""

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", frozen=True)

    config: str | None = Field(None, alias="CXTEXT_CONFIG")
    state_dir: str | None = Field(None, alias="CXTEXT_STATE_DIR")
    pii_salt: str | None = Field(None, alias="CXTEXT_PII_SALT")
    workers: int | None = Field(None, alias="CXTEXT_WORKERS", ge=0, description=_WORKERS)
    dask_address: str | None = Field(None, alias="CXTEXT_DASK_ADDRESS")

    @classmethod
    def read(cls) -> Environment:
        try:
            return cls()
        except ValidationError as exc:
            raise one_line_error(exc, cls, "environment") from None


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


def check_thresholds(data: dict) -> CheckThresholds:
    """[checks]: every key a number >= 0, each warn threshold at most its fail threshold."""
    return _validated(CheckThresholds, data, "config", prefix=("checks",))


@dataclass(frozen=True)
class Settings:
    """What a run reads: the validated file with the environment's overrides and paths resolved."""

    config_path: Path | None
    state_dir: Path
    reporting_timezone: str
    settle_seconds: float
    lock_wait_seconds: float
    max_text_chars: int
    chunk_rows: int
    enrich_chunk_rows: int
    topic_features: str
    topic_sample_size: int
    topic_k_max: int
    taxonomy_packs: tuple[str, ...]  # shipped packs (models/packs), combined in order
    taxonomy_files: tuple[Path, ...]  # the user's own taxonomy files, combined after the packs
    pii_salt: str | None
    nightly_recompute_budget: int
    workers: int
    duckdb_memory_limit: str
    ingest_memory_limit: str  # DuckDB's cap while a file is ingested, at most duckdb_memory_limit
    dask_address: str | None
    parallel_min_rows: int
    nightly_cron: str
    schedule_timezone: str
    pii_handles: HandlePolicy
    sources: dict[str, SourceSpec]
    snapshots_kept: int
    languages: tuple[str, ...]
    checks: CheckThresholds
    alerts: AlertsConfig = AlertsConfig()
    nightly_queue_seconds: float = 12 * 3600.0
    limits: LimitsConfig = LimitsConfig()
    retention: RetentionConfig = RetentionConfig()
    themes: ThemesConfig = ThemesConfig()

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


def find_config(explicit: str | Path | None = None, *, env: Environment | None = None) -> Path | None:
    """The config file to use: explicit path, then $CXTEXT_CONFIG, then ./cxtext.toml."""
    candidate = explicit or (env or Environment.read()).config
    if candidate:
        path = Path(candidate)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        return path.resolve()
    default = Path.cwd() / DEFAULT_CONFIG_NAME
    return default.resolve() if default.is_file() else None


def load_settings(config: str | Path | None = None, *, state_dir: str | Path | None = None) -> Settings:
    """Read and validate the config file (if any), then apply the environment's overrides."""
    env = Environment.read()
    path = find_config(config, env=env)
    data: dict = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    file = _validated(ConfigFile, data, shown_path(path) if path else "defaults")
    base = path.parent if path else Path.cwd()
    state = Path(state_dir or env.state_dir or file.state_dir)
    return Settings(
        config_path=path,
        state_dir=state if state.is_absolute() else (base / state).resolve(),
        reporting_timezone=file.reporting_timezone,
        settle_seconds=file.settle_seconds,
        lock_wait_seconds=file.lock_wait_seconds,
        max_text_chars=file.max_text_chars,
        chunk_rows=file.chunk_rows,
        enrich_chunk_rows=file.enrich_chunk_rows,
        topic_features=file.topic_features,
        topic_sample_size=file.topic_sample_size,
        topic_k_max=file.topic_k_max,
        taxonomy_packs=tuple(file.taxonomy_packs),
        taxonomy_files=tuple(
            (base / f).resolve() for f in ([file.taxonomy] if isinstance(file.taxonomy, str) else file.taxonomy)
        ),
        pii_salt=env.pii_salt or file.pii.salt,
        nightly_recompute_budget=file.nightly_recompute_budget,
        workers=(env.workers if env.workers is not None else file.workers) or default_workers(),
        duckdb_memory_limit=file.duckdb_memory_limit,
        ingest_memory_limit=file.ingest_memory_limit,
        dask_address=env.dask_address or file.dask_address or None,
        parallel_min_rows=file.parallel_min_rows,
        nightly_cron=file.schedule.nightly_cron,
        schedule_timezone=file.schedule.timezone or file.reporting_timezone,
        pii_handles=HandlePolicy.of(file.pii.redact_handles, file.pii.keep_handles),
        sources={name: _source_spec(name, source, base) for name, source in file.sources.items()},
        snapshots_kept=file.snapshots_kept,
        languages=tuple(dict.fromkeys(["en", *file.languages])),
        checks=file.checks,
        alerts=file.alerts,
        nightly_queue_seconds=file.nightly_queue_hours * 3600,
        limits=file.limits,
        retention=file.retention,
        themes=file.themes,
    )


def make_source_spec(name: str, spec: dict, *, base: Path | None = None) -> SourceSpec:
    """Validate one source definition (a command line's or an archived one); errors name the source and the field."""
    return _source_spec(name, _validated(SourceConfig, spec, f"source {name!r}"), base)


def _source_spec(name: str, source: SourceConfig, base: Path | None) -> SourceSpec:
    landing = source.landing
    return SourceSpec(
        name=name,
        kind=source.kind,
        format=source.format,
        columns=dict(source.columns),
        landing=(base / landing).resolve() if (landing and base) else (Path(landing) if landing else None),
        pattern=source.pattern,
        created_at_format=source.created_at_format,
        timezone=source.timezone,
        delimiter=source.delimiter,
        keep_extra=source.keep_extra,
    )


def _canonical(name: str) -> str | None:
    name = FIELD_ALIASES.get(name.strip(), name.strip())
    return name if name in CANONICAL_FIELDS else None


def canonical_field(name: str, where: str) -> str:
    """Resolve an alias and check that the name is a canonical field."""
    canonical = _canonical(name)
    if canonical is None:
        raise ConfigError(
            f"{where}: unknown field {name.strip()!r}; {suggest(name.strip(), (*CANONICAL_FIELDS, *FIELD_ALIASES))}"
        )
    return canonical


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
    for fmt, exts in (
        ("jsonl", {".jsonl", ".ndjson", ".json"}),
        ("parquet", {".parquet", ".pq"}),
        ("csv", {".csv", ".tsv", ".txt"}),
    ):
        if any(s in exts for s in suffixes):
            return fmt
    raise ConfigError(f"cannot tell the format of {path.name}: pass --format csv|jsonl|parquet")


def _validated(model: type[BaseModel], data, where: str, prefix: tuple = ()):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise one_line_error(exc, model, where, prefix) from None
