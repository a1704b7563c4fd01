"""Tests for cxtext.devtools.sampledata: determinism, file formats, planted truth, defects, PII, retweets."""

import csv
import datetime
import difflib
import json
import pathlib
import re
import statistics
from zoneinfo import ZoneInfo

import pytest

from cxtext.devtools import sampledata
from cxtext.devtools.sampledata import generate

SMALL = {"n_reviews": 300, "n_surveys": 300, "n_social": 300}
FILES = ("reviews.csv", "survey_comments.csv", "social_mentions.jsonl", "manifest.json")
REVIEW_HEADER = ["review_id", "submitted_at", "product", "stars", "title", "text", "customer_id", "country"]
SURVEY_HEADER = [
    "response_id",
    "responded_at",
    "survey",
    "touchpoint",
    "nps",
    "csat",
    "ces",
    "comment",
    "respondent_email",
    "channel",
]
LONDON = ZoneInfo("Europe/London")


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0


def physical_lines(path):
    """Physical lines of a file, as written (no newline translation)."""
    return path.read_bytes().decode("utf-8").split("\r\n" if path.suffix == ".csv" else "\n")[:-1]


def csv_rows(path):
    """Each physical line parsed on its own: proves that one record is one line."""
    return [next(csv.reader([line])) for line in physical_lines(path)]


def good_records(manifest, file):
    """Parsed good records of a file (header, malformed lines and duplicate lines left out)."""
    skip = {e["line"] for e in manifest["malformed"] + manifest["duplicates"] if e["file"] == file}
    path = manifest["_dir"] / file
    if file.endswith(".jsonl"):
        return [json.loads(line) for n, line in enumerate(physical_lines(path), 1) if n not in skip]
    rows = csv_rows(path)
    return [dict(zip(rows[0], row)) for n, row in enumerate(rows[1:], 2) if n not in skip]


def local_week(timestamp: str, start: datetime.date) -> int:
    """Week index in Europe/London local time of any of the three timestamp formats."""
    if timestamp.endswith("Z"):
        moment = datetime.datetime.fromisoformat(timestamp[:-1] + "+00:00").astimezone(LONDON)
    elif "T" in timestamp:
        moment = datetime.datetime.fromisoformat(timestamp).astimezone(LONDON)
    else:
        moment = datetime.datetime.strptime(timestamp, "%Y-%m-%d %H:%M")
    return (moment.date() - start).days // 7


def run(folder, **kwargs):
    manifest = generate(folder, **kwargs)
    manifest["_dir"] = folder
    return manifest


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return run(tmp_path_factory.mktemp("small"), **SMALL)


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    return run(tmp_path_factory.mktemp("default"))


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_byte_identical_files(tmp_path):
    generate(tmp_path / "a", seed=7, **SMALL)
    generate(tmp_path / "b", seed=7, **SMALL)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_different_seed_gives_different_files(tmp_path):
    generate(tmp_path / "a", seed=1, **SMALL)
    generate(tmp_path / "b", seed=2, **SMALL)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes(), name


def test_returned_manifest_is_the_written_one(small):
    written = json.loads((small["_dir"] / "manifest.json").read_text(encoding="utf-8"))
    assert written == {k: v for k, v in small.items() if k != "_dir"}
    raw = (small["_dir"] / "manifest.json").read_bytes()
    assert raw.endswith(b"}\n") and b"\r" not in raw and not raw.startswith(b"\xef\xbb\xbf")


def test_start_must_be_a_monday(tmp_path):
    with pytest.raises(ValueError, match="Monday"):
        generate(tmp_path, start=datetime.date(2026, 7, 7), **SMALL)


# --------------------------------------------------------------------------- formats and counts


def test_csv_headers_and_good_counts(small):
    assert csv_rows(small["_dir"] / "reviews.csv")[0] == REVIEW_HEADER
    assert csv_rows(small["_dir"] / "survey_comments.csv")[0] == SURVEY_HEADER
    for file, n in (("reviews.csv", 300), ("survey_comments.csv", 300), ("social_mentions.jsonl", 300)):
        records = good_records(small, file)
        extra = small["files"][file]["non_english"]  # non-English records come on top of the n English ones
        assert extra == sum(e["file"] == file for e in small["non_english"]) > 0
        assert len(records) == n + extra
        assert small["files"][file]["good"] == n + extra
        lines = physical_lines(small["_dir"] / file)
        header = 0 if file.endswith(".jsonl") else 1
        assert small["files"][file]["records"] == len(lines) - header
        entry = small["files"][file]
        assert entry["records"] == entry["good"] + entry["malformed"] + entry["duplicates"]


