"""The journey stage suggested for a discovered candidate theme (cxtext.text.discovery): by the
stage cue words of its name or of its feedback when they clearly stand out, else usage
(docs/TAXONOMY.md, "The suggested stage"). Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

#: Words that suggest a journey stage (lemmas), after ../shared/docs/DOMAIN.md's stage table and
#: its readings for retail, travel, banking, telecom and software.
#: Words with two common senses in feedback are none: "charge" (a battery's or a bill), "phone" (the
#: product or the call).
STAGE_CUES: dict[str, frozenset[str]] = {
    "awareness": frozenset(
        "ad advert advertisement advertising marketing newsletter promotion promo spam commercial campaign".split()
    ),
    "consideration": frozenset(
        "website description listing brochure menu compare comparison quote availability available stock information info detail".split()
    ),
    "purchase": frozenset(
        "book booking reservation reserve order checkout pay payment fare buy purchase application apply sign signup contract price ticket".split()
    ),
    "onboarding": frozenset(
        "delivery deliver arrive arrival courier parcel package shipping ship install installation setup activate activation "
        "boarding board gate checkin welcome onboarding".split()
    ),
    "usage": frozenset(
        "flight seat room bed stay food meal drink wifi app screen battery signal outage speed feature quality crew cabin "
        "transfer card device update bug crash connect disconnect connection bluetooth sound volume broken freeze".split()
    ),
    "support": frozenset(
        "call agent representative rep hold chat support helpline ticket complaint manager reply respond response "
        "answer contact email desk rebook claim".split()
    ),
    "loyalty": frozenset(
        "refund return bill billing fee cancel cancellation renew renewal subscription compensation voucher loyalty "
        "member membership miles points recommend switch leave close".split()
    ),
}
#: A stage is suggested by its cue words only when they are in this many of the candidate's
#: feedback at least, and this share of it, and this many times as often as in the rest of the
#: uncovered feedback (one "manager" among five sentences about a kitchen says nothing) ...
MIN_CUE_FEEDBACK = 3
MIN_CUE_SHARE = 0.25
MIN_CUE_LIFT = 2.0
#: ... and more than the rest's rate would give by chance but once in this many (a binomial tail:
#: in a long complaint some cue of each stage is in most feedback, and 3 of 8 is noise).
MAX_CUE_CHANCE = 0.01
#: ... else this stage: what a candidate names is a thing customers use (a part, a dish, a room)
#: or what happened with it, met while using what they bought (docs/TAXONOMY.md, "Discovery").
DEFAULT_STAGE = "usage"


def cue_counts(doc_lemmas: Sequence[set[str]]) -> Counter:
    """How many feedback hold each cue word, and each stage's cue words (keyed by the stage id
    upper-cased, which no cue word is); "_docs": how many feedback."""
    counts = Counter({"_docs": len(doc_lemmas)})
    for lemmas in doc_lemmas:
        for stage, cues in STAGE_CUES.items():
            found = lemmas & cues
            counts.update(found)
            counts[stage.upper()] += bool(found)
    return counts


def suggest_stage(
    doc_lemmas: Sequence[set[str]], pool: Counter, seed: Sequence[str] = (), own: frozenset[str] = frozenset()
) -> tuple[str, list[str]]:
    """The stage the candidate's *seed* words name, when they are cue words of one stage ("refund",
    "delivery"; not "hold a charge": support and loyalty); else the stage whose cue words, its
    *own* words (all its keys') left out, are in at least MIN_CUE_FEEDBACK and MIN_CUE_SHARE of
    its feedback, MIN_CUE_LIFT times as often as in the rest of the *pool* (cue_counts of all
    uncovered feedback; "buy" in every review suggests nothing) and beyond chance (MAX_CUE_CHANCE),
    the one standing out most; else
    DEFAULT_STAGE (a thing customers use or what happened with it: "waiter", "hard drive", which a
    few stray cue words must not move elsewhere). With the words that decided, strongest first:
    none for the default."""
    named = {stage: [w for w in seed if w in cues] for stage, cues in STAGE_CUES.items()}
    named = {stage: words for stage, words in named.items() if words}
    if len(named) == 1:
        return next(iter(named.items()))
    found = cue_counts([lemmas - own for lemmas in doc_lemmas])
    n, rest_n, whole = found["_docs"], pool["_docs"] - found["_docs"], cue_counts(doc_lemmas)

    def rest_rate(key: str) -> float:  # smoothed: a cue absent from the rest is not infinitely rarer
        return (pool[key] - whole[key] + 1) / (rest_n + 2)

    from scipy.stats import binom  # scipy is imported by use, not by importing cxtext

    excess = {
        stage: found[stage.upper()] - n * rest_rate(stage.upper())
        for stage in STAGE_CUES
        if found[stage.upper()] >= max(MIN_CUE_FEEDBACK, MIN_CUE_SHARE * n)
        and found[stage.upper()] >= MIN_CUE_LIFT * n * rest_rate(stage.upper())
        and binom.sf(found[stage.upper()] - 1, n, rest_rate(stage.upper())) <= MAX_CUE_CHANCE
    }
    if not excess:
        return DEFAULT_STAGE, []
    best = max(excess, key=lambda s: (excess[s], s == DEFAULT_STAGE))
    words = {w: found[w] - n * rest_rate(w) for w in STAGE_CUES[best] if found[w]}
    return best, [w for w, e in sorted(words.items(), key=lambda we: (-we[1], we[0])) if e > 0][:3]
