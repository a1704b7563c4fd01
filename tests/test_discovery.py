"""Theme discovery (issue 14, items 3-4): feedback about a problem no theme covers (a hotel's pool
closed, in a business nobody wrote a pack for) becomes a suggested theme with a readable name, patterns in
the taxonomy's format, a stage and quotes; runs tag with it, marked discovered, in pain_points; it
can be accepted into the user's file (renamed, re-staged) or dismissed for good."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from cxtext.config_tables import ThemesConfig
from cxtext.insights.views import define_views
from cxtext.text.discovery import Earlier, Item, kept_ids, suggest
from cxtext.text.discovery_stage import cue_counts, cues_in, suggest_stage
from tests.conftest import REVIEW_HEADER

LUGGAGE = [
    "They lost my luggage on the way home and nobody answered the claim.",
    "Lost luggage again, the airline says the bag is somewhere in Madrid.",
    "My luggage was lost and the claim form went nowhere.",
    "Terrible: lost our luggage and three days later still nothing.",
]
POOL = [  # no core theme covers these: a hotel's own noun
    "Annoying, the pool was closed all week.",
    "The swimming pool closed again, kids upset and angry.",
    "Pool closed for maintenance on our only sunny day, awful.",
    "Sadly the pool closed early every evening, so disappointing.",
]
OTHER = ["The seats were comfortable and the crew was friendly.", "Nice view from the window, smooth landing."]


def _rows() -> list[str]:
    rows = []
    for i in range(40):
        day = datetime(2026, 7, 6) + timedelta(days=i % 28)
        text = POOL[i % 4] if i % 5 else OTHER[i % 2]
        rows.append(f'R{i},{day:%Y-%m-%d} 10:00,{1 if i % 5 else 5},Trip,"{text}",C{i}')
    return rows


def test_suggest_groups_a_recurring_phrase_into_a_readable_candidate():
    items = [Item(f"f{i}", "review", LUGGAGE[i % 4], True, 0) for i in range(12)]
    items += [Item(f"g{i}", "review", OTHER[i % 2], False, 1) for i in range(6)]
    (first, *_) = suggest(items, min_volume=5)
    assert first.id == "discovered_lost_my_luggage" and first.name == "Lost my luggage"
    assert ["lose", "luggage"] in first.keys and first.volume == 12 and first.share_negative == 1.0
    assert {"LEMMA": "lose"} in first.patterns[0] and len(first.quotes) == 3
    assert first.stage == "support" and "claim" in first.stage_cues
    # Stable ids: the same seed pair keeps an earlier id; a dismissed pair never comes back.
    earlier = [Earlier("discovered_bags", (("lose", "luggage"),), 12)]
    assert suggest(items, min_volume=5, earlier=earlier)[0].id == "discovered_bags"
    again = suggest(items, min_volume=5, excluded_keys=frozenset({("lose", "luggage")}))
    assert all(["lose", "luggage"] not in c.keys for c in again)


@pytest.fixture
def tagged(store, review_settings, tmp_path):
    """The reviews ingested and enriched with the core pack alone (the pool is uncovered)."""
    from cxtext.enrich.run import enrich
    from cxtext.ingest.load import ingest_file

    path = tmp_path / "landing/reviews.csv"
    path.write_text(REVIEW_HEADER + "\n".join(_rows()) + "\n")
    ingest_file(store, review_settings, path, review_settings.sources["reviews"])
    settings = replace(review_settings, taxonomy_packs=("core",), themes=ThemesConfig(min_volume=5))
    enrich(store, settings)
    return settings


def _pain(store, settings) -> dict[str, tuple]:
    from cxtext.enrich.run import enrich
    from cxtext.insights.daily import refresh_daily

    enrich(store, settings)
    define_views(store, settings.reporting_timezone)
    with store.transaction():
        refresh_daily(store.con)
    return {
        theme: (discovered, stage, negative)
        for theme, discovered, stage, negative in store.execute(
            "SELECT theme, discovered, stage, negative_mentions FROM pain_points WHERE period = 'all'"
        )
    }


def test_suggest_accept_run(store, tagged):
    from cxtext.enrich.discovery import accept, dismiss, read_suggestions, refresh_if_due, suggestions_path

    settings = tagged
    assert "discovered_pool_closed" not in _pain(store, settings)
    assert refresh_if_due(store, settings)  # no suggestions yet: due; the discovered layer changed
    # Only the feedback the new theme can match waits for re-tagging: the 8 without "pool" keep theirs.
    current = (
        "SELECT count(*) FROM enrichment WHERE taxonomy_version = (SELECT value FROM cxtext_meta WHERE key = 'taxonomy_version')"
    )
    assert store.scalar(current) == 8
    assert not refresh_if_due(store, settings)  # a week has not passed
    text = suggestions_path(settings).read_text()
    data = tomllib.loads(text)
    (pool,) = [s for s in data["suggestions"] if s["id"] == "discovered_pool_closed"]
    assert pool["volume"] == 32 and pool["share_negative"] > 0.5 and len(pool["quotes"]) == 3

    # The next run tags with the suggestion, marked discovered, in pain_points and the other views.
    pain = _pain(store, settings)
    assert pain["discovered_pool_closed"][0] is True and pain["discovered_pool_closed"][2] > 0
    assert all(discovered is False for theme, (discovered, _, _) in pain.items() if not theme.startswith("discovered_"))
    assert store.scalar("SELECT bool_and(discovered) FROM theme_trends WHERE theme = 'discovered_pool_closed'")
    assert store.scalar("SELECT count(*) FROM theme_suggestions WHERE theme = 'discovered_pool_closed'") == 1
    stage = pain["discovered_pool_closed"][1]
    stages = store.execute("SELECT top_pain_themes, top_pain_discovered FROM stage_summary WHERE stage = ?", [stage])
    assert ("discovered_pool_closed", True) in zip(*stages[0])

    from cxtext.report.html import build_report

    html = build_report(store)  # the report labels it, and lists the suggestions
    assert "Pool closed (discovered)" in html and "discovered_pool_closed</code>" in html

    # A dry run changes nothing; accepting (renamed, re-staged) moves it into the user's file.
    target, themes, before, after = accept(settings, ["discovered_pool_closed"], name="Pool closures", write=False)
    assert not target.exists() and suggestions_path(settings).read_text() == text
    target, themes, _, _ = accept(settings, ["discovered_pool_closed"], name="Pool closures", stage="usage")
    assert target == settings.state_dir / "themes" / "accepted.toml" and themes[0]["id"] == "pool_closures"
    assert "discovered_pool_closed" not in {s["id"] for s in read_suggestions(settings)["suggestions"]}
    pain = _pain(store, settings)
    assert pain["pool_closures"][:2] == (False, "usage") and "discovered_pool_closed" not in pain

    # Dismissed suggestions never return, whatever a refresh finds.
    rest = [s["id"] for s in read_suggestions(settings)["suggestions"]]
    if rest:
        dismiss(store, settings, rest[:1])
        assert refresh_if_due(store, settings, now=datetime(2030, 1, 1)) in (True, False)
        assert rest[0] not in {s["id"] for s in read_suggestions(settings)["suggestions"]}


def test_dismissing_the_only_suggestion_re_tags_only_its_feedback(store, tagged):
    """A removal adds no pattern words: only feedback that carried the dismissed theme is re-tagged."""
    from cxtext.enrich.discovery import dismiss, refresh_if_due

    settings = tagged
    assert refresh_if_due(store, settings)
    pain = _pain(store, settings)
    assert "discovered_pool_closed" in pain
    ids = [s for (s,) in store.execute("SELECT theme FROM themes WHERE discovered")]
    dismiss(store, settings, ids)
    carried = store.scalar(
        "SELECT count(DISTINCT feedback_id) FROM theme_mentions WHERE theme IN (SELECT unnest(?::VARCHAR[]))", [ids]
    )
    stale = store.scalar(
        "SELECT count(*) FROM enrichment WHERE taxonomy_version <> (SELECT value FROM cxtext_meta WHERE key = 'taxonomy_version')"
    )
    assert carried > 0 and stale == carried
    assert "discovered_pool_closed" not in _pain(store, settings)


@pytest.mark.slow
def test_the_readme_path_run_suggest_accept_run(tmp_path):
    """As the README shows it, through the command: a run tags the uncovered problem as a
    discovered theme; `themes suggest` keeps its id; `themes accept --dry-run` shows the gain and
    changes nothing; `themes accept` and the next run make it the user's own theme."""
    import subprocess
    import sys

    import duckdb

    from tests.conftest import REVIEWS_SOURCE, write_config

    (tmp_path / "landing").mkdir()
    config = write_config(tmp_path, REVIEWS_SOURCE, taxonomy_packs=["core"])
    (tmp_path / "landing/reviews.csv").write_text(REVIEW_HEADER + "\n".join(_rows()) + "\n")

    def cxtext(*args):
        done = subprocess.run(
            [sys.executable, "-m", "cxtext.cli", *args, "--config", str(config)], capture_output=True, text=True, timeout=600
        )
        assert done.returncode in (0, 3), done.stdout + done.stderr  # 3: a health check failed, the run published
        return done.stdout

    def pain() -> dict:
        with duckdb.connect(str(tmp_path / "state/cx.duckdb"), read_only=True) as con:
            return dict(con.execute("SELECT theme, discovered FROM pain_points WHERE period = 'all'").fetchall())

    cxtext("run")
    assert pain()["discovered_pool_closed"] is True
    assert "discovered_pool_closed" in cxtext("themes", "suggest")
    dry = cxtext("themes", "accept", "discovered_pool_closed", "--name", "Pool closures", "--dry-run")
    assert "pool_closures" in dry and "+32" in dry and "nothing changed" in dry
    assert not (tmp_path / "state/themes/accepted.toml").exists()
    accepted = cxtext("themes", "accept", "discovered_pool_closed", "--name", "Pool closures")
    assert "accepted.toml" in accepted and "no taxonomy file was configured" in accepted
    cxtext("run")
    after = pain()
    assert after["pool_closures"] is False and "discovered_pool_closed" not in after