def test_manifest_generator_block(small):
    assert small["generator"] == {
        "seed": 42,
        "start": "2026-07-06",
        "weeks": 13,
        "n_reviews": 300,
        "n_surveys": 300,
        "n_social": 300,
        "reporting_timezone": "Europe/London",
    }
    assert {f["source"] for f in small["files"].values()} == {"shop_reviews", "surveys", "social_listening"}


def test_review_fields(small):
    reviews = good_records(small, "reviews.csv")
    assert len({r["review_id"] for r in reviews}) == len(reviews)
    for review in reviews:
        assert re.fullmatch(r"R\d{6}", review["review_id"])
        assert re.fullmatch(r"2026-\d\d-\d\d \d\d:\d\d", review["submitted_at"])
        assert 0 <= local_week(review["submitted_at"], datetime.date(2026, 7, 6)) < 13
        assert review["stars"] in {"1", "2", "3", "4", "5"}
        assert review["text"].strip() and review["title"].strip()
        assert re.fullmatch(r"C\d{5}", review["customer_id"])
        assert re.fullmatch(r"[A-Z]{2}", review["country"])
        assert review["product"].startswith("Volta ")


def test_survey_fields_follow_the_survey_type(small):
    touchpoints = {
        "post_purchase": {"checkout"},
        "post_delivery": {"delivery"},
        "post_support": {"support_contact"},
        "relationship_nps": {"general", "account"},
    }
    for row in good_records(small, "survey_comments.csv"):
        assert re.fullmatch(r"S\d{6}", row["response_id"])
        assert re.fullmatch(r"2026-\d\d-\d\dT\d\d:\d\d:\d\d\+01:00", row["responded_at"])  # BST all period
        assert row["touchpoint"] in touchpoints[row["survey"]]
        assert row["nps"] == "" or 0 <= int(row["nps"]) <= 10
        if row["survey"] == "relationship_nps":
            assert row["nps"] != "" and row["csat"] == ""
        else:
            assert 1 <= int(row["csat"]) <= 5
        assert (row["ces"] != "") == (row["survey"] == "post_support")
        assert row["ces"] == "" or 1 <= int(row["ces"]) <= 7
        assert re.fullmatch(r"[a-z.]+\d+@example\.(com|org)", row["respondent_email"])
        assert row["channel"] in {"email", "web", "app", "sms"}
        assert row["comment"].strip()


def test_social_fields_and_style(small):
    posts = good_records(small, "social_mentions.jsonl")
    non_english = {e["record_id"]: e["language"] for e in small["non_english"]}
    for post in posts:
        assert set(post) == {"id", "platform", "user", "created_at", "text", "lang", "retweet_of"}
        assert re.fullmatch(r"T\d{6}", post["id"])
        assert re.fullmatch(r"2026-\d\d-\d\dT\d\d:\d\d:\d\dZ", post["created_at"])
        assert post["platform"] in {"x", "instagram", "facebook", "reddit"}
        assert post["lang"] == non_english.get(post["id"], "en")
        assert post["user"]["handle"].startswith("@") and isinstance(post["user"]["followers"], int)
    texts = " ".join(p["text"] for p in posts)
    for marker in ("#", "@VoltaShop", "https://", "!!!"):
        assert marker in texts
    assert re.search("[😡🙄😍👍📦]", texts)


def test_timestamps_follow_london_daylight_saving(tmp_path):
    manifest = run(tmp_path, start=datetime.date(2026, 3, 23), weeks=2, **SMALL)  # BST starts 2026-03-29
    offsets = {}
    for row in good_records(manifest, "survey_comments.csv"):
        offsets.setdefault(row["responded_at"][:10] >= "2026-03-29", set()).add(row["responded_at"][-6:])
    assert offsets == {False: {"+00:00"}, True: {"+01:00"}}
    assert manifest["planted"][0]["week_starts"] == ["2026-03-30"]  # spike in the middle week


# --------------------------------------------------------------------------- ideas and planted truth


