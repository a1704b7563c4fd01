"""The shipped packs (models/packs: core, retail) and the tagger: loading and validation, every
theme's examples and counter-examples, negation, word sense, mentions and spans, and the planted
pain points of the sample data found with enough precision and recall with core + retail (the
sample configuration's packs)."""

from __future__ import annotations

import copy
import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from cxtext.errors import ConfigError
from cxtext.text.nlp import clean_text, load_nlp
from cxtext.text.taxonomy import (
    STAGE_IDS,
    ThemeTagger,
    get_tagger,
    layer_paths,
    load_taxonomy,
    pack_path,
    parse_taxonomy,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
SAMPLE_PACKS = ["core", "retail"]
REQUIRED = {
    "payment_failure": "purchase",
    "support_wait_time": "support",
    "delivery_delay": "onboarding",
    "product_quality": "usage",
}
#: The sample data's planted pain points (manifest ids) and the theme that must find each.
PLANTED_THEMES = {
    "payment_failures": "payment_failure",
    "support_wait_times": "support_wait_time",
    "delivery_delays": "delivery_delay",
    "product_quality_praise": "product_quality",
}
CORE = load_taxonomy(layer_paths(["core"]))
TAXONOMY = load_taxonomy(layer_paths(SAMPLE_PACKS))


def themes_of(text: str, packs=SAMPLE_PACKS) -> set[str]:
    return {m.theme for m in get_tagger(layer_paths(packs)).tag(load_nlp()(text))}


# ----------------------------------------------------------------------------------- the file


def test_shipped_packs_load():
    assert tuple(s.id for s in TAXONOMY.stages) == STAGE_IDS
    assert all(s.name and s.description for s in TAXONOMY.stages)
    assert len(CORE.themes) >= 30 and {t.layer for t in CORE.themes} == {"core"}
    assert {t.layer for t in TAXONOMY.themes} == {"core", "retail"}
    for stage in STAGE_IDS:
        assert [t for t in CORE.themes if t.stage == stage], stage
    for theme_id, stage in REQUIRED.items():
        assert TAXONOMY.theme(theme_id).stage == stage
    for theme in TAXONOMY.themes:
        assert theme.name and theme.description, theme.id
        assert 2 <= len(theme.examples) <= 4, theme.id
        assert theme.counter_examples, theme.id


def test_version_is_a_content_hash(tmp_path):
    assert re.fullmatch(r"[0-9a-f]{12}", TAXONOMY.version)
    assert TAXONOMY.version != CORE.version
    copy_path = tmp_path / "core.toml"
    shutil.copy(pack_path("core"), copy_path)
    assert load_taxonomy(copy_path).version == CORE.version
    copy_path.write_text(pack_path("core").read_text(encoding="utf-8") + "\n# an analyst's note\n", encoding="utf-8")
    assert load_taxonomy(copy_path).version != CORE.version


def test_get_tagger_follows_the_users_file(tmp_path):
    user = tmp_path / "mine.toml"
    user.write_text(
        '[[themes]]\nid = "zzyzx_shortage"\nname = "Zzyzx"\nstage = "consideration"\n'
        'phrases = ["zzyzx shortage"]\nexamples = ["A zzyzx shortage again."]\n',
        encoding="utf-8",
    )
    first = get_tagger(layer_paths(["core"], [user]))
    assert get_tagger(layer_paths(["core"], [user])) is first
    assert {m.theme for m in first.tag(load_nlp()("A zzyzx shortage again."))} == {"zzyzx_shortage"}
    user.write_text(user.read_text().replace("zzyzx shortage", "zzyzx famine"), encoding="utf-8")
    second = get_tagger(layer_paths(["core"], [user]))
    assert second.taxonomy.version != first.taxonomy.version
    assert not second.tag(load_nlp()("A zzyzx shortage again."))


# ----------------------------------------------------------------------- examples per theme


@pytest.mark.parametrize("theme_id", [t.id for t in TAXONOMY.themes])
def test_examples_and_counter_examples(theme_id):
    """Each theme's sentences, with the packs up to its own (a retail theme refines core ones)."""
    theme = TAXONOMY.theme(theme_id)
    packs = SAMPLE_PACKS[: SAMPLE_PACKS.index(theme.layer) + 1]
    missed = [s for s in theme.examples if theme_id not in themes_of(s, packs)]
    wrongly = [s for s in theme.counter_examples if theme_id in themes_of(s, packs)]
    assert not missed, f"{theme_id}: examples not tagged: {missed}"
    assert not wrongly, f"{theme_id}: counter-examples tagged: {wrongly}"


#: Everyday words in another industry's sense (what the e-commerce taxonomy got wrong on airline,
#: hotel and banking feedback), with the packs a business outside retail uses and the sample's.
OTHER_SENSES = [
    ("We would return to this hotel in a heartbeat.", {"recommend_and_return"}),
    ("Our return flight was on time.", set()),
    ("Cancelled Flight again, third time this month.", {"cancelled_by_business"}),
    ("its freezing in here", {"comfort"}),
    ("Long queue at the security check.", {"waiting_and_delays"}),
    ("My baggage was delayed by two days.", {"waiting_and_delays"}),
    ("They lost my luggage on the way home.", {"damage_and_loss"}),
    ("I was charged a late fee even though I paid on time.", {"billing_and_charges"}),
]


@pytest.mark.parametrize("packs", [["core"], SAMPLE_PACKS])
@pytest.mark.parametrize(("text", "expected"), OTHER_SENSES)
def test_everyday_words_in_another_industrys_sense(text, expected, packs):
    assert themes_of(text, packs) == expected


# ------------------------------------------------------------------------------- validation


def minimal() -> dict:
    return {
        "stages": [{"id": s, "name": s.title(), "description": ""} for s in STAGE_IDS],
        "themes": [
            {
                "id": "delivery_delay",
                "name": "Delivery delays",
                "stage": "onboarding",
                "phrases": ["late delivery"],
                "examples": ["A late delivery."],
            },
            {
                "id": "card_trouble",
                "name": "Card trouble",
                "stage": "purchase",
                "patterns": [[{"LEMMA": "card"}, {"OP": "{0,2}"}, {"LEMMA": "decline"}]],
                "examples": ["My card was declined."],
            },
        ],
    }


def broken(change) -> dict:
    data = copy.deepcopy(minimal())
    change(data)
    return data


INVALID = {
    "unknown stage": (lambda d: d["themes"][1].update(stage="checkout"), ["card_trouble", "stage", "checkout"]),
    "duplicate id": (lambda d: d["themes"][1].update(id="delivery_delay"), ["delivery_delay", "twice"]),
    "bad id": (lambda d: d["themes"][1].update(id="Card-Trouble"), ["theme #2", "id", "Card-Trouble"]),
    "missing examples": (lambda d: d["themes"][1].pop("examples"), ["card_trouble", "examples"]),
    "empty examples": (lambda d: d["themes"][1].update(examples=[]), ["card_trouble", "examples"]),
    "no phrases or patterns": (lambda d: d["themes"][1].pop("patterns"), ["card_trouble", "phrases or patterns"]),
    "broken token pattern": (
        lambda d: d["themes"][1]["patterns"][0].append({"OP": "bogus"}),
        ["card_trouble", "patterns #1"],
    ),
    "pattern not a list of tables": (
        lambda d: d["themes"][1].update(patterns=["card declined"]),
        ["card_trouble", "patterns"],
    ),
    "unknown field": (lambda d: d["themes"][1].update(colour="red"), ["card_trouble", "unknown field", "colour"]),
    "missing name": (lambda d: d["themes"][1].pop("name"), ["card_trouble", "name"]),
    "negation not a bool": (lambda d: d["themes"][1].update(negation="no"), ["card_trouble", "negation"]),
    "phrases not strings": (lambda d: d["themes"][0].update(phrases=["late", 3]), ["delivery_delay", "phrases"]),
    "wrong stage order": (lambda d: d["stages"].reverse(), ["stages", "awareness, consideration"]),
    "missing stage": (lambda d: d["stages"].pop(), ["stages", "loyalty"]),
    "no themes": (lambda d: d.update(themes=[]), ["no themes"]),
}


def test_minimal_taxonomy_is_valid():
    taxonomy = parse_taxonomy(minimal(), version="test")
    assert [t.id for t in taxonomy.themes] == ["delivery_delay", "card_trouble"]


@pytest.mark.parametrize("case", INVALID)
def test_validation_errors_name_the_theme_and_field(case):
    change, expected = INVALID[case]
    with pytest.raises(ConfigError) as error:
        parse_taxonomy(broken(change), version="test")
    for fragment in expected:
        assert fragment in str(error.value), (case, str(error.value))


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_taxonomy(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('[[themes]]\nid = "x\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_taxonomy(bad)


# --------------------------------------------------------------------------------- negation

NEGATION_TABLE = [
    ("No problem with delivery.", set()),
    ("No problem with the delivery at all.", set()),
    ("The parcel wasn't late.", set()),
    ("The parcel was not late.", set()),
    ("My parcel was never late.", set()),
    ("I never had an issue with checkout.", {"booking_and_ordering"}),  # a topic theme keeps negated mentions
    ("Never had an issue with checkout.", {"booking_and_ordering"}),
    ("No complaints at all about the payment failing.", set()),
    ("My card was not declined this time.", set()),
    ("I didn't have to wait on hold.", set()),
    ("My parcel is late again.", {"delivery_delay"}),
    ("The parcel never arrived.", {"delivery_delay"}),
    ("The parcel was delayed and nobody told me.", {"delivery_delay", "communication_and_updates"}),
    ("No problem with checkout but the delivery was late.", {"booking_and_ordering", "delivery_delay"}),
    ("I had no issues at checkout, yet my card was declined twice.", {"booking_and_ordering", "payment_failure"}),
    ("Checkout was easy, yet my card was declined twice.", {"booking_and_ordering", "payment_failure"}),
    ("Still no reply to my email after a week.", {"support_wait_time"}),
    ("Nobody answered the phone for an hour.", {"support_wait_time"}),
    ("I was on hold for an hour, not great.", {"support_wait_time"}),
    ("The sound isn't great.", {"product_quality"}),
]


@pytest.mark.parametrize(("text", "expected"), NEGATION_TABLE)
def test_negation(text, expected):
    assert themes_of(text) == expected


# --------------------------------------------------------------------------------- mentions


def test_several_themes_in_one_document():
    text = (
        "Checkout was easy but my card was declined twice. The parcel turned up a week late. "
        "I sat on hold for ages. Still, the sound quality is superb."
    )
    mentions = get_tagger(layer_paths(SAMPLE_PACKS)).tag(load_nlp()(text))
    assert {(m.theme, m.sentence_index) for m in mentions} == {
        ("booking_and_ordering", 0),
        ("payment_failure", 0),
        ("delivery_delay", 1),
        ("support_wait_time", 2),
        ("product_quality", 3),
    }
    stages = {m.theme: m.stage for m in mentions}
    assert stages["payment_failure"] == "purchase" and stages["product_quality"] == "usage"
    assert [m.start_char for m in mentions] == sorted(m.start_char for m in mentions)


def test_one_mention_per_theme_per_sentence():
    text = "The parcel was late, the package was delayed, my order is overdue. The parcel was late again."
    mentions = [m for m in get_tagger(layer_paths(SAMPLE_PACKS)).tag(load_nlp()(text)) if m.theme == "delivery_delay"]
    assert [m.sentence_index for m in mentions] == [0, 1]
    assert mentions[0].text == "parcel was late"  # the earliest, longest match


def test_mention_spans_slice_the_text():
    nlp, tagger = load_nlp(), get_tagger(layer_paths(SAMPLE_PACKS))
    texts = [example for theme in TAXONOMY.themes for example in theme.examples]
    for doc in nlp.pipe(texts):
        for mention in tagger.tag(doc):
            assert doc.text[mention.start_char : mention.end_char] == mention.text


def test_matches_stay_inside_their_sentence():
    # "no words" + "On ..." would make a gapped support_wait_time pattern ("no reply ... on") run on.
    assert "support_wait_time" not in themes_of("Just pictures and no words. On the plus side it works.")


def test_a_remembered_sentence_gets_the_mentions_it_gets_alone():
    """The tagger remembers each sentence's mentions: a sentence met before, in another text and
    another place in it, gets what it gets when nothing is remembered."""
    nlp, tagger = load_nlp(), ThemeTagger(TAXONOMY)
    examples = [e for t in TAXONOMY.themes for e in t.examples + t.counter_examples]
    texts = [f"{a} {b}" for a, b in zip(examples, examples[7:] + examples[:7])] + examples[::-1]
    texts += ["Not once. On hold for ages, no reply.", "On hold for ages, no reply. Not once."]
    warm = [tagger.tag(doc) for doc in nlp.pipe(texts)]
    cold = []
    for doc in nlp.pipe(texts):
        tagger._sentences.clear()
        cold.append(tagger.tag(doc))
    assert warm == cold and sum(map(len, warm)) > len(texts) / 2


def test_social_text_is_tagged_after_cleaning():
    clean = clean_text("@shop my card got declined again #paymentfail https://t.co/x", kind="social")
    mentions = get_tagger(layer_paths(SAMPLE_PACKS)).tag(load_nlp()(clean.text))
    assert "payment_failure" in {m.theme for m in mentions}
    for mention in mentions:
        start, end = clean.original_span(mention.start_char, mention.end_char)
        assert start < end


# ---------------------------------------------------------------------------- sample data


def sample_records() -> dict[str, str]:
    """record id -> analysed text of every good record (malformed lines and duplicates left out)."""
    manifest = json.loads((SAMPLE_DATA / "manifest.json").read_text(encoding="utf-8"))
    malformed = {m["record_id"] for m in manifest["malformed"]}
    records: dict[str, str] = {}
    for name, id_column, text_column in (
        ("reviews.csv", "review_id", "text"),
        ("survey_comments.csv", "response_id", "comment"),
    ):
        with open(SAMPLE_DATA / name, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row[id_column] not in malformed:
                    records.setdefault(row[id_column], row[text_column])
    with open(SAMPLE_DATA / "social_mentions.jsonl", encoding="utf-8") as handle:
        for line in handle:
            try:
                post = json.loads(line)
            except ValueError:
                continue
            if post["id"] not in malformed:
                records.setdefault(post["id"], clean_text(post["text"], kind="social").text)
    return records


def sample_texts() -> list[str]:
    """Every text of the sample files, titles included, lower-cased."""
    texts = []
    for name, columns in (("reviews.csv", ("text", "title")), ("survey_comments.csv", ("comment",))):
        with open(SAMPLE_DATA / name, newline="", encoding="utf-8") as handle:
            texts += [row[c] or "" for row in csv.DictReader(handle) for c in columns]
    with open(SAMPLE_DATA / "social_mentions.jsonl", encoding="utf-8") as handle:
        for line in handle:
            texts.append(line)  # the raw line: malformed ones too
            try:
                texts.append(json.loads(line)["text"])
            except ValueError:
                pass
    return [t.lower() for t in texts]


needs_sample_data = pytest.mark.skipif(not (SAMPLE_DATA / "manifest.json").exists(), reason="sample_data/manifest.json is absent")


@needs_sample_data
def test_no_example_sentence_comes_from_the_sample_data():
    corpus = "\n".join(sample_texts())
    copied = [s for t in TAXONOMY.themes for s in t.examples + t.counter_examples if s.lower() in corpus]
    assert not copied, f"taxonomy sentences found in the sample data: {copied}"


@needs_sample_data
def test_planted_pain_points_are_found():
    """Precision and recall of "the record carries theme X" against the manifest's planted records,
    with the sample configuration's packs (core + retail)."""
    manifest = json.loads((SAMPLE_DATA / "manifest.json").read_text(encoding="utf-8"))
    records = sample_records()
    ids = list(records)
    docs = load_nlp().pipe((records[i] for i in ids), batch_size=256)
    tagger = get_tagger(layer_paths(SAMPLE_PACKS))
    tagged = {rid: {m.theme for m in tagger.tag(doc)} for rid, doc in zip(ids, docs)}
    scores = {}
    for planted in manifest["planted"]:
        theme = PLANTED_THEMES[planted["id"]]
        truth = {rid for source_ids in planted["records"].values() for rid in source_ids}
        found = {rid for rid in ids if theme in tagged[rid]}
        hits = len(truth & found)
        scores[theme] = (round(hits / len(found), 3) if found else 0.0, round(hits / len(truth), 3))
    assert set(scores) == set(PLANTED_THEMES.values())
    for _theme, (precision, recall) in scores.items():
        assert precision >= 0.8 and recall >= 0.8, scores


#: Words whose lookup lemma is itself a word with another lemma ("flattering" -> "flatter" ->
#: "flat", "better" -> "well" -> "good"): naming the intermediate lemma is what matches.
LEMMA_CHAINS = {"flatter", "serving", "well"}


def test_every_lemma_a_pack_names_can_match():
    """A LEMMA value that is not its own lemma never matches ("confusing" is lemmatised to
    "confuse"): the shipped packs name lemmas."""
    nlp = load_nlp()
    unmatchable = set()
    for theme in TAXONOMY.themes:
        for pattern in theme.patterns:
            for token in pattern.tokens:
                value = token.get("LEMMA")
                for word in [value] if isinstance(value, str) else (value or {}).get("IN", []):
                    doc = nlp(word)
                    if len(doc) == 1 and doc[0].lemma_ != word and word not in LEMMA_CHAINS:
                        unmatchable.add((theme.id, word, doc[0].lemma_))
    assert not unmatchable, sorted(unmatchable)