def test_topic_labels_read_as_customers_wrote_them():
    from types import SimpleNamespace

    from cxtext.text.topics import readable_labels

    model = SimpleNamespace(top_terms_={0: ["unite", "doe", "delay flight"]}, labels_={})
    readable_labels(model, {"unite": "united", "doe": "does", "delay": "delayed"}, frozenset({"does"}))
    assert model.labels_[0] == "united · delayed flight"


def test_a_small_pool_finds_the_things_customers_name_not_only_repeated_phrases():
    """A few hundred short sentences rarely repeat a phrase five times: the volume needed scales
    with the pool, and single words customers name ("the waiter") seed candidates, named by their
    most frequent pair where they have one ("hard drive"); tone words and verbs do not."""
    from cxtext.text.discovery import seed_share, volume_needed

    assert volume_needed(5, 186) == 3 and volume_needed(5, 2000) == 5 and volume_needed(2, 100) == 2
    negative = [
        "Our waiter spilled wine on my date.",
        "The waiter ignored us all evening.",
        "We waited and the waiter was rude.",
        "My hard drive died in a month.",
        "The hard drive is noisy.",
        "Then the drive failed again, awful.",
    ]
    neutral = [f"We went there on day {i} with friends." for i in range(43)] + ["The waiter brought menus."]
    items = [Item(f"n{i}", "review", t, True) for i, t in enumerate(negative)]
    items += [Item(f"o{i}", "review", t, False) for i, t in enumerate(neutral)]
    assert seed_share(items) == 0.25  # twice the pool's negative rate (6 of 50) is under the floor
    assert seed_share(items[:30]) == 0.4  # twice 6 of 30: under half
    found = {c.name: c for c in suggest(items)}
    assert found["Waiter"].patterns == [[{"LEMMA": "waiter"}]] and found["Waiter"].volume == 4
    assert found["Hard drive"].keys[0] == ["drive"] and found["Hard drive"].volume == 3
    assert not any(name.lower() in ("spilled", "awful", "rude", "ignored") for name in found)