def test_phrase_pools_are_rich_and_cover_all_stages():
    for idea in sampledata.IDEAS.values():
        assert len(idea.templates) >= 6, idea.id
        assert len(set(idea.templates)) == len(idea.templates), idea.id
    covered = {(idea.stage, idea.polarity) for idea in sampledata.IDEAS.values()}
    assert covered == {(stage, polarity) for stage in sampledata.STAGES for polarity in (1, -1)}


def test_all_seven_stages_appear_with_both_polarities(small):
    assert set(small["stages"]) == set(sampledata.STAGES)
    for stage, counts in small["stages"].items():
        assert counts["positive"] > 0 and counts["negative"] > 0, stage


def test_planted_items_are_described(small):
    planted = {p["id"]: p for p in small["planted"]}
    expected = {
        "payment_failures": ("purchase", "spike", "negative"),
        "support_wait_times": ("support", "steady", "negative"),
        "delivery_delays": ("onboarding", "growing", "negative"),
        "product_quality_praise": ("usage", "praise", "positive"),
    }
    assert {k: (p["stage"], p["shape"], p["expected_sentiment"]) for k, p in planted.items()} == expected
    assert planted["payment_failures"]["weeks"] == ["2026-W34"]
    assert planted["payment_failures"]["week_starts"] == ["2026-08-17"]
    assert len(planted["delivery_delays"]["weeks"]) == 13
    for item in planted.values():
        assert set(item["records"]) == {"shop_reviews", "surveys", "social_listening"}
        assert all(item["records"].values()), item["id"]  # present in every source
        assert sum(item["weekly_counts"].values()) == sum(map(len, item["records"].values()))


def test_planted_shapes_hold_at_default_sizes(default):
    planted = {p["id"]: list(p["weekly_counts"].values()) for p in default["planted"]}
    spike = planted["payment_failures"]
    others = spike[:6] + spike[7:]
    assert spike[6] >= 100 and spike[6] >= 5 * statistics.median(others) and max(others) <= 1
    growing = planted["delivery_delays"]
    assert statistics.mean(growing[-3:]) >= 3 * statistics.mean(growing[:3])
    for steady in (planted["support_wait_times"], planted["product_quality_praise"]):
        assert max(steady) <= 2.5 * statistics.median(steady)
    usage = default["stages"]["usage"]
    assert usage["positive"] >= 0.7 * (usage["positive"] + usage["negative"])


def test_planted_records_sit_in_the_weeks_the_manifest_says(default):
    start = datetime.date(2026, 7, 6)
    time_column = {
        "shop_reviews": ("reviews.csv", "review_id", "submitted_at"),
        "surveys": ("survey_comments.csv", "response_id", "responded_at"),
        "social_listening": ("social_mentions.jsonl", "id", "created_at"),
    }
    weeks_of = {}
    for source, (file, id_column, time_key) in time_column.items():
        weeks_of[source] = {r[id_column]: local_week(r[time_key], start) for r in good_records(default, file)}
    for item in default["planted"]:
        counts = [0] * 13
        for source, ids in item["records"].items():
            for record_id in ids:
                counts[weeks_of[source][record_id]] += 1
        assert counts == list(item["weekly_counts"].values()), item["id"]


def test_scores_follow_sentiment(default):
    planted = {p["id"]: p["records"] for p in default["planted"]}
    stars = {r["review_id"]: int(r["stars"]) for r in good_records(default, "reviews.csv")}
    nps = {r["response_id"]: int(r["nps"]) for r in good_records(default, "survey_comments.csv") if r["nps"]}
    praise_stars = statistics.mean(stars[i] for i in planted["product_quality_praise"]["shop_reviews"])
    payment_stars = statistics.mean(stars[i] for i in planted["payment_failures"]["shop_reviews"])
    assert praise_stars > payment_stars + 1
    praise_nps = statistics.mean(nps[i] for i in planted["product_quality_praise"]["surveys"] if i in nps)
    wait_nps = statistics.mean(nps[i] for i in planted["support_wait_times"]["surveys"] if i in nps)
    assert praise_nps > wait_nps + 2


# --------------------------------------------------------------------------- malformed and duplicates


