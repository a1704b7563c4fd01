"""Characterisation of the analysts' aggregate views on the sample data: pain_points,
emerging_issues, stage_summary and theme_trends, recorded in tests/golden/ and compared on every
run, so that moving or rewriting their SQL cannot change a figure unnoticed.

The sample (sample_data/, the repository's cxtext.toml sources) is ingested and enriched once
through the library (no Prefect), then three scenarios are read from copies of that database:

- ``sample``: as a nightly run leaves it (reporting time zone Europe/London);
- ``stale_edited``: part of the rows enriched by an older taxonomy or scorer, some reviews
  re-sent with a new text (their enrichment is for the old text hash) and some with new stars
  only (their enrichment stays current), none of them re-enriched;
- ``auckland``: the sample with the reporting time zone Pacific/Auckland.

Rows are compared sorted (a view's ORDER BY ties are not characterised), floats rounded to 9
significant digits. Regenerate with ``CXTEXT_UPDATE_GOLDEN=1 pytest tests/test_characterisation.py``
ONLY after an intended change of behaviour, and say in the commit which figures changed and why:
a golden file rewritten to make a failure go away defeats the test.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import ROOT

GOLDEN = Path(__file__).resolve().parent / "golden"
VIEWS = ("pain_points", "emerging_issues", "stage_summary", "theme_trends")
SCENARIOS = ("sample", "stale_edited", "auckland")
UPDATE = os.environ.get("CXTEXT_UPDATE_GOLDEN") == "1"
#: The number of topics the silhouette search picks on the sample (its model's quality.chosen_k):
#: fitting it directly gives the same model and saves the search, a third of the build's time.
SAMPLE_TOPICS = 24
#: Every 20th review of the sample is re-sent with a new text, every 20th from the 10th with new stars.
EDIT_EVERY = 20


def _settings(state_dir: Path):
    from cxtext.config import load_settings

    return replace(load_settings(ROOT / "cxtext.toml"), state_dir=state_dir, pii_salt="characterisation", workers=1)


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    """The sample ingested and enriched once, its views defined and daily tables computed."""
    from cxtext.enrich.run import enrich
    from cxtext.enrich.topics import fit_topic_model
    from cxtext.ingest.load import ingest_file
    from cxtext.insights.refresh import refresh_aggregates
    from cxtext.store.db import Store

    settings = _settings(tmp_path_factory.mktemp("characterisation") / "state")
    manifest = json.loads((ROOT / "sample_data/manifest.json").read_text())
    with Store.open(settings.work_db, memory_limit=settings.duckdb_memory_limit) as store:
        for name, info in manifest["files"].items():
            ingest_file(store, settings, ROOT / "sample_data" / name, settings.sources[info["source"]])
        fit_topic_model(store, settings, n_topics=SAMPLE_TOPICS)
        enrich(store, settings)
        refresh_aggregates(store, settings)
    return settings.work_db


def _edited_reviews(path: Path) -> Path:
    """Reviews re-sent: every EDIT_EVERY-th with a new text, every EDIT_EVERY-th from the 10th with
    other stars (1 for 3-5, 5 for 1-2) and its text unchanged."""
    with open(ROOT / "sample_data/reviews.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    edited, seen = [], set()
    for i, row in enumerate(rows):
        if None in row.values() or None in row or row["review_id"] in seen:  # the planted malformed lines
            continue
        seen.add(row["review_id"])
        if i % EDIT_EVERY == 0:
            edited.append({**row, "text": row["text"] + " Edited later: the parcel came two weeks late."})
        elif i % EDIT_EVERY == EDIT_EVERY // 2:
            edited.append({**row, "stars": "1" if int(row["stars"]) > 2 else "5"})
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(edited)
    return path


def _stale_and_edited(store, settings) -> None:
    from cxtext.ingest.load import ingest_file

    store.execute(
        "UPDATE enrichment SET taxonomy_version = 'taxonomy-before' WHERE feedback_id IN "
        "(SELECT feedback_id FROM feedback WHERE source = 'surveys' AND created_at < TIMESTAMP '2026-08-10')"
    )
    store.execute(
        "UPDATE enrichment SET sentiment_version = 'scorer-before' WHERE feedback_id IN "
        "(SELECT feedback_id FROM feedback WHERE source = 'social_listening' "
        "AND created_at >= TIMESTAMP '2026-09-07' AND created_at < TIMESTAMP '2026-09-14')"
    )
    result = ingest_file(
        store, settings, _edited_reviews(settings.state_dir / "reviews-edited.csv"), settings.sources["shop_reviews"]
    )
    assert (result.rows_new, result.rows_duplicate) == (0, 0) and result.rows_updated > 150, result


@pytest.fixture(scope="module")
def scenarios(sample_db, tmp_path_factory) -> dict[str, tuple[Path, dict[str, str]]]:
    """Per scenario: its database (a copy of the sample's, changed as the scenario says) and its
    four views as CSV text."""
    from cxtext.insights.daily import refresh_daily
    from cxtext.insights.views import define_views
    from cxtext.store.db import Store

    out = {}
    for scenario in SCENARIOS:
        settings = _settings(tmp_path_factory.mktemp(scenario) / "state")
        settings.state_dir.mkdir()
        shutil.copy(sample_db, settings.work_db)
        with Store.open(settings.work_db) as store:
            if scenario == "stale_edited":
                _stale_and_edited(store, settings)
            elif scenario == "auckland":
                define_views(store, "Pacific/Auckland")
            with store.transaction():
                refresh_daily(store.con)
            out[scenario] = settings.work_db, {view: _csv(store, view) for view in VIEWS}
    return out


def _value(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (float, Decimal)):
        value = float(value)
        return "0" if abs(value) < 1e-9 else f"{value:.9g}"
    if isinstance(value, list):
        return json.dumps([_value(v) if isinstance(v, (float, Decimal)) else v for v in value], ensure_ascii=False)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _csv(store, view: str) -> str:
    cursor = store.con.execute(f"SELECT * FROM {view}")
    names = [d[0] for d in cursor.description]
    rows = sorted([_value(v) for v in row] for row in cursor.fetchall())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    writer.writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_aggregate_views_match_their_recorded_contents(scenario, scenarios):
    """Each view of the scenario equals tests/golden/<scenario>/<view>.csv. Regenerating those
    files (CXTEXT_UPDATE_GOLDEN=1) must only follow an intended change of behaviour."""
    actual = scenarios[scenario][1]
    if UPDATE:
        (GOLDEN / scenario).mkdir(parents=True, exist_ok=True)
        for view, text in actual.items():
            (GOLDEN / scenario / f"{view}.csv").write_text(text, encoding="utf-8")
        pytest.skip(f"rewrote tests/golden/{scenario}/: review the diff before committing it")
    differing = []
    for view, text in actual.items():
        expected = (GOLDEN / scenario / f"{view}.csv").read_text(encoding="utf-8")
        if text != expected:
            lost = sorted(set(expected.splitlines()) - set(text.splitlines()))
            new = sorted(set(text.splitlines()) - set(expected.splitlines()))
            differing.append(
                f"{view}: {len(lost)} recorded row(s) gone, {len(new)} new; first gone: {lost[:2]}; first new: {new[:2]}"
            )
    assert not differing, f"{scenario}: " + "\n".join(differing)


def test_the_scenarios_differ_where_they_should(scenarios):
    """The golden files would hide nothing if the scenarios were alike: stale and edited rows
    leave the figures (version-stale rows counted as stale, re-sent texts as not enriched), and
    another time zone moves days across weeks."""
    from cxtext.store.db import Store

    read = {}
    for scenario, (path, _) in scenarios.items():
        with Store.open(path, read_only=True) as store:
            read[scenario] = store.execute(
                "SELECT sum(mentions), sum(stale_feedback), (SELECT sum(feedback) FROM daily_feedback) FROM stage_summary"
            )[0]
            read[scenario] += (
                store.execute("SELECT count(*), sum(mentions) FROM theme_trends WHERE week = DATE '2026-08-03'")[0],
                store.scalar("SELECT count(*) FROM feedback_metrics WHERE enrichment_status = 'missing'"),
                store.scalar("SELECT count(*) FROM feedback WHERE text LIKE '%Edited later%'"),
            )
    (mentions, stale, feedback, week, missing, _), edited = read["sample"], read["stale_edited"]
    assert stale == 0 and edited[1] > 0 and edited[0] < mentions and edited[2] < feedback
    assert missing == 0 and edited[4] == edited[5] > 70  # the re-sent texts' enrichment is not theirs
    assert read["auckland"][:3] == read["sample"][:3] and read["auckland"][3] != week


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_segments_from_the_daily_tables_equal_the_query_they_replaced(scenario, scenarios):
    """segments (not in the golden files) adds up daily tables: every column but quotes equals the
    old query's over feedback and theme_mentions, and the quotes follow their definition."""
    from cxtext.store.db import Store
    from tests.test_segments_daily import expected_quotes, reference_rows, view_rows

    with Store.open(scenarios[scenario][0], read_only=True) as store:
        rows, reference = view_rows(store), reference_rows(store)
        quotes = {
            tuple(r[:4]): r[4]
            for r in store.execute("SELECT dimension, segment, stage, theme, quotes FROM segments WHERE level = 'theme'")
        }
        expected = expected_quotes(store)
    assert len(rows) > 500 and rows == reference
    assert quotes == expected