def test_a_stage_needs_evidence_else_what_customers_use_is_usage():
    """A few stray cue words do not place a part or a dish: its stage is usage unless the cues of
    its own sentences clearly say another (a cue as common in the rest says nothing; 3 of 8 can be
    chance)."""
    kitchen = [
        "The kitchen was slow tonight.",
        "Kitchen closed early so no dessert.",
        "The kitchen forgot our starters.",
        "Our kitchen order came cold, asked the manager.",
        "The kitchen sent the wrong dish.",
    ]
    neutral = [f"We sat by the window on evening {i}." for i in range(100)]
    items = [Item(f"k{i}", "review", t, True) for i, t in enumerate(kitchen * 2)]
    items += [Item(f"n{i}", "review", t, False) for i, t in enumerate(neutral)]
    (found,) = [c for c in suggest(items) if c.name == "Kitchen"]
    assert (found.stage, found.stage_cues) == ("usage", [])  # "manager" (support) in 2 of 10: no evidence

    def cues(*texts: str) -> list[set[str]]:
        return [cues_in(t.split()) for t in texts]

    rest = cues(*(["window evening sit"] * 40))
    claims = cues("lose luggage claim", "lose luggage call agent", "lose luggage claim form", "lose luggage")
    assert suggest_stage(claims, cue_counts(claims + rest)) == ("support", ["claim", "agent", "call"])
    # 3 of 8 where the rest has it in 15 of 100: over 2x, yet chance gives as many once in 10.
    letters = cues(*(["letter call"] * 3 + ["letter"] * 5))
    calls = cues(*(["account call"] * 15 + ["account"] * 85))
    assert suggest_stage(letters, cue_counts(letters + calls)) == ("usage", [])
    assert suggest_stage(letters * 3, cue_counts(letters * 3 + calls)) == ("support", ["call"])  # 9 of 24
    # A cue as common in the rest as in its sentences suggests nothing ("buy" in every review).
    bought = cues(*(["buy lens cap"] * 6))
    assert suggest_stage(bought, cue_counts(bought + cues(*(["buy window"] * 40)))) == ("usage", [])


