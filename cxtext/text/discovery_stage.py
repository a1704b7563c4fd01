"""The journey stage suggested for a discovered candidate theme (cxtext.text.discovery): by the
stage cues told in its own sentences (the sentences its patterns matched) when they clearly stand
out; else, for a candidate that names an event, by the cue words of its whole feedback; else usage
(docs/TAXONOMY.md, "The suggested stage"). Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

#: Words that suggest a journey stage (lemmas), after ../shared/docs/DOMAIN.md's stage table and
#: its readings for retail, travel, banking, telecom and software: the things met at a stage
#: ("refund", "delivery", "agent") and the events that happen there ("pay", "install", "fix").
#: Words with two common senses in feedback are none, or only in a phrase below: "charge" (a
#: battery's or a bill), "phone" (the product or the call), "hold" (a button, or a call on hold),
#: "close" and "leave" (a pool closed, a parcel left; an account closed), "ticket" (a fare or a
#: support request), "board" and "sign" (a circuit board, a sign of life).
STAGE_CUES: dict[str, frozenset[str]] = {
    "awareness": frozenset(
        "ad advert advertisement advertising marketing newsletter promotion promo spam commercial campaign".split()
    ),
    "consideration": frozenset(
        "website description listing brochure menu compare comparison quote availability available stock information info detail".split()
    ),
    "purchase": frozenset(
        "book booking reservation reserve order checkout pay payment fare buy purchase application apply signup contract price".split()
    ),
    "onboarding": frozenset(
        "delivery deliver arrive arrival courier parcel package shipping ship install installation setup activate activation "
        "gate checkin welcome onboarding register registration verify verification migration migrate".split()
    ),
    "usage": frozenset(
        "flight seat room bed stay food meal drink wifi app screen battery signal outage speed feature quality crew cabin "
        "transfer card device update bug crash connect disconnect connection bluetooth sound volume broken freeze coverage "
        "performance comfort cleanliness".split()
    ),
    "support": frozenset(
        "call agent representative rep chat support helpline complaint manager reply respond response answer contact "
        "email desk rebook claim fix resolve unresolved escalate repair callback dispute fraud fault engineer documentation".split()
    ),
    "loyalty": frozenset(
        "refund return bill billing fee cancel cancellation renew renewal subscription compensation voucher loyalty "
        "member membership miles points recommend switch".split()
    ),
}
#: Events told in two words (lemmas, in either order, at most EVENT_GAP words apart), for the words
#: above that name a stage only together: "my ticket was closed" (support), "creating an account"
#: (onboarding), "kept on hold" (support), "closed my account" (loyalty).
STAGE_PHRASES: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {
    "purchase": (
        ("ticket", frozenset({"buy", "book", "purchase"})),
        ("sign", frozenset({"up"})),
        ("open", frozenset({"account"})),
        ("place", frozenset({"order"})),
    ),
    "onboarding": (
        ("set", frozenset({"up"})),
        ("create", frozenset({"account", "profile", "login"})),
        ("check", frozenset({"in"})),
        ("board", frozenset({"flight", "plane", "pass"})),
    ),
    "support": (
        ("ticket", frozenset({"close", "open", "raise", "log", "escalate", "support", "number"})),
        ("on", frozenset({"hold"})),
        ("customer", frozenset({"service", "care", "support"})),
        ("call", frozenset({"back"})),
        ("report", frozenset({"fault", "problem", "issue"})),
    ),
    "loyalty": (
        ("close", frozenset({"account"})),
        ("leave", frozenset({"provider", "bank", "network"})),
        ("price", frozenset({"rise", "increase", "hike"})),
    ),
}
EVENT_GAP = 2
#: A stage is suggested by its cues only when they are in this many of the candidate's sentences
#: at least, and this share of them, and this many times as often as in the rest of the uncovered
#: feedback's sentences (one "manager" among five sentences about a kitchen says nothing) ...
MIN_CUE_FEEDBACK = 3
MIN_CUE_SHARE = 0.25
MIN_CUE_LIFT = 2.0
#: ... and more than the rest's rate would give by chance but once in this many (a binomial tail:
#: in a long complaint some cue of each stage is in most feedback, and 3 of 8 is noise).
MAX_CUE_CHANCE = 0.01
#: ... else this stage: what a candidate names is a thing customers use (a part, a dish, a room)
#: or what happened with it, met while using what they bought (docs/TAXONOMY.md, "Discovery").
DEFAULT_STAGE = "usage"


def cues_in(lemmas: Sequence[str]) -> set[str]:
    """The cues in one sentence's *lemmas* (in order): cue words, and phrases as "a b"."""
    found = set(lemmas) & _ALL_WORDS
    for stage_phrases in STAGE_PHRASES.values():
        for first, seconds in stage_phrases:
            at = [i for i, w in enumerate(lemmas) if w == first]
            for i in at:
                near = lemmas[max(0, i - EVENT_GAP - 1) : i] + lemmas[i + 1 : i + EVENT_GAP + 2]
                found.update(f"{first} {w}" for w in set(near) & seconds)
    return found


