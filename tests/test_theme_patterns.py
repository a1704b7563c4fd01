"""The taxonomy format (docs/TAXONOMY.md): layers, the bounded pattern format checked at load,
sense guards, refines, override and formerly; and the one-pass matcher, which must find exactly
what spaCy's Matcher finds for the same patterns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxtext.config import load_settings
from cxtext.errors import ConfigError
from cxtext.text.nlp import load_nlp, sentences
from cxtext.text.pattern_matcher import PatternMatcher
from cxtext.text.taxonomy import (
    STAGE_IDS,
    ThemeTagger,
    layer_paths,
    load_taxonomy,
    parse_layers,
    settings_layers,
    token_matcher,
)

ROOT = Path(__file__).resolve().parent.parent
STAGES = "\n".join(f'[[stages]]\nid = "{s}"\nname = "{s.title()}"' for s in STAGE_IDS)


def layer(themes: str, stages: bool = True) -> bytes:
    return ((STAGES + "\n" if stages else "") + themes).encode("utf-8")


def theme(theme_id: str, body: str, stage: str = "usage") -> str:
    return f'[[themes]]\nid = "{theme_id}"\nname = "{theme_id}"\nstage = "{stage}"\nexamples = ["x"]\n{body}\n'


def tagged(taxonomy, text: str) -> set[str]:
    return {m.theme for m in ThemeTagger(taxonomy).tag(load_nlp()(text))}


# ----------------------------------------------------------------------------- the pattern format

BAD_PATTERNS = {
    "regex": ('[{TEXT = {REGEX = "^wait"}}]', "unknown key 'TEXT'"),
    "regex in a word key": ('[{LOWER = {REGEX = "^wait"}}]', "IN = [...]"),
    "open repeat": ('[{LOWER = "wait"}, {OP = "*"}, {LOWER = "hour"}]', "open repeats"),
    "plus": ('[{LOWER = "wait", OP = "+"}]', "open repeats"),
    "unbounded range": ('[{LOWER = "wait"}, {OP = "{2,}"}, {LOWER = "hour"}]', "open repeats"),
    "long gap": ('[{LOWER = "wait"}, {OP = "{0,9}"}, {LOWER = "hour"}]', "at most 6"),
    "negation op": ('[{LOWER = "wait", OP = "!"}, {LOWER = "hour"}]', "open repeats"),
    "too long": ("[" + ", ".join(['{LOWER = "a"}'] * 9) + "]", "at most 8"),
    "leading gap": ('[{OP = "{0,2}"}, {LOWER = "hour"}]', "gap"),
    "trailing gap": ('[{LOWER = "hour"}, {OP = "{0,2}"}]', "gap"),
    "no required word": ('[{LOWER = "wait", OP = "?"}, {LIKE_NUM = true}]', "at least one word"),
    "bad flag": ('[{LOWER = "wait"}, {LIKE_NUM = "yes"}]', "true or false"),
    "near not words": ('{tokens = [{LOWER = "wait"}], near = ["two words"]}', "single words"),
    "window too wide": ('{tokens = [{LOWER = "wait"}], window = 50}', "1 to 10"),
    "unknown pattern key": ('{tokens = [{LOWER = "wait"}], far = ["x"]}', "unknown key"),
}


@pytest.mark.parametrize("case", BAD_PATTERNS)
def test_patterns_outside_the_bounded_format_are_refused_at_load(case):
    pattern, message = BAD_PATTERNS[case]
    with pytest.raises(ConfigError) as error:
        parse_layers([("mine", layer(theme("slow_things", f"patterns = [{pattern}]")))])
    assert "slow_things" in str(error.value) and "patterns #1" in str(error.value)
    assert message in str(error.value), str(error.value)


# ------------------------------------------------------------------------------- sense guards


def test_near_and_not_near_choose_the_sense():
    returns = theme("returns_process", 'patterns = [{tokens = [{LEMMA = "return"}], not_near = ["flight", "hotel"]}]', "loyalty")
    waits = theme("support_wait", 'patterns = [{tokens = [{LEMMA = "wait"}], near = ["hold", "phone"], window = 4}]', "support")
    taxonomy = parse_layers([("t", layer(returns + waits))])
    assert tagged(taxonomy, "I want to return the kettle.") == {"returns_process"}
    assert tagged(taxonomy, "Our return flight was fine.") == set()
    assert tagged(taxonomy, "We would return to this hotel.") == set()
    assert tagged(taxonomy, "I had to wait on hold.") == {"support_wait"}
    assert tagged(taxonomy, "We had to wait for a table.") == set()
    # the window is counted in words and stays inside the sentence
    assert tagged(taxonomy, "I had to wait. The phone rang.") == set()


def test_a_theme_level_not_near_guards_its_phrases_too():
    taxonomy = parse_layers([("t", layer(theme("returns_process", 'phrases = ["return"]\nnot_near = ["flight"]', "loyalty")))])
    assert tagged(taxonomy, "The return was easy.") == {"returns_process"}
    assert tagged(taxonomy, "The return flight was easy.") == set()


# ------------------------------------------------------------------------------------- layers

CORE = theme("delays", 'phrases = ["late", "delayed"]', "usage")
RETAIL = theme(
    "delivery_delay",
    'phrases = ["parcel late", "parcel was late"]\nrefines = "delays"\nformerly = ["late_parcels"]',
    "onboarding",
)


def test_a_refining_theme_replaces_the_broader_one_in_its_sentence_only():
    taxonomy = parse_layers([("core", layer(CORE)), ("retail", layer(RETAIL, stages=False))])
    assert [t.layer for t in taxonomy.themes] == ["core", "retail"]
    assert tagged(taxonomy, "The parcel was late.") == {"delivery_delay"}
    assert tagged(taxonomy, "The parcel was late. The train was delayed too.") == {"delivery_delay", "delays"}
    assert tagged(parse_layers([("core", layer(CORE))]), "The parcel was late.") == {"delays"}


def test_formerly_maps_old_ids_and_a_later_layer_overrides_by_id():
    mine = theme("delays", 'phrases = ["slow"]\noverride = true', "support")
    taxonomy = parse_layers([("core", layer(CORE)), ("retail", layer(RETAIL, stages=False)), ("mine", layer(mine, False))])
    assert taxonomy.renamed == {"late_parcels": "delivery_delay"}
    assert taxonomy.theme("delays").stage == "support" and taxonomy.theme("delays").layer == "mine"
    assert tagged(taxonomy, "It was slow.") == {"delays"}


LAYER_ERRORS = {
    "duplicate id": ([CORE, CORE], "override = true"),
    "override of nothing": ([theme("other", 'phrases = ["x"]\noverride = true')], "no earlier theme"),
    "refines nothing": ([theme("other", 'phrases = ["x"]\nrefines = "ghost"')], "refines"),
    "formerly twice": ([RETAIL, theme("other", 'phrases = ["x"]\nformerly = ["late_parcels"]')], "claimed"),
}


@pytest.mark.parametrize("case", LAYER_ERRORS)
def test_layer_errors_name_the_file_and_theme(case):
    themes, message = LAYER_ERRORS[case]
    layers = [("core", layer(CORE))] + [(f"mine{i}.toml", layer(t, stages=False)) for i, t in enumerate(themes)]
    with pytest.raises(ConfigError, match=message) as error:
        parse_layers(layers)
    assert "mine" in str(error.value)


def test_stages_come_from_the_last_layer_that_gives_them():
    renamed = STAGES.replace('name = "Onboarding"', 'name = "Account opening"')
    taxonomy = parse_layers([("core", layer(CORE)), ("mine", (renamed + "\n").encode())])
    assert taxonomy.stages[STAGE_IDS.index("onboarding")].name == "Account opening"
    with pytest.raises(ConfigError, match="no layer gives them"):
        parse_layers([("mine", layer(CORE, stages=False))])


def test_the_configuration_names_packs_and_the_users_files(tmp_path):
    (tmp_path / "mine.toml").write_text(theme("gift_wrap", 'phrases = ["gift wrap"]'), encoding="utf-8")
    config = tmp_path / "cxtext.toml"
    config.write_text('taxonomy_packs = ["core", "retail"]\ntaxonomy = "mine.toml"\n', encoding="utf-8")
    settings = load_settings(config)
    assert settings_layers(settings) == layer_paths(["core", "retail"], [tmp_path / "mine.toml"])
    assert load_taxonomy(settings_layers(settings)).theme("gift_wrap").layer.endswith("mine.toml")
    config.write_text('taxonomy = ["mine.toml"]\n', encoding="utf-8")
    assert load_settings(config).taxonomy_packs == ("core",)  # the default
    config.write_text('taxonomy_packs = ["core", "airline"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="no pack 'airline'.*core.*retail"):
        settings_layers(load_settings(config))
    config.write_text('taxonomy_packs = "core"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="taxonomy_packs"):
        load_settings(config)


def test_a_missing_taxonomy_file_says_the_themes_are_packs_now(tmp_path):
    with pytest.raises(ConfigError, match="taxonomy_packs"):
        load_taxonomy(tmp_path / "models" / "taxonomy.toml")


# ---------------------------------------------------------------------------- the matcher


def shipped_texts() -> list[str]:
    taxonomy = load_taxonomy(layer_paths(["core", "retail"]))
    texts = [s for t in taxonomy.themes for s in t.examples + t.counter_examples]
    manifest = ROOT / "sample_data" / "manifest.json"
    if manifest.exists():
        with open(ROOT / "sample_data" / "social_mentions.jsonl", encoding="utf-8") as handle:
            for line in list(handle)[:400]:
                try:
                    texts.append(json.loads(line)["text"])
                except ValueError:
                    pass
    return texts


def test_the_one_pass_matcher_finds_what_spacys_matcher_finds():
    taxonomy = load_taxonomy(layer_paths(["core", "retail"]))
    reference = token_matcher(taxonomy)
    ours = PatternMatcher()
    for t in taxonomy.themes:
        for number, pattern in enumerate(t.patterns, start=1):
            ours.add(f"{t.id}#{number}", list(pattern.tokens))
    extra = [  # flags, ORTH and bounded NOT_IN runs too[{"LIKE_NUM": True}, {"ORTH": "%"}, {"LOWER": "off"}],
        [
            {"IS_SENT_START": True, "LEMMA": {"IN": ["arrive", "come"]}},
            {"LOWER": {"NOT_IN": ["a", "an"]}, "OP": "{1,3}"},
            {"LEMMA": "day"},
        ]
    ]
    for number, tokens in enumerate(extra):
        reference.add(f"extra#{number}", [tokens])
        ours.add(f"extra#{number}", tokens)
    texts = shipped_texts() + ["Got 20 % off in the sale.", "Arrived within two days. Came the next day."]
    for doc in load_nlp().pipe(texts):
        expected = {(doc.vocab.strings[key], start, end) for key, start, end in reference(doc)}
        assert set(ours(doc, frozenset(s.start for s in sentences(doc)))) == expected, doc.text


def test_the_version_follows_contents_and_order_not_folders(tmp_path):
    from cxtext.text.taxonomy import layers_version

    core = (ROOT / "models/packs/core.toml").read_bytes()
    mine = theme("gift_wrap", 'phrases = ["gift wrap"]').encode()
    here = layers_version([("core", core), (str(tmp_path / "a" / "mine.toml"), mine)])
    assert here == layers_version([("core", core), (str(tmp_path / "b" / "mine.toml"), mine)])
    assert here != layers_version([("core", core), (str(tmp_path / "a" / "mine.toml"), mine + b"\n# edited")])
    assert here != layers_version([(str(tmp_path / "mine.toml"), mine), ("core", core)])
