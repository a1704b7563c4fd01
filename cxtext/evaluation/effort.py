"""Effort signals on real complaint narratives: are the spans the rules find effort?

200 narratives of the CFPB complaint samples, drawn by a hash of the complaint id (the first 200
ids in SHA-256 order, so the draw needs no seed and does not depend on the file order), read as
enrichment reads them (:func:`cxtext.text.effort.sentence_signals` over spaCy's sentences); each
span was judged against docs/EFFORT_GUIDE.md and the judgement committed in
models/eval/effort_judgements.csv. A span the file does not judge (the
rules changed since) counts as wrong until someone judges it.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from pathlib import Path

from cxtext.resources import models_dir
from cxtext.text.effort import EFFORT_KINDS, sentence_signals
from cxtext.text.nlp import load_nlp, sentence_bounds

DRAWN = 200
FILES = ("complaints_sample_Ujjwal260.csv", "complaints_sample_ZiyuYan9.csv")


def judgements_path() -> Path:
    return models_dir() / "eval" / "effort_judgements.csv"


def drawn_narratives(data_dir: Path, n: int = DRAWN) -> list[tuple[str, str]]:
    """(complaint id, narrative) of the *n* narratives whose id comes first in SHA-256 order."""
    rows: dict[str, str] = {}
    for name in FILES:
        path = data_dir / "cfpb_complaints_sample" / name
        if path.is_file():
            with path.open(encoding="utf-8", newline="") as handle:
                for r in csv.DictReader(handle):
                    if (r.get("Consumer complaint narrative") or "").strip():
                        rows[r["Complaint ID"]] = r["Consumer complaint narrative"]
    order = sorted(rows, key=lambda i: hashlib.sha256(i.encode()).hexdigest())
    return [(i, rows[i]) for i in order[:n]]


def load_judgements(path: Path) -> dict[tuple[str, int, int, str], bool]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            (r["complaint_id"], int(r["start"]), int(r["end"]), r["kind"]): r["effort"] == "1" for r in csv.DictReader(handle)
        }


def evaluate_effort(data_dir: Path, figures: dict[str, float] | None = None) -> str:
    """The effort section of EVALUATION.md; span precision goes into *figures*."""
    narratives = drawn_narratives(data_dir)
    if not narratives:
        return "## Effort signals\n\n_CFPB complaint narratives not found: skipped._\n"
    judged = load_judgements(judgements_path())
    right, wrong, unjudged = Counter(), Counter(), 0
    with_signal = 0
    nlp = load_nlp()
    for complaint_id, text in narratives:
        found = sentence_signals(text, [(s.start_char, s.end_char) for s in sentence_bounds(nlp(text))])
        with_signal += bool(found)
        for s in found:
            verdict = judged.get((complaint_id, s.start, s.end, s.kind))
            unjudged += verdict is None
            (right if verdict else wrong)[s.kind] += 1
    total = sum(right.values()) + sum(wrong.values())
    precision = sum(right.values()) / total if total else 0.0
    if figures is not None:
        figures["effort.cfpb.span_precision"] = precision
    lines = [
        "## Effort signals\n",
        f"{len(narratives)} CFPB complaint narratives drawn by a hash of the complaint id; "
        f"{with_signal} of them carry at least one effort signal, {total} spans in all, each judged against "
        "docs/EFFORT_GUIDE.md (judgements in `models/eval/effort_judgements.csv`; "
        f"{unjudged} spans not judged, counted wrong). Recall is not measured: no narrative was read in "
        "full for the effort it describes and the rules miss.\n",
        "| signal | spans | effort | precision |",
        "|---|---:|---:|---:|",
    ]
    for kind in EFFORT_KINDS:
        n = right[kind] + wrong[kind]
        lines.append(f"| {kind} | {n} | {right[kind]} | {right[kind] / n:.3f} |" if n else f"| {kind} | 0 | 0 | — |")
    lines.append(f"| **all** | {total} | {sum(right.values())} | **{precision:.3f}** |")
    return "\n".join(lines) + "\n"
