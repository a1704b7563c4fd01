"""The pipeline against the sample data's planted truth: are the planted pain points found at
their stage with their sentiment?

Runs the library end to end (ingest every configured source's sample files, enrich) into a
temporary state folder, then compares ``theme_mentions`` with ``sample_data/manifest.json``.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from cxtext.config import Settings
from cxtext.enrich.run import enrich
from cxtext.ingest.load import ingest_file
from cxtext.store.db import Store

#: The manifest's planted ids and the taxonomy theme and label that should find them.
PLANTED_THEMES = {
    "payment_failures": ("payment_failure", "negative"),
    "support_wait_times": ("support_wait_time", "negative"),
    "delivery_delays": ("delivery_delay", "negative"),
    "product_quality_praise": ("product_quality", "positive"),
}


def planted_scores(store: Store, manifest: dict) -> list[dict]:
    """Precision and recall of "tagged with the theme, at the planted stage, with the planted
    theme-level sentiment" for each planted pain point; also without the sentiment condition."""
    rows = []
    for item in manifest["planted"]:
        theme, label = PLANTED_THEMES[item["id"]]
        truth = {(source, i) for source, ids in item["records"].items() for i in ids}
        query = (
            "SELECT DISTINCT f.source, f.source_record_id FROM theme_mentions m JOIN feedback f USING (feedback_id) "
            "WHERE m.theme = ? AND m.stage = ?"
        )
        tagged = set(store.execute(query, [theme, item["stage"]]))
        with_label = set(store.execute(query + " AND m.label = ?", [theme, item["stage"], label]))
        rows.append(
            {
                "planted": item["id"],
                "theme": theme,
                "stage": item["stage"],
                "label": label,
                "records": len(truth),
                "precision": _ratio(truth & with_label, with_label),
                "recall": _ratio(truth & with_label, truth),
                "tag_precision": _ratio(truth & tagged, tagged),
                "tag_recall": _ratio(truth & tagged, truth),
            }
        )
    return rows


def asks_scores(store: Store, manifest: dict) -> dict[str, float]:
    """Planted requests found (feedback of the planted sources with a 'suggestion' sentence) and the
    Spearman correlation of the effort score with the CES answers, as difficulty (8 - CES: higher =
    harder), over the survey answers that have one."""
    from scipy.stats import spearmanr

    sources = sorted(manifest.get("requests", {}))
    truth = {(source, i) for source, ids in manifest.get("requests", {}).items() for i in ids}
    found = set()
    if sources:
        found = set(
            store.execute(
                "SELECT f.source, f.source_record_id FROM feedback_effort fe JOIN feedback f USING (feedback_id) "
                f"WHERE list_contains(fe.intents, 'suggestion') AND f.source IN ({', '.join('?' * len(sources))})",
                sources,
            )
        )
    pairs = store.execute(
        "SELECT fe.effort_score, 8 - f.ces FROM feedback_effort fe JOIN feedback f USING (feedback_id) WHERE f.ces IS NOT NULL"
    )
    rho = float(spearmanr([a for a, _ in pairs], [b for _, b in pairs]).statistic) if len(pairs) > 2 else 0.0
    return {
        "requests.precision": _ratio(truth & found, found),
        "requests.recall": _ratio(truth & found, truth),
        "requests.planted": len(truth),
        "requests.found": len(found),
        "effort.ces_spearman": rho,
        "effort.ces_answers": len(pairs),
    }


def _ratio(hits: set, total: set) -> float:
    return len(hits) / len(total) if total else 0.0


def evaluate_sample_data(settings: Settings, sample_dir: Path, figures: dict[str, float] | None = None) -> str:
    """Markdown section: the pipeline run on *sample_dir* with the configured sources. Each planted
    pain point's precision and recall are added to *figures* when it is given."""
    clock = time.perf_counter()
    manifest = json.loads((sample_dir / "manifest.json").read_text())
    with tempfile.TemporaryDirectory(prefix="cxtext-eval-") as tmp:
        settings = replace(settings, state_dir=Path(tmp), pii_salt="evaluation")
        with Store.open(settings.work_db, memory_limit=settings.duckdb_memory_limit) as store:
            for info_name, info in manifest["files"].items():
                ingest_file(store, settings, sample_dir / info_name, settings.sources[info["source"]])
            enriched = enrich(store, settings)
            rows = planted_scores(store, manifest)
            asks = asks_scores(store, manifest)
            stages = store.execute(
                "SELECT m.stage, count(*), avg((m.label = 'positive')::INT), avg((m.label = 'negative')::INT) "
                "FROM theme_mentions m JOIN journey_stages s USING (stage) GROUP BY m.stage, s.position ORDER BY s.position"
            )
    if figures is not None:
        figures.update({f"sample.{r['planted']}.{key}": r[key] for r in rows for key in ("precision", "recall")})
        figures.update({f"sample.{key}": asks[key] for key in ("requests.precision", "requests.recall", "effort.ces_spearman")})
    lines = [
        "## The sample data's planted pain points",
        "",
        f"`sample_data/` (seed {manifest['generator']['seed']}, {enriched.enriched:,} feedback) through ingest and "
        f"enrichment with the shipped taxonomy and lexicon, compared with `manifest.json`. A record counts as found "
        f"when a mention of the theme at the planted stage has the planted theme-level label. "
        f"Took {time.perf_counter() - clock:.1f} s. The generator's wording is cleaner than real feedback: "
        "read these as a check of the machinery, not as accuracy on real data.",
        "",
        "| planted | theme @ stage | expected | records | precision | recall | tagged only: precision / recall |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['planted']} | {r['theme']} @ {r['stage']} | {r['label']} | {r['records']} | "
            f"{r['precision']:.3f} | {r['recall']:.3f} | {r['tag_precision']:.3f} / {r['tag_recall']:.3f} |"
        )
    lines += [
        "",
        f"Planted requests ({asks['requests.planted']} reviews and survey comments ending with a request, "
        '`manifest.json` "requests"): a feedback counts as found when one of its sentences has the intent '
        f"`suggestion`. Found {asks['requests.found']}: precision {asks['requests.precision']:.3f}, recall "
        f"{asks['requests.recall']:.3f}. Effort (planted into post-support surveys whose CES answer agrees, "
        f'`manifest.json` "effort"): Spearman correlation of the effort score with 8 − CES (difficulty) over the '
        f"{asks['effort.ces_answers']} survey answers with a CES: {asks['effort.ces_spearman']:.3f}.",
        "",
        "Theme mentions per stage (the planted praise is at `usage`):",
        "",
        "| stage | mentions | positive | negative |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {stage} | {n:,} | {pos:.0%} | {neg:.0%} |" for stage, n, pos, neg in stages]
    return "\n".join(lines) + "\n"
