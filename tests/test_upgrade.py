"""An existing state folder keeps working after an upgrade.

tests/fixtures/v1_state.tar.gz is a state folder written by cxtext before the package was split
into rooms (v0.1.0, schema 4: 221 feedback of two sources, their archive and ledger), with its
configuration and landing folder. The current code must open it, bring every row up to the
versions in force, publish it and go on ingesting.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import duckdb

from cxtext.config import load_settings
from cxtext.enrich.run import enrich
from cxtext.ingest.load import ingest_file
from cxtext.insights.refresh import publish_with_aggregates, refresh_aggregates
from cxtext.store.db import Store

FIXTURE = Path(__file__).parent / "fixtures" / "v1_state.tar.gz"


def test_a_v1_state_folder_upgrades_and_keeps_working(tmp_path):
    with tarfile.open(FIXTURE) as archive:
        archive.extractall(tmp_path, filter="data")
    settings = load_settings(tmp_path / "cxtext.toml")
    with Store.open(settings.work_db) as store:
        before = store.scalar("SELECT count(*) FROM feedback")
        batches = store.scalar("SELECT count(*) FROM ingest_batches")
        enrich(store, settings)
        refresh_aggregates(store, settings)
        publish_with_aggregates(store, settings.published_db)
        stale = store.scalar(
            "SELECT count(*) FROM feedback f LEFT JOIN enrichment e USING (feedback_id) "
            "WHERE e.feedback_id IS NULL OR e.text_hash <> f.text_hash OR e.taxonomy_version <> "
            "(SELECT value FROM cxtext_meta WHERE key = 'taxonomy_version')"
        )
        assert before == 221 and stale == 0
        # the ledger goes on: the same file again is recognised, a new one loads
        spec = settings.sources["shop_reviews"]
        again = ingest_file(store, settings, tmp_path / "sample" / "reviews.csv", spec)
        assert again.rows_loaded == 0
        new = tmp_path / "sample" / "reviews-2.csv"
        new.write_text(
            "review_id,submitted_at,stars,title,text,product,country,customer_id\n"
            "UPG-1,2026-09-01 10:00,1,Late,The parcel arrived two weeks late.,Kettle,UK,C-UPG\n"
        )
        assert ingest_file(store, settings, new, spec).rows_loaded == 1
        assert store.scalar("SELECT count(*) FROM ingest_batches") == batches + 2
    with duckdb.connect(str(settings.published_db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM feedback").fetchone()[0] == 221
        assert con.execute("SELECT count(*) FROM theme_mentions").fetchone()[0] > 100
        assert con.execute("SELECT count(*) FROM pain_points").fetchone()[0] > 0
