"""Symlinks under STATIC_ROOT and the nginx block, on a real nginx.

nginx follows a symlink to wherever it points and would serve the target with
the cache policy of the URL. Refusing them at each request (disable_symlinks)
costs a quarter of nginx's CPU time per request (docs/serving-nginx.rst), so
the command refuses to render the block while STATIC_ROOT holds one, and a
server that wants the check at each request adds disable_symlinks itself.
STATIC_ROOT itself and the folders above it may be symlinks.
"""

from __future__ import annotations

import gzip
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from django.core.management.base import CommandError

from tests import servers
from tests.nginx_sites import CURRENT, IMMUTABLE, OTHER, UNVERSIONED, render, server

pytestmark = [pytest.mark.nginx, pytest.mark.server]

SOURCE = Path(__file__).resolve().parent / "static"
CSS = (SOURCE / "css" / "site.css").read_bytes()
SECRET = b"TOP-SECRET outside STATIC_ROOT"
KINDS = {
    "current": (f"/static/{CURRENT}/", IMMUTABLE),
    "other": (f"/static/{OTHER}/", "no-store"),
    "unversioned": ("/static/", UNVERSIONED),
}
# Each symlink under STATIC_ROOT, relative to it.
LINKS = [
    "css/outside.css",  # a file outside STATIC_ROOT
    "outside/secret.css",  # a file in a folder outside STATIC_ROOT, through a linked folder
    "css/inside.css",  # a file inside STATIC_ROOT
    "inside/site.css",  # through a linked folder inside STATIC_ROOT
]


def place_links(tmp: Path, root: Path) -> None:
    (tmp / "secret.txt").write_bytes(SECRET)
    (tmp / "elsewhere").mkdir()
    (tmp / "elsewhere" / "secret.css").write_bytes(SECRET)
    (root / "css" / "outside.css").symlink_to(tmp / "secret.txt")
    (root / "outside").symlink_to(tmp / "elsewhere", target_is_directory=True)
    (root / "css" / "inside.css").symlink_to("site.css")
    (root / "inside").symlink_to(root / "css", target_is_directory=True)
    # The precompressed file next to a real one.
    (tmp / "secret.css.gz").write_bytes(gzip.compress(SECRET))
    (root / "css" / "site.css.gz").symlink_to(tmp / "secret.css.gz")


class Site(NamedTuple):
    plain: int
    checked: int
    linked_root: int


@pytest.fixture(scope="module")
def site(nginx_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("nginx-symlinks")
    root = tmp / "releases" / "2026-01" / "static-root"
    shutil.copytree(SOURCE, root)
    # STATIC_ROOT through a symlink: the usual "current" link of a deploy.
    linked_root = tmp / "current" / "static-root"
    linked_root.parent.symlink_to(root.parent, target_is_directory=True)
    prefix = tmp / "prefix"
    (prefix / "conf").mkdir(parents=True)
    (prefix / "conf" / "static.conf").write_text(render(STATIC_ROOT=root))
    (prefix / "conf" / "linked.conf").write_text(render(STATIC_ROOT=linked_root))
    # Placed after the blocks were rendered, as a symlink appearing later would be.
    place_links(tmp, root)
    site = Site(*(servers.free_port() for _ in Site._fields))
    http = "".join(
        [
            server(site.plain, "include static.conf;"),
            server(site.checked, f'disable_symlinks on "from={root}/";\ninclude static.conf;'),
            server(
                site.linked_root,
                f'disable_symlinks on "from={linked_root}/";\ninclude linked.conf;',
            ),
        ]
    )
    with servers.running_nginx(nginx_binary, prefix, http, site.plain):
        yield site


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> tuple[str, str]:
    return KINDS[request.param]


def get(port: int, path: str, **headers: str) -> servers.Response:
    return servers.request(port, path, headers=headers)


@pytest.mark.parametrize(
    "link",
    ["css/outside.css", "outside", "css/inside.css", "inside", "css/site.css.gz", "dangling.css"],
)
def test_the_command_refuses_a_static_root_holding_a_symlink(tmp_path: Path, link: str) -> None:
    root = tmp_path / "static-root"
    shutil.copytree(SOURCE, root)
    place_links(tmp_path, root)
    (root / "dangling.css").symlink_to(tmp_path / "nothing.css")
    for path in root.rglob("*"):
        if path.is_symlink() and path.relative_to(root).as_posix() != link:
            path.unlink()
    with pytest.raises(CommandError, match=f"holds a symlink, which nginx would follow: {link}\\."):
        render(STATIC_ROOT=root)


def test_the_command_names_at_most_a_few_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "static-root"
    shutil.copytree(SOURCE, root)
    place_links(tmp_path, root)
    with pytest.raises(CommandError, match=r"holds 5 symlinks.*\(and 2 more\)") as raised:
        render(STATIC_ROOT=root)
    assert "collectstatic without --link" in str(raised.value)


def test_a_folder_the_check_cannot_list_is_a_command_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "static-root"
    shutil.copytree(SOURCE, root)
    scandir = os.scandir

    def refuse_css(path: str) -> object:
        if path.endswith("css"):
            raise PermissionError(13, "Permission denied")
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refuse_css)
    with pytest.raises(CommandError, match=r"Cannot list .*css to check .* \(Permission denied\)"):
        render(STATIC_ROOT=root)


def test_static_root_may_itself_be_reached_through_a_symlink(
    site: Site, kind: tuple[str, str]
) -> None:
    response = get(site.linked_root, kind[0] + "css/site.css")
    assert (response.status, response.body) == (200, CSS)
    assert response.headers.get_all("Cache-Control") == [kind[1]]


@pytest.mark.parametrize("port", ["checked", "linked_root"])
@pytest.mark.parametrize("link", LINKS)
def test_disable_symlinks_in_the_server_refuses_a_symlink_placed_later(
    site: Site, kind: tuple[str, str], port: str, link: str
) -> None:
    response = get(getattr(site, port), kind[0] + link)
    assert response.status == 404
    assert response.headers.get_all("Cache-Control") == ["no-store"]
    assert SECRET not in response.body
    assert CSS not in response.body


def test_disable_symlinks_in_the_server_keeps_a_linked_gz_file_out(
    site: Site, kind: tuple[str, str]
) -> None:
    response = get(site.checked, kind[0] + "css/site.css", **{"Accept-Encoding": "gzip"})
    assert (response.status, response.body) == (200, CSS)
    assert response.header("Content-Encoding") is None
    assert response.headers.get_all("Cache-Control") == [kind[1]]


def test_without_disable_symlinks_nginx_follows_a_symlink_placed_later(site: Site) -> None:
    # What the block alone does not cover, and the docs say so.
    response = get(site.plain, f"/static/{CURRENT}/css/outside.css")
    assert (response.status, response.body) == (200, SECRET)
