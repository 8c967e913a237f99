"""A worker's start-up and switch work with many kept releases: only the current one up front.

Older kept releases are requested rarely (pages cached before a deploy), so
the middleware indexes the current release at start and looks an older
release's file up on its first request, from that release's own folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client, RequestFactory

from django_static_url_helper import release_tree, url_helper, version
from django_static_url_helper.middleware import VersionedWhiteNoiseMiddleware

from .release_support import RELEASE_STORAGES, collect, make_tree
from .test_release_whitenoise import IMMUTABLE, MIDDLEWARE, Read, body, read

if TYPE_CHECKING:
    from pytest_django import Settings

FILES_PER_RELEASE = 20


class Releases:
    """A STATIC_ROOT with ``count`` complete releases, r0 ... r<count-1>, the last current."""

    def __init__(self, settings: Settings, tmp_path: Path, count: int) -> None:
        self.settings, self.tmp = settings, tmp_path
        settings.DEBUG = False
        settings.ROOT_URLCONF = "tests.urls_whitenoise"
        settings.MIDDLEWARE = MIDDLEWARE
        settings.STORAGES = RELEASE_STORAGES
        settings.STATIC_ROOT = self.root = tmp_path / "static-root"
        self.segments = [self.collect(f"r{number}") for number in range(count)]

    @staticmethod
    def files(release_id: str) -> dict[str, bytes]:
        return {
            f"css/f{number}.css": f"/* {release_id} {number} */".encode()
            for number in range(FILES_PER_RELEASE)
        }

    def collect(self, release_id: str) -> str:
        self.settings.STATICFILES_DIRS = [make_tree(self.tmp / release_id, self.files(release_id))]
        self.settings.STATIC_URL = url_helper.get_static_url_release("/static/", release_id)
        collect()
        return str(version.split_url(self.settings.STATIC_URL).segment)


def started(monkeypatch: pytest.MonkeyPatch) -> tuple[VersionedWhiteNoiseMiddleware, list[str]]:
    """A middleware as a worker builds it, and the markers it read while starting."""
    read_markers: list[str] = []
    reading = release_tree.read_marker

    def counted(storage: Any, segment: str) -> dict[str, Any] | None:
        read_markers.append(segment)
        return reading(storage, segment)

    monkeypatch.setattr(release_tree, "read_marker", counted)
    return VersionedWhiteNoiseMiddleware(lambda request: HttpResponse("page")), read_markers


@pytest.mark.parametrize("count", [1, 8])
def test_start_up_indexes_and_reads_only_the_current_release(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    releases = Releases(settings, tmp_path, count)
    current = releases.segments[-1]
    middleware, read_markers = started(monkeypatch)
    assert sorted(middleware.files) == sorted(
        f"/static/{current}/{name}" for name in Releases.files("any")
    )
    assert read_markers == [current]
    assert middleware.releases is not None
    assert middleware.releases.versions == set(releases.segments)


def test_an_older_release_is_served_from_its_own_folder_on_first_request(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    releases = Releases(settings, tmp_path, 3)
    oldest = releases.segments[0]
    middleware, read_markers = started(monkeypatch)

    def get(path: str) -> Read:
        return read(cast(HttpResponseBase, middleware(RequestFactory().get(path))))

    for _ in range(2):
        response = get(f"/static/{oldest}/css/f3.css")
        assert (response.status_code, body(response)) == (200, b"/* r0 3 */")
        assert response["Cache-Control"] == IMMUTABLE
    miss = get(f"/static/{oldest}/css/nothing.css")
    assert (miss.status_code, miss["Cache-Control"]) == (404, "no-store")
    # Its marker was read once, on the first request; whitenoise's index is unchanged.
    assert read_markers == [releases.segments[-1], oldest]
    assert len(middleware.files) == FILES_PER_RELEASE


def test_an_older_releases_file_changed_since_its_collect_is_a_404(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    releases = Releases(settings, tmp_path, 3)
    oldest = releases.segments[0]
    (releases.root / oldest / "css" / "f1.css").write_bytes(b"/* grown since its collect */")
    (releases.root / oldest / "css" / "added.css").write_bytes(b"/* not collected */")
    for name in ("f1.css", "added.css"):
        response = read(Client().get(f"/static/{oldest}/css/{name}"))
        assert (response.status_code, response["Cache-Control"]) == (404, "no-store")
    assert "Not serving" in caplog.text
    assert read(Client().get(f"/static/{oldest}/css/f2.css"))["Cache-Control"] == IMMUTABLE


def test_an_older_release_with_a_torn_marker_is_not_served_as_kept(
    settings: Settings, tmp_path: Path
) -> None:
    releases = Releases(settings, tmp_path, 3)
    oldest, current = releases.segments[0], releases.segments[-1]
    (releases.root / release_tree.marker_name(oldest)).write_bytes(b'{"version": ')
    response = read(Client().get(f"/static/{oldest}/css/f1.css"))
    # The current release's file, as for any version that is not kept.
    assert body(response) == b"/* r2 1 */"
    assert response["Cache-Control"] == "no-store"
    assert read(Client().get(f"/static/{current}/css/f1.css"))["Cache-Control"] == IMMUTABLE


def test_looked_up_files_of_older_releases_are_bounded(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_static_url_helper import kept_release_files

    monkeypatch.setattr(kept_release_files, "LOOKED_UP_LIMIT", 8)
    releases = Releases(settings, tmp_path, 3)
    middleware = VersionedWhiteNoiseMiddleware(lambda request: None)
    policy = middleware.policy
    for segment in releases.segments[:2]:
        for number in range(FILES_PER_RELEASE):
            found = middleware.find_static(segment, f"css/f{number}.css", policy)
            assert found is not None, (segment, number)
            assert found.cache_control == IMMUTABLE
    assert 0 < len(middleware.looked_up) <= 8


def test_requests_cycling_over_many_kept_releases_read_each_marker_once(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    releases = Releases(settings, tmp_path, 12)
    middleware, read_markers = started(monkeypatch)
    for number in (1, 2, 3):  # a new file of every older release each time round
        for segment in releases.segments[:-1]:
            path = f"/static/{segment}/css/f{number}.css"
            response = read(cast(HttpResponseBase, middleware(RequestFactory().get(path))))
            assert response["Cache-Control"] == IMMUTABLE, path
    assert sorted(read_markers) == sorted(releases.segments)


def test_an_older_releases_file_replaced_by_a_link_out_is_a_404_and_logged(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    releases = Releases(settings, tmp_path, 3)
    oldest = releases.segments[0]
    secret = tmp_path / "secret.css"
    secret.write_bytes(b"/* r0 1 */")  # the recorded size: only the link gives it away
    linked = releases.root / oldest / "css" / "f1.css"
    linked.unlink()
    linked.symlink_to(secret)
    response = read(Client().get(f"/static/{oldest}/css/f1.css"))
    assert (response.status_code, response["Cache-Control"]) == (404, "no-store")
    assert f"Not serving {linked}: not as release {oldest} collected it." in caplog.text
