"""The [limits], [retention] and [alerts] tables of cxtext.toml (docs/SOURCES.md, docs/OPERATIONS.md),
validated like every table of the file. Their own module only to keep cxtext/config.py within the
500 lines a module may have."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class LimitsConfig(BaseModel):
    """[limits]: beyond these a record is rejected with the reason."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)  # as every table of cxtext.toml

    earliest_created_at: date = Field(date(1990, 1, 1), description="older records are rejected (implausible_created_at)")
    max_field_chars: Annotated[int, Field(ge=1)] = Field(10_000, description="any field but the text (field_too_long)")
    max_record_chars: Annotated[int, Field(ge=1)] = Field(4_000_000, description="a whole record as read (record_too_large)")


class ConfigTable(BaseModel):
    """A table of cxtext.toml: TOML already types its values, so no coercion and no unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RetentionConfig(ConfigTable):
    """[retention]: how long the nightly run keeps each kind of history (days; unset keeps it for ever)."""

    archive_days: int | None = Field(
        None,
        ge=1,
        description="archived source files (their index rows stay, so the landing scan still knows them; a backfill no longer re-reads them)",
    )
    rejects_days: int | None = Field(None, ge=1, description="rejected records (rejects)")
    snapshots_days: int | None = Field(None, ge=1, description="published snapshots (the newest is always kept)")
    prefect_runs_days: int | None = Field(None, ge=1, description="Prefect's flow runs and their logs")


class AlertsConfig(ConfigTable):
    """[alerts]: where emerging issues, failed checks and failed runs are sent, once each."""

    urls: list[str] = Field([], description="apprise URLs: mailto://, slack://, msteams://, json:// (a webhook)")
    events: list[Literal["emerging", "checks", "failed_runs"]] = ["emerging", "checks", "failed_runs"]
    quotes: bool = Field(False, description="add (PII-redacted) quotes to emerging issues; alerts are beyond erasure's reach")


class ThemesConfig(ConfigTable):
    """[themes]: themes discovered in the feedback (`cxtext themes suggest`, docs/TAXONOMY.md)."""

    suggest_every_days: int = Field(
        7, ge=0, description="the nightly run refreshes the suggestions when they are this old (0: only `cxtext themes suggest`)"
    )
    tag_discovered: bool = Field(True, description="tag feedback with the current suggestions too, marked discovered")
    min_volume: int = Field(5, ge=2, description="feedback a suggestion needs at least")
    max_suggestions: int = Field(20, ge=1, description="suggestions kept at most")
