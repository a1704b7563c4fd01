"""A state folder tagged by the old single taxonomy (models/taxonomy.toml, one retail taxonomy of
42 themes) upgrades to the packs: every old theme id maps to a theme of core + retail, and after
the re-tagging the trends of the new ids cover the weeks the old ids did."""

from __future__ import annotations

from dataclasses import replace

from cxtext.insights.views import define_views
from cxtext.text.taxonomy import layer_paths, load_taxonomy
from tests.conftest import REVIEW_HEADER

#: Every theme id of the last single taxonomy (docs/TAXONOMY.md lists where each went).
OLD_IDS = (
    "marketing_relevance",
    "spammy_emails",
    "brand_discovery",
    "misleading_advertising",
    "product_information",
    "pricing_clarity",
    "reviews_and_comparisons",
    "stock_availability",
    "checkout_experience",
    "payment_failure",
    "hidden_fees",
    "discount_codes",
    "website_usability",
    "payment_security",
    "delivery_delay",
    "delivery_service",
    "delivery_damage",
    "packaging",
    "wrong_or_missing_items",
    "setup_experience",
    "instructions",
    "product_quality",
    "bugs_and_crashes",
    "app_experience",
    "app_connectivity",
    "performance",
    "durability",
    "feature_limitations",
    "value_for_money",
    "support_wait_time",
    "support_helpfulness",
    "first_contact_resolution",
    "passed_around",
    "unresolved_issue",
    "rude_staff",
    "chatbot_and_self_service",
    "returns_process",
    "refund_delay",
    "billing_errors",
    "cancellation",
    "recommendation",
    "repeat_purchase",
)
RETAIL_ONLY = {"delivery_service", "packaging"}  # no core theme: keep the retail pack


def test_every_old_theme_id_has_a_new_home():
    for packs in (["core", "retail"], ["core"]):
        taxonomy = load_taxonomy(layer_paths(packs))
        current = {t.id for t in taxonomy.themes}
        homeless = {old for old in OLD_IDS if old not in current and old not in taxonomy.renamed}
        assert homeless == (set() if "retail" in packs else RETAIL_ONLY), packs
        assert set(taxonomy.renamed.values()) <= current


OLD_TAXONOMY = (
    "\n".join(
        f'[[stages]]\nid = "{s}"\nname = "{s}"'
        for s in ("awareness", "consideration", "purchase", "onboarding", "usage", "support", "loyalty")
    )
    + """
[[themes]]
id = "rude_staff"
name = "Rude staff"
stage = "support"
phrases = ["rude"]
examples = ["So rude."]

[[themes]]
id = "refund_delay"
name = "Refund delays"
stage = "loyalty"
phrases = ["refund"]
examples = ["Still no refund."]
"""
)


def test_trends_continue_across_the_change(store, review_settings, tmp_path):
    from cxtext.enrich.run import enrich
    from cxtext.ingest.load import ingest_file
    from cxtext.insights.daily import refresh_daily

    rows = [
        f'R{i},2026-07-{6 + 7 * (i % 4):02d} 10:00,2,Bad,"The agent was rude and my refund never came.",C{i}' for i in range(8)
    ]
    path = tmp_path / "landing/reviews.csv"
    path.write_text(REVIEW_HEADER + "\n".join(rows) + "\n")
    ingest_file(store, review_settings, path, review_settings.sources["reviews"])
    old_file = tmp_path / "old_taxonomy.toml"
    old_file.write_text(OLD_TAXONOMY)

    def trends(settings) -> dict[str, set]:
        enrich(store, settings)
        define_views(store, settings.reporting_timezone)
        with store.transaction():
            refresh_daily(store.con)
        weeks: dict[str, set] = {}
        for week, theme in store.execute("SELECT week, theme FROM theme_trends"):
            weeks.setdefault(theme, set()).add(week)
        return weeks

    before = trends(replace(review_settings, taxonomy_packs=(), taxonomy_files=(old_file,)))
    assert set(before) == {"rude_staff", "refund_delay"} and len(before["rude_staff"]) == 4
    packs = replace(review_settings, taxonomy_packs=("core", "retail"), taxonomy_files=())
    after = trends(packs)
    renamed = load_taxonomy(layer_paths(["core", "retail"])).renamed
    assert not set(after) & set(before)  # every feedback re-tagged: no old id left in the trends
    for old, weeks in before.items():
        assert weeks <= after[renamed[old]], old
