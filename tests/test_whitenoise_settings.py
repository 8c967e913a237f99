"""whitenoise's own settings keep working under every version: index files, added headers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin
from wsgiref.headers import Headers

import pytest
from django.test import Client

from tests.collected import CURRENT, IMMUTABLE, OLDER
from tests.collected import body as read

if TYPE_CHECKING:
    from pytest_django import Settings

OURS = "django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware"
DOCS = b"<h1>docs</h1>\n"
HOME = b"<h1>home</h1>\n"
CSS = b"body {}\n"
PREFIXES = [f"/static/{CURRENT}/", f"/static/{OLDER}/", "/static/"]
# What a file gets under each prefix: its version's, another version's, no version's.
POLICY = {PREFIXES[0]: IMMUTABLE, PREFIXES[1]: "no-store", PREFIXES[2]: "max-age=60, public"}


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> Path:
    root = tmp_path / "static-root"
    for name, body in {"docs/index.html": DOCS, "index.html": HOME, "css/site.css": CSS}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(body)
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.urls_whitenoise"
    settings.MIDDLEWARE = [OURS]
    settings.STATIC_ROOT = str(root)
    settings.STATIC_URL = f"/static/{CURRENT}/"
    settings.WHITENOISE_INDEX_FILE = True
    return root


@pytest.fixture(params=[False, True], ids=["indexed", "autorefresh"])
def autorefresh(request: pytest.FixtureRequest, site: Path, settings: Settings) -> bool:
    settings.WHITENOISE_AUTOREFRESH = request.param
    if request.param:
        settings.WHITENOISE_MAX_AGE = 60
    return bool(request.param)


@pytest.mark.usefixtures("autorefresh")
@pytest.mark.parametrize("prefix", PREFIXES)
def test_index_file_served_at_directory_path(prefix: str) -> None:
    response = Client().get(f"{prefix}docs/")
    assert (response.status_code, read(response)) == (200, DOCS)
    assert response.headers["Cache-Control"] == POLICY[prefix]
    home = Client().get(prefix)
    assert (home.status_code, read(home)) == (200, HOME)


@pytest.mark.usefixtures("autorefresh")
@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(("path", "location"), [("docs/index.html", "./"), ("docs", "docs/")])
def test_index_redirects_stay_under_the_version_and_are_not_stored(
    prefix: str, path: str, location: str
) -> None:
    response = Client().get(prefix + path)
    assert (response.status_code, response["Location"]) == (302, location)
    assert response.headers["Cache-Control"] == "no-store"
    target = urljoin(prefix + path, location)
    assert target == f"{prefix}docs/"
    assert read(Client().get(target)) == DOCS


def test_directories_stay_404_without_an_index_file(site: Path, settings: Settings) -> None:
    del settings.WHITENOISE_INDEX_FILE
    for path in (f"/static/{CURRENT}/docs/", f"/static/{CURRENT}/", "/static/docs/"):
        response = Client().get(path)
        assert (response.status_code, response.headers["Cache-Control"]) == (404, "no-store")


def no_cache_on_css(headers: Headers, path: str, url: str) -> None:
    headers["X-Seen"] = url
    if url.endswith(".css"):
        headers["Cache-Control"] = "no-cache"


@pytest.mark.usefixtures("autorefresh")
def test_a_cache_control_of_the_add_headers_function_wins_on_its_own_version(
    settings: Settings,
) -> None:
    settings.WHITENOISE_ADD_HEADERS_FUNCTION = no_cache_on_css
    for prefix, cache_control in zip(PREFIXES, ["no-cache", "no-store", "no-cache"], strict=True):
        response = Client().get(f"{prefix}css/site.css")
        assert (read(response), response.headers["Cache-Control"]) == (CSS, cache_control)
        assert response.headers["X-Seen"] == "/static/css/site.css"
    first = Client().get(f"/static/{CURRENT}/css/site.css")
    read(first)
    etag = first.headers["ETag"]
    again = Client().get(f"/static/{CURRENT}/css/site.css", headers={"If-None-Match": etag})
    assert (again.status_code, again.headers["Cache-Control"]) == (304, "no-cache")
    # A file the function leaves alone keeps the version's policy.
    docs = Client().get(f"/static/{CURRENT}/docs/")
    assert (docs.headers["Cache-Control"], docs.headers["X-Seen"]) == (IMMUTABLE, "/static/docs/")
    read(docs)
