"""Replant the view mutants of tests/MUTANTS.md in the current layout, one at a time, and check that
each fails a fast test: `.venv/bin/python tests/replant_mutants.py` (about 3 minutes; reverts each)."""

import subprocess
import sys
from pathlib import Path

M = [
    (
        "M1",
        "cxtext/insights/sql/pain_points.sql",
        "(0.5 + 0.5 * coalesce(s.severity, 0))",
        "(0.5 + 0.4 * coalesce(s.severity, 0))",
    ),
    ("M3", "cxtext/insights/sql/pain_points.sql", "-1 * 1.96 * sqrt(nps_v1", "-1 * 1.645 * sqrt(nps_v1"),
    ("M5", "cxtext/insights/views.py", "MIN_IMPACT_RESPONSES = 30", "MIN_IMPACT_RESPONSES = 29"),
    ("M6", "cxtext/insights/views.py", "MIN_IMPACT_RESPONSES = 30", "MIN_IMPACT_RESPONSES = 31"),
    ("M8", "cxtext/insights/views.py", "EMERGING_Z = 3.09", "EMERGING_Z = 3.0"),
    ("M9", "cxtext/insights/views.py", "EMERGING_Z = 3.09", "EMERGING_Z = 3.2"),
    ("M10", "cxtext/insights/views.py", "EMERGING_MIN_VOLUME = 10", "EMERGING_MIN_VOLUME = 9"),
    ("M11", "cxtext/insights/views.py", "EMERGING_MIN_VOLUME = 10", "EMERGING_MIN_VOLUME = 11"),
    (
        "M12",
        "cxtext/insights/current.py",
        'CURRENT_SQL = "e.feedback_id = f.feedback_id AND e.text_key = hash(f.text_hash)"',
        'CURRENT_SQL = "e.feedback_id = f.feedback_id"',
    ),
    ("M16", "cxtext/insights/sql/emerging_issues.sql", "ROWS BETWEEN 4 PRECEDING", "ROWS BETWEEN 3 PRECEDING"),
    ("M17", "cxtext/insights/sql/emerging_issues.sql", "WHERE weeks_before >= 2", "WHERE weeks_before >= 1"),
    (
        "M18",
        "cxtext/insights/sql/emerging_issues.sql",
        "2 * (sqrt(x + 0.375) - sqrt(m + 0.375))",
        "2 * (sqrt(x + 0.5) - sqrt(m + 0.5))",
    ),
    ("M19", "cxtext/insights/daily.py", "AND scored IS NOT FALSE GROUP BY day", "GROUP BY day"),
    ("M22", "cxtext/insights/daily.py", "f.nps >= 9 AS INTEGER", "f.nps >= 8 AS INTEGER"),
]
tests = ["tests/test_characterisation.py", "tests/test_view_formulas.py", "tests/test_pii_fields.py"]
ok = True
for name, f, old, new in M:
    p = Path(f)
    text = p.read_text()
    assert text.count(old) >= 1, (name, old)
    p.write_text(text.replace(old, new, 1))
    try:
        r = subprocess.run(
            [".venv/bin/python", "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
            capture_output=True,
            text=True,
        )
    finally:
        p.write_text(text)
    caught = r.returncode != 0
    ok &= caught
    print(name, "caught" if caught else "SURVIVED", r.stdout.strip().splitlines()[-1][:100])
sys.exit(0 if ok else 1)
