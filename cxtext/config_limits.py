"""[limits] of cxtext.toml: what one record may hold (docs/SOURCES.md, Limits). Its own module
only to keep cxtext/config.py within the 500 lines a module may have."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class LimitsConfig(BaseModel):
    """[limits]: beyond these a record is rejected with the reason."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)  # as every table of cxtext.toml

    earliest_created_at: date = Field(date(1990, 1, 1), description="older records are rejected (implausible_created_at)")
    max_field_chars: Annotated[int, Field(ge=1)] = Field(10_000, description="any field but the text (field_too_long)")
    max_record_chars: Annotated[int, Field(ge=1)] = Field(4_000_000, description="a whole record as read (record_too_large)")
