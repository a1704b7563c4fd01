"""The schema's building blocks: a column, a table (its DDL at a schema version), the version."""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 8


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    doc: str
    constraint: str = ""
    since: int = 1  # the schema version that added the column (ALTER TABLE ADD COLUMN when migrating)


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    since: int = 1  # the schema version that added the table

    def columns_at(self, version: int) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.since <= version)

    def ddl(self, version: int = SCHEMA_VERSION) -> str:
        cols = [f"    {c.name} {c.type}{' ' + c.constraint if c.constraint else ''}" for c in self.columns_at(version)]
        if self.primary_key:
            cols.append(f"    PRIMARY KEY ({', '.join(self.primary_key)})")
        return f"CREATE TABLE {self.name} (\n" + ",\n".join(cols) + "\n)"


C = Column
