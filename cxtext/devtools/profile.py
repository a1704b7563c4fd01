"""Where enrichment's time goes: `cProfile` of the per-chunk analysis (what a worker does) on
generated texts, as shares of CPU time per part, for `cxtext bench --profile`.

CPU time (``time.process_time``), not wall-clock time, so a busy machine changes the shares
little; Python's garbage collector is set as in a worker (cxtext.enrich.parallel). The parts are
disjoint calls (none runs inside another), so with "the rest" they add up to the whole.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from datetime import datetime

#: (part, file name ending, function name) of the calls counted under each part (a part may name several).
PARTS = (
    ("theme tagging (`ThemeTagger.tag`)", "text/taxonomy.py", "tag"),
    ("VADER (sentences, documents, theme clauses; each distinct text once)", "text/sentiment.py", "_polarity"),
    ("VADER (sentences, documents, theme clauses; each distinct text once)", "text/document_polarity.py", "joined_polarity"),
    ("spaCy pipeline (tokenizer, sentencizer, lemmas)", "spacy/language.py", "pipe"),
    ("language detection (py3langid, where not plainly English)", "text/language.py", "detect"),
    ("intent rules (each distinct sentence once)", "text/intent.py", "classify"),
    ("effort rules", "text/effort.py", "signals"),
    ("clause splitting", "text/sentiment.py", "_clause_groups"),
    ("topic assignment", "text/topics.py", "transform"),
    ("cleaning social text", "text/nlp.py", "clean_text"),
    ("sentence spans", "text/nlp.py", "sentence_bounds"),
)


def profile_analysis(rows: list[tuple[str, str]], settings, chunk_rows: int) -> tuple[float, int, list[tuple[str, float]]]:
    """CPU seconds of analysing (kind, text) *rows* in chunks of *chunk_rows* with the tagger and
    topic model of *settings* (its state folder), the number of texts, and the share of each part."""
    from cxtext.enrich.analyse import analyse, current_versions
    from cxtext.enrich.parallel import collector_back, collector_for_analysis
    from cxtext.text.taxonomy import read_layers, settings_layers, tagger_from_layers
    from cxtext.text.topic_files import load_current

    tagger = tagger_from_layers(read_layers(settings_layers(settings)))
    topic_model = load_current(settings.topic_models_dir)
    versions = current_versions(tagger, topic_model, settings.languages)
    analyse([("warm", "review", "Warm up the models.", "h")], tagger, versions, now=datetime.now(), topic_model=topic_model)
    numbered = [(f"p{i}", kind, text, "h") for i, (kind, text) in enumerate(rows)]
    before = collector_for_analysis()  # as a worker analyses
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for start in range(0, len(numbered), chunk_rows):
        analyse(
            numbered[start : start + chunk_rows],
            tagger,
            versions,
            now=datetime.now(),
            topic_model=topic_model,
            languages=settings.languages,
        )
    profiler.disable()
    collector_back(before)
    stats = pstats.Stats(profiler).stats
    total = sum(v[3] for (file, _, name), v in stats.items() if file.endswith("enrich/analyse.py") and name == "analyse")
    seconds: dict[str, float] = {}
    for part, file_end, function in PARTS:
        seconds[part] = seconds.get(part, 0.0) + sum(
            v[3] for (file, _, name), v in stats.items() if file.endswith(file_end) and name == function
        )
    shares = [(part, spent / total if total else 0.0) for part, spent in seconds.items()]
    shares.append(("the rest (rows, Arrow tables)", 1 - sum(s for _, s in shares)))
    return total, len(rows), shares


def markdown(total: float, texts: int, shares: list[tuple[str, float]]) -> list[str]:
    lines = [
        f"Profile of the analysis (`cProfile`, CPU time) of {texts:,} of the generated texts (evenly spread), in the "
        f"configured chunks, with this run's topic model: {total:.1f} s under the profiler.",
        "",
        "| part | share |",
        "|---|---:|",
    ]
    lines += [f"| {part} | {share:.0%} |" for part, share in sorted(shares[:-1], key=lambda p: -p[1])]
    lines += [f"| {shares[-1][0]} | {shares[-1][1]:.0%} |", ""]
    return lines