def test_malformed_lines_are_malformed_as_described(small):
    expected = {
        ("reviews.csv", "field_count"),
        ("reviews.csv", "missing_text"),
        ("reviews.csv", "out_of_range"),
        ("survey_comments.csv", "out_of_range"),
        ("survey_comments.csv", "missing_text"),
        ("social_mentions.jsonl", "invalid_json"),
    }
    assert {(m["file"], m["expected_reason"]) for m in small["malformed"]} == expected
    for entry in small["malformed"]:
        line = physical_lines(small["_dir"] / entry["file"])[entry["line"] - 1]
        assert entry["record_id"] in line
        reason = entry["expected_reason"]
        if entry["file"] == "social_mentions.jsonl":
            with pytest.raises(json.JSONDecodeError):
                json.loads(line)
            continue
        row = next(csv.reader([line]))
        header = REVIEW_HEADER if entry["file"] == "reviews.csv" else SURVEY_HEADER
        if reason == "field_count":
            assert len(row) < len(header)
            continue
        assert len(row) == len(header)
        record = dict(zip(header, row))
        if reason == "missing_text":
            assert (record.get("text") if "text" in record else record["comment"]).strip() == ""
        elif entry["file"] == "reviews.csv":
            assert record["stars"] == "7"
        else:
            assert record["nps"] == "11"


def test_social_lines_parse_except_the_broken_one(small):
    broken = {m["line"] for m in small["malformed"] if m["file"] == "social_mentions.jsonl"}
    for number, line in enumerate(physical_lines(small["_dir"] / "social_mentions.jsonl"), 1):
        if number in broken:
            continue
        json.loads(line)


def test_duplicates_repeat_an_earlier_line_exactly(small):
    counts = {"reviews.csv": 3, "survey_comments.csv": 2, "social_mentions.jsonl": 2}
    for file, n in counts.items():
        entries = [d for d in small["duplicates"] if d["file"] == file]
        assert len(entries) == n
        lines = physical_lines(small["_dir"] / file)
        for entry in entries:
            line = lines[entry["line"] - 1]
            assert entry["duplicate_of_line"] < entry["line"]
            assert lines[entry["duplicate_of_line"] - 1] == line
            assert entry["record_id"] in line


# --------------------------------------------------------------------------- PII


def test_pii_plants(small):
    kinds = [p["kind"] for p in small["pii"]]
    assert {"email", "phone", "card_number", "order_number"} <= set(kinds)
    assert 8 <= len(kinds) <= 12
    for plant in small["pii"]:
        lines = physical_lines(small["_dir"] / plant["file"])
        assert plant["value"] in lines[plant["line"] - 1]
        assert plant["record_id"] in lines[plant["line"] - 1]
        if plant["kind"] == "card_number":
            assert luhn_ok(plant["value"]) and not plant["must_survive"]
        if plant["kind"] == "order_number":
            assert re.fullmatch(r"\d{16}", plant["value"])
            assert not luhn_ok(plant["value"]) and plant["must_survive"]
            assert f"order {plant['value']}" in lines[plant["line"] - 1]
        if plant["kind"] == "email":
            assert plant["value"].endswith("@example.com")


# --------------------------------------------------------------------------- retweets and near-duplicates


def test_retweets_refer_to_earlier_posts(small):
    posts = good_records(small, "social_mentions.jsonl")
    earlier = {}
    retweets = 0
    for post in posts:
        if post["retweet_of"] is not None:
            original = earlier[post["retweet_of"]]
            assert original["created_at"] < post["created_at"]
            assert post["text"] == f"RT {original['user']['handle']}: {original['text']}"
            retweets += 1
        earlier[post["id"]] = post
    assert retweets > 0
    assert small["files"]["social_mentions.jsonl"]["retweets"] == retweets


def test_near_duplicates_are_small_changes_by_another_handle(small):
    posts = {p["id"]: p for p in good_records(small, "social_mentions.jsonl")}
    assert small["near_duplicates"]
    for entry in small["near_duplicates"]:
        copy, original = posts[entry["record_id"]], posts[entry["near_duplicate_of"]]
        assert original["id"] < copy["id"] and original["created_at"] < copy["created_at"]
        assert copy["text"] != original["text"]
        assert difflib.SequenceMatcher(None, copy["text"], original["text"]).ratio() > 0.8
        assert copy["user"]["handle"] != original["user"]["handle"]


# --------------------------------------------------------------------------- non-English feedback

