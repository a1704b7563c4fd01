"""`cxtext sentiment fit` end to end on a small state folder: it learns from a source's stars,
reports the agreement on the held-back half, the next enrichment uses the model for that source's
document labels only, and a source without scores or with too few is a clear error."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb

from tests.conftest import REVIEWS_SOURCE, write_config

# Low-star reviews that the lexicon misreads as praise ("great" said bitterly), high-star ones it
# reads as neutral: what a business's own stars can teach.
LOW = [
    "Great, the zip broke on day {i}.",
    "Great, another parcel left in the rain, number {i}.",
    "Lovely, the strap snapped after {i} wears.",
    "Great, the colour washed out after {i} washes.",
]
HIGH = [
    "Arrived on day {i}, fits as expected.",
    "Size {i} fits as expected, wearing it daily.",
    "Ordered {i} of them for the family, wearing them daily.",
    "The fabric holds its shape after {i} washes.",
]


def cxtext(*args, cwd):
    return subprocess.run([sys.executable, "-m", "cxtext.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def write_reviews(path, n_per_class: int) -> None:
    lines = ["review_id,submitted_at,stars,title,text,customer_id"]
    for i in range(n_per_class):
        lines.append(f'L{i},2026-09-{1 + i % 28:02d} 10:00,{1 + i % 2},,"{LOW[i % 4].format(i=i + 2)}",c{i}')
        lines.append(f'H{i},2026-09-{1 + i % 28:02d} 11:00,{4 + i % 2},,"{HIGH[i % 4].format(i=i + 2)}",d{i}')
    path.write_text("\n".join(lines) + "\n")


def ingest_reviews(tmp_path, n_per_class: int) -> None:
    write_config(tmp_path, REVIEWS_SOURCE)
    write_reviews(tmp_path / "reviews.csv", n_per_class)
    result = cxtext("ingest", str(tmp_path / "reviews.csv"), "--source", "reviews", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def ingest_posts(tmp_path) -> None:
    posts = tmp_path / "posts.csv"
    posts.write_text(
        'id,at,body\n1,2026-09-01T10:00:00Z,Great parcel service today\n2,2026-09-02T10:00:00Z,"Great, the zip broke"\n'
    )
    result = cxtext(
        "ingest",
        str(posts),
        "--kind",
        "social",
        "--source",
        "posts",
        "--map",
        "text=body,created_at=at,source_id=id",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr


def document_labels(tmp_path) -> dict[str, tuple[str, str]]:
    """source_record_id -> (document label, sentiment version)."""
    with duckdb.connect(str(tmp_path / "state" / "pipeline.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT f.source_record_id, s.label, e.sentiment_version FROM feedback f "
            "JOIN sentiment s USING (feedback_id) JOIN enrichment e USING (feedback_id)"
        ).fetchall()
    return {rid: (label, version) for rid, label, version in rows}


def test_fit_learns_from_stars_reports_held_back_agreement_and_the_next_run_uses_it(tmp_path):
    ingest_reviews(tmp_path, 60)
    ingest_posts(tmp_path)
    assert cxtext("enrich", cwd=tmp_path).returncode == 0
    before = document_labels(tmp_path)
    assert before["L0"][0] == "positive"  # the lexicon reads the bitter "Great," as praise

    result = cxtext("sentiment", "fit", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no stars, NPS or CSAT scores" in result.stdout  # the posts source: reported, not fitted
    index = json.loads((tmp_path / "state" / "models" / "sentiment" / "models.json").read_text())
    assert list(index) == ["reviews"] and index["reviews"]["score"] == "rating"
    model = index["reviews"]
    assert model["after"] > 0.9 and model["after"] > model["before"] + 0.3  # measured on the held-back half

    assert cxtext("enrich", cwd=tmp_path).returncode == 0
    after = document_labels(tmp_path)
    reviews = {rid: v for rid, v in after.items() if rid[0] in "LH"}
    assert all(model["version"] not in v for _, v in before.values())
    assert all("/learned-" in version for _, version in after.values())  # re-scored under the new version
    assert all(label == "negative" for rid, (label, _) in reviews.items() if rid.startswith("L"))
    assert all(label == "positive" for rid, (label, _) in reviews.items() if rid.startswith("H"))
    assert after["1"][0] == before["1"][0] and after["2"][0] == before["2"][0]  # another source: the lexicon's


def test_too_few_scores_or_none_is_a_clear_error(tmp_path):
    ingest_reviews(tmp_path, 12)
    assert cxtext("enrich", cwd=tmp_path).returncode == 0
    result = cxtext("sentiment", "fit", cwd=tmp_path)
    assert result.returncode == 1
    assert "no model fitted" in result.stderr and "need 20 of each" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "state" / "models" / "sentiment" / "models.json").exists()

    only_posts = tmp_path / "posts_only"
    only_posts.mkdir()
    write_config(only_posts)
    ingest_posts(only_posts)
    assert cxtext("enrich", cwd=only_posts).returncode == 0
    result = cxtext("sentiment", "fit", cwd=only_posts)
    assert result.returncode == 1
    assert "posts: no stars, NPS or CSAT scores" in result.stderr and "Traceback" not in result.stderr
