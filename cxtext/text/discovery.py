"""Theme discovery: candidate themes from the recurring phrases of feedback no theme covers.

Pure (no storage): given the uncovered feedback (text, whether it reads negative, its topic), it
finds pairs of content words that stand together in a sentence ("lost ... luggage", "flight ...
delayed", at most one word apart), keyed by their lemmas in either order, counts the feedback each pair is in (negative
feedback first), and grows candidates greedily: the pair in most negative feedback (and mostly
negative) seeds a candidate; pairs that share one of its words and whose feedback falls mostly in the same topic join
it ("lost bag" joins "lost luggage"; "cancelled flight" does not join "delayed flight": another
topic). A pair mostly inside an earlier candidate's feedback adds nothing and is skipped.
Then, while there is room, single words seed candidates too: a thing customers name ("the waiter
was", "my hard drive"), not a tone or a verb, in feedback no candidate holds yet (in a few hundred
short sentences few phrases recur, but "waiter" or "warranty" does); a word takes over the pairs'
candidates it holds. In a small pool the volume needed, and the share negative a seed needs, scale
with the pool (volume_needed, seed_share).

Each candidate has a readable name (the most frequent way customers wrote its seed pair, as
written), token patterns in the taxonomy's own format (docs/TAXONOMY.md: a lemma, a gap of at
most one word, a lemma) that the tagger then matches exactly as counted here, a journey stage
(suggest_stage: the stage cues of its own sentences when they clearly stand out, else for an
event its feedback's, else usage),
its volume, share negative and three quotes; and the id of the earlier suggestion it continues
(kept_ids), so a weekly refresh keeps trends continuous.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from cxtext.text.discovery_stage import cue_counts, cues_in, suggest_stage
from cxtext.text.nlp import clean_text, load_nlp, sentences
from cxtext.text.sentiment import vader_words

#: Words between the two words of a pair (the patterns' gap): "lost my luggage", "pool was closed".
MAX_GAP = 1
#: Words that join two separate things: never in a pair's gap ("email and problem").
JOINERS = frozenset({"and", "or", "but", "nor", "&", "plus", "then"})
#: A candidate is seeded only by a pair at least this share of whose feedback reads negative (what
#: hurts first; product names, mostly neutral, stay out), and found in this many of it at least.
MIN_SEED_NEGATIVE = 0.5
#: ... but never less than this share, however few of the pool's feedback read negative.
MIN_SEED_FLOOR = 0.25
#: The fewest feedback a pair or word needs in a small pool (a candidate shows three quotes) ...
MIN_VOLUME_FLOOR = 3
#: ... and one more per this many uncovered negative feedback, up to `[themes] min_volume`.
NEGATIVE_PER_VOLUME = 100
#: A single word's candidate takes the name of its most frequent pair when that pair is in this
#: share of the word's feedback ("hard drive" for "drive"), else the word as written.
NAMED_WITH = 0.3
#: A name grows by the word customers wrote before or after it in this share of its uses.
EXTEND_WITH = 0.5
#: A single word seeds a candidate when at least this share of its uses close a noun phrase: one of
#: DETERMINERS in the two words before it, and after it no content word in its dictionary form (a
#: stop word, punctuation or an inflected verb: "the waiter was", "the waiter spilled", "my hard
#: drive."; not "a small counter"): a thing customers talk about, not a verb or a modifier.
NOUN_SHARE = 0.3
#: Nouns that name no subject of their own ("the fact that", "a couple of"), or only the product,
#: the business or the customer as a whole ("the unit", "the company"): never a word's candidate.
VAGUE_NOUNS = frozenset(
    """fact couple period result experience past mention effort rest kind sort part side end point reason stuff
    product item unit model system machine device customer company business brand store shop""".split()
)
DETERMINERS = frozenset("the a an my our your their his her its this that these those no any some every".split())
#: A single word in more than this share of the uncovered feedback names what the business is
#: about (the credit report, the laptop), not a problem in it: no word candidate (a catch-all).
MAX_WORD_SHARE = 0.1
#: Patterns a candidate keeps (its strongest pairs).
MAX_PATTERNS = 6
#: A pair whose feedback is at least this share inside an earlier candidate's adds nothing.
REDUNDANT = 0.6
#: A pair joins a candidate when this share of its feedback is in the candidate's main topic.
SAME_TOPIC = 0.5
#: Words that carry tone or nothing, not a subject: never one of a pair's words.
GENERIC = frozenset(
    """good great bad terrible awful horrible poor nice excellent amazing awesome fantastic wonderful perfect
    worst best better worse love hate like lol ok okay fine happy sad disappointed disappointing annoying
    ridiculous pathetic useless unacceptable thank thanks please really just thing things time times day days
    today yesterday tomorrow week weeks get got go going went gone make made know say said tell told want
    need think way lot lots bit little big much many still even also ever never always already yet
    one two three first last next new old guy guys people person anyone someone everyone something
    anything everything nothing year years hour hours minute minutes month months morning night
    dm fyi amp via http https www com yes yeah hey hi hello wow omg seriously literally actually
    come look use try work give take let keep put see feel seem""".split()
) | {"xx", "xxx", "xxxx", "xxxxx"}  # redaction marks (a data set's own: the complaints' "XXXX")
#: cxtext's own redaction placeholders ([EMAIL], [PHONE]...) are words too once tokenised.
PLACEHOLDERS = frozenset({"email", "iban", "card", "ip", "phone", "handle", "ssn"})


@dataclass(frozen=True)
class Item:
    """One uncovered feedback: id, kind (social text is cleaned first), text, negative or not, topic."""

    feedback_id: str
    kind: str
    text: str
    negative: bool
    topic: int | None = None


@dataclass
class Candidate:
    """A candidate theme, as written to the suggestions file."""

    id: str
    name: str
    stage: str
    stage_cues: list[str]
    volume: int
    share_negative: float
    quotes: list[str]
    patterns: list[list[dict]]
    keys: list[list[str]]  # the lemma pairs its patterns match, in order (what keeps its id stable)
    feedback_ids: set[str] = field(default_factory=set, repr=False)


@dataclass(frozen=True)
class Earlier:
    """A suggestion of the last refresh: its id, the keys its patterns match (its seed first), and
    in how many feedback it was found."""

    id: str
    keys: tuple[tuple[str, ...], ...]
    volume: int = 0


@dataclass
class _Pair:
    docs: set[int] = field(default_factory=set)
    negative: set[int] = field(default_factory=set)
    surfaces: Counter = field(default_factory=Counter)
    orders: Counter = field(default_factory=Counter)  # (first lemma, second lemma) as written
    quotes: dict[int, str] = field(default_factory=dict)  # doc -> the sentence it is in
    where: dict[int, int] = field(default_factory=dict)  # doc -> that sentence's number in it
    heads: int = 0  # a single word: how often it closes a noun phrase ("the ... waiter was")


def slug(text: str) -> str:
    """'Lost my luggage!' -> 'lost_my_luggage' (a theme id's form)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:50] or "theme"


def _content(lower: str, lemma: str, alpha: bool, stop_words) -> bool:
    return (
        alpha
        and len(lower) >= 3
        and lower not in stop_words
        and lemma not in stop_words
        and lemma not in GENERIC
        and lower not in GENERIC
    )


def find_pairs(items: Sequence[Item]) -> tuple[dict[tuple[str, str], _Pair], dict[tuple[str], _Pair], list, list]:
    """The lemma pairs of the items' sentences (each pair counted once per feedback), the single
    content words likewise (keyed by a 1-tuple), each item's set of lemmas, and per item the stage
    cues of each of its sentences (cues_in; for the stage)."""
    from spacy.attrs import IS_ALPHA, IS_PUNCT, LEMMA, LOWER  # spaCy is imported by use, not by importing cxtext

    nlp = load_nlp()
    stop_words = nlp.Defaults.stop_words
    strings = nlp.vocab.strings
    pairs: dict[tuple[str, str], _Pair] = defaultdict(_Pair)
    singles: dict[tuple[str], _Pair] = defaultdict(_Pair)
    lemmas_of, cues_of = [], []
    texts = (clean_text(item.text, kind=item.kind).text for item in items)
    for index, doc in enumerate(nlp.pipe(texts, batch_size=256)):
        rows = doc.to_array([LOWER, LEMMA, IS_ALPHA, IS_PUNCT]).tolist()
        words = [(strings[lo], strings[le], bool(a), bool(p)) for lo, le, a, p in rows]
        for i in range(1, len(words) - 1):  # "[EMAIL]": a redaction, not a word
            if words[i][0] in PLACEHOLDERS and words[i - 1][0] == "[" and words[i + 1][0] == "]":
                words[i] = ("[" + words[i][0] + "]", words[i][1], False, True)
        lemmas_of.append({le for _, le, a, _ in words if a})
        cues_of.append([])
        for number, sent in enumerate(sentences(doc)):
            cues_of[-1].append(cues_in([w[1].lower() for w in words[sent.start : sent.end]]))
            for i in range(sent.start, sent.end):
                lo, le, alpha, _ = words[i]
                if not _content(lo, le, alpha, stop_words):
                    continue
                word = singles[(le,)]
                word.docs.add(index)
                if items[index].negative:
                    word.negative.add(index)
                word.surfaces[lo] += 1
                word.orders[(le,)] += 1
                before = [w[0] for w in words[max(sent.start, i - 2) : i] if not w[3]]
                after = words[i + 1] if i + 1 < sent.end else None
                if DETERMINERS & set(before) and not (after and after[0] == after[1] and _content(*after[:3], stop_words)):
                    word.heads += 1  # "the waiter was", "our hard drive", "the waiter spilled": a thing
                word.quotes.setdefault(index, sent.text.strip())
                word.where.setdefault(index, number)
                for j in range(i + 1, min(sent.end, i + 2 + MAX_GAP)):
                    if j - 1 > i and (words[j - 1][3] or words[j - 1][0] in JOINERS):  # nor punctuation, nor "and"
                        break
                    lo2, le2, alpha2, _ = words[j]
                    if le2 == le or not _content(lo2, le2, alpha2, stop_words):
                        continue
                    pair = pairs[tuple(sorted((le, le2)))]
                    pair.docs.add(index)
                    if items[index].negative:
                        pair.negative.add(index)
                    pair.surfaces[doc[i : j + 1].text.lower()] += 1
                    pair.orders[(le, le2)] += 1
                    pair.quotes.setdefault(index, sent.text.strip())
                    pair.where.setdefault(index, number)
    return pairs, singles, lemmas_of, cues_of


def _main_topic(docs: set[int], items: Sequence[Item]) -> tuple[int | None, float]:
    topics = Counter(items[d].topic for d in docs if items[d].topic is not None)
    if not topics:
        return None, 0.0
    topic, count = topics.most_common(1)[0]
    return topic, count / len(docs)


def volume_needed(min_volume: int, negative: int) -> int:
    """The feedback a pair or word needs: *min_volume*, or in a small pool, one per
    NEGATIVE_PER_VOLUME uncovered negative feedback, at least MIN_VOLUME_FLOOR (a few hundred
    negative sentences rarely repeat a phrase five times; a business with thousands keeps the
    setting)."""
    return min(min_volume, max(MIN_VOLUME_FLOOR, math.ceil(negative / NEGATIVE_PER_VOLUME)))


def seed_share(items: Sequence[Item]) -> float:
    """The share of negative feedback a seed needs: MIN_SEED_NEGATIVE, or twice the pool's own
    negative rate when that is lower (where 1 in 7 reads negative, a word in 3 of 7 negative
    feedback stands out), at least MIN_SEED_FLOOR."""
    rate = sum(item.negative for item in items) / len(items) if items else 0.0
    return max(MIN_SEED_FLOOR, min(MIN_SEED_NEGATIVE, 2 * rate))


def curated_words(themes) -> tuple[list[frozenset[str]], frozenset[str]]:
    """Per curated theme, the words it names; and the words some theme matches on their own (a
    one-word phrase or a one-word pattern): where such a word stays uncovered, the theme's guards
    or a negation declined it, so it is not news."""
    from cxtext.text.theme_patterns import literal_words

    named, alone = [], set()
    for theme in themes:
        named.append(literal_words(theme.phrases, [p.tokens for p in theme.patterns]))
        alone.update(p.lower() for p in theme.phrases if len(p.split()) == 1)
        for pattern in theme.patterns:
            tables = [t for t in pattern.tokens if set(t) != {"OP"}]
            if len(tables) == 1:
                alone.update(literal_words((), [tables]))
    return named, frozenset(alone)


def suggest(
    items: Sequence[Item],
    *,
    min_volume: int = 5,
    max_candidates: int = 20,
    taken_ids: frozenset[str] = frozenset(),
    excluded_keys: frozenset[tuple[str, ...]] = frozenset(),
    earlier: Sequence[Earlier] = (),
    curated: Sequence[frozenset[str]] = (),
    alone: frozenset[str] = frozenset(),
) -> list[Candidate]:
    """Candidate themes in *items*, most negative feedback first. *excluded_keys*: lemma pairs (or
    single words, 1-tuples) never to suggest again (dismissed ones); *earlier*: the suggestions of the last
    refresh, whose ids the candidates that continue them keep (kept_ids); *taken_ids*: ids a new
    candidate must not take; *curated*: the words each curated theme names: a pair both of whose
    words one theme names is that theme where its guards or a negation declined it ("no customer
    service"), not news; *alone*: words a curated theme matches on their own (no single-word
    candidate). Pairs seed candidates first; then, while there is room, single words (a subject,
    not a tone word) whose feedback no candidate holds yet: in a few hundred short sentences few
    phrases recur, but "waiter" or "warranty" does."""
    pairs, singles, lemmas_of, cues_of = find_pairs(items)
    needed = volume_needed(min_volume, sum(item.negative for item in items))
    share = seed_share(items)
    tone = vader_words()

    def ranked(terms, keep):
        return sorted(
            ((k, p) for k, p in terms.items() if len(p.docs) >= needed and k not in excluded_keys and keep(k, p)),
            key=lambda kp: (-len(kp[1].negative), -len(kp[1].docs), kp[0]),
        )

    ranked_pairs = ranked(pairs, lambda k, _: not any(set(k) <= words for words in curated))
    ranked_words = ranked(
        singles,
        lambda k, p: (
            k[0] not in alone | tone | VAGUE_NOUNS
            and not set(p.surfaces) & (tone | alone)
            and p.heads >= NOUN_SHARE * sum(p.orders.values())
            and len(p.docs) <= MAX_WORD_SHARE * len(items)
        ),
    )
    background = (cue_counts(lemmas_of), cue_counts([cues for doc in cues_of for cues in doc]))  # how common each cue is anyway
    nouns = frozenset(k[0] for k, p in singles.items() if p.heads >= NOUN_SHARE * sum(p.orders.values()))
    plain = frozenset(load_nlp().Defaults.stop_words) | GENERIC | JOINERS | tone  # no word a name grows by
    used: set[tuple[str, ...]] = set()
    grown: list[tuple[list, set[int]]] = []
    for terms in (ranked_pairs, ranked_words):
        for key, seed in terms:
            if len(grown) >= max_candidates:
                break
            if key in used or any(len(seed.docs & docs) >= REDUNDANT * len(seed.docs) for _, docs in grown):
                continue
            if len(seed.negative) < max(share * len(seed.docs), MIN_VOLUME_FLOOR):
                continue
            members = [(key, seed)]
            if len(key) == 1:  # the word takes over the pairs' candidates it holds ("battery" holds "battery life")
                held = [g for g in grown if any(key[0] in k for k, _ in g[0])]
                grown = [g for g in grown if g not in held]
                members += [m for g in held for m in g[0]]
            if len(key) == 2:
                topic, _ = _main_topic(seed.docs, items)
                for other, pair in ranked_pairs:
                    if len(members) >= MAX_PATTERNS:
                        break
                    if other in used or other == key or not set(other) & set(key):
                        continue
                    other_topic, other_share = _main_topic(pair.docs, items)
                    if topic is None or other_topic != topic or other_share < SAME_TOPIC:
                        continue
                    members.append((other, pair))
            used.update(k for k, _ in members)
            grown.append((members, set(seed.docs) if len(key) == 1 else set().union(*(p.docs for _, p in members))))
    grown.sort(key=lambda g: (-sum(items[d].negative for d in g[1]), -len(g[1])))
    candidates: list[Candidate] = []
    names = set()
    for members, docs in grown:
        candidate = _candidate(members, docs, items, (lemmas_of, cues_of), background, pairs, nouns, plain)
        if candidate.name in names:  # two words named by the same pair ("line out jack"): the stronger
            continue
        names.add(candidate.name)
        candidate.feedback_ids = {items[d].feedback_id for d in docs}
        candidates.append(candidate)
    ids = set(taken_ids) | {e.id for e in earlier}  # an id given up is not another candidate's
    for candidate, kept in zip(candidates, kept_ids([c.keys for c in candidates], earlier)):
        candidate.id = kept or _free_id(f"discovered_{slug(candidate.name)}", ids)
        ids.add(candidate.id)
    return candidates


def _holds(keys: Sequence[Sequence[str]], key: Sequence[str]) -> bool:
    """Whether a candidate's *keys* still match what *key* matched: it has the key, or one of its
    words alone (the word's pattern matches every feedback the pair's did)."""
    return list(key) in map(list, keys) or any(len(k) == 1 and k[0] in key for k in keys)


def kept_ids(keys_of: Sequence[Sequence[Sequence[str]]], earlier: Sequence[Earlier]) -> list[str | None]:
    """Per candidate (*keys_of*, strongest first), the id of the earlier suggestion it continues,
    or None: first the one seeded by its seed; else, of those whose keys it still holds (a word
    that took over the pair "battery life": "battery"; a seed that changed places with a member),
    one whose seed it holds before one whose other keys it holds, then the one with most
    feedback. Each id goes to one candidate at most; an earlier suggestion none holds is gone."""
    kept: list[str | None] = [None] * len(keys_of)
    free = {e.id: e for e in earlier if e.keys}
    for i, keys in enumerate(keys_of):
        seeded = [e for e in free.values() if keys and list(e.keys[0]) == list(keys[0])]
        if seeded:
            kept[i] = free.pop(seeded[0].id).id
    for i, keys in enumerate(keys_of):
        held = [e for e in free.values() if any(_holds(keys, k) for k in e.keys)]
        if kept[i] is None and held:
            best = min(held, key=lambda e: (not _holds(keys, e.keys[0]), -e.volume, e.id))
            kept[i] = free.pop(best.id).id
    return kept


def _candidate(
    members,
    docs: set[int],
    items: Sequence[Item],
    words_of: tuple[list, list],
    background: tuple[Counter, Counter],
    pairs: dict[tuple[str, str], _Pair],
    nouns: frozenset[str],
    plain: frozenset[str],
) -> Candidate:
    key, seed = members[0]
    named_by, named = key, seed
    if len(key) == 1:  # a word is named as customers wrote it most often with a neighbour ("hard drive")
        around = max(
            ((p.surfaces.most_common(1)[0][1], -n, k) for n, (k, p) in enumerate(pairs.items()) if key[0] in k), default=None
        )
        if around and around[0] >= NAMED_WITH * len(seed.docs):
            named_by, named = around[2], pairs[around[2]]
    name = written_name(named.surfaces.most_common(1)[0][0], named.quotes.values(), plain)
    patterns = []
    for member, pair in members:
        if len(member) == 2 and len(key) == 1:
            continue  # a word's pattern matches its pairs' feedback already
        total = sum(pair.orders.values())
        for order, count in pair.orders.most_common():
            if count >= 0.2 * total:
                gap = [{"OP": f"{{0,{MAX_GAP}}}"}] if len(order) == 2 else []
                patterns.append([{"LEMMA": order[0]}, *gap, *({"LEMMA": w} for w in order[1:])])
    lemmas_of, cues_of = words_of
    where = sorted({(d, p.where[d]) for d in docs for _, p in members if d in p.where})  # its own sentences
    stage, cues = suggest_stage(
        [cues_of[d][n] for d, n in where],
        background[1],
        event=not all(w in nouns for w in key),  # "hold to reset", "pool closed"; not "waiter", "car loan"
        doc_lemmas=[lemmas_of[d] for d in docs],
        doc_pool=background[0],
        own=frozenset(w for member, _ in members for w in member) | set(named_by),
    )
    negative = [d for d in docs if items[d].negative]
    quote_pool = sorted(negative or docs)
    quotes: list[str] = []
    for d in quote_pool:
        quote = next((p.quotes[d] for _, p in members if d in p.quotes), None)
        if quote and quote not in quotes:
            quotes.append(quote[:300])
        if len(quotes) == 3:
            break
    return Candidate(
        id="",  # given by suggest: kept from an earlier suggestion or new
        name=name[:1].upper() + name[1:],  # "LCD screen" stays as written
        stage=stage,
        stage_cues=cues,
        volume=len(docs),
        share_negative=round(len(negative) / len(docs), 4),
        quotes=quotes,
        patterns=patterns,
        keys=[list(key) for key, _ in members],
    )


def written_name(surface: str, sentences, plain: frozenset[str]) -> str:
    """*surface* (lower case) as customers wrote it most often in *sentences* (their case: "LCD
    screen"), grown by the word before or after it when that is the same content word (not in
    *plain*) in at least EXTEND_WITH of its uses and MIN_VOLUME_FLOOR of them: "Apple Pay took
    seconds", not "Pay took seconds"."""
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, surface.split())) + r"(?!\w)", re.IGNORECASE)
    written, around = Counter(), {"before": Counter(), "after": Counter()}
    for sentence in sentences:
        if match := pattern.search(sentence):
            written[" ".join(match.group().split())] += 1
            before = re.search(r"([^\W\d_][\w'-]*)\s+$", sentence[: match.start()])
            after = re.match(r"\s+([^\W\d_][\w'-]*)", sentence[match.end() :])
            for side, word in (("before", before), ("after", after)):
                if word and word.group(1).lower() not in plain and len(word.group(1)) >= 3:
                    around[side][word.group(1)] += 1
    if not written:
        return surface
    name, uses = written.most_common(1)[0][0], sum(written.values())
    for side, counts in around.items():
        by_lower = Counter()
        for word, n in counts.items():
            by_lower[word.lower()] += n
        if by_lower and (best := by_lower.most_common(1)[0])[1] >= max(MIN_VOLUME_FLOOR, EXTEND_WITH * uses):
            word = max((w for w in counts if w.lower() == best[0]), key=counts.__getitem__)
            name = f"{word} {name}" if side == "before" else f"{name} {word}"
    return name


def _free_id(wanted: str, ids: set[str]) -> str:
    candidate, n = wanted, 2
    while candidate in ids:
        candidate, n = f"{wanted}_{n}", n + 1
    return candidate