LANGUAGE_WORDS = {
    "fr": ("le", "la", "et", "très", "mon", "ma"),
    "de": ("und", "der", "die", "das", "ich", "sehr"),
    "es": ("el", "la", "y", "muy", "de", "mis"),
    "it": ("il", "e", "di", "molto", "mio", "alla"),
    "pt": ("o", "a", "e", "muito", "meu", "com"),
    "nl": ("de", "het", "en", "ik", "mijn", "erg"),
}


def text_of(record):
    return record.get("text") or record.get("comment")


def test_non_english_records_are_listed_and_sit_in_the_files(default):
    entries = default["non_english"]
    assert {e["language"] for e in entries} == set(LANGUAGE_WORDS)
    assert {e["polarity"] for e in entries} == {"negative", "positive"}
    by_file = {file: sum(e["file"] == file for e in entries) for file in default["files"]}
    # a handful of reviews and surveys, 1-2% of the social posts
    assert by_file == {file: info["non_english"] for file, info in default["files"].items()}
    assert by_file == {"reviews.csv": 10, "survey_comments.csv": 7, "social_mentions.jsonl": 18}
    planted = {i for p in default["planted"] for ids in p["records"].values() for i in ids}
    pii = {p["record_id"] for p in default["pii"]}
    for entry in entries:
        line = physical_lines(default["_dir"] / entry["file"])[entry["line"] - 1]
        record = (
            json.loads(line)
            if entry["file"].endswith(".jsonl")
            else dict(zip(REVIEW_HEADER if entry["file"] == "reviews.csv" else SURVEY_HEADER, next(csv.reader([line]))))
        )
        assert entry["record_id"] in (record.get("id"), record.get("review_id"), record.get("response_id"))
        assert entry["record_id"] not in planted and entry["record_id"] not in pii
        words = set(re.findall(r"\w+", text_of(record).lower()))
        assert words & set(LANGUAGE_WORDS[entry["language"]]), (entry, text_of(record))
        assert record.get("lang", entry["language"]) == entry["language"]
        if "stars" in record:  # the stars and the title agree with the text
            assert (int(record["stars"]) <= 2) == (entry["polarity"] == "negative")
    good_ids = {
        r.get("id") or r.get("review_id") or r.get("response_id")
        for file in default["files"]
        for r in good_records(default, file)
    }
    assert {e["record_id"] for e in entries} <= good_ids
    assert len(
        {
            text_of(r)
            for file in default["files"]
            for r in good_records(default, file)
            if (r.get("id") or r.get("review_id") or r.get("response_id")) in {e["record_id"] for e in entries}
        }
    ) == len(entries)  # no two the same


def test_non_english_records_leave_the_english_ones_as_they_were(tmp_path, small):
    """They come from their own random stream: without them the files are the same minus their lines."""
    english = run(tmp_path, non_english=False, **SMALL)
    assert english["non_english"] == [] and english["planted"] == small["planted"]
    assert english["stages"] == small["stages"] and english["pii"] != [] and english["malformed"] != []
    for file in ("reviews.csv", "survey_comments.csv", "social_mentions.jsonl"):
        drop = {e["line"] for e in small["non_english"] if e["file"] == file}
        kept = [line for n, line in enumerate(physical_lines(small["_dir"] / file), 1) if n not in drop]
        assert kept == physical_lines(tmp_path / file), file
        assert english["files"][file]["good"] == small["files"][file]["good"] - len(drop)


def test_non_english_records_sit_in_time_order(default):
    start = datetime.date(2026, 7, 6)
    for file, key in (
        ("reviews.csv", "submitted_at"),
        ("survey_comments.csv", "responded_at"),
        ("social_mentions.jsonl", "created_at"),
    ):
        records = good_records(default, file)
        moments = [r[key] for r in records]  # one format and offset per file in this period: sorts as text
        assert moments == sorted(moments), file
        assert 0 <= local_week(moments[0], start) <= local_week(moments[-1], start) < 13


def test_committed_sample_data_is_what_the_generator_writes(tmp_path):
    """sample_data/ is rebuilt by `cxtext sample-data` (seed 42); the committed files must match."""
    committed = pathlib.Path(__file__).resolve().parent.parent / "sample_data"
    generate(tmp_path)
    for name in ("reviews.csv", "survey_comments.csv", "social_mentions.jsonl", "manifest.json"):
        assert (tmp_path / name).read_bytes() == (committed / name).read_bytes(), name
