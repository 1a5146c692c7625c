"""`govstats serve` in a real browser (issue 15): Debian's headless Chromium driven
by Selenium through Debian's chromedriver, as tests/test_report_browser.py does,
against the server running as a process on loopback.

A clerk downloads the blank workbook, fills it (openpyxl, as Excel would) with a
wrong total, checks it and sees the located problem, fixes it and submits; the
office sees its dashboard change, compiles, and opens report.html. The pages'
screenshots are saved (into docs/img/ with ``--update-golden``), and the check
is done again with JavaScript off. Skipped, saying why, where no browser is
installed.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.browser import chromium_options, needs_chromium, start_chromium
from tests.conftest import consistent_values, set_value
from tests.serve_site import make_office, server, workbook

DOCS_IMG = Path(__file__).parents[1] / "docs" / "img"
PASSWORD = "办公室-pw-2017"

pytestmark = [
    needs_chromium,
    pytest.mark.slow,
]
pytest.importorskip("uvicorn")


def chromium(profile: Path, downloads: Path, javascript: bool = True):
    options = chromium_options(
        # No name resolves: the site is reached by its address, and a page that
        # asked for a CDN would fail to load it (checked below as well).
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--window-size=1000,760",
        "--lang=zh-CN",
        f"--user-data-dir={profile}",
    )
    prefs = {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
    }
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    driver = start_chromium(options)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior",
        {"behavior": "allow", "downloadPath": str(downloads)},
    )
    return driver


def wait_for(condition, seconds: float = 60.0):
    """Poll ``condition`` until it returns something true (bounded)."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def find(driver, css: str):
    from selenium.common.exceptions import NoSuchElementException

    def found():
        try:
            return driver.find_element("css selector", css)
        except NoSuchElementException:
            return None

    return wait_for(found)


def fill(template: Path, target: Path, **wrong: int) -> Path:
    """The blank workbook filled in as a clerk would, with ``wrong`` values."""
    import openpyxl

    wb = openpyxl.load_workbook(template)
    for code, value in {**consistent_values(), **wrong}.items():
        set_value(wb, code, value)
    wb.save(target)
    return target


def shoot(driver, request, tmp_path: Path, name: str) -> None:
    """A screenshot of the page, small (64 colours); into docs/img/ with
    ``--update-golden``."""
    from PIL import Image

    raw = tmp_path / f"{name}.raw.png"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1000, min(max(height + 130, 400), 1500))
    assert driver.save_screenshot(str(raw))
    image = Image.open(raw).convert("RGB").quantize(64)
    out = tmp_path / f"{name}.png"
    image.save(out, optimize=True)
    assert out.stat().st_size > 5_000
    if request.config.getoption("--update-golden"):
        DOCS_IMG.mkdir(exist_ok=True)
        shutil.copyfile(out, DOCS_IMG / f"{name}.png")
    driver.set_window_size(1000, 760)


def only_this_site(driver, base: str) -> None:
    loaded = driver.execute_script(
        "return performance.getEntriesByType('resource').map((r) => r.name)"
    )
    assert all(url.startswith(base + "/") for url in loaded), loaded


