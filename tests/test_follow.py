"""STATIC_VERSION_FOLLOW: servers follow the version collectstatic publishes, without a restart."""

from __future__ import annotations

import asyncio
import contextvars
import io
import os
import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles.storage import StaticFilesStorage, staticfiles_storage
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.test import AsyncClient, Client, RequestFactory

from django_static_url_helper import releases, stamp_file, url_helper, version
from django_static_url_helper.middleware import VersionedWhiteNoiseMiddleware
from django_static_url_helper.releases import ReleaseStorageMixin

from .release_support import RELEASE_A, RELEASE_B, RELEASE_STORAGES, collect, make_tree

if TYPE_CHECKING:
    from pytest_django import Settings

IMMUTABLE = "public, max-age=31536000, immutable"
INTERVAL = 0.2
ASSET = re.compile(r'href="/static/([0-9a-f]{12})/css/site\.css"')


class Deploys:
    """A static-only deploy: collectstatic publishes a new content version; settings stay."""

    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        self.settings, self.tmp = settings, tmp_path
        self.root = tmp_path / "static-root"
        settings.DEBUG = False
        settings.ROOT_URLCONF = "tests.urls_whitenoise"
        settings.MIDDLEWARE = ["django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware"]
        settings.STORAGES = RELEASE_STORAGES
        settings.STATIC_ROOT = self.root
        settings.STATIC_VERSION_FOLLOW = True
        settings.STATIC_VERSION_FOLLOW_INTERVAL = INTERVAL
        self.stamp = tmp_path / "static-version.txt"
        settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", self.stamp)
        self.one = self.publish("r1", RELEASE_A)
        # The servers start after the first deploy.
        settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", self.stamp)

    def publish(self, release_id: str, files: dict[str, bytes]) -> str:
        """collectstatic of new files; the servers' settings (STATIC_URL) stay as they were."""
        self.settings.STATICFILES_DIRS = [make_tree(self.tmp / release_id, files)]
        collect()
        return version.content_segment(stamp_file.read_stamp(self.stamp))


@pytest.fixture
def deploys(settings: Settings, tmp_path: Path) -> Deploys:
    return Deploys(settings, tmp_path)


def rendered_version(client: Client) -> str:
    found = ASSET.search(client.get("/").content.decode())
    assert found is not None
    return found[1]


def test_a_published_release_is_rendered_and_served_after_the_interval(deploys: Deploys) -> None:
    client = Client()  # one handler: one process's middleware and storage
    assert rendered_version(client) == deploys.one
    two = deploys.publish("r2", RELEASE_B)
    time.sleep(INTERVAL * 1.5)
    assert rendered_version(client) == two
    new = client.get(f"/static/{two}/css/site.css")
    assert (new.status_code, new["Cache-Control"]) == (200, IMMUTABLE)
    assert b"".join(new.streaming_content) == RELEASE_B["css/site.css"]  # type: ignore[attr-defined]
    old = client.get(f"/static/{deploys.one}/css/site.css")  # pages cached before the deploy
    assert (old.status_code, old["Cache-Control"]) == (200, IMMUTABLE)
    assert b"".join(old.streaming_content) == RELEASE_A["css/site.css"]  # type: ignore[attr-defined]
    gone = client.get(f"/static/{two}/old.txt")  # in r1 only
    assert (gone.status_code, gone["Cache-Control"]) == (404, "no-store")


def test_within_the_interval_the_process_keeps_its_version(deploys: Deploys) -> None:
    deploys.settings.STATIC_VERSION_FOLLOW_INTERVAL = 3600
    client = Client()
    assert rendered_version(client) == deploys.one
    deploys.publish("r2", RELEASE_B)
    assert rendered_version(client) == deploys.one


