"""A real browser checks the integrity values the deploy recorded, and refuses a tampered file."""

from __future__ import annotations

import base64
import contextlib
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from tests import browser, servers
from tests.example_site import Site

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = [pytest.mark.browser, pytest.mark.server]

STYLED = "rgb(12, 92, 160)"  # #title in the demo's css/site.css
TAMPERED = "rgb(99, 92, 160)"  # same length: only the bytes change
# Chromium maps the second host name to this machine whatever its resolver says.
CDN_HOST = ("--host-resolver-rules=MAP localhost 127.0.0.1",)

Serving = Callable[[Site], contextlib.AbstractContextManager[None]]


def through_gunicorn(site: Site) -> contextlib.AbstractContextManager[None]:
    return site.serving()


@pytest.fixture(params=["gunicorn", "nginx"])
def serving(request: pytest.FixtureRequest) -> Serving:
    if request.param == "gunicorn":
        return through_gunicorn
    binary: str = request.getfixturevalue("nginx_binary")
    return lambda site: site.serving_behind_nginx(binary)


def openssl_sri(path: Path) -> str:
    digest = subprocess.run(
        ["openssl", "dgst", "-sha384", "-binary", str(path)], check=True, capture_output=True
    ).stdout
    return "sha384-" + base64.b64encode(digest).decode()


def page(driver: WebDriver, url: str) -> tuple[str, str | None]:
    """Load ``url``; the heading's colour, and whether the script ran."""
    driver.get(url)
    deadline = time.monotonic() + 10
    while driver.execute_script("return document.readyState") != "complete":
        assert time.monotonic() < deadline, "the page never finished loading"
        time.sleep(0.05)
    colour = driver.execute_script(
        "return getComputedStyle(document.getElementById('title')).color"
    )
    ran = driver.execute_script("return document.documentElement.dataset.scriptRan || null")
    assert isinstance(colour, str)
    return colour, ran


def integrity_errors(driver: WebDriver) -> list[str]:
    return [
        entry["message"]
        for entry in cast(Any, driver).get_log("browser")
        if "integrity" in entry["message"]
    ]


def test_the_page_loads_and_applies_both_files(serving: Serving, tmp_path: Path) -> None:
    site = Site(tmp_path)
    site.deploy()
    root = tmp_path / "static-root"
    with browser.chrome() as driver, serving(site):
        html = servers.request(site.port, "/integrity/").body.decode()
        for name in ("css/site.css", "js/app.js"):
            assert f'integrity="{openssl_sri(root / name)}"' in html, name
        assert page(driver, site.url + "integrity/") == (STYLED, "yes")
        assert integrity_errors(driver) == []


def test_a_stylesheet_changed_after_the_collect_is_refused_and_the_script_still_runs(
    serving: Serving, tmp_path: Path
) -> None:
    site = Site(tmp_path)
    site.deploy()
    css = tmp_path / "static-root" / "css" / "site.css"
    css.write_text(css.read_text().replace(STYLED, TAMPERED))  # a compromised server
    with browser.chrome() as driver, serving(site):
        colour, ran = page(driver, site.url + "integrity/")
        assert colour not in (STYLED, TAMPERED), "the tampered stylesheet was applied"
        assert ran == "yes"
        errors = integrity_errors(driver)
    assert errors, "the console reports no integrity failure"
    assert "css/site.css" in errors[0]


def test_files_on_a_cdn_origin_load_with_cors(serving: Serving, tmp_path: Path) -> None:
    port = servers.free_port()
    site = Site(tmp_path, DEMO_STATIC_BASE=f"http://localhost:{port}/static/")
    site.port = site.app_port = port
    site.deploy()
    with browser.chrome(*CDN_HOST) as driver, serving(site):
        html = servers.request(site.port, "/integrity/").body.decode()
        assert f'href="http://localhost:{port}/static/' in html
        assert 'crossorigin="anonymous"' in html
        # The page on 127.0.0.1, its files on localhost: another origin.
        assert page(driver, f"http://127.0.0.1:{port}/integrity/") == (STYLED, "yes")
        assert integrity_errors(driver) == []
