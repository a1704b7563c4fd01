"""The report in a real browser (Debian's headless chromium over the DevTools protocol): at a phone's,
a tablet's and a desktop's width nothing is wider than the window, and the drill-down, the filters
and the CSV download work, on the sample data and on a report whose every field is hostile.
Screenshots are kept in out/browser/; .ci/run copies them to $CI_ARTIFACTS_DIR (default ci-artifacts/)."""

import json
import os

import pytest

from cxtext.report.html import build_report
from cxtext.store.db import Store
from tests.conftest import ROOT
from tests.test_characterisation import sample_db  # noqa: F401 (the fixture: the sample, ingested and enriched)
from tests.test_report import Tags, hostile_store, injected

pytestmark = pytest.mark.slow
ARTEFACTS = ROOT / "out" / "browser"
WIDTHS = (390, 1024, 1440)

# Everything wider than the window: the page itself, and each card, table, section and chart.
OVERFLOW_JS = """(() => {
  const width = document.documentElement.clientWidth;
  const out = Array.from(document.querySelectorAll('.card, table, section, svg, footer, header'))
    .filter(e => e.getClientRects().length)
    .map(e => [e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''), e.getBoundingClientRect()])
    .filter(([, r]) => r.left < -0.5 || r.right > width + 0.5)
    .map(([name, r]) => name + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
  return {scrollWidth: document.documentElement.scrollWidth, width, out,
          cards: document.querySelectorAll('#journey .card').length};
})()"""

# Catch the CSV the page builds instead of saving it.
CATCH_CSV_JS = """window.__csv = [];
URL.createObjectURL = blob => { window.__csv.push(blob.text()); return 'blob:caught'; }; true"""


def _chromium():
    from tests.test_nightly_e2e import CHROMIUM, CHROMIUM_FLAGS

    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (Debian package `chromium`)")
    return CHROMIUM, CHROMIUM_FLAGS


def _check_widths(browser, url: str, name: str) -> None:
    for width in WIDTHS:
        browser.open(url, width)
        layout = browser.js(OVERFLOW_JS)
        browser.screenshot(ARTEFACTS / f"{name}-{width}.png")
        assert layout["scrollWidth"] <= layout["width"] <= width, (width, layout)
        assert layout["out"] == [], (width, layout["out"])
        assert layout["cards"] > 0


def _drill_and_filter(browser, url: str, name: str) -> dict:
    """Open a stage, then a theme, filter by a week and by a segment, download the table: what the page shows."""
    browser.open(url, 390)
    seen = {"title": browser.js("document.title")}
    browser.js("document.querySelector('#journey .card').click(); true")
    seen["stage"] = browser.js(
        "({hidden: document.getElementById('detail').hidden, "
        "title: document.getElementById('detail-title').textContent, "
        "chart: document.querySelectorAll('#detail-chart svg').length})"
    )
    browser.js("document.querySelector('#pain-table button.link').click(); true")
    seen["theme"] = browser.js(
        "({title: document.getElementById('detail-title').textContent, "
        "segments: document.getElementById('detail-segments').tBodies[0].rows.length, "
        "quotes: document.querySelectorAll('#detail-quotes .quote').length, "
        "chart: document.querySelectorAll('#detail-chart svg').length})"
    )
    browser.screenshot(ARTEFACTS / f"{name}-drill-390.png")
    seen["week"] = browser.js("""(() => {
      const s = document.getElementById('period');
      const week = Array.from(s.options).find(o => o.value.startsWith('week|'));
      s.value = week.value; s.dispatchEvent(new Event('change'));
      return {option: week.textContent, rows: document.getElementById('pain-table').tBodies[0].rows.length,
              note: document.getElementById('pain-note').textContent};
    })()""")
    seen["segment"] = browser.js("""(() => {
      const s = document.getElementById('segment');
      s.value = '0'; s.dispatchEvent(new Event('change'));
      return {option: s.options[1].textContent, rows: document.getElementById('pain-table').tBodies[0].rows.length,
              period_disabled: document.getElementById('period').disabled};
    })()""")
    browser.screenshot(ARTEFACTS / f"{name}-filtered-390.png")
    browser.js(CATCH_CSV_JS)
    seen["csv"] = browser.js("document.querySelector('[data-csv=\"pain-table\"]').click(); window.__csv[0]")
    seen["after"] = {"title": browser.js("document.title"), "dom": browser.js("document.documentElement.outerHTML")}
    return seen


def test_the_sample_report_fits_every_width_and_drills_down(sample_db, tmp_path):  # noqa: F811
    from tests.cdp import Browser

    chromium, flags = _chromium()
    with Store.open(sample_db, read_only=True) as store:
        html = build_report(store)
    report = tmp_path / "report.html"
    report.write_text(html, encoding="utf-8")
    assert len(html.encode()) < 400_000  # aggregates and capped quotes only
    with Browser(chromium, flags, tmp_path / "profile") as browser:
        _check_widths(browser, report.as_uri(), "sample")
        seen = _drill_and_filter(browser, report.as_uri(), "sample")
    assert seen["stage"] == {"hidden": False, "title": "Awareness", "chart": 1}
    assert seen["theme"]["title"] == "Delivery delays (Onboarding)" and seen["theme"]["chart"] == 1
    assert seen["theme"]["segments"] > 0 and 3 < seen["theme"]["quotes"] <= 50
    assert seen["week"]["option"].startswith("week of 2026-") and 0 < seen["week"]["rows"] <= 10
    assert seen["segment"]["rows"] > 0 and seen["segment"]["period_disabled"]
    header, *rows = seen["csv"].splitlines()
    assert header.startswith("stage,theme,negative mentions") and len(rows) == seen["segment"]["rows"]


def test_hostile_text_runs_no_script_when_drilled_and_filtered(tmp_path):
    from tests.cdp import Browser

    chromium, flags = _chromium()
    with hostile_store(tmp_path / "w.duckdb") as store:
        html = build_report(store)
    report = tmp_path / "report.html"
    report.write_text(html, encoding="utf-8")
    with Browser(chromium, flags, tmp_path / "profile") as browser:
        _check_widths(browser, report.as_uri(), "hostile")
        seen = _drill_and_filter(browser, report.as_uri(), "hostile")
    assert seen["title"] == seen["after"]["title"] == "cxtext: customer pain points"
    assert seen["stage"]["title"].startswith("stage_name: ") and seen["theme"]["quotes"] >= 1
    dom = seen["after"]["dom"]
    assert "PWNED" not in dom.split("<body")[0] and "data-pwned" not in dom
    assert injected(Tags(dom).tags) == []
    assert json.dumps(seen["csv"])  # the download was built