def test_a_release_another_worker_rendered_first_is_served_with_its_own_bytes(
    deploys: Deploys,
) -> None:
    deploys.settings.STATIC_VERSION_FOLLOW_INTERVAL = 3600  # this worker has not looked yet
    client = Client()
    assert rendered_version(client) == deploys.one
    two = deploys.publish("r2", RELEASE_B)
    new = client.get(f"/static/{two}/new.txt")
    assert (new.status_code, new["Cache-Control"]) == (200, IMMUTABLE)
    assert b"".join(new.streaming_content) == RELEASE_B["new.txt"]  # type: ignore[attr-defined]


def test_a_version_that_was_never_completed_is_not_taken_in(deploys: Deploys) -> None:
    client = Client()
    half = deploys.root / "0123456789ab"
    make_tree(half, {"css/site.css": b"body { col"})
    response = client.get("/static/0123456789ab/css/site.css")
    assert response["Cache-Control"] == "no-store"
    assert b"".join(response.streaming_content) == RELEASE_A["css/site.css"]  # type: ignore[attr-defined]


def test_one_request_renders_one_version_while_a_deploy_publishes(deploys: Deploys) -> None:
    seen: list[str] = []
    published: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(staticfiles_storage.url("css/site.css"))
        published.append(deploys.publish("r2", RELEASE_B))
        time.sleep(INTERVAL * 1.5)
        seen.append(staticfiles_storage.url("css/site.css"))
        return HttpResponse("page")

    middleware = VersionedWhiteNoiseMiddleware(view)
    middleware(RequestFactory().get("/"))
    assert seen == [f"/static/{deploys.one}/css/site.css"] * 2
    assert staticfiles_storage.url("css/site.css") == f"/static/{published[0]}/css/site.css"


def test_without_follow_a_publish_changes_nothing_until_a_restart(deploys: Deploys) -> None:
    deploys.settings.STATIC_VERSION_FOLLOW = False
    client = Client()
    deploys.publish("r2", RELEASE_B)
    time.sleep(INTERVAL * 1.5)
    assert rendered_version(client) == deploys.one


def test_an_unreadable_published_record_keeps_the_version_read_before(deploys: Deploys) -> None:
    storage: ReleaseStorageMixin = staticfiles_storage  # type: ignore[assignment]
    assert storage.live_segment() == deploys.one
    (deploys.root / "published.json").write_text('{"version": "not a segment"}')
    time.sleep(INTERVAL * 1.5)
    assert storage.live_segment() == deploys.one


def test_a_pinned_version_wins_over_the_published_one(deploys: Deploys) -> None:
    with releases.pinned("0123456789ab"):
        assert staticfiles_storage.url("a.css") == "/static/0123456789ab/a.css"
    assert staticfiles_storage.url("a.css") == f"/static/{deploys.one}/a.css"


