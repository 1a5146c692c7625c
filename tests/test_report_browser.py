"""report.html in a real browser (issue 8): Debian's headless Chromium, driven by
Selenium through Debian's chromedriver, with the network blocked. Every section,
table and chart must be there and drawn; a screenshot is saved for a person to look
at. Skipped, saying why, only where no browser is installed (`.ci/run` installs it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from govstats.formats import load_format
from tests.browser import chromium_options, needs_chromium, start_chromium

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = chromium_options(
        # The network is blocked twice over: no name resolves, and every
        # http(s)/ws request is refused below, so only file:// can load.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--window-size=1100,1400",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    )
    driver = start_chromium(options)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.setBlockedURLs",
        {"urls": ["http://*", "https://*", "ws://*", "wss://*", "ftp://*"]},
    )
    try:
        yield driver
    finally:
        driver.quit()


PAGE = """
const rect = (el) => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
return {
  headings: [...document.querySelectorAll("h1, h2, h3")].map((h) => h.textContent.trim()),
  tables: [...document.querySelectorAll("table")].map((t) => ({
    id: t.dataset.table, size: rect(t), rows: t.rows.length,
  })),
  charts: [...document.querySelectorAll("figure.chart")].map((f) => ({
    id: f.dataset.chart,
    size: rect(f.querySelector("svg")),
    bars: f.querySelectorAll(`svg [id^="${f.dataset.chart}-bar-"]`).length,
    drawn: [...f.querySelectorAll(`svg [id^="${f.dataset.chart}-bar-"] path`)]
      .filter((p) => rect(p)[1] > 0).length,
    label: document.getElementById(f.querySelector("[role=img]")
      .getAttribute("aria-labelledby")).textContent,
  })),
  resources: performance.getEntriesByType("resource").map((r) => r.name),
  fonts: getComputedStyle(document.body).fontFamily,
};
"""


@pytest.mark.parametrize("case", ["compiled_2017", "compiled_2025"])
def test_report_html_in_chromium(browser, request, case, tmp_path):
    outputs: Path = request.getfixturevalue(case)
    figures = json.loads((outputs / "figures.json").read_text(encoding="utf-8"))
    fmt = load_format(figures["format"])
    browser.get((outputs / "report.html").as_uri())
    page = browser.execute_script(PAGE)
    # Nothing but the file itself was loaded.
    assert page["resources"] == []
    assert "Noto Sans CJK SC" in page["fonts"] or "Noto Serif CJK SC" in page["fonts"]
    # Every section of report.md, in order.
    md = (outputs / "report.md").read_text(encoding="utf-8")
    assert page["headings"] == re.findall(r"^#{1,3} (.+)$", md, flags=re.M)
    # Every table, drawn.
    expected = (
        [t.id for t in fmt.report.tables]
        if fmt.id == "gk2008"
        else [t.id for t in fmt.tables]
    )
    assert sorted(t["id"] for t in page["tables"]) == sorted(expected)
    for table in page["tables"]:
        assert table["size"][0] > 100 and table["size"][1] > 40, table
    # Every chart, drawn, with one bar per figure (a bar of 0 has no width but
    # still its height) and its numbers as the accessible name.
    charts = {c["id"]: c for c in page["charts"]}
    assert set(charts) == {c.id for c in fmt.report.charts}
    for spec in fmt.report.charts:
        chart = charts[spec.id]
        assert chart["size"][0] > 200 and chart["size"][1] > 50, chart
        assert chart["bars"] == chart["drawn"] == len(spec.bars), chart
        assert spec.title in chart["label"]
        assert all(label in chart["label"] for label in spec.labels)
    shot = tmp_path / f"report-{fmt.id}.png"
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1100, min(height + 40, 8000))
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