def test_an_event_is_placed_by_what_its_own_sentences_say_happened():
    """A candidate that names what happened is placed by the event its own sentences tell, its own
    words included ("my ticket was closed": support; "creating an account": onboarding; "paying":
    purchase), not by the rest of long feedback; a word of two senses places only in a phrase
    ("ticket": a fare or a support request; "closed": a pool or an account)."""
    assert cues_in("my ticket be close without the problem".split()) == {"ticket close"}
    assert cues_in("we buy the ticket online".split()) == {"buy", "ticket buy"}
    assert cues_in("the pool be close all week".split()) == set()
    assert cues_in("they close my account".split()) == {"close account"}
    assert cues_in("keep me on hold for an hour".split()) == {"on hold"}
    assert cues_in("hold to reset the speaker".split()) == set()
    said = {
        "support": [
            "My ticket was closed and nothing changed.",
            "They closed my ticket without asking me.",
            "The ticket was closed after two days, still broken.",
            "Ticket closed again, the camera still dead.",
        ],
        "onboarding": [
            "Creating an account took me an hour.",
            "Why must I create an account just to see the manual?",
            "It keeps failing when creating an account, awful.",
            "Create an account, they said, and it never works.",
        ],
        "purchase": [
            "Paying with the voucher failed twice.",
            "Paying with the voucher is impossible on mobile.",
            "Paying with the voucher kept timing out.",
            "Paying with the voucher simply failed.",
        ],
    }
    neutral = [f"We went on trip number {i} with friends, the refund came on time." for i in range(80)]
    for stage, negative in said.items():
        items = [Item(f"e{i}", "review", t, True) for i, t in enumerate(negative * 2)]
        items += [Item(f"o{i}", "review", t, False) for i, t in enumerate(neutral)]
        (first, *_) = suggest(items)
        assert first.stage == stage, (stage, first.name, first.stage, first.stage_cues)
        assert first.stage_cues, first
    # Long feedback whose other sentences are full of another stage's cues: its own sentences decide.
    items = [
        Item(f"e{i}", "review", t + " I called the agent, the manager, the helpline.", True)
        for i, t in enumerate(said["onboarding"] * 2)
    ]
    items += [Item(f"o{i}", "review", t, False) for i, t in enumerate(neutral)]
    assert suggest(items)[0].stage == "onboarding"
    # No cue in its own sentences: an event is placed by its feedback's cue words when they stand
    # out (the rest of what happened), a thing customers use is not ("the waiter", below).
    told = [
        "No idea how to hold to reset it. I called the helpline twice.",
        "Tried to hold to reset it. Then I called the helpline.",
    ]
    items = [Item(f"e{i}", "review", t, True) for i, t in enumerate(told * 3)]
    items += [Item(f"o{i}", "review", t, False) for i, t in enumerate(neutral)]
    assert (suggest(items)[0].name, suggest(items)[0].stage) == ("Hold to reset", "support")
    told = [
        f"The waiter {did} again. Then I called them and complained." for did in ("spilled wine", "was late", "lost our order")
    ]
    items = [Item(f"e{i}", "review", t, True) for i, t in enumerate(told * 2)]
    items += [Item(f"o{i}", "review", t, False) for i, t in enumerate(neutral)]
    assert [(c.keys[0], c.stage) for c in suggest(items)] == [(["waiter"], "usage")]


