"""`cxtext init DIR`: a clean start for one's own data, a configuration with no sample sources
and a state folder bound to it (a run with another config cannot mix its sources in)."""

from __future__ import annotations

from pathlib import Path

import typer

from cxtext.cli.app import app, console
from cxtext.config import DEFAULT_CONFIG_NAME, load_settings
from cxtext.errors import ConfigError
from cxtext.store.workspace import bind_state_folder

#: The configuration `cxtext init` writes: every setting a new user touches, commented; the
#: sample's sources are not in it. The full reference is the repository's cxtext.toml.
TEMPLATE = """\
# cxtext configuration for your own data, written by `cxtext init`. Paths are relative to this file.
# Reference of every setting: docs/SOURCES.md and the commented cxtext.toml of the repository.

# Everything a run produces: pipeline.duckdb (working database), cx.duckdb (the analysts' file),
# report.html, archive/ (every ingested file), snapshots/. This state folder belongs to this file:
# a run with another config that would add its sources to it is refused.
state_dir = "state"

# Days and weeks are cut in this zone by every view and report (an IANA name).
reporting_timezone = "{timezone}"

# Taxonomy: the journey stages and themes tagged, in layers (docs/TAXONOMY.md). The shipped packs
# come first: "core" (cross-industry, always) and "retail" (for a shop that ships goods); then your
# own taxonomy files. `cxtext themes accept` writes the themes you curate into the last file named
# here (without one: state/themes/accepted.toml, used after the packs).
taxonomy_packs = ["core"]
# taxonomy = ["my_themes.toml"]

# [themes]
# Themes discovered in your feedback (`cxtext themes suggest`; accept or dismiss them with
# `cxtext themes accept|dismiss`). Until you curate them they count, marked discovered.
# suggest_every_days = 7        # the nightly run refreshes suggestions this often (0: only on command)
# tag_discovered = true         # tag feedback with the current suggestions too

[pii]
# Customer keys are hashed with a salt generated in the state folder (state/pii_salt) unless set
# here or in CXTEXT_PII_SALT. Social @handles are redacted except the brand's own accounts:
# keep_handles = ["@YourBrand"]

# [alerts]
# Emerging issues, failed checks and failed runs, sent once each (docs/OPERATIONS.md, "Alerts"):
# urls = ["json://hooks.example.com/cxtext"]   # apprise URLs: mailto://, slack://, msteams://, json://
# quotes = false                                # alerts carry redacted text; quotes only when true

# ---------------------------------------------------------------------------------------------
# Sources: one table per source. Uncomment this template, name it, map your columns, drop files
# into its landing folder and run `cxtext run --config {config_name}` (docs/SOURCES.md).
# ---------------------------------------------------------------------------------------------
# [sources.my_reviews]
# kind = "review"                # review | survey | social
# format = "csv"                 # csv | jsonl | parquet
# landing = "landing"            # the folder the nightly run scans (relative to this file)
# pattern = "*.csv"
# created_at_format = "iso"      # iso | epoch_s | epoch_ms | a strptime format such as "%d/%m/%Y %H:%M"
# timezone = "UTC"               # zone of timestamps written without an offset
#
# [sources.my_reviews.columns]   # canonical field = your file's column; created_at and text required
# created_at = "date"
# text = "review"
# source_record_id = "id"        # optional: title, rating, nps, csat, ces, product, channel,
# rating = "stars"               #   touchpoint, region, customer_key
"""


@app.command()
def init(
    directory: Path = typer.Argument(..., help="Folder to create (or an empty one) for your configuration and state."),
    timezone: str = typer.Option("UTC", "--timezone", help="Reporting time zone (IANA), e.g. Europe/London."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing cxtext.toml in DIR."),
) -> None:
    """Start clean with your own data: DIR/cxtext.toml (commented, no sample sources, one source template) and DIR/state, bound to it."""
    config = directory / DEFAULT_CONFIG_NAME
    if config.exists() and not force:
        raise ConfigError(f"{config} exists: edit it, or pass --force to overwrite it")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "landing").mkdir(exist_ok=True)
    config.write_text(TEMPLATE.format(timezone=timezone, config_name=config), encoding="utf-8")
    try:
        settings = load_settings(config)
    except ConfigError:
        config.unlink()
        raise
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    bind_state_folder(settings, adopt=True)
    console.print(f"wrote {config} and the state folder {settings.state_dir}", highlight=False)
    console.print(
        f"next: add a source to {config} (a template is in it), put files in {directory / 'landing'}, "
        f"then `cxtext run --config {config}`",
        highlight=False,
    )
