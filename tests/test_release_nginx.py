"""Release directories behind a real nginx on 127.0.0.1: every kept version, its own bytes."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from django_static_url_helper import url_helper, version

from . import servers
from .release_support import (
    KEPT_FILES,
    RELEASE_A,
    RELEASE_B,
    RELEASE_STORAGES,
    collect,
    make_tree,
)

pytestmark = [pytest.mark.nginx, pytest.mark.server]
IMMUTABLE = "public, max-age=31536000, immutable"
HALF = {"css/site.css": b"body { col"}


class Site(NamedTuple):
    root: Path
    one: str
    two: str
    half: str
    port: int
    strict: int


def url(release_id: str) -> str:
    return url_helper.get_static_url_release("/static/", release_id)


def segment(release_id: str) -> str:
    return str(version.split_url(url(release_id)).segment)


def render(root: Path, release_id: str, **more: object) -> str:
    out = io.StringIO()
    settings = {"STORAGES": RELEASE_STORAGES, "STATIC_ROOT": root, "STATIC_URL": url(release_id)}
    with override_settings(**settings, **more):
        call_command("static_url", "nginx", stdout=out)
    return out.getvalue()


def collect_release(tmp: Path, root: Path, release_id: str, files: dict[str, bytes]) -> None:
    with override_settings(
        STORAGES=RELEASE_STORAGES,
        STATIC_ROOT=root,
        STATICFILES_DIRS=[make_tree(tmp / release_id, files)],
        STATIC_URL=url(release_id),
    ):
        collect()


@pytest.fixture(scope="module")
def site(nginx_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("release-nginx")
    root = tmp / "static-root"
    collect_release(tmp, root, "r1", RELEASE_A)
    collect_release(tmp, root, "r2", RELEASE_B)
    make_tree(root / segment("r3"), HALF)  # a collect killed half-way: no marker
    port, strict = servers.free_port(), servers.free_port()
    http = "".join(
        f"    server {{\n        listen 127.0.0.1:{listen};\n"
        + textwrap.indent(render(root, "r2", **more), " " * 8)
        + "    }\n"
        for listen, more in ((port, {}), (strict, {"STATIC_VERSION_MISMATCH": "404"}))
    )
    with servers.running_nginx(nginx_binary, tmp / "prefix", http, port):
        yield Site(root, segment("r1"), segment("r2"), segment("r3"), port, strict)


def get(port: int, path: str) -> servers.Response:
    return servers.request(port, path)


@pytest.mark.parametrize(("release", "name", "files"), KEPT_FILES)
def test_every_kept_release_is_served_with_its_own_bytes_forever(
    site: Site, release: str, name: str, files: dict[str, bytes]
) -> None:
    response = get(site.port, f"/static/{getattr(site, release)}/{name}")
    assert (response.status, response.body) == (200, files[name])
    assert response.headers.get_all("Cache-Control") == [IMMUTABLE]


def test_a_file_another_release_has_is_a_404_in_this_one(site: Site) -> None:
    response = get(site.port, f"/static/{site.two}/old.txt")
    assert response.status == 404
    assert response.header("Cache-Control") == "no-store"


def test_an_incomplete_release_is_not_served_as_kept(site: Site) -> None:
    response = get(site.port, f"/static/{site.half}/css/site.css")
    assert response.status == 200
    assert response.body == RELEASE_B["css/site.css"]  # the current file, not the half
    assert response.header("Cache-Control") == "no-store"
    assert get(site.strict, f"/static/{site.half}/css/site.css").status == 404


def test_unversioned_urls_get_the_current_release(site: Site) -> None:
    response = get(site.port, "/static/css/site.css")
    assert (response.status, response.body) == (200, RELEASE_B["css/site.css"])
    assert response.header("Cache-Control") == "public, max-age=60"


@pytest.mark.parametrize(
    "path",
    [
        "/static/{one}.release.json",
        "/static/{one}/../{one}.release.json",
        "/static/{one}/%2e%2e/{one}.release.json",
        "/static/{one}/",
        "/static/{one}",
    ],
)
def test_markers_and_folders_are_never_served(site: Site, path: str) -> None:
    response = get(site.port, path.format(one=site.one))
    assert response.status in (400, 404)
    assert b"completed" not in response.body


def test_the_block_refuses_a_current_version_not_yet_collected(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not a complete release in"):
        render(tmp_path, "r9")


@pytest.mark.parametrize("release", ["one", "two"])
@pytest.mark.parametrize(
    ("method", "headers", "status"),
    [
        pytest.param("GET", {"Range": "bytes=99999999-"}, 416, id="416"),
        pytest.param("GET", {"Range": "bytes=3-"}, 206, id="206-from-byte-3"),
        pytest.param("POST", {}, 405, id="405"),
        pytest.param("GET", {"If-Match": '"not-this-file"'}, 412, id="412"),
    ],
)
def test_a_kept_release_answers_anything_but_its_file_with_no_store(
    site: Site, release: str, method: str, headers: dict[str, str], status: int
) -> None:
    path = f"/static/{getattr(site, release)}/css/site.css"
    response = servers.request(site.port, path, method=method, headers=headers)
    assert response.status == status
    assert response.headers.get_all("Cache-Control") == ["no-store"]


@pytest.mark.parametrize("release", ["one", "two"])
def test_a_kept_release_keeps_its_policy_for_a_range_from_the_first_byte(
    site: Site, release: str
) -> None:
    path = f"/static/{getattr(site, release)}/css/site.css"
    response = servers.request(site.port, path, headers={"Range": "bytes=0-3"})
    assert response.status == 206
    assert response.headers.get_all("Cache-Control") == [IMMUTABLE]


def test_the_block_refuses_a_symlink_in_a_release_folder(site: Site, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_bytes(b"secret")
    link = site.root / site.one / "css" / "secret.css"
    link.symlink_to(tmp_path / "secret.txt")
    try:
        with pytest.raises(CommandError, match=f"follow: {site.one}/css/secret.css\\."):
            render(site.root, "r2")
    finally:
        link.unlink()


def test_the_block_serves_the_published_release_whatever_the_shell_says(tmp_path: Path) -> None:
    root = tmp_path / "static-root"
    collect_release(tmp_path, root, "r1", RELEASE_A)
    collect_release(tmp_path, root, "r2", RELEASE_B)
    block = render(root, "r1")  # a shell whose release variable is stale
    assert f"for version {segment('r2')}." in block
    assert block == render(root, "r2")
