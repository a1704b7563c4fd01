"""The formulas of the aggregate views pinned on tiny hand-built databases: the pain score and its
severity, the impact on NPS / CSAT / stars with its 95% interval and its minimum of answers, the
emerging-issue test with its z threshold and volume floor, and which rows count (current ones
only: enrichment of an older text or older versions never reaches a figure).

Every expected number is computed here in Python from the rows the test writes, following the
formula the views document, never copied from the views' output. The thresholds are written out
as documented (30 answers, z 3.09, 10 a week), not read from cxtext.store.schema: a changed constant
must fail here.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta
from math import sqrt

import pytest

from cxtext.insights.daily import refresh_daily
from cxtext.insights.views import define_views
from cxtext.store.db import Store

VERSIONS = ("s1", "t1", "m1")  # sentiment, taxonomy, topic versions in force
MIN_ANSWERS = 30  # answers among the negative mentioners for an impact to be reported
EMERGING_Z = 3.09  # one-sided p < 0.001
EMERGING_MIN_VOLUME = 10  # the week's count


def rounded(value: float, digits: int):
    """*value* as the views give it: rounded to *digits* decimals."""
    return pytest.approx(value, abs=0.5 * 10**-digits + 1e-12)


class Tiny:
    """A database in memory with the views, written row by row."""

    def __init__(self, store: Store):
        self.store = store
        self.themes: set[str] = set()
        self.feedback, self.enrichment, self.mentions, self.topics = [], [], [], []

    def add(
        self,
        fid: str,
        when: datetime,
        *,
        nps=None,
        csat=None,
        rating=None,
        mentions=(),
        topic=None,
        versions=VERSIONS,
        edited=False,
        scored=True,
    ) -> None:
        """One feedback, enriched; *mentions*: (theme, stage, compound, label). *edited*: its text
        changed after the enrichment (the enrichment holds the old text's hash)."""
        self.feedback.append(
            (fid, "survey" if rating is None else "review", when, f"text of {fid}", f"h-{fid}", nps, csat, rating)
        )
        self.enrichment.append((fid, "h-old" if edited else f"h-{fid}", *versions, scored))
        for i, (theme, stage, compound, label) in enumerate(mentions):
            if theme not in self.themes:
                self.themes.add(theme)
                self.store.execute(
                    "INSERT INTO themes (theme, name, stage, description, taxonomy_version) VALUES (?, ?, ?, '', 't1')",
                    [theme, theme.title(), stage],
                )
            self.mentions.append((fid, i, theme, stage, f"{fid} says {theme} #{i}", compound, label))
        if topic is not None:
            self.topics.append((fid, topic))

    def aggregate(self) -> None:
        """Write the rows added, then compute the daily tables as a run's aggregate step does."""
        self._insert(
            "INSERT INTO feedback (feedback_id, kind, source, created_at, text, text_hash, nps, csat, rating) "
            "SELECT col0, col1, 's', col2, col3, col4, col5, col6, col7",
            self.feedback,
        )
        self._insert("INSERT INTO enrichment SELECT col0, col1, col2, col3, col4, TIMESTAMP '2026-09-01', col5", self.enrichment)
        self._insert(
            "INSERT INTO theme_mentions SELECT col0, col1, col2, col3, 0, 0, 4, 'text', col4, col5, col6, 'clause'",
            self.mentions,
        )
        self._insert("INSERT INTO feedback_topics SELECT col0, col1, 0.9", self.topics)
        self.feedback, self.enrichment, self.mentions, self.topics = [], [], [], []
        with self.store.transaction():
            refresh_daily(self.store.con)

    def _insert(self, select: str, rows: list[tuple]) -> None:
        """INSERT ... SELECT colN FROM (VALUES ...): one statement for all the rows."""
        if rows:
            values = ", ".join("(" + ", ".join("?" * len(rows[0])) + ")" for _ in rows)
            self.store.execute(f"{select} FROM (VALUES {values})", [v for row in rows for v in row])


@contextmanager
def tiny():
    with Store.open(":memory:") as store:
        define_views(store, "UTC")
        for position, stage in enumerate(("purchase", "support"), start=3):
            store.execute("INSERT INTO journey_stages VALUES (?, ?, ?, '')", [stage, position, stage.title()])
        for key, value in zip(("sentiment_version", "taxonomy_version", "topic_version"), VERSIONS):
            store.set_meta(key, value)
        yield Tiny(store)


DAY = datetime(2026, 7, 8, 12)


# -- pain score -------------------------------------------------------------------------------


def test_pain_score_weighs_how_common_a_complaint_is_by_how_strongly_it_is_put():
    """Mixed compounds: severity is minus the mean compound of the negative mentions only (a
    negative label with a neutral clause counts, positive mentions do not), clamped to 0..1; the
    denominator is the period's enriched, scored, current feedback."""
    negatives = [-0.2, -0.6, -0.9, 0.0, -0.4]  # 0.0: labelled negative by the theme's polarity
    with tiny() as db:
        for i, compound in enumerate(negatives[:4]):
            db.add(f"n{i}", DAY, mentions=[("wait", "support", compound, "negative")])
        db.add("p0", DAY, mentions=[("wait", "support", 0.7, "positive")])
        db.add("mixed", DAY, mentions=[("wait", "support", -0.4, "negative"), ("wait", "support", 0.3, "positive")])
        db.add("mild", DAY, mentions=[("fees", "purchase", 0.03, "negative")])  # negative label, positive compound
        for i in range(3):
            db.add(f"quiet{i}", DAY)
        # Never counted: an unscored (other language) feedback, one enriched by an older taxonomy,
        # one whose text changed after its enrichment.
        db.add("french", DAY, scored=False)
        db.add("stale", DAY, versions=("s1", "t0", "m1"), mentions=[("wait", "support", -1.0, "negative")])
        db.add("edited", DAY, edited=True, mentions=[("wait", "support", -1.0, "negative")])
        db.aggregate()
        rows = db.store.dicts("SELECT * FROM pain_points ORDER BY theme, period")
        stage = db.store.dicts("SELECT * FROM stage_summary WHERE stage = 'support'")[0]
    enriched = 10  # n0-n3, p0, mixed, mild, quiet0-2
    severity = -sum(negatives) / len(negatives)
    wait = [r for r in rows if r["theme"] == "wait"]
    fees = [r for r in rows if r["theme"] == "fees"]
    assert [r["period"] for r in wait] == ["all", "month", "week"]  # one day: the three periods agree
    for r in wait:
        assert (r["mentions"], r["feedback"], r["negative_mentions"]) == (7, 6, 5)
        assert r["share_negative"] == rounded(5 / 7, 4)
        assert r["mean_compound"] == rounded((sum(negatives) + 0.7 + 0.3) / 7, 4)
        assert r["pain_score"] == round(100 * 5 / enriched * (0.5 + 0.5 * severity), 3) == 35.5
        assert r["quotes"] == ["n2 says wait #0", "n1 says wait #0", "mixed says wait #0"]
    assert fees[0]["pain_score"] == round(100 * 1 / enriched * (0.5 + 0.5 * 0.0), 3) == 5.0  # severity clamped at 0
    # the edited feedback is not stale either: its text was never enriched
    assert (stage["feedback"], stage["mentions"], stage["stale_feedback"]) == (6, 7, 1)
    assert stage["share_negative"] == rounded(5 / 7, 4) and stage["share_positive"] == rounded(2 / 7, 4)


def test_pain_score_divides_by_each_periods_own_feedback():
    """Two weeks in one month: each week's score uses its own enriched feedback, the month's and
    all's the sum; the change is against the previous week the theme was mentioned in."""
    first, second = datetime(2026, 7, 7, 12), datetime(2026, 7, 14, 12)
    with tiny() as db:
        for i in range(4):
            db.add(f"a{i}", first, mentions=[("wait", "support", -0.5, "negative")] if i < 2 else ())
        for i in range(10):
            db.add(f"b{i}", second, mentions=[("wait", "support", -1.0, "negative")] if i < 1 else ())
        db.aggregate()
        rows = {(r["period"], r["period_start"]): r for r in db.store.dicts("SELECT * FROM pain_points")}
    week1, week2 = rows[("week", date(2026, 7, 6))], rows[("week", date(2026, 7, 13))]
    assert week1["pain_score"] == round(100 * 2 / 4 * (0.5 + 0.5 * 0.5), 3) == 37.5
    assert week2["pain_score"] == round(100 * 1 / 10 * (0.5 + 0.5 * 1.0), 3) == 10.0
    assert week2["pain_score_change"] == pytest.approx(10.0 - 37.5) and week2["negative_mentions_change"] == -1
    month_severity = (0.5 + 0.5 + 1.0) / 3
    assert rows[("month", date(2026, 7, 1))]["pain_score"] == round(100 * 3 / 14 * (0.5 + 0.5 * month_severity), 3)
    assert rows[("all", None)]["pain_score"] == rows[("month", date(2026, 7, 1))]["pain_score"]


# -- impact on NPS, CSAT and stars ------------------------------------------------------------


def _impact(mentioners: list[float], rest: list[float], scale: float) -> tuple[float, float, float]:
    """w × (mean of the rest − mean of the mentioners), ± 1.96 × the standard error of that
    difference from the two groups' (population) variances; w = the mentioners' share."""
    n1, n0 = len(mentioners), len(rest)
    m1, m0 = sum(mentioners) / n1, sum(rest) / n0
    v1 = sum((x - m1) ** 2 for x in mentioners) / n1
    v0 = sum((x - m0) ** 2 for x in rest) / n0
    w, margin = n1 / (n1 + n0), 1.96 * sqrt(v1 / n1 + v0 / n0)
    return scale * w * (m0 - m1), scale * w * (m0 - m1 - margin), scale * w * (m0 - m1 + margin)


def _nps_code(nps: int) -> int:
    return 1 if nps >= 9 else -1 if nps <= 6 else 0


def _csat_code(csat: int) -> int:
    return 1 if csat >= 4 else 0


def _surveys_and_reviews(db: Tiny, n: int) -> dict[str, tuple[list, list]]:
    """*n* surveys and *n* reviews mentioning 'wait' negatively, with spread scores, and a rest of
    50 surveys and 40 reviews that do not; returns each metric's (mentioners, rest) codes."""
    nps_m = [(2, 3, 7, 10, 0, 6)[i % 6] for i in range(n)]
    csat_m = [(1, 2, 4, 3, 5)[i % 5] for i in range(n)]
    stars_m = [(1, 2, 1, 3, 5, 2, 1)[i % 7] for i in range(n)]
    nps_r = [(9, 10, 8, 3, 10, 7, 9, 5, 10, 9)[i % 10] for i in range(50)]
    csat_r = [(4, 5, 3, 5, 2, 4, 5)[i % 7] for i in range(50)]
    stars_r = [(5, 4, 5, 3, 4, 5, 2, 5)[i % 8] for i in range(40)]
    negative = [("wait", "support", -0.6, "negative")]
    for i in range(n):
        # the first mentioner mentions it twice: it still counts once among the mentioners
        db.add(f"sm{i}", DAY, nps=nps_m[i], csat=csat_m[i], mentions=negative * (2 if i == 0 else 1))
        db.add(f"rm{i}", DAY, rating=stars_m[i], mentions=negative)
    for i in range(50):
        praise = [("wait", "support", 0.5, "positive")] if i < 5 else ()
        db.add(f"sr{i}", DAY, nps=nps_r[i], csat=csat_r[i], mentions=praise)
    for i in range(40):
        db.add(f"rr{i}", DAY, rating=stars_r[i])
    db.add("stale", DAY, nps=0, csat=1, versions=("s0", "t1", "m1"), mentions=negative)  # never counted
    db.add("edited", DAY, nps=0, csat=1, edited=True, mentions=negative)
    return {
        "nps": ([_nps_code(x) for x in nps_m], [_nps_code(x) for x in nps_r]),
        "csat": ([_csat_code(x) for x in csat_m], [_csat_code(x) for x in csat_r]),
        "stars": (stars_m, stars_r),
    }


def test_impact_and_its_interval_follow_the_two_groups_variances():
    with tiny() as db:
        codes = _surveys_and_reviews(db, 36)
        db.aggregate()
        row = db.store.dicts("SELECT * FROM pain_points WHERE period = 'all' AND theme = 'wait'")[0]
    for metric, scale in (("nps", 100), ("csat", 100), ("stars", 1)):
        mentioners, rest = codes[metric]
        impact, low, high = _impact(mentioners, rest, scale)
        assert row[f"{metric}_responses"] == 36
        digits = 1 if scale == 100 else 2  # scores: NPS and CSAT points to 1 decimal, stars to 2
        assert row[f"{metric}_negative_mentioners"] == rounded(scale * sum(mentioners) / 36, digits)
        assert row[f"{metric}_rest"] == rounded(scale * sum(rest) / len(rest), digits)
        assert (row[f"{metric}_impact"], row[f"{metric}_impact_low"], row[f"{metric}_impact_high"]) == pytest.approx(
            (impact, low, high), abs=0.5 * 10 ** -(digits + 1) + 1e-12
        ), metric
        assert low < impact < high


@pytest.mark.parametrize("n", [MIN_ANSWERS - 1, MIN_ANSWERS])
def test_impact_needs_thirty_answers_among_the_mentioners(n):
    with tiny() as db:
        codes = _surveys_and_reviews(db, n)
        db.aggregate()
        row = db.store.dicts("SELECT * FROM pain_points WHERE period = 'all' AND theme = 'wait'")[0]
    for metric, scale in (("nps", 100), ("csat", 100), ("stars", 1)):
        got = (row[f"{metric}_impact"], row[f"{metric}_impact_low"], row[f"{metric}_impact_high"])
        assert row[f"{metric}_responses"] == n
        digits = 1 if scale == 100 else 2
        assert row[f"{metric}_negative_mentioners"] == rounded(scale * sum(codes[metric][0]) / n, digits)
        if n < MIN_ANSWERS:
            assert got == (None, None, None), metric
        else:
            assert got == pytest.approx(_impact(*codes[metric], scale), abs=0.5 * 10 ** -(digits + 1) + 1e-12), metric


def test_stage_summary_scores_the_feedback_that_mentions_the_stage_once_each():
    with tiny() as db:
        codes = _surveys_and_reviews(db, 12)
        db.aggregate()
        row = db.store.dicts("SELECT * FROM stage_summary WHERE stage = 'support'")[0]
    nps = codes["nps"][0] + codes["nps"][1][:5]  # the mentioners, and the 5 rest surveys praising it
    csat = codes["csat"][0] + codes["csat"][1][:5]
    assert (row["feedback"], row["mentions"], row["stale_feedback"]) == (12 + 12 + 5, 12 + 1 + 12 + 5, 1)
    assert row["nps"] == rounded(100 * sum(nps) / len(nps), 1) and row["nps_responses"] == len(nps)
    assert row["csat"] == rounded(100 * sum(csat) / len(csat), 1) and row["csat_responses"] == len(csat)
    assert row["mean_rating"] == rounded(sum(codes["stars"][0]) / 12, 2)
    assert row["mean_compound"] == rounded((25 * -0.6 + 5 * 0.5) / 30, 4)
    assert row["top_pain_themes"] == ["wait"]


# -- emerging issues --------------------------------------------------------------------------

WEEKS = [date(2026, 6, 1) + timedelta(weeks=w) for w in range(6)]  # Mondays
#: Weekly negative mentions of each theme, weeks 0-5. The trailing four weeks of week 5 give
#: near_below z = 3.0895 (39 against a mean of 22) and near_above z = 3.0902 (36 against 19.75);
#: their week 0, outside the window, is high.
NEGATIVE_WEEKS = {
    "near_below": [60, 20, 22, 24, 22, 39],
    "near_above": [60, 18, 20, 21, 20, 36],
    "floor_below": [0, 0, 0, 0, 0, EMERGING_MIN_VOLUME - 1],  # z ≈ 4.9, under the volume floor
    "floor_at": [0, 0, 0, 0, 0, EMERGING_MIN_VOLUME],
    "too_early": [0, 30, 0, 0, 0, 0],  # one week of history only
    "second_week": [0, 0, 30, 0, 0, 0],  # two weeks of history
}
#: Weekly feedback of discovered topics: (candidate new theme?, counts).
TOPIC_WEEKS = {7: (True, [0, 0, 0, 0, 0, 12]), 8: (False, [0, 0, 0, 0, 0, 12]), 9: (True, [0, 0, 0, 0, 1, 9])}


def _z(x: float, m: float) -> float:
    return 2 * (sqrt(x + 3 / 8) - sqrt(m + 3 / 8))


def _series() -> dict[str, list[int]]:
    """The weekly counts the test applies to: themes, and the topics no theme covers."""
    return dict(NEGATIVE_WEEKS) | {f"topic:{t}": counts for t, (candidate, counts) in TOPIC_WEEKS.items() if candidate}


def _trailing_mean(counts: list[int], w: int) -> float:
    before = counts[max(0, w - 4) : w]
    return sum(before) / len(before)


def _expected_emerging() -> list[tuple]:
    """(week, subject, count, expected, z) of every flagged week, by the view's documented rule:
    at least two weeks before, z against the mean of up to four, z and count at their floors."""
    flagged = []
    for subject, counts in _series().items():
        for w in range(2, len(WEEKS)):
            m = _trailing_mean(counts, w)
            if _z(counts[w], m) >= EMERGING_Z and counts[w] >= EMERGING_MIN_VOLUME:
                flagged.append((WEEKS[w], subject, counts[w], round(m, 2), round(_z(counts[w], m), 2)))
    return sorted(flagged)


def test_emerging_issues_flag_a_weekly_rise_beyond_the_trailing_four_weeks():
    assert _z(39, 22) < EMERGING_Z < _z(36, 19.75) < EMERGING_Z + 0.001
    with tiny() as db:
        for w, monday in enumerate(WEEKS):
            day = datetime.combine(monday + timedelta(days=2), datetime.min.time()) + timedelta(hours=12)
            db.add(f"bg{w}", day, mentions=[("steady", "purchase", -0.5, "negative")] * 3)  # every week exists
            db.add(f"praise{w}", day, mentions=[("praised", "purchase", 0.8, "positive")] * (40 if w == 5 else 1))
            for theme, counts in NEGATIVE_WEEKS.items():
                for i in range(counts[w]):
                    db.add(f"{theme}{w}-{i}", day, mentions=[(theme, "support", -0.5, "negative")])
            for topic, (_, counts) in TOPIC_WEEKS.items():
                for i in range(counts[w]):
                    db.add(f"topic{topic}-{w}-{i}", day, topic=topic)
        db.add("stale", day, versions=("s1", "t1", "m0"), mentions=[("floor_below", "support", -0.5, "negative")])
        db.add("edited", day, edited=True, mentions=[("floor_below", "support", -0.5, "negative")])
        for topic, (candidate, _) in TOPIC_WEEKS.items():
            db.store.execute("INSERT INTO topics VALUES (?, ?, [], 12, '{}', 0.1, ?, 'm1')", [topic, f"topic {topic}", candidate])
        db.aggregate()
        rows = db.store.execute("SELECT week, theme, count, expected, z, kind, rise, ratio FROM emerging_issues")
    assert sorted(r[:5] for r in rows) == _expected_emerging()
    assert {r[1] for r in rows} == {"near_above", "floor_at", "second_week", "topic:7"}
    for week, subject, x, _, _, kind, rise, ratio in rows:
        m = _trailing_mean(_series()[subject], WEEKS.index(week))
        assert kind == ("topic" if subject.startswith("topic:") else "theme")
        assert rise == rounded(x - m, 2) and ratio == round(x / max(m, 0.5), 2)
