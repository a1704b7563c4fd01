"""The record of earlier measurements of the themes section (docs/EVALUATION.md, "Themes across
industries"): how and when the report half was read, kept beside the current table so that nobody
loses the clean first figures."""

#: The report half was first measured with the packs of commit 9bc4bcf, frozen before any of its
#: texts was read; reading 300 of them to judge, and the sample data, then showed sense errors
#: that were fixed. The figures of that first, clean measurement stay on record here.
FIRST_MEASUREMENT = """\
**First measurement (packs frozen at commit 9bc4bcf, before the report half was read).** Report half,
negative feedback themed / precision / largest theme: complaints 91.1% / 46.1% / 32.8% (issues found:
incorrect information no (identity_theft 53.5%, needed 56.8%), investigation yes, improper use of a
report no); app reviews 69.2% / 73.0% / 38.2%; restaurants 57.5% / 86.2% / 45.1%; laptops 44.8% /
90.7% / 15.9%; Hu & Liu 42.1% / 81.6% / 23.6%; clothing, core 70.5% / 78.0% / 42.9%, core + retail
94.5% / 86.0% / 43.8% (judged samples drawn with Python's random.sample, seed 14). Judging those
samples meant reading report-half texts; the sense fixes made afterwards (parcel "tracking" is no
privacy matter, "#fail" and "couldn't work out" no fault, "took five minutes" no delay, a refund's
delay belongs to refunds, value_for_money at consideration) were found on the sample data, and the
judging sample is now drawn by hash so that verdicts survive pattern changes. The table above is
the current packs' measurement: it was made after the report half had been read.
"""


#: The measurement after the maps and judgements were read again (they had been silently unread
#: since models/ left the package), and what changed after it.
REMEASUREMENT = """\
**Re-measured after the maps and judgements were read again (packs 2cb75ea185a9 and 57fa40243349).**
Report half, negative feedback themed / precision / largest theme: complaints 91.1% / 46.4% / 32.8%
(issues found: investigation only); app reviews 69.6% / 84.0% / 38.3%; restaurants 57.5% / 86.3% /
45.2%; laptops 44.8% / 90.7% / 16.0%; Hu & Liu 41.1% / 81.6% / 24.1%; clothing, core 70.4% / 80.0% /
42.9%, core + retail 94.4% / 86.0% / 43.8%. The core pack changes measured in the table above were
written from the dev half while that re-measurement ran, before its figures were seen, and none
after: `not_working` no longer takes people not responding or "working on it", and takes a named
part's problem, glitches and parts that broke; `quality` takes a thing plainly judged poor ("the
speakers are terrible"), "not up to par", "nothing special"; "listed as late" is no delay; "other
companies" is a switch only with a verb of switching. The maps were not changed. The judged samples
were redrawn for the new pack: 5 new assignments (5 more report-half texts read) were judged.
"""


#: The third round (2026-12-01), written from the dev halves, and the one lapse in it.
THIRD_ROUND = """\
**Third round (2026-12-01, the packs of the table above).** Written from the dev halves only, then the
report half measured once: core word sense from the complaints' dev half (a late payment on a credit
file is no delay, a person "not responding" no app fault, deleting an account from a report no
cancellation, a credit file's "block" no login problem; unapproved inquiries are privacy_and_consent,
"never mine" and accounts opened in my name identity_theft), the complaints map rewritten under the
rule written at its top (an issue's name or its CFPB sub-issues), negative product and restaurant
feedback named by what happened (a new theme size_and_weight; more sense-guarded patterns in
not_working, quality, performance_and_speed, staff_attitude, waiting_and_delays and others), and
discovery seeded by single named words in small pools (next section). One lapse: while an
intermediate step was measured, a filter showed one helper the report half's found / not-found column
of the three complaint issues (no text, no other figure); nothing aimed at the complaints was changed
after it. The judged samples were not extended: a new assignment in them is counted "not judged yet"
and left out of precision rather than judged by reading report-half texts.
"""


#: How the complaints came to be measured with hand judgements, and what reading them changed.
COMPLAINTS_JUDGED = """\
**Complaints judged by hand (2026-12-01, after the third round).** The complaints' precision had been
the theme -> issue map alone, which counts a real fee or a rude agent inside a complaint filed under
another issue as wrong. The guide's section for complaint narratives (`docs/TAXONOMY.md`) was written
and committed first; then the 100 report-half assignments the label does not confirm were judged from
the narrative and the clauses where the theme was found, without the label, and the 7 assignments of
the other judged samples that were not judged yet were judged too. That meant reading 107 report-half
texts; no pattern, pack or map was changed after it. The same day the discovered themes' assignments
on the report halves (next section) were judged by the guide's part for discovered themes, written
first: 254 more report-half texts read, after which no pattern, pack, map or discovery setting was
changed (the discovery's stage and naming rules changed, written from our own sentences and the dev
halves: they leave every id and assignment of the next section as it was).
"""
