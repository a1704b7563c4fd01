"""Erasure in what is derived from feedback outside the databases: theme suggestions, fitted models
and recorded exports (cxtext.ops.erasure calls these at its steps; each may run again after a kill).

- Theme suggestions (``themes/suggestions.toml``, written by ``cxtext themes suggest``) quote
  feedback: every quote sharing text with one of the customer's feedback (a 20-character run, or
  the whole text when shorter) is dropped, and so is any value naming an erased feedback id; the
  suggestions and the decisions on them stay. Scrubbed before the rows are deleted (the texts are
  needed to match), so a kill after it leaves nothing to match against and nothing to scrub.
- Fitted models hold customers' words (the topic model's and the learned sentiment's vocabularies,
  their IDF weights, a TF-IDF's pruned terms): they cannot be edited without the data, so every
  saved version is deleted and the model refitted on what remains (the topic model aligned to the
  one it replaces, so topic ids hold; learned sentiment only where a model was in use). The next
  run assigns the new topics and re-scores through the staleness machinery, as after
  ``cxtext topics fit`` or ``cxtext sentiment fit``.
- Exports written by ``cxtext export`` are recorded (``exports.json``: path, view, format,
  filters); each recorded file that still exists is written again from the erased analysts' file.
  A copy moved or sent elsewhere is beyond reach, as alerts are.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tomllib
import unicodedata
from datetime import date
from pathlib import Path

from cxtext.config import Settings
from cxtext.enrich.discovery import suggestions_path, suggestions_text
from cxtext.store.db import Store
from cxtext.store.publish import fsync

EXPORTS = "exports.json"
RUN = 20


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


def _quotes_text(value: str, texts: list[str]) -> bool:
    """Whether *value* shares a 20-character run with one of *texts* (or, shorter, is one of them:
    a short value such as a theme's term is not the customer's because their text holds it)."""
    value = _fold(value)
    if len(value) < RUN:
        return bool(value) and value in texts
    runs = {value[i : i + RUN] for i in range(len(value) - RUN + 1)}
    return any(r in t for t in texts for r in runs)


def _scrub_value(value, texts: list[str], ids: set[str]):
    """The value without the customer's quotes and ids (lists filtered, tables recursed)."""
    if isinstance(value, dict):
        return {k: _scrub_value(v, texts, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_value(v, texts, ids) for v in value if not (isinstance(v, str) and (v in ids or _quotes_text(v, texts)))]
    if isinstance(value, str) and (value in ids or _quotes_text(value, texts)):
        return ""
    return value


def scrub_suggestions(settings: Settings, texts: list[str], ids: list[str]) -> int:
    """Rewrite the theme suggestions without the customer's quotes (atomically); how many values
    were dropped (written by discovery's own writer)."""
    path = suggestions_path(settings)
    if not path.is_file() or not (texts or ids):
        return 0
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    folded = [_fold(t) for t in texts]
    scrubbed = _scrub_value(data, folded, set(ids))
    if scrubbed == data:
        return 0
    dropped = _count(data) - _count(scrubbed)
    tmp = path.with_name(path.name + ".erasing")
    tmp.write_text(suggestions_text(scrubbed), encoding="utf-8")
    fsync(tmp)
    os.replace(tmp, path)
    fsync(path.parent)
    return dropped


def _count(value) -> int:
    if isinstance(value, dict):
        return sum(_count(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count(v) for v in value)
    return 1 if isinstance(value, str) and value else 0


def refit_models(store: Store, settings: Settings) -> dict[str, int]:
    """Delete every saved topic and learned-sentiment model and refit from the remaining
    feedback; returns how many model files were deleted and models refitted."""
    from cxtext.enrich.learned import INDEX, fit_sources, models_dir
    from cxtext.enrich.topics import fit_topic_model
    from cxtext.text.topic_files import CURRENT, load_current

    out = {"deleted": 0, "refitted": 0}
    topics = settings.topic_models_dir
    if topics.is_dir():
        previous = load_current(topics)
        kept = None
        if previous is not None:
            model = fit_topic_model(store, settings, n_topics=previous.n_topics)  # aligned to *previous*
            kept = model.version_ if model is not None else None
            out["refitted"] += model is not None
        for entry in topics.iterdir():
            if entry.name not in {kept, CURRENT if kept else None}:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
                out["deleted"] += 1
        fsync(topics)
    sentiment = models_dir(settings)
    if sentiment.is_dir():
        keep = {INDEX}
        if (sentiment / INDEX).is_file() and json.loads((sentiment / INDEX).read_text(encoding="utf-8")):
            report = fit_sources(store, settings)  # refitted first: a kill never leaves the index without its files
            keep |= {f"{r['version']}.pkl" for r in report if "version" in r}
            out["refitted"] += len(keep) - 1
        for entry in sentiment.iterdir():
            if entry.name not in keep:
                entry.unlink()
                out["deleted"] += 1
        fsync(sentiment)
    return out


def record_export(settings: Settings, out: Path, view: str, fmt: str, filters: dict) -> None:
    """Remember an export (where, what) so that an erasure can write it again."""
    path = settings.state_dir / EXPORTS
    known = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    entry = {"path": str(Path(out).resolve()), "view": view, "format": fmt, "filters": filters}
    known = [e for e in known if e["path"] != entry["path"]] + [entry]
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(known, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def rewrite_exports(settings: Settings) -> list[str]:
    """Write every recorded export that still exists again from the (erased) analysts' file; one
    whose view is gone is deleted. An export that cannot be written (a folder gone read-only) must
    not stop every later writer: it is returned, for the operator, and stays recorded."""
    from cxtext.errors import CxtextError
    from cxtext.report.export import Filters, export_view

    path = settings.state_dir / EXPORTS
    if not path.is_file():
        return []
    known, failed = json.loads(path.read_text(encoding="utf-8")), []
    with Store.open(settings.published_db, read_only=True) as published:
        for entry in known:
            out = Path(entry["path"])
            if not out.is_file():
                continue
            f = entry["filters"]
            filters = Filters(
                f.get("equal", {}),
                date.fromisoformat(f["since"]) if f.get("since") else None,
                date.fromisoformat(f["until"]) if f.get("until") else None,
            )
            tmp = out.with_name(f".{out.name}.erasing{out.suffix}")
            try:
                try:
                    export_view(published, entry["view"], tmp, entry["format"], filters)
                except CxtextError:  # the view no longer exists: the old export cannot be kept
                    tmp.unlink(missing_ok=True)
                    out.unlink()
                else:
                    os.replace(tmp, out)
            except OSError as exc:
                failed.append(f"{out}: {exc.strerror or exc}")
    known = [e for e in known if Path(e["path"]).is_file()]
    path.write_text(json.dumps(known, indent=1) + "\n", encoding="utf-8")
    return failed
