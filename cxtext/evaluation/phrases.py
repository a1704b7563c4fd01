"""Accuracy on the sentences that customer-experience phrases are about: resolution, waiting and
things that did not happen (:mod:`cxtext.text.cx_rules`). The sentences are selected from every
labelled sentence set by the documented patterns below (not by the rules themselves), and each is
judged by its own set's gold label."""

from __future__ import annotations

import re
from pathlib import Path

from cxtext.evaluation.datasets import load_datasets
from cxtext.text.sentiment import SentimentScorer

#: The patterns that select the sentences of each group (case-insensitive, on word boundaries).
PATTERNS = {
    "resolution": r"\b(?:resolv\w*|fix(?:ed|es)?|sorted|solv\w*)\b",
    "waiting": r"\b(?:wait\w*|on hold|queue\w*|\d+\s*(?:hours?|hrs?|minutes?|mins?|days?|weeks?))\b",
    "non_events": r"\b(?:never\s+(?:arrived|came|received|called|got|heard|happened|showed)|no\s+one|nobody|still\s+(?:no|not|waiting|nothing))\b",
}


def evaluate_phrases(data_dir: Path, figures: dict[str, float] | None = None) -> str:
    """The section of EVALUATION.md; default-mode accuracy of each group goes into *figures*."""
    datasets, _ = load_datasets(Path(data_dir))
    plain, default = SentimentScorer(mode="plain"), SentimentScorer()
    lines = [
        "### Customer-experience phrases: resolution, waiting, non-events\n",
        " ".join(__doc__.split())
        + " Patterns: "
        + "; ".join(f"{k}: `{v}`" for k, v in PATTERNS.items())
        + ". Accuracy is over all sentences of a group, every set pooled (3-class sets with their "
        "neutral gold, 2-class sets counting a neutral prediction as wrong).\n",
        "| group | sentences | sets | plain accuracy | **default accuracy** | Δ |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for group, pattern in PATTERNS.items():
        regex = re.compile(pattern, re.IGNORECASE)
        rows = [(text, gold, d.name) for d in datasets for text, gold in zip(d.texts, d.labels) if regex.search(text)]
        if not rows:
            lines.append(f"| {group} | 0 | — | — | — | — |")
            accuracy = 0.0
        else:
            right_plain = sum(plain.polarity(t).label == g for t, g, _ in rows) / len(rows)
            accuracy = sum(default.polarity(t).label == g for t, g, _ in rows) / len(rows)
            sets = len({name for _, _, name in rows})
            lines.append(
                f"| {group} | {len(rows):,} | {sets} | {right_plain:.3f} | {accuracy:.3f} | {accuracy - right_plain:+.3f} |"
            )
        if figures is not None:
            figures[f"phrases.{group}.accuracy"] = accuracy
    return "\n".join(lines) + "\n"