LIFE = [
    "Battery life is awful, two hours at most.",
    "The battery life dropped after the update.",
    "Poor battery life, it dies by noon.",
    "Battery life is a joke on this one.",
]
DIED = [
    "The battery died after a week.",
    "My battery swelled and cracked the case.",
    "The battery will not hold a charge.",
    "Our battery drains overnight, useless.",
]


def _battery(negative: list[str]) -> list[Item]:
    items = [Item(f"b{i}", "review", t, True) for i, t in enumerate(negative)]
    return items + [Item(f"o{i}", "review", f"We bought it for trip number {i} with friends.", False) for i in range(200)]


def _earlier(candidates) -> list[Earlier]:
    return [Earlier(c.id, tuple(map(tuple, c.keys)), c.volume) for c in candidates]


def test_a_candidate_keeps_the_id_of_the_suggestion_it_continues():
    """A weekly refresh keeps a discovered theme's id while its patterns persist, so its trend
    continues: a word that takes over an earlier pair candidate ("battery" holds "battery life")
    keeps the pair's id; unchanged data gives identical ids; patterns gone give the id up."""
    (life,) = suggest(_battery(LIFE))
    assert life.id == "discovered_battery_life" and life.keys == [["battery", "life"]]
    grown = suggest(_battery(LIFE + DIED * 3), earlier=_earlier([life]))
    battery = grown[0]
    assert battery.name == "Battery" and ["battery", "life"] in battery.keys and battery.keys[0] == ["battery"]
    assert battery.id == "discovered_battery_life" and len({c.id for c in grown}) == len(grown)
    assert suggest(_battery(LIFE + DIED * 3))[0].id == "discovered_battery"  # without the earlier one: new

    again = suggest(_battery(LIFE + DIED * 3), earlier=_earlier(grown))
    assert [(c.id, c.keys) for c in again] == [(c.id, c.keys) for c in grown]
    gone = suggest(_battery(["The screen cracked on day one."] * 4 + ["The battery life is fine."]), earlier=_earlier(grown))
    assert "discovered_battery_life" not in {c.id for c in gone}


def test_kept_ids_are_deterministic_and_never_shared():
    """Several earlier suggestions held: the one seeded by the candidate's seed, else the one whose
    seed it holds, else the one with most feedback; an id goes to one candidate only."""
    earlier = [
        Earlier("discovered_lost_luggage", (("lose", "luggage"), ("bag", "lose")), 30),
        Earlier("discovered_lost_bag", (("bag", "lose"),), 12),
        Earlier("discovered_late_bag", (("bag", "late"),), 40),
    ]
    # The word "bag" holds all three: the one with most feedback whose seed it holds.
    assert kept_ids([[["bag"]]], earlier) == ["discovered_late_bag"]
    # A seed that changed places with a member keeps its id; the seed's own match comes first.
    assert kept_ids([[["bag", "lose"], ["lose", "luggage"]], [["bag"]]], earlier) == [
        "discovered_lost_bag",
        "discovered_late_bag",
    ]
    assert kept_ids([[["bag"]], [["bag", "lose"], ["lose", "luggage"]]], earlier) == [
        "discovered_late_bag",
        "discovered_lost_bag",
    ]
    assert kept_ids([[["lose", "luggage"]], [["bag"]], [["bag"]], [["gate"]]], earlier) == [
        "discovered_lost_luggage",
        "discovered_late_bag",
        "discovered_lost_bag",
        None,
    ]


