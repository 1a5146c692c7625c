"""Debian's chromium under selenium, as the browser tests start it.

The flags every test uses: headless as root, and none of the background
connections that this machine's closed network refuses. A test adds its own
(window size, which names resolve, a profile folder).
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

needs_chromium = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="no browser: install Debian's chromium and chromium-driver "
    "(apt-get install -y chromium chromium-driver), as .ci/run does",
)

HEADLESS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_options(*flags: str) -> Any:
    """Chrome options for Debian's chromium with :data:`HEADLESS` and ``flags``."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*HEADLESS, *flags):
        options.add_argument(flag)
    return options


def start_chromium(options: Any) -> Any:
    """The driver of a chromium started with ``options``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
