"""A real browser drops stale static files after a deploy, and keeps fresh ones."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from django_static_url_helper import version
from tests import browser, servers
from tests.example_site import Site

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

pytestmark = [pytest.mark.browser, pytest.mark.server]

ASSETS = {"css/site.css", "js/app.js", "img/logo.svg"}
OLD, NEW = "rgb(12, 92, 160)", "rgb(200, 30, 30)"


def heading_colour(driver: WebDriver) -> str:
    colour = driver.execute_script(
        "return getComputedStyle(document.getElementById('title')).color"
    )
    assert isinstance(colour, str), colour
    return colour


def data_url(row: WebElement) -> str:
    url = row.get_attribute("data-url")
    assert url is not None, "a row of the demo page without its data-url"
    return url


def asset_names(paths: list[str]) -> set[str]:
    """'/static/<version>/css/site.css' and '/static/css/site.css' -> 'css/site.css'."""
    names = set()
    for path in paths:
        split = version.split_path(path.removeprefix("/static/"))
        assert split is not None, path
        names.add(split.name)
    return names


def visit_then_deploy_then_visit(
    site: Site, serving: contextlib.AbstractContextManager[None]
) -> tuple[str, str, str, set[str]]:
    """Visit twice, deploy a new heading colour, visit again.

    Returns the colour after the deploy, the versions before and after, and
    the assets the last visit fetched from the server.
    """
    with browser.chrome() as driver, serving:
        site.static_gets()
        driver.get(site.url)
        assert heading_colour(driver) == OLD
        assert asset_names(site.static_gets()) >= ASSETS, "first visit fetches every asset"

        driver.get(site.url)  # a navigation, not a forced reload
        assert heading_colour(driver) == OLD
        assert site.static_gets() == [], "second visit is served from the browser cache"

        old_version = site.page_version()
        site.set_heading_colour(NEW)
        site.deploy()
        site.restart_gracefully()
        new_version = site.page_version()
        site.static_gets()
        driver.get(site.url)
        return heading_colour(driver), old_version, new_version, asset_names(site.static_gets())


@pytest.mark.parametrize("server", servers.APP_SERVERS)
def test_the_demo_page_shows_version_urls_and_the_headers_they_got(
    server: str, tmp_path: Path
) -> None:
    site = Site(tmp_path, server)
    site.deploy()
    with browser.chrome() as driver, site.serving():
        driver.get(site.url)
        version_shown = driver.find_element("id", "version").text
        assert version_shown == site.page_version() != "(none)"
        rows = driver.find_elements("css selector", "tr[data-url]")
        assert {data_url(row).split("/", 3)[2] for row in rows} == {version_shown}
        wait_until(
            driver,
            "[...document.querySelectorAll('td.cache code')]"
            ".every(c => c.textContent.includes('immutable'))",
        )
        driver.set_window_size(1100, 420)
        screenshot = tmp_path / "demo.png"
        driver.save_screenshot(str(screenshot))
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    if os.environ.get("SAVE_SCREENSHOT"):
        shutil.copyfile(screenshot, os.environ["SAVE_SCREENSHOT"])


def wait_until(driver: WebDriver, condition: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not driver.execute_script(f"return {condition}"):
        assert time.monotonic() < deadline, f"never true: {condition}"
        time.sleep(0.05)


@pytest.mark.parametrize("server", servers.APP_SERVERS)
def test_app_server_and_whitenoise_a_deploy_reaches_the_browser(
    server: str, tmp_path: Path
) -> None:
    site = Site(tmp_path, server)
    site.deploy()
    colour, old_version, new_version, fetched = visit_then_deploy_then_visit(site, site.serving())
    assert new_version != old_version
    assert "css/site.css" in fetched
    assert colour == NEW


def test_nginx_with_the_generated_block_a_deploy_reaches_the_browser(
    nginx_binary: str, tmp_path: Path
) -> None:
    site = Site(tmp_path)
    site.deploy()
    serving = site.serving_behind_nginx(nginx_binary)
    colour, old_version, new_version, fetched = visit_then_deploy_then_visit(site, serving)
    assert new_version != old_version
    assert "css/site.css" in fetched
    assert colour == NEW


def test_without_a_version_the_browser_keeps_the_stale_css(tmp_path: Path) -> None:
    # The control: same far-future caching, unversioned URLs. The deploy does
    # not reach the browser, which is what the package exists to prevent.
    site = Site(tmp_path, DEMO_UNVERSIONED="1")
    site.deploy()
    colour, old_version, new_version, fetched = visit_then_deploy_then_visit(site, site.serving())
    assert old_version == new_version == "(none)"
    assert fetched == set()
    assert colour == OLD