def test_a_clerk_and_the_office_in_chromium(tmp_path, request):
    office = make_office(tmp_path / "office", units=3)
    # Two units have submitted already; U01 is the clerk's.
    for unit in ("U02", "U03"):
        (office.year_dir / f"{unit}.xlsx").write_bytes(workbook(unit))
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with server(office.root, PASSWORD) as (base, _):
        driver = chromium(tmp_path / "profile", downloads)
        try:
            # The office signs in: U01 is missing.
            driver.get(base + "/office")
            find(driver, "#password").send_keys(PASSWORD)
            find(driver, "#sign-in").click()
            # Signed in once the office page offers to sign out: navigating
            # before then races the sign-in (seen on a loaded machine).
            find(driver, "form[action$='/office/logout']")
            driver.get(base + "/office/2017")
            row = find(driver, 'tr[data-unit="U01"]')
            assert row.get_attribute("data-state") == "missing"
            assert find(driver, 'li[data-state="missing"] b').text == "1"

            # The clerk downloads the blank workbook of the unit.
            driver.get(base + "/2017")
            only_this_site(driver, base)
            from selenium.webdriver.support.ui import Select

            Select(find(driver, "#unit")).select_by_value("U01")
            shoot(driver, request, tmp_path, "office-server-clerk")
            find(driver, "#download-template").click()
            template = wait_for(
                lambda: (
                    (downloads / "U01-2017.xlsx").exists()
                    and (downloads / "U01-2017.xlsx")
                )
            )
            wait_for(lambda: not list(downloads.glob("*.crdownload")))

            # Filled with a wrong total, checked: the problem, located.
            wrong = fill(template, tmp_path / "财政局.xlsx", **{"zd.total": 100})
            find(driver, "#check-file").send_keys(str(wrong))
            find(driver, "#check-button").click()
            verdict = find(driver, "#verdict")
            assert "1 个错误" in verdict.text
            cell = find(driver, 'tr[data-code="total-mismatch"]')
            assert cell.get_attribute("data-cell") == "D4"
            assert "表1 主动公开政府信息情况" in cell.text
            assert "zd.total" in cell.text and "100" in cell.text
            assert find(driver, "#annotated").get_attribute("download")
            shoot(driver, request, tmp_path, "office-server-check")

            # Fixed and submitted.
            right = fill(template, tmp_path / "财政局-改.xlsx")
            driver.get(base + "/2017")
            find(driver, "#submit-file").send_keys(str(right))
            find(driver, "#submit-code").send_keys(office.codes["U01"])
            find(driver, "#submit-button").click()
            receipt = find(driver, "#receipt")
            assert "U01" in receipt.text
            shoot(driver, request, tmp_path, "office-server-submitted")

            # The office's dashboard has changed.
            driver.get(base + "/office/2017")
            row = find(driver, 'tr[data-unit="U01"]')
            assert row.get_attribute("data-state") == "submitted"
            assert find(driver, 'li[data-state="missing"] b').text == "0"
            shoot(driver, request, tmp_path, "office-server-dashboard")

            # Compile, follow its progress, open report.html.
            find(driver, "#compile-button").click()
            link = find(driver, 'a[data-output="report.html"]')
            assert find(driver, "#compile-state").text.startswith("汇总完成")
            shoot(driver, request, tmp_path, "office-server-compiled")
            link.click()
            wait_for(lambda: "report.html" in driver.current_url)
            headings = driver.execute_script(
                "return [...document.querySelectorAll('h1, h2')]"
                ".map((h) => h.textContent.trim())"
            )
            assert headings and "政府信息公开" in driver.title + "".join(headings)
            # its own inline styles apply under the site's policy for it
            assert driver.execute_script(
                "return [...document.querySelectorAll('style')]"
                ".every((s) => s.sheet && s.sheet.cssRules.length > 0)"
            )
            on_disk = office.root / "outputs" / "2017" / "report.html"
            assert driver.page_source and on_disk.is_file()
        finally:
            driver.quit()
    # Neither the office password nor an access code reaches the server's log.
    (log,) = tmp_path.glob("serve-*.log")
    text = log.read_text(encoding="utf-8")
    assert "POST /2017/submit" in text
    assert PASSWORD not in text and office.codes["U01"] not in text


def test_the_check_works_without_javascript(tmp_path):
    office = make_office(tmp_path / "office", units=1)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook("U01", **{"zd.total": 1}))
    with server(office.root) as (base, _):
        driver = chromium(tmp_path / "profile", tmp_path, javascript=False)
        try:
            driver.get(base + "/2017?lang=en")
            assert driver.execute_script is not None
            find(driver, "#check-file").send_keys(str(bad))
            find(driver, "#check-button").click()
            assert "1 errors" in find(driver, "#verdict").text
            cell = find(driver, 'tr[data-code="total-mismatch"]')
            assert cell.get_attribute("data-cell") == "D4"
        finally:
            driver.quit()
