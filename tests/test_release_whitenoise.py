"""Release directories served by the whitenoise middleware (Django test client)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase, ResponseHeaders
from django.test import Client

from django_static_url_helper import url_helper, version

from .release_support import (
    KEPT_FILES,
    RELEASE_A,
    RELEASE_B,
    RELEASE_STORAGES,
    collect,
    make_tree,
)

if TYPE_CHECKING:
    from pytest_django import Settings

IMMUTABLE = "public, max-age=31536000, immutable"
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware",
]


class Site:
    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        self.settings, self.tmp = settings, tmp_path
        self.root = tmp_path / "static-root"
        settings.DEBUG = False
        settings.ROOT_URLCONF = "tests.urls_whitenoise"
        settings.MIDDLEWARE = MIDDLEWARE
        settings.STORAGES = RELEASE_STORAGES
        settings.STATIC_ROOT = self.root
        self.one = self.collect("r1", RELEASE_A)
        self.two = self.collect("r2", RELEASE_B)
        self.half = self.segment("r3")
        make_tree(self.root / self.half, {"css/site.css": b"body { col"})

    def segment(self, release_id: str) -> str:
        url = url_helper.get_static_url_release("/static/", release_id)
        self.settings.STATIC_URL = url
        return str(version.split_url(url).segment)

    def collect(self, release_id: str, files: dict[str, bytes]) -> str:
        self.settings.STATICFILES_DIRS = [make_tree(self.tmp / release_id, files)]
        segment = self.segment(release_id)
        collect()
        return segment

    def get(self, path: str, current: str | None = None) -> Read:
        self.segment({self.one: "r1", self.two: "r2", self.half: "r3"}[current or self.two])
        return read(Client().get(path))


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> Site:
    return Site(settings, tmp_path)


@dataclass(frozen=True)
class Read:
    """A response read whole: its status, its headers and its body in ``.data``."""

    status_code: int
    headers: ResponseHeaders
    data: bytes

    def __getitem__(self, header: str) -> str:
        return self.headers[header]


def read(response: HttpResponseBase) -> Read:
    """The response read whole, its file closed."""
    if isinstance(response, StreamingHttpResponse):
        chunks = response.streaming_content
        assert isinstance(chunks, Iterator), "the test client streams synchronously"
        data = b"".join(chunks)
    else:
        assert isinstance(response, HttpResponse)
        data = response.content
    response.close()
    return Read(response.status_code, response.headers, data)


def body(response: Read) -> bytes:
    return response.data


@pytest.mark.parametrize(("release", "name", "files"), KEPT_FILES)
def test_every_kept_release_is_served_with_its_own_bytes_forever(
    site: Site, release: str, name: str, files: dict[str, bytes]
) -> None:
    response = site.get(f"/static/{getattr(site, release)}/{name}")
    assert response.status_code == 200
    assert body(response) == files[name]
    assert response["Cache-Control"] == IMMUTABLE


def test_a_file_another_release_has_is_a_404_in_this_one(site: Site) -> None:
    response = site.get(f"/static/{site.two}/old.txt")
    assert response.status_code == 404
    assert response["Cache-Control"] == "no-store"


def test_an_incomplete_release_is_not_served_as_kept(site: Site) -> None:
    response = site.get(f"/static/{site.half}/css/site.css")
    assert body(response) == RELEASE_B["css/site.css"]  # the current file, not the half
    assert response["Cache-Control"] == "no-store"
    site.settings.STATIC_VERSION_MISMATCH = "404"
    assert site.get(f"/static/{site.half}/css/site.css").status_code == 404


def test_unversioned_urls_get_the_current_release(site: Site) -> None:
    response = site.get("/static/css/site.css")
    assert body(response) == RELEASE_B["css/site.css"]
    assert response["Cache-Control"] == "max-age=60, public"


def test_markers_are_never_served(site: Site) -> None:
    for path in (
        f"/static/{site.one}.release.json",
        f"/static/{site.two}/../{site.one}.release.json",
    ):
        response = site.get(path)
        assert response.status_code == 404
        assert b"completed" not in body(response)


def test_a_release_pruned_after_start_falls_back_to_the_current_file(site: Site) -> None:
    site.segment("r2")
    client = Client()
    assert read(client.get(f"/static/{site.one}/css/site.css"))["Cache-Control"] == IMMUTABLE
    (site.root / f"{site.one}.release.json").unlink()
    shutil.rmtree(site.root / site.one)
    response = read(client.get(f"/static/{site.one}/css/site.css"))
    assert body(response) == RELEASE_B["css/site.css"]
    assert response["Cache-Control"] == "no-store"


def test_an_incomplete_current_release_is_never_cached(site: Site) -> None:
    response = site.get(f"/static/{site.half}/css/site.css", current=site.half)
    assert body(response) == b"body { col"
    assert response["Cache-Control"] == "no-store"
    site.settings.STATIC_VERSION_MISMATCH = "404"
    response = site.get(f"/static/{site.half}/css/site.css", current=site.half)
    assert response["Cache-Control"] == "no-store"


def test_an_older_current_release_still_serves_the_newer_one(site: Site) -> None:
    # A rolling deploy: this server still runs r1; a page from an r2 server asks it.
    response = site.get(f"/static/{site.two}/css/site.css", current=site.one)
    assert body(response) == RELEASE_B["css/site.css"]
    assert response["Cache-Control"] == IMMUTABLE


@pytest.mark.parametrize("autorefresh", [False, True])
def test_index_files_of_a_kept_release_come_from_its_own_folder(
    settings: Settings, tmp_path: Path, autorefresh: bool
) -> None:
    settings.WHITENOISE_AUTOREFRESH = autorefresh
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.urls_whitenoise"
    settings.MIDDLEWARE = MIDDLEWARE
    settings.STORAGES = RELEASE_STORAGES
    settings.STATIC_ROOT = tmp_path / "static-root"
    settings.WHITENOISE_INDEX_FILE = True
    segments = {}
    for release_id in ("r1", "r2"):
        docs = {"docs/index.html": f"<h1>{release_id}</h1>".encode()}
        settings.STATICFILES_DIRS = [make_tree(tmp_path / release_id, docs)]
        settings.STATIC_URL = url_helper.get_static_url_release("/static/", release_id)
        segments[release_id] = str(version.split_url(settings.STATIC_URL).segment)
        collect()
    for release_id, segment in segments.items():
        response = read(Client().get(f"/static/{segment}/docs/"))
        assert (response.status_code, body(response)) == (200, f"<h1>{release_id}</h1>".encode())
        assert response["Cache-Control"] == IMMUTABLE
        redirect = read(Client().get(f"/static/{segment}/docs"))
        assert (redirect.status_code, redirect["Location"]) == (302, "docs/")
        assert redirect["Cache-Control"] == "no-store"
    unversioned = read(Client().get("/static/docs/"))
    assert body(unversioned) == b"<h1>r2</h1>"


@pytest.mark.parametrize("autorefresh", [False, True])
def test_no_url_of_an_incomplete_current_release_is_cached(site: Site, autorefresh: bool) -> None:
    site.settings.WHITENOISE_AUTOREFRESH = autorefresh
    for path in (f"/static/{site.half}/css/site.css", "/static/css/site.css"):
        response = site.get(path, current=site.half)
        assert body(response) == b"body { col"
        assert response["Cache-Control"] == "no-store", path


@pytest.mark.parametrize("autorefresh", [False, True])
@pytest.mark.parametrize("change", ["truncated", "grown", "added after the collect"])
def test_a_file_unlike_what_its_collect_recorded_is_never_served(
    site: Site, autorefresh: bool, change: str, caplog: pytest.LogCaptureFixture
) -> None:
    site.settings.WHITENOISE_AUTOREFRESH = autorefresh
    name = "css/extra.css" if change == "added after the collect" else "css/site.css"
    path = site.root / site.two / name
    path.write_bytes(b"" if change == "truncated" else RELEASE_B["css/site.css"] + b"/* more */")
    for url in (f"/static/{site.two}/{name}", f"/static/{name}"):
        response = site.get(url)  # r2 is current
        assert response.status_code == 404, url
        assert response["Cache-Control"] == "no-store"
    kept = site.get(f"/static/{site.two}/{name}", current=site.one)  # r2 kept, r1 current
    assert (kept.status_code, kept["Cache-Control"]) == (404, "no-store")
    assert f"Not serving {path}" in caplog.text
    # The rest of the release is served as before.
    assert site.get(f"/static/{site.two}/js/app.js")["Cache-Control"] == IMMUTABLE
