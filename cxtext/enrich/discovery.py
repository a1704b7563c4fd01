"""Discovered themes in the state folder: the suggestions file, the layer that tags with them, and
the curation loop (`cxtext themes suggest / accept / dismiss`, docs/TAXONOMY.md, "Discovery").

``STATE/themes/suggestions.toml`` holds the current suggestions (computed by
:func:`cxtext.text.discovery.suggest` from the feedback no curated theme covers) and the ids and
word pairs that were dismissed or accepted, so that they never come back. A person may edit a
suggestion's name or stage there; a refresh keeps them while the suggestion continues under its id
(its patterns persist: cxtext.text.discovery.kept_ids). Its quotes are kept only there and in the
``suggested_themes`` table built from it.

The nightly run tags with the suggestions too (``[themes] tag_discovered``): they become one more
taxonomy layer, ``discovered``, after the packs and the user's files, whose themes are marked
``themes.discovered``. Accepting a suggestion moves it into the user's own taxonomy file.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa

from cxtext.config import Settings
from cxtext.errors import ConfigError, CxtextError
from cxtext.store.db import Store, utcnow
from cxtext.store.schema import arrow_schema
from cxtext.text.discovery import Candidate, Earlier, Item, curated_words, slug, suggest
from cxtext.text.discovery_stage import STAGE_ALL
from cxtext.text.taxonomy import STAGE_IDS, layer_paths, parse_layers, read_layers, tagger_from_layers

#: The name of the taxonomy layer made of the suggestions.
DISCOVERED_LAYER = "discovered"
DESCRIPTION = "Discovered in this feedback by `cxtext themes suggest`; not curated yet (accept, rename or dismiss it)."
#: The user's taxonomy file `themes accept` creates when the configuration names none.
ACCEPTED_FILE = "accepted.toml"
_HEADER = """\
# Themes suggested from this state folder's feedback (`cxtext themes suggest`): recurring phrases
# of feedback no theme covers, negative feedback first. Runs tag feedback with them too, marked
# discovered. Edit a name or stage here if you like; `cxtext themes accept ID` moves one into your
# own taxonomy file, `cxtext themes dismiss ID` drops it for good. docs/TAXONOMY.md, "Discovery".
"""


def themes_dir(settings: Settings) -> Path:
    return settings.state_dir / "themes"


def suggestions_path(settings: Settings) -> Path:
    return themes_dir(settings) / "suggestions.toml"


def read_suggestions(settings: Settings) -> dict:
    """The suggestions file as data (empty when there is none)."""
    path = suggestions_path(settings)
    if not path.exists():
        return {"suggestions": [], "dismissed": []}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    data.setdefault("suggestions", [])
    data.setdefault("dismissed", [])
    for n, s in enumerate(data["suggestions"], 1):  # a hand edit that lost a key is named, not a KeyError
        missing = [key for key in ("id", "name", "stage", "patterns") if key not in s]
        if missing:
            raise ConfigError(f"{path}: suggestion {n} ({s.get('id', 'no id')}) lacks {', '.join(missing)}: fix or delete it")
    return data


def write_suggestions(settings: Settings, data: dict) -> None:
    path = suggestions_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(suggestions_text(data), encoding="utf-8")
    tmp.replace(path)


def suggestions_text(data: dict) -> str:
    """The suggestions file's text for *data* (also what erasure writes back, scrubbed)."""
    return _HEADER + "\n" + to_toml(data)


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + "}"
    return "[" + ", ".join(_value(v) for v in value) + "]"


def to_toml(data: dict) -> str:
    """Top-level keys, then each array of tables (suggestions, dismissed): TOML a person can read."""
    lines = [f"{k} = {_value(v)}" for k, v in data.items() if not isinstance(v, list) or not v or not isinstance(v[0], dict)]
    for name, rows in data.items():
        if isinstance(rows, list) and rows and isinstance(rows[0], dict):
            for row in rows:
                lines += ["", f"[[{name}]]"]
                for key, value in row.items():
                    if key == "patterns":
                        lines.append("patterns = [\n" + "".join(f"  {_value(p)},\n" for p in value) + "]")
                    else:
                        lines.append(f"{key} = {_value(value)}")
    return "\n".join(lines) + "\n"


