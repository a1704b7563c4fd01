"""Document sentiment learned from the scores each source's customers gave, in the state folder:
fitted on command (`cxtext sentiment fit`), never by the nightly run.

For each source whose feedback carries stars, NPS or CSAT, the feedback is split in two halves by
a hash of its id. A model (:mod:`cxtext.text.learned`) is fitted on one half's low and high scores
and measured, with the lexicon's document label beside it, on the other half: the agreement
before and after is never measured on the rows a model learned from. The saved model is the one
fitted on the first half. Its digest joins the sentiment version, so the next run re-scores the
feedback through the staleness machinery; it changes only that source's document labels.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

from cxtext.config import Settings
from cxtext.store.db import Store
from cxtext.text.learned import LearnedSentiment, fit

#: Each score's low and high values (the middle is left out of learning and of the agreement).
SCORES = {"rating": ((1, 2), (4, 5)), "nps": (tuple(range(0, 7)), (9, 10)), "csat": ((1, 2), (4, 5))}
INDEX = "models.json"


def models_dir(settings: Settings) -> Path:
    return settings.state_dir / "models" / "sentiment"


def learning_half(feedback_id: str) -> bool:
    """True for the half a model learns from (the parity of the id's SHA-256)."""
    return int(hashlib.sha256(feedback_id.encode()).hexdigest(), 16) % 2 == 0


def _scored_rows(store: Store, source: str, column: str) -> list[tuple[str, str, bool, str | None]]:
    """(feedback_id, text, high, lexicon document label) of a source's feedback with a low or high score."""
    low, high = SCORES[column]
    rows = store.execute(
        f"SELECT f.feedback_id, f.text, f.{column} FROM feedback f JOIN enrichment e USING (feedback_id) "
        f"WHERE f.source = ? AND e.scored AND f.{column} IN (SELECT unnest(?::INTEGER[])) ORDER BY f.feedback_id",
        [source, list(low + high)],
    )
    labels = dict(
        store.execute(
            "SELECT s.feedback_id, s.label FROM sentiment s JOIN feedback f USING (feedback_id) WHERE f.source = ?",
            [source],
        )
    )
    return [(fid, text, score in high, labels.get(fid)) for fid, text, score in rows]


def _macro_f1(gold: list[bool], labels: list[str | None]) -> float:
    """Over positive and negative, a neutral (or missing) label counting as a miss."""
    from sklearn.metrics import f1_score

    return float(
        f1_score(
            ["positive" if g else "negative" for g in gold],
            [lab or "neutral" for lab in labels],
            labels=["negative", "positive"],
            average="macro",
            zero_division=0,
        )
    )


def fit_sources(store: Store, settings: Settings) -> list[dict]:
    """Fit and save a model for every source with enough low and high scores; one report row per
    source and score tried (source, score, rows, agreement before and after on the held-back half,
    version or the reason it was not fitted), and one for each source without scores. When no model
    could be fitted the saved ones stay as they were."""
    folder = models_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    index, report = {}, []
    for (source,) in store.execute("SELECT DISTINCT source FROM feedback ORDER BY source"):
        tried = len(report)
        for column in SCORES:
            rows = _scored_rows(store, source, column)
            if not rows:
                continue
            learn = [r for r in rows if learning_half(r[0])]
            held = [r for r in rows if not learning_half(r[0])]
            row = {"source": source, "score": column, "learned_from": len(learn), "held_back": len(held)}
            try:
                model = fit([r[1] for r in learn], [r[2] for r in learn], source=source)
            except ValueError as exc:
                report.append(row | {"error": str(exc)})
                continue
            gold = [r[2] for r in held]
            row |= {
                "before": _macro_f1(gold, [r[3] for r in held]),
                "after": _macro_f1(gold, model.labels([r[1] for r in held])),
                "version": model.version,
            }
            (folder / f"{model.version}.pkl").write_bytes(pickle.dumps(model))
            index[source] = {"version": model.version, "score": column, **{k: row[k] for k in ("before", "after")}}
            report.append(row)
            break  # one model per source: from its first score column that has enough rows
        if len(report) == tried:
            report.append(
                {"source": source, "score": "—", "learned_from": 0, "held_back": 0, "error": "no stars, NPS or CSAT scores"}
            )
    if index:  # a fit that learned nothing keeps the models there were
        (folder / INDEX).write_text(json.dumps(index, indent=2, sort_keys=True), encoding="utf-8")
    return report


def load_models(settings: Settings) -> dict[str, LearnedSentiment]:
    """The current model of each source (none before the first `cxtext sentiment fit`)."""
    path = models_dir(settings) / INDEX
    if not path.is_file():
        return {}
    index = json.loads(path.read_text(encoding="utf-8"))
    return {
        source: pickle.loads((models_dir(settings) / f"{entry['version']}.pkl").read_bytes()) for source, entry in index.items()
    }


def learned_version(models: dict[str, LearnedSentiment]) -> str:
    """Part of the sentiment version: which source uses which model ('' when none)."""
    if not models:
        return ""
    return "learned-" + hashlib.sha256(json.dumps({s: m.version for s, m in sorted(models.items())}).encode()).hexdigest()[:12]
