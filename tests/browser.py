"""Debian's headless Chromium, driven by Selenium through Debian's chromedriver."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

INSTALL_HINT = "install Debian's browser: apt-get install chromium chromium-driver"


MISSING = f"headless Chromium or chromedriver not found: {INSTALL_HINT}"


def available() -> bool:
    """True when a headless Chromium can start here (else ``chrome()`` skips with MISSING)."""
    return _found() is not None


def _found() -> tuple[str, str] | None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


def _binaries() -> tuple[str, str]:
    found = _found()
    if found is None:
        pytest.skip(MISSING)
    return found


@contextlib.contextmanager
def chrome(*extra: str) -> Iterator[WebDriver]:
    """A fresh browser with an empty profile (so an empty HTTP cache).

    ``extra``: more Chromium arguments. The console is kept for ``get_log("browser")``.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = _binaries()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            # This machine's network is closed: no background calls home.
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1100,700",
            f"--user-data-dir={profile}",
            *extra,
        ):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
        try:
            yield driver
        finally:
            driver.quit()