def _theme_table(s: dict, *, theme_id: str | None = None, name: str | None = None, stage: str | None = None) -> dict:
    """A suggestion as a theme of the taxonomy format."""
    return {
        "id": theme_id or s["id"],
        "name": name or s["name"],
        "stage": stage or s["stage"],
        "description": s.get("description", DESCRIPTION),
        "negation": False,  # like the core's topic themes: a negated mention is still about it
        "patterns": s["patterns"],
        "examples": [s.get("example") or s["name"]],
    }


def discovered_layer(data: dict) -> tuple[str, bytes] | None:
    """The suggestions as a taxonomy layer (name, TOML bytes), or None when there are none."""
    themes = [_theme_table(s) for s in data["suggestions"]]
    return (DISCOVERED_LAYER, to_toml({"themes": themes}).encode("utf-8")) if themes else None


def accepted_path(settings: Settings) -> Path:
    return themes_dir(settings) / ACCEPTED_FILE


def user_files(settings: Settings) -> tuple[Path, ...]:
    """The user's taxonomy files: the configured ones, else the state folder's accepted.toml
    (what `themes accept` writes to when none is configured), when it exists."""
    if settings.taxonomy_files:
        return settings.taxonomy_files
    return (accepted_path(settings),) if accepted_path(settings).exists() else ()


def taxonomy_layers(settings: Settings, data: dict | None = None) -> tuple[tuple[str, bytes], ...]:
    """The layers a run tags with: the packs, the user's files, then the discovered layer."""
    layers = read_layers(layer_paths(settings.taxonomy_packs, user_files(settings)))
    if settings.themes.tag_discovered:
        layer = discovered_layer(read_suggestions(settings) if data is None else data)
        if layer is not None:
            layers += (layer,)
    return layers


# -- suggesting --------------------------------------------------------------------------------


def uncovered_items(store: Store, limit: int) -> list[Item]:
    """The most recent current, English feedback that no curated theme covers (a discovered
    theme's mention does not count: a refresh finds it again), with its sentiment and topic."""
    rows = store.execute(
        "SELECT f.feedback_id, f.kind, f.text, coalesce(s.label = 'negative', false), ft.topic_id "
        "FROM feedback f JOIN enrichment e ON e.feedback_id = f.feedback_id AND e.text_hash = f.text_hash "
        "LEFT JOIN sentiment s ON s.feedback_id = f.feedback_id "
        "LEFT JOIN feedback_topics ft ON ft.feedback_id = f.feedback_id AND ft.topic_id >= 0 "
        "WHERE e.scored AND NOT EXISTS (SELECT 1 FROM theme_mentions m JOIN themes t ON t.theme = m.theme "
        "    WHERE m.feedback_id = f.feedback_id AND NOT coalesce(t.discovered, false)) "
        "ORDER BY f.created_at DESC, f.feedback_id LIMIT ?",
        [limit],
    )
    return [Item(*row) for row in rows]


def _retired(data: dict) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    ids = frozenset(d["id"] for d in data["dismissed"])
    keys = frozenset(tuple(k) for d in data["dismissed"] for k in d.get("keys", []))
    return ids, keys


