"""A document's VADER scores from its sentences' rewritten texts joined (cxtext.text.document_polarity)
are the scores of the document rewritten whole: on joints built to touch every rule's edge and
on the sample data's texts."""

from __future__ import annotations

import csv
from pathlib import Path

from cxtext.text.document_polarity import joined_polarity
from cxtext.text.nlp import load_nlp, sentences
from cxtext.text.sentiment import _analyzer, get_scorer, rewritten

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
JOINTS = [
    "Mediocre at best. Buy elsewhere.",
    "Would recommend! Try the pasta. Check it out.",
    "I'm still waiting. Only took 2 hours. Just took 1.5 hours to answer.",
    "Problem solved. As expected, nothing like what I ordered.",
    "Thanks for nothing? Nobody could fix my issue. Still not resolved.",
    "Never again. Coming back again and again. We'll be back!",
    "On hold for ages. Hassle-free returns. Food-awesome. No problems at all.",
    "Could have been better. Not what I had hoped for. Please help me!",
    "Any help would be appreciated. Must try. Highly recommend.",
    "Great.  Two spaces here. And a tab.\tThere.",
    'It said "done." Then nothing. (Really.) OK!!! Fine?!',
]


def test_a_document_scores_as_its_sentences_joined():
    scorer, nlp = get_scorer(), load_nlp()
    rewrite = _analyzer(scorer.mode, scorer.lexicon_path)[1]
    texts = list(JOINTS)
    with open(SAMPLE / "reviews.csv", newline="", encoding="utf-8") as handle:
        texts += [row["text"] for row in csv.DictReader(handle) if row.get("text")][:3000]
    joined = 0
    for text, doc in zip(texts, nlp.pipe(texts)):
        parts = [text[s.start_char : s.end_char] for s in sentences(doc)]
        whole = text.strip()
        found = joined_polarity(scorer, whole, parts)
        assert found is None or repr(found) == repr(scorer.polarity(whole)), text
        if len(parts) > 1 and " ".join(parts) == whole:
            joined += 1
            if all(p[-1] in ".!?" for p in parts[:-1]):
                assert found is not None
                assert " ".join(rewritten(scorer.mode, scorer.lexicon_path, p) for p in parts) == rewrite(whole), text
    assert joined > 500