def test_a_kept_id_with_changed_patterns_re_tags_only_what_it_can_match(store, tagged):
    """A refresh where a suggestion continues under its id with other patterns (the word "pool"
    took over "pool closed"): only feedback its new patterns can match, or that carried it, is
    re-tagged; the rest keeps its analysis; its mentions and trend continue under the same id."""
    import copy

    from cxtext.enrich.discovery import read_suggestions, refresh_if_due, spare_unaffected, write_suggestions

    settings = tagged
    assert refresh_if_due(store, settings)
    assert _pain(store, settings)["discovered_pool_closed"][0] is True
    mentions = "SELECT count(*) FROM theme_mentions WHERE theme = 'discovered_pool_closed'"
    carried = store.scalar(mentions)
    before = read_suggestions(settings)
    after = copy.deepcopy(before)
    (pool,) = [s for s in after["suggestions"] if s["id"] == "discovered_pool_closed"]
    pool["keys"] = [["pool"], *pool["keys"]]
    pool["patterns"] = [[{"LEMMA": "pool"}]]
    assert spare_unaffected(store, settings, before, after) == 8  # the 8 without "pool"
    write_suggestions(settings, after)
    assert _pain(store, settings)["discovered_pool_closed"][0] is True
    assert store.scalar(mentions) == carried == 32
    assert store.scalar("SELECT sum(mentions) FROM theme_trends WHERE theme = 'discovered_pool_closed'") == 32


def test_names_read_as_customers_wrote_them_and_a_word_of_two_senses_places_nothing():
    """A name keeps the customers' case ("LCD screen") and grows by the word they wrote around it
    in most of its uses ("Apple Pay took seconds", not "Pay took seconds"); a word of two senses
    places nothing alone ("hold to reset" is not a call on hold: support)."""
    from cxtext.text.discovery import written_name

    plain = frozenset({"the", "my", "with", "on", "again", "is"})
    said = ["Paying with Apple Pay took seconds.", "paying with apple pay took seconds", "Paying with Aple Pay took seconds!"]
    assert written_name("pay took seconds", said * 2, plain) == "Apple Pay took seconds"
    assert written_name("pay took seconds", said[:1] + said[2:], plain) == "Pay took seconds"  # Apple in 1 of 2
    assert written_name("lcd screen", ["The LCD screen cracked.", "My LCD screen died again.", "lcd screen dim"], plain) == (
        "LCD screen"
    )
    negative = [
        "I had no idea which button to hold to reset the speaker.",
        "No idea how long to hold to reset it, awful manual.",
        "Tried to hold to reset three times, nothing.",
        "You must hold to reset and the light never blinks.",
    ]
    items = [Item(f"h{i}", "review", t, True) for i, t in enumerate(negative)]
    items += [Item(f"o{i}", "review", f"We sat by the window on evening {i}.", False) for i in range(60)]
    (reset,) = [c for c in suggest(items) if c.name == "Hold to reset"]
    assert (reset.stage, reset.stage_cues) == ("usage", [])


def test_a_refreshed_suggestion_takes_the_new_stage_unless_a_person_edited_it():
    """A suggestion found again follows the stage its sentences give now, so a better stage rule
    reaches existing state folders; a stage a person wrote in the file stays."""
    from cxtext.enrich.discovery import _as_row
    from cxtext.text.discovery import Candidate

    now = Candidate("discovered_ticket_closed", "Ticket was closed", "support", ["ticket close"], 9, 1.0, [], [], [])
    machine = _as_row(now, None)
    assert (machine["stage"], machine["suggested_stage"]) == ("support", "support")

    earlier = dict(machine, stage="usage", suggested_stage="usage", stage_cues=[])  # the old rule's, untouched
    assert (_as_row(now, earlier)["stage"], _as_row(now, earlier)["stage_cues"]) == ("support", ["ticket close"])

    edited = dict(machine, stage="loyalty", suggested_stage="usage")  # a person re-staged it
    assert _as_row(now, edited)["stage"] == "loyalty"
    assert _as_row(now, edited)["suggested_stage"] == "support"

    # A file from before suggested_stage: the rule's stage when its cues are its stage's, as the
    # rule wrote them ("manager" under support: a stray cue, now re-placed) ...
    legacy = {k: v for k, v in earlier.items() if k != "suggested_stage"}
    assert _as_row(now, dict(legacy, stage="loyalty", stage_cues=["refund"]))["stage"] == "support"
    # ... else a person's (a stage beside another stage's cues, or with none) and kept.
    assert _as_row(now, dict(legacy, stage="loyalty", stage_cues=["agent"]))["stage"] == "loyalty"
    assert _as_row(now, dict(legacy, stage="usage", stage_cues=[]))["stage"] == "usage"