def suggest_themes(store: Store, settings: Settings, *, now: datetime | None = None) -> tuple[list[dict], int]:
    """Compute the suggestions from the working database, write the file and the table; the
    suggestions (as written) and how much uncovered feedback they were found in."""
    items = uncovered_items(store, settings.topic_sample_size)
    data = read_suggestions(settings)
    dismissed_ids, dismissed_keys = _retired(data)
    previous = {s["id"]: s for s in data["suggestions"]}
    earlier = [Earlier(s["id"], tuple(map(tuple, s.get("keys", []))), int(s.get("volume", 0))) for s in data["suggestions"]]
    themes = tagger_from_layers(taxonomy_layers(settings, {"suggestions": []})).taxonomy.themes
    curated = {t.id for t in themes}
    named, alone = curated_words(themes)
    candidates = suggest(
        items,
        curated=named,
        alone=alone,
        min_volume=settings.themes.min_volume,
        max_candidates=settings.themes.max_suggestions,
        taken_ids=frozenset(curated | dismissed_ids),
        excluded_keys=dismissed_keys,
        earlier=earlier,
    )
    data["generated_at"] = (now or utcnow()).replace(microsecond=0).isoformat()
    data["uncovered"] = len(items)
    data["suggestions"] = [_as_row(c, previous.get(c.id)) for c in candidates]
    order = ["generated_at", "uncovered", "suggestions", "dismissed"]
    data = {k: data[k] for k in order if k in data} | {k: v for k, v in data.items() if k not in order}
    parse_layers([layer for layer in taxonomy_layers(settings, data)])  # the patterns load as any taxonomy's
    before = read_suggestions(settings)
    write_suggestions(settings, data)
    load_suggestions_table(store, settings, data)
    spare_unaffected(store, settings, before, data)
    return data["suggestions"], len(items)


def spare_unaffected(store: Store, settings: Settings, before: dict, after: dict) -> int:
    """When only the suggestions changed (from *before* to *after*), the feedback that no added,
    changed or removed discovered theme can match keeps its analysis: its enrichment rows take the
    new taxonomy version, so the next run re-analyses only the rest. "Can match": its text holds
    a written form of a word one of their patterns names (a substring test, so a superset), or it
    has a mention of a changed or removed one. How many were spared (0 when the last run applied
    another taxonomy than *before*'s, or discovered themes are not tagged)."""
    if not settings.themes.tag_discovered:
        return 0
    from cxtext.text.nlp import lemma_table
    from cxtext.text.taxonomy import layers_version

    base = read_layers(layer_paths(settings.taxonomy_packs, user_files(settings)))
    old_layer, new_layer = discovered_layer(before), discovered_layer(after)
    old_version = layers_version(base + ((old_layer,) if old_layer else ()))
    new_version = layers_version(base + ((new_layer,) if new_layer else ()))
    if old_version == new_version or store.scalar("SELECT value FROM cxtext_meta WHERE key = 'taxonomy_version'") != old_version:
        return 0
    old = {s["id"]: _theme_table(s) for s in before["suggestions"]}
    new = {s["id"]: _theme_table(s) for s in after["suggestions"]}
    changed = sorted(i for i in old.keys() | new.keys() if old.get(i) != new.get(i))
    words = {
        str(w).lower()
        for i in changed
        if i in new
        for pattern in new[i]["patterns"]
        for token in pattern
        for key, value in token.items()
        if key in ("LEMMA", "LOWER", "ORTH")
        for w in (value.get("IN", []) if isinstance(value, dict) else [value])
    }
    forms = set(words) | {form.lower() for form, lemma in lemma_table().items() if lemma.lower() in words}
    pattern = "|".join(sorted(re.escape(f) for f in forms))  # none when only removals: no text can gain a theme
    before_count = store.scalar("SELECT count(*) FROM enrichment WHERE taxonomy_version = ?", [old_version])
    store.execute(
        "UPDATE enrichment SET taxonomy_version = ? FROM feedback f "
        "WHERE f.feedback_id = enrichment.feedback_id AND enrichment.taxonomy_version = ? "
        "AND enrichment.text_hash = f.text_hash AND NOT (? AND regexp_matches(lower(f.text), ?)) "
        "AND NOT EXISTS (SELECT 1 FROM theme_mentions m WHERE m.feedback_id = enrichment.feedback_id "
        "    AND m.theme IN (SELECT unnest(?::VARCHAR[])))",
        [new_version, old_version, bool(pattern), pattern or "x", changed],
    )
    store.set_meta("taxonomy_version", new_version)
    return before_count - store.scalar("SELECT count(*) FROM enrichment WHERE taxonomy_version = ?", [old_version])