def cue_counts(units: Sequence[set[str]]) -> Counter:
    """How many *units* (sentences' or feedback's cues, or lemmas) hold each cue, and each
    stage's cues (keyed by the stage id upper-cased, which no cue is); "_docs": how many units."""
    counts = Counter({"_docs": len(units)})
    for found in units:
        for stage in STAGE_CUES:
            hits = found & STAGE_ALL[stage]
            counts.update(hits)
            counts[stage.upper()] += bool(hits)
    return counts


def standing_out(units: Sequence[set[str]], pool: Counter, whole: Counter | None = None) -> tuple[str, list[str]] | None:
    """The stage whose cues are in at least MIN_CUE_FEEDBACK and MIN_CUE_SHARE of *units*,
    MIN_CUE_LIFT times as often as in the rest of the *pool* (cue_counts of all units of the
    uncovered feedback; "buy" in every review suggests nothing) and beyond chance (MAX_CUE_CHANCE),
    the one standing out most, with its cues that stood out, strongest first; else None. *whole*:
    the units' counts as the pool holds them, when *units* had words left out."""
    from scipy.stats import binom  # scipy is imported by use, not by importing cxtext

    found = cue_counts(units)
    whole = whole or found
    n, rest_n = found["_docs"], pool["_docs"] - found["_docs"]

    def rest_rate(key: str) -> float:  # smoothed: a cue absent from the rest is not infinitely rarer
        return (pool[key] - whole[key] + 1) / (rest_n + 2)

    excess = {
        stage: found[stage.upper()] - n * rest_rate(stage.upper())
        for stage in STAGE_CUES
        if found[stage.upper()] >= max(MIN_CUE_FEEDBACK, MIN_CUE_SHARE * n)
        and found[stage.upper()] >= MIN_CUE_LIFT * n * rest_rate(stage.upper())
        and binom.sf(found[stage.upper()] - 1, n, rest_rate(stage.upper())) <= MAX_CUE_CHANCE
    }
    if not excess:
        return None
    best = max(excess, key=lambda s: (excess[s], s == DEFAULT_STAGE))
    words = {w: found[w] - n * rest_rate(w) for w in STAGE_ALL[best] if found[w]}
    return best, [w for w, e in sorted(words.items(), key=lambda we: (-we[1], we[0])) if e > 0][:3]


def suggest_stage(
    own_sentences: Sequence[set[str]],
    sentence_pool: Counter,
    *,
    event: bool = False,
    doc_lemmas: Sequence[set[str]] = (),
    doc_pool: Counter | None = None,
    own: frozenset[str] = frozenset(),
) -> tuple[str, list[str]]:
    """The stage whose cues stand out (standing_out) in the candidate's *own_sentences* (the cues
    of each sentence its patterns matched, its own words included: "my ticket was closed" is
    support, "paying with Apple Pay" purchase) against all uncovered sentences (*sentence_pool*);
    else, for an *event* (a candidate whose name is not a thing: "hold to reset"), the stage whose
    cue words stand out in its whole feedback (*doc_lemmas* against *doc_pool*, its *own* words
    left out: they are in all of it by construction); else DEFAULT_STAGE (a thing customers use:
    "waiter", "hard drive", which a few stray cue words must not move elsewhere). With the cues
    that decided, strongest first: none for the default."""
    placed = standing_out(own_sentences, sentence_pool)
    if placed is None and event and doc_pool is not None:
        placed = standing_out([lemmas - own for lemmas in doc_lemmas], doc_pool, cue_counts(doc_lemmas))
    return placed or (DEFAULT_STAGE, [])


#: Each stage's cues: its words and its phrases as "a b".
STAGE_ALL = {
    stage: cues | {f"{first} {w}" for first, seconds in STAGE_PHRASES.get(stage, ()) for w in seconds}
    for stage, cues in STAGE_CUES.items()
}
_ALL_WORDS = frozenset().union(*STAGE_CUES.values())