def test_the_published_record_is_read_once_per_interval(
    deploys: Deploys, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploys.settings.STATIC_VERSION_FOLLOW_INTERVAL = 3600
    storage: ReleaseStorageMixin = staticfiles_storage  # type: ignore[assignment]
    reads: list[object] = []
    read = ReleaseStorageMixin.read_published_if_changed

    def counting(self: ReleaseStorageMixin, tag: object) -> tuple[object, bytes | None]:
        reads.append(tag)
        return read(self, tag)

    monkeypatch.setattr(ReleaseStorageMixin, "read_published_if_changed", counting)
    for _ in range(1000):
        storage.url("css/site.css")
    assert len(reads) <= 1


def follow_before_the_first_publish(settings: Settings, tmp_path: Path) -> Path:
    """Settings of a server that follows and starts before any collect; the stamp's path."""
    settings.STORAGES = RELEASE_STORAGES
    settings.STATIC_ROOT = tmp_path / "static-root"
    settings.STATIC_VERSION_FOLLOW = True
    settings.STATIC_VERSION_FOLLOW_INTERVAL = INTERVAL
    stamp = tmp_path / "static-version.txt"
    settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", stamp)
    return stamp


def test_servers_started_before_the_first_publish_follow_it(
    settings: Settings, tmp_path: Path
) -> None:
    stamp = follow_before_the_first_publish(settings, tmp_path)
    with pytest.raises(ImproperlyConfigured, match="No static version is published yet"):
        staticfiles_storage.url("css/site.css")
    settings.STATICFILES_DIRS = [make_tree(tmp_path / "r1", RELEASE_A)]
    collect()
    time.sleep(INTERVAL * 1.5)
    segment = version.content_segment(stamp_file.read_stamp(stamp))
    assert staticfiles_storage.url("css/site.css") == f"/static/{segment}/css/site.css"


def test_the_pinning_middleware_pins_a_request_under_asgi_too(deploys: Deploys) -> None:
    from django_static_url_helper.follow_middleware import PublishedVersionMiddleware

    seen: list[str] = []

    async def view(request: HttpRequest) -> HttpResponse:
        seen.append(staticfiles_storage.url("css/site.css"))
        deploys.publish("r2", RELEASE_B)
        await asyncio.sleep(INTERVAL * 1.5)
        seen.append(staticfiles_storage.url("css/site.css"))
        return HttpResponse("page")

    middleware = PublishedVersionMiddleware(view)
    asyncio.run(middleware(RequestFactory().get("/")))  # type: ignore[arg-type]
    assert seen == [f"/static/{deploys.one}/css/site.css"] * 2


def test_a_process_forgets_the_files_of_releases_pruned_since(deploys: Deploys) -> None:
    middleware = VersionedWhiteNoiseMiddleware(lambda request: HttpResponse("page"))
    two = deploys.publish("r2", RELEASE_B)
    time.sleep(INTERVAL * 1.5)
    first = cast(HttpResponseBase, middleware(RequestFactory().get(f"/static/{two}/new.txt")))
    first.close()
    assert first.status_code == 200
    assert f"/static/{two}/new.txt" in middleware.looked_up  # looked up on first request
    three = deploys.publish("r3", {**RELEASE_B, "t.txt": b"3"})
    # Keeps the published release and the servers' own (r1): deletes r2.
    call_command("static_url", "prune", "--keep", "1", "--keep-for", "0", stdout=io.StringIO())
    time.sleep(INTERVAL * 1.5)
    response = cast(HttpResponseBase, middleware(RequestFactory().get(f"/static/{three}/t.txt")))
    response.close()
    assert (response.status_code, response["Cache-Control"]) == (200, IMMUTABLE)
    remembered = [*middleware.files, *middleware.looked_up, *middleware.state.current_files]
    assert not any(url.startswith(f"/static/{two}/") for url in remembered)
    assert f"/static/{deploys.one}/old.txt" in middleware.files


def test_under_asgi_a_switch_serves_the_new_release(deploys: Deploys) -> None:
    async def fetch(client: AsyncClient, url: str) -> tuple[int, str, bytes]:
        response: Any = await client.get(url)
        body = b"".join([part async for part in response]) if response.streaming else b""
        response.close()
        return response.status_code, response.get("Cache-Control", ""), body

    async def deploy_and_fetch() -> tuple[int, str, bytes]:
        client = AsyncClient()
        await fetch(client, f"/static/{deploys.one}/css/site.css")  # builds the chain
        two = deploys.publish("r2", RELEASE_B)
        await asyncio.sleep(INTERVAL * 1.5)
        return await fetch(client, f"/static/{two}/new.txt")

    status, cache_control, body = asyncio.run(deploy_and_fetch())
    assert (status, cache_control, body) == (200, IMMUTABLE, RELEASE_B["new.txt"])


def test_the_static_version_context_follows_too(deploys: Deploys) -> None:
    from django_static_url_helper.context_processors import static_version

    two = deploys.publish("r2", RELEASE_B)
    time.sleep(INTERVAL * 1.5)
    assert static_version(RequestFactory().get("/")) == {"STATIC_VERSION": two}
    # A request that started before the switch names the version its URLs carry.
    with releases.pinned(deploys.one):
        assert static_version(RequestFactory().get("/")) == {"STATIC_VERSION": deploys.one}
        assert releases.live_segment() == deploys.one
        assert staticfiles_storage.url("css/site.css") == f"/static/{deploys.one}/css/site.css"


def test_the_middleware_may_start_before_the_first_publish_when_it_follows(
    settings: Settings, tmp_path: Path
) -> None:
    stamp = follow_before_the_first_publish(settings, tmp_path)
    middleware = VersionedWhiteNoiseMiddleware(lambda request: HttpResponse("page"))
    settings.STATICFILES_DIRS = [make_tree(tmp_path / "r1", RELEASE_A)]
    collect()
    time.sleep(INTERVAL * 1.5)
    segment = version.content_segment(stamp_file.read_stamp(stamp))
    response = cast(
        HttpResponseBase, middleware(RequestFactory().get(f"/static/{segment}/old.txt"))
    )
    response.close()
    assert (response.status_code, response["Cache-Control"]) == (200, IMMUTABLE)


def test_without_follow_the_middleware_refuses_to_start_before_the_first_publish(
    settings: Settings, tmp_path: Path
) -> None:
    settings.STORAGES = RELEASE_STORAGES
    settings.STATIC_ROOT = tmp_path / "static-root"
    settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", tmp_path / "stamp")
    with pytest.raises(ImproperlyConfigured, match="Run 'manage.py collectstatic'"):
        VersionedWhiteNoiseMiddleware(lambda request: HttpResponse("page"))


# --- What the published record and markers may hold that they should not. ---


def live_within(seconds: float) -> str | None:
    """``live_segment()``, failing the test if it blocks (a FIFO opened for reading)."""
    storage: ReleaseStorageMixin = staticfiles_storage  # type: ignore[assignment]
    found: list[str | None] = []
    reader = threading.Thread(target=lambda: found.append(storage.live_segment()), daemon=True)
    reader.start()
    reader.join(seconds)
    assert not reader.is_alive(), "live_segment() blocked"
    return found[0]


@pytest.mark.parametrize("kind", ["fifo", "folder", "huge", "gone", "not json"])
def test_a_record_that_is_not_one_keeps_the_version_followed_before(
    deploys: Deploys, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    two = deploys.publish("r2", RELEASE_B)
    time.sleep(INTERVAL * 1.5)
    assert live_within(5) == two
    record = deploys.root / "published.json"
    record.unlink()
    if kind == "fifo":
        os.mkfifo(record)
    elif kind == "folder":
        record.mkdir()
    elif kind == "huge":
        record.write_bytes(b" " * (1 << 20))
    elif kind == "not json":
        record.write_text("{")
    time.sleep(INTERVAL * 1.5)
    assert live_within(5) == two  # never back to the servers' own version (r1)
    assert "The published version record" in caplog.text


def test_a_published_release_that_is_not_complete_is_not_followed_until_it_is(
    deploys: Deploys,
) -> None:
    two = deploys.publish("r2", RELEASE_B)
    marker = deploys.root / f"{two}.release.json"
    body = marker.read_bytes()
    marker.unlink()  # as a copy that sends the record before the marker leaves it
    storage: ReleaseStorageMixin = staticfiles_storage  # type: ignore[assignment]
    storage.__dict__.pop("_following", None)
    storage.__dict__.pop("_live", None)  # the hot path's copy goes with it
    assert storage.live_segment() == deploys.one
    (deploys.root / two / "new.txt").unlink()
    marker.write_bytes(body)  # the marker, but not yet every file
    time.sleep(INTERVAL * 1.5)
    assert storage.live_segment() == deploys.one
    (deploys.root / two / "new.txt").write_bytes(RELEASE_B["new.txt"])
    time.sleep(INTERVAL * 1.5)
    assert storage.live_segment() == two


def test_a_marker_that_is_a_fifo_makes_no_release_and_blocks_nothing(deploys: Deploys) -> None:
    from django_static_url_helper import release_tree

    os.mkfifo(deploys.root / "0123456789ab.release.json")
    storage: ReleaseStorageMixin = staticfiles_storage  # type: ignore[assignment]
    done: list[object] = []
    reader = threading.Thread(
        target=lambda: done.append(release_tree.read_marker(storage, "0123456789ab")),
        daemon=True,
    )
    reader.start()
    reader.join(5)
    assert done == [None]


@pytest.mark.parametrize("torn", ["before the server starts", "after it started"])
def test_a_torn_marker_is_looked_at_once_per_interval_not_per_request(
    deploys: Deploys, monkeypatch: pytest.MonkeyPatch, torn: str
) -> None:
    from django_static_url_helper import release_serving, release_tree

    deploys.settings.STATIC_VERSION_FOLLOW_INTERVAL = 3600
    marker = deploys.root / "abcdefabcdef.release.json"
    if torn == "before the server starts":
        marker.write_text('{"trunc')
    middleware = VersionedWhiteNoiseMiddleware(lambda request: HttpResponse("page"))
    marker.write_text('{"trunc')
    listings: list[object] = []
    markers_read: list[str] = []
    kept, read_marker = release_serving.kept, release_tree.read_marker

    def counting(segment: str | None) -> object:
        listings.append(segment)
        return kept(segment)

    def reading(storage: Any, segment: str) -> Any:
        markers_read.append(segment)
        return read_marker(storage, segment)

    monkeypatch.setattr(release_serving, "kept", counting)
    monkeypatch.setattr(release_tree, "read_marker", reading)
    for path in ["/static/abcdefabcdef/old.txt"] * 20 + ["/static/0123456789ab/old.txt"]:
        response = cast(HttpResponseBase, middleware(RequestFactory().get(path)))
        response.close()
        assert response["Cache-Control"] == "no-store"
    assert listings == []
    assert markers_read == ["abcdefabcdef"]  # once, whatever the number of requests


def test_a_manifest_storage_renders_the_hashed_names_of_the_release_it_follows(
    deploys: Deploys,
) -> None:
    deploys.settings.STORAGES = {
        **RELEASE_STORAGES,
        "staticfiles": {"BACKEND": "tests.release_support.ReleaseManifestStorage"},
    }
    one = deploys.publish("m1", {**RELEASE_A, "m.txt": b"m1"})  # not r1's files
    deploys.settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", deploys.stamp)
    before = staticfiles_storage.url("css/site.css")
    assert before.startswith(f"/static/{one}/css/site.")
    assert before != f"/static/{one}/css/site.css"
    two = deploys.publish("m2", {**RELEASE_B, "m.txt": b"m2"})
    time.sleep(INTERVAL * 1.5)
    after = staticfiles_storage.url("css/site.css")
    hashed = after.removeprefix(f"/static/{two}/")
    assert (deploys.root / two / hashed).read_bytes() == RELEASE_B["css/site.css"]
    assert staticfiles_storage.url("new.txt").startswith(f"/static/{two}/new.")  # only in m2
    with releases.pinned(one):  # a request that started before the switch
        assert staticfiles_storage.url("css/site.css") == before


def test_urls_followed_past_static_url_are_kept_per_version_and_bounded(
    deploys: Deploys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.contrib.staticfiles.storage import staticfiles_storage

    from django_static_url_helper import followed_storage

    monkeypatch.setattr(followed_storage, "_FOLLOWED_URLS", 2)
    storage: Any = staticfiles_storage
    assert storage.url("css/site.css") == f"/static/{deploys.one}/css/site.css"
    for files, release_id in ((RELEASE_B, "r2"), ({**RELEASE_A, "c.txt": b"c"}, "r3")):
        segment = deploys.publish(release_id, files)
        time.sleep(INTERVAL * 1.5)
        for _ in range(2):  # computed, then kept
            assert storage.url("css/site.css") == f"/static/{segment}/css/site.css"
        kept = storage._followed_urls
        assert kept[0] == segment
        assert kept[2] == {"css/site.css": f"/static/{segment}/css/site.css"}  # by name
    for name in ("a.txt", "b.txt", "css/site.css"):  # past the bound: starts over
        assert storage.url(name) == f"/static/{segment}/{name}"
    assert len(storage._followed_urls[2]) <= 2


def test_a_kept_followed_url_is_not_given_once_static_url_changes(
    deploys: Deploys, settings: Settings
) -> None:
    two = deploys.publish("r2", RELEASE_B)
    time.sleep(INTERVAL * 1.5)
    assert staticfiles_storage.url("css/site.css") == f"/static/{two}/css/site.css"
    settings.STATIC_URL = f"https://cdn.example.com/assets/{deploys.one}/"
    assert staticfiles_storage.url("css/site.css") == (
        f"https://cdn.example.com/assets/{two}/css/site.css"
    )


class CountingURLs(StaticFilesStorage):
    """A storage whose url() is its own (as a bucket signing each URL): never kept."""

    def url(self, name: str | None) -> str:
        self.asked = getattr(self, "asked", 0) + 1
        return f"{super().url(name)}?n={self.asked}"


class ReleaseCountingURLs(ReleaseStorageMixin, CountingURLs):
    pass


def test_a_storage_with_a_url_of_its_own_is_asked_each_time_after_a_switch(
    deploys: Deploys, settings: Settings
) -> None:
    settings.STORAGES = {
        **RELEASE_STORAGES,
        "staticfiles": {"BACKEND": "tests.test_follow.ReleaseCountingURLs"},
    }
    two = deploys.publish("r2", RELEASE_B)
    time.sleep(INTERVAL * 1.5)
    urls = [staticfiles_storage.url("css/site.css") for _ in range(2)]
    assert urls[0].startswith(f"/static/{two}/css/site.css?n=")
    assert urls[0] != urls[1]


_tenant: contextvars.ContextVar[str] = contextvars.ContextVar("tenant", default="a")


class PerTenantStorage(StaticFilesStorage):
    """As multi-tenant storages do (a ``base_url`` property): url() stays Django's own."""

    @property
    def base_url(self) -> str:
        return f"{django_settings.STATIC_URL}{_tenant.get()}/"


class ReleasePerTenant(ReleaseStorageMixin, PerTenantStorage):
    pass


def test_a_url_whose_base_url_is_not_djangos_is_never_kept_by_name(deploys: Deploys) -> None:
    deploys.settings.STORAGES = {
        **RELEASE_STORAGES,
        "staticfiles": {"BACKEND": "tests.test_follow.ReleasePerTenant"},
    }
    two = deploys.publish("r2", RELEASE_B)
    time.sleep(INTERVAL * 1.5)
    assert staticfiles_storage.url("css/site.css") == f"/static/{two}/a/css/site.css"
    token = _tenant.set("b")
    try:
        assert staticfiles_storage.url("css/site.css") == f"/static/{two}/b/css/site.css"
    finally:
        _tenant.reset(token)


def test_a_stale_live_copy_is_replaced_on_the_next_call(deploys: Deploys) -> None:
    storage: Any = staticfiles_storage
    two = deploys.publish("r2", RELEASE_B)
    time.sleep(INTERVAL * 1.5)
    deploys.settings.STATIC_VERSION_FOLLOW_INTERVAL = 3600
    time.sleep(INTERVAL * 1.5)
    assert storage.url("css/site.css") == f"/static/{two}/css/site.css"  # read: fresh 3600 s
    # What a thread that read Following.live just before another thread
    # replaced it leaves behind (published(), `self._live = following.live`).
    storage._live = (float("-inf"), None)
    assert storage.url("css/site.css") == f"/static/{two}/css/site.css"  # still right...
    assert storage._live[0] > time.monotonic()  # ...but the hot path should be back