def _as_row(c: Candidate, before: dict | None) -> dict:
    """A candidate as written. A suggestion found again keeps its name and stage when a person
    edited them (they differ from the ones suggested, kept as its example and suggested_stage):
    otherwise they follow what it matches now ("Battery" once the word took over "Battery life";
    the stage its sentences give now): see _stage_edited."""
    edited = before is not None and before["name"].lower() != before.get("example", before["name"].lower())
    stage, cues = c.stage, c.stage_cues
    if before is not None and before.get("stage") in STAGE_IDS and _stage_edited(before):
        stage, cues = before["stage"], list(before.get("stage_cues", []))
    return {
        "id": c.id,
        "name": before["name"] if edited else c.name,
        "stage": stage,
        "stage_cues": cues,
        "volume": c.volume,
        "share_negative": c.share_negative,
        "example": c.name.lower(),
        "suggested_stage": c.stage,
        "quotes": c.quotes,
        "keys": c.keys,
        "patterns": c.patterns,
    }


def _stage_edited(before: dict) -> bool:
    """Did a person set this suggestion's stage? It differs from the rule's (suggested_stage); in a
    file written before that was kept, unless the cues written with it are all cues of its stage
    (as the rule writes them: a person who re-staged one left the old stage's cues beside it)."""
    if "suggested_stage" in before:
        return before["stage"] != before["suggested_stage"]
    cues = set(before.get("stage_cues") or [])
    return not cues or not cues <= STAGE_ALL[before["stage"]]


def load_suggestions_table(store: Store, settings: Settings, data: dict | None = None) -> None:
    """Replace suggested_themes with the suggestions file's content (the caller's transaction)."""
    data = read_suggestions(settings) if data is None else data
    at = datetime.fromisoformat(data["generated_at"]) if data.get("generated_at") else None
    rows = [
        {
            "theme": s["id"],
            "name": s["name"],
            "stage": s["stage"],
            "stage_cues": list(s.get("stage_cues", [])),
            "volume": int(s.get("volume", 0)),
            "share_negative": float(s.get("share_negative", 0)),
            "quotes": list(s.get("quotes", [])),
            "patterns": json.dumps(s["patterns"]),
            "suggested_at": at,
        }
        for s in data["suggestions"]
    ]
    store.execute("DELETE FROM suggested_themes")
    store.insert_arrow("suggested_themes", pa.Table.from_pylist(rows, schema=arrow_schema("suggested_themes")))


def refresh_if_due(store: Store, settings: Settings, *, now: datetime | None = None) -> bool:
    """Refresh the suggestions when they are older than ``[themes] suggest_every_days`` (and there
    is uncovered feedback); True when the discovered layer changed, so the feedback is re-tagged."""
    every = settings.themes.suggest_every_days
    if every == 0:
        return False
    now = now or utcnow()
    data = read_suggestions(settings)
    if data.get("generated_at") and datetime.fromisoformat(data["generated_at"]) > now - timedelta(days=every):
        return False
    if not store.scalar("SELECT count(*) FROM enrichment WHERE scored"):
        return False
    before = discovered_layer(data)
    suggestions, _ = suggest_themes(store, settings, now=now)
    return settings.themes.tag_discovered and discovered_layer({"suggestions": suggestions}) != before


# -- curating -----------------------------------------------------------------------------------


def _pick(data: dict, ids: list[str]) -> list[dict]:
    by_id = {s["id"]: s for s in data["suggestions"]}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        known = ", ".join(by_id) or "none: run `cxtext themes suggest`"
        raise CxtextError(f"no suggestion {', '.join(map(repr, unknown))} (current suggestions: {known})")
    return [by_id[i] for i in ids]


def dismiss(store: Store, settings: Settings, ids: list[str]) -> list[dict]:
    """Drop suggestions for good: their ids and word pairs never come back; the next run re-tags
    only the feedback they could match."""
    before = read_suggestions(settings)
    data = read_suggestions(settings)
    chosen = _pick(data, ids)
    data["suggestions"] = [s for s in data["suggestions"] if s["id"] not in ids]
    data["dismissed"] += [{"id": s["id"], "name": s["name"], "keys": s.get("keys", []), "reason": "dismissed"} for s in chosen]
    write_suggestions(settings, data)
    spare_unaffected(store, settings, before, data)
    return chosen


