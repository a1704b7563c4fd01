"""`cxtext themes`: themes discovered in the feedback, and their curation (docs/TAXONOMY.md, "Discovery")."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from cxtext.cli.app import ConfigOption, StateOption, _reader, _settings, app, console, err
from cxtext.ops.workspace import open_workspace

themes_app = typer.Typer(
    help="Themes discovered in your feedback: suggest them, accept them into your taxonomy, dismiss them.",
    no_args_is_help=True,
)
app.add_typer(themes_app, name="themes")


@themes_app.command("suggest")
def themes_suggest(config: Optional[Path] = ConfigOption, state_dir: Optional[Path] = StateOption) -> None:
    """Suggest themes from the recurring phrases of feedback no theme covers, negative feedback first.

    Written to the state folder's themes/suggestions.toml (readable, editable) and published as the
    theme_suggestions view by the next run, which also tags feedback with them (marked discovered).
    Nightly runs refresh them every [themes] suggest_every_days days.
    """
    from cxtext.enrich.discovery import suggest_themes, suggestions_path

    settings = _settings(config, state_dir)
    with open_workspace(settings, purpose="cxtext themes suggest") as workspace:
        with workspace.run("themes_suggest", {}) as run, err.status("looking for recurring phrases…"):
            suggestions, uncovered = suggest_themes(workspace.store, settings)
            run.counts = {"uncovered": uncovered, "suggestions": len(suggestions)}
    table = Table("id", "name", "stage (words that suggest it)", "feedback", "negative")
    for s in suggestions:
        table.add_row(
            s["id"],
            s["name"],
            f"{s['stage']} ({', '.join(s['stage_cues']) or 'no cue: default'})",
            f"{s['volume']:,}",
            f"{s['share_negative']:.0%}",
        )
    console.print(table)
    console.print(
        f"{len(suggestions)} suggestion(s) from {uncovered:,} feedback without a theme, in {suggestions_path(settings)}; "
        "the next run tags feedback with them (marked discovered). Keep one: `cxtext themes accept ID` "
        "(--name, --stage, --dry-run); drop one for good: `cxtext themes dismiss ID`."
    )


@themes_app.command("accept")
def themes_accept(
    ids: list[str] = typer.Argument(..., help="Suggestion ids (discovered_...), from `cxtext themes suggest`."),
    name: Optional[str] = typer.Option(None, "--name", help="Rename the theme (one id only)."),
    stage: Optional[str] = typer.Option(None, "--stage", help="Place it at another journey stage (one id only)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the mentions each theme would gain or lose; change nothing."),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Move suggestions into your own taxonomy file, renamed or re-staged if asked.

    The file is the last one the configuration's `taxonomy` names, else the state folder's
    themes/accepted.toml (created, and used after the packs). The taxonomy's version changes: the
    next run re-tags the feedback.
    """
    from cxtext.enrich.discovery import accept, mention_changes

    settings = _settings(config, state_dir)
    if dry_run:
        target, themes, before, after = accept(settings, ids, name=name, stage=stage, write=False)
        with _reader(settings) as store:
            changes = mention_changes(store, before, after)
        table = Table("theme", "feedback gained (+) or lost (−)")
        for theme, change in changes.items():
            table.add_row(theme, f"{change:+,}")
        console.print(table)
        console.print(f"dry run: would add {', '.join(t['id'] for t in themes)} to {target}; nothing changed")
        return
    with open_workspace(settings, purpose="cxtext themes accept"):  # not while a run reads the taxonomy
        target, themes, _, _ = accept(settings, ids, name=name, stage=stage)
    for t in themes:
        console.print(f"{t['formerly'][0]} -> {t['id']} ({t['name']!r}, {t['stage']}) added to {target}")
    if not settings.taxonomy_files:
        console.print(
            f"no taxonomy file was configured: {target} is used after the packs; to keep it with your configuration, "
            f'move it and name it there (taxonomy = ["my_themes.toml"])'
        )
    console.print("the taxonomy changed: the next `cxtext run` re-tags the feedback")


@themes_app.command("dismiss")
def themes_dismiss(
    ids: list[str] = typer.Argument(..., help="Suggestion ids (discovered_...)."),
    config: Optional[Path] = ConfigOption,
    state_dir: Optional[Path] = StateOption,
) -> None:
    """Drop suggestions for good: they never come back; the next run untags them."""
    from cxtext.enrich.discovery import dismiss

    settings = _settings(config, state_dir)
    with open_workspace(settings, purpose="cxtext themes dismiss") as workspace:
        dropped = dismiss(workspace.store, settings, ids)
    console.print(f"dismissed {', '.join(s['id'] for s in dropped)}; the next run untags the feedback")
