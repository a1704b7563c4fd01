"""Commands with nothing to do return before the heavy loads: no spaCy, no scikit-learn model, no
Prefect (docs/OPERATIONS.md, "Runs with nothing to do"). Checked by the modules a command's
process imported, not by timing it."""

import json
import random
import subprocess
import sys

from tests.conftest import write_config

HEAVY = ("spacy", "sklearn", "joblib", "scipy", "prefect")

# Prints, after the command, which of HEAVY its process imported.
RUN_AND_LIST = """
import json, sys
from cxtext.cli.app import main
sys.argv = ["cxtext", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
else:
    code = 0
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
print("HEAVY=" + json.dumps(heavy))
sys.exit(code)
""".replace("HEAVY)", repr(HEAVY) + ")")


def cxtext_listing(*args, cwd) -> tuple[subprocess.CompletedProcess, list[str]]:
    done = subprocess.run([sys.executable, "-c", RUN_AND_LIST, *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("HEAVY="))
    return done, json.loads(line.removeprefix("HEAVY="))


def _varied_reviews(path, n=260):
    """Enough varied feedback for a topic model (MIN_TOPIC_DOCS)."""
    rng = random.Random(7)
    subjects = ["delivery", "refund", "checkout page", "battery", "screen", "support agent", "app", "invoice"]
    verbs = ["was late", "never arrived", "crashed twice", "is great", "broke after a week", "was rude", "was helpful"]
    extras = ["again", "", "honestly", "this month", "after the update", "on my phone", "for the third time"]
    lines = ["id,at,body"]
    for i in range(n):
        text = f"The {rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(extras)}".strip()
        lines.append(f"{i},2026-08-{1 + i % 28:02d}T10:00:00Z,{text}")
    path.write_text("\n".join(lines) + "\n")


def test_enrich_and_backfill_dry_run_with_nothing_to_do_load_no_model_nor_spacy(tmp_path):
    write_config(tmp_path)
    data = tmp_path / "reviews.csv"
    _varied_reviews(data)
    mapping = "text=body,created_at=at,source_id=id"
    ingest = ("ingest", str(data), "--kind", "review", "--source", "reviews", "--map", mapping)
    assert subprocess.run([sys.executable, "-m", "cxtext.cli", *ingest], cwd=tmp_path, capture_output=True).returncode == 0
    first, heavy = cxtext_listing("enrich", cwd=tmp_path)
    assert "enriched 260 of 260" in first.stdout and {"spacy", "sklearn"} <= set(heavy)
    assert "enriching new, edited and stale feedback..." in first.stderr  # not a terminal: a line, not a bar
    assert list((tmp_path / "state/models/topics").glob("topics-*/model.joblib")), "a topic model was fitted"
    again, heavy = cxtext_listing("enrich", cwd=tmp_path)
    assert "enriched 0 of 0" in again.stdout and heavy == [], heavy
    plan, heavy = cxtext_listing("backfill", "--dry-run", cwd=tmp_path)
    assert "backfill (dry run)" in plan.stdout and heavy == [], heavy
    # the plan counts what enrich would do: nothing
    assert "missing" not in plan.stdout and "new_version" not in plan.stdout, plan.stdout


def test_a_no_op_enrich_of_a_folder_too_small_for_topics_loads_nothing_heavy(tmp_path):
    write_config(tmp_path)
    data = tmp_path / "reviews.csv"
    _varied_reviews(data, n=20)
    ingest = ("ingest", str(data), "--kind", "review", "--source", "reviews", "--map", "text=body,created_at=at,source_id=id")
    assert subprocess.run([sys.executable, "-m", "cxtext.cli", *ingest], cwd=tmp_path, capture_output=True).returncode == 0
    assert "enriched 20 of 20" in cxtext_listing("enrich", cwd=tmp_path)[0].stdout
    again, heavy = cxtext_listing("enrich", cwd=tmp_path)
    assert "enriched 0 of 0" in again.stdout and heavy == [], heavy