def accept(
    settings: Settings, ids: list[str], *, name: str | None = None, stage: str | None = None, write: bool = True
) -> tuple[Path, list[dict], tuple[tuple[str, bytes], ...], tuple[tuple[str, bytes], ...]]:
    """Move suggestions into the user's own taxonomy file (the last configured one, else the state
    folder's themes/accepted.toml, created), renamed or re-staged if asked: the file, the themes
    written, and the layers before and after (for a dry run's comparison). Nothing is written
    unless *write*."""
    if (name or stage) and len(ids) != 1:
        raise CxtextError("--name and --stage rename or re-stage one suggestion: give one id")
    if stage is not None and stage not in STAGE_IDS:
        raise CxtextError(f"--stage must be one of {', '.join(STAGE_IDS)}, got {stage!r}")
    data = read_suggestions(settings)
    chosen = _pick(data, ids)
    before = taxonomy_layers(settings, data)
    target = settings.taxonomy_files[-1] if settings.taxonomy_files else accepted_path(settings)
    taken = {t.id for t in tagger_from_layers(before).taxonomy.themes}
    themes = []
    for s in chosen:
        theme_name = name or s["name"]
        theme_id = _free(slug(theme_name), taken)
        taken.add(theme_id)
        table = _theme_table(s, theme_id=theme_id, name=theme_name, stage=stage)
        table["description"] = (
            f"Accepted from the suggestion {s['id']} (words that suggested its stage: {', '.join(s.get('stage_cues', [])) or 'no cue: default'})."
        )
        table["formerly"] = [s["id"]]  # trends of the discovered theme continue under the new id
        themes.append(table)
    old = target.read_text(encoding="utf-8") if target.exists() else "# Your own themes (docs/TAXONOMY.md), after the packs.\n"
    new = old.rstrip("\n") + "\n" + to_toml({"themes": themes})
    rest = {"suggestions": [s for s in data["suggestions"] if s["id"] not in ids], "dismissed": data["dismissed"]}
    others = tuple(f for f in user_files(settings) if f != target)
    after = read_layers(layer_paths(settings.taxonomy_packs, others)) + ((str(target), new.encode("utf-8")),)
    if settings.themes.tag_discovered and discovered_layer(rest) is not None:
        after += (discovered_layer(rest),)
    parse_layers(after)  # refuse before writing anything the loader would refuse
    if write:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(new, encoding="utf-8")
        rest["dismissed"] = data["dismissed"] + [
            {"id": s["id"], "name": s["name"], "keys": s.get("keys", []), "reason": f"accepted as {t['id']}"}
            for s, t in zip(chosen, themes)
        ]
        write_suggestions(settings, {k: v for k, v in data.items() if k not in rest} | rest)
    return target, themes, before, after


def _free(wanted: str, taken: set[str]) -> str:
    candidate, n = wanted if wanted[0].isalpha() else f"theme_{wanted}", 2
    while candidate in taken:
        candidate, n = f"{wanted}_{n}", n + 1
    return candidate


def mention_changes(store: Store, before, after, *, limit: int = 20_000) -> dict[str, int]:
    """Per theme, how many more (or fewer) feedback the layers *after* tag than *before*, over
    the most recent *limit* current English feedback: what a dry run of `themes accept` shows."""
    from cxtext.text.nlp import clean_text, load_nlp

    rows = store.execute(
        "SELECT f.kind, f.text FROM feedback f JOIN enrichment e ON e.feedback_id = f.feedback_id "
        "WHERE e.scored ORDER BY f.created_at DESC LIMIT ?",
        [limit],
    )
    taggers = (tagger_from_layers(before), tagger_from_layers(after))
    counts = (Counter(), Counter())
    for doc in load_nlp().pipe((clean_text(text, kind=kind).text for kind, text in rows), batch_size=256):
        for tagger, count in zip(taggers, counts):
            count.update({m.theme for m in tagger.tag(doc)})
    return {t: counts[1][t] - counts[0][t] for t in sorted(set(counts[0]) | set(counts[1])) if counts[1][t] != counts[0][t]}
