"""The whitenoise middleware behind real gunicorn (WSGI) and uvicorn (ASGI), over HTTP."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import servers
from tests.collected import (
    BIG,
    CSS,
    CURRENT,
    DOTFILE,
    IMMUTABLE,
    OLDER,
    OUTSIDE,
    TRAVERSALS,
    collect,
)

pytestmark = pytest.mark.server
DOCS = b"<h1>docs</h1>\n"


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return collect(tmp_path_factory.mktemp("wn-http"))


def app_server(
    kind: str, collected: Path, log_dir: Path, script_name: str = "", **env: str
) -> Iterator[int]:
    port = servers.free_port()
    full_env = {
        "DJANGO_SETTINGS_MODULE": "tests.settings_whitenoise",
        "WN_STATIC_ROOT": str(collected),
        **env,
    }
    if kind == "gunicorn" and script_name:
        # gunicorn moves SCRIPT_NAME out of PATH_INFO, as a proxy mounting the
        # app would; under ASGI, Django takes FORCE_SCRIPT_NAME off the path.
        full_env["SCRIPT_NAME"] = script_name
    args = servers.app_server_args(kind, port)
    log = log_dir / f"{kind}.log"
    with servers.running(args, port, log, full_env):
        yield port
    assert "Traceback" not in log.read_text(), log.read_text()


# Every test runs against the WSGI and the ASGI server.
@pytest.fixture(scope="module", params=servers.APP_SERVERS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def server(kind: str, collected: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    yield from app_server(kind, collected, tmp_path_factory.mktemp("log"))


@pytest.fixture(scope="module")
def script_server(
    kind: str, collected: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    yield from app_server(
        kind,
        collected,
        tmp_path_factory.mktemp("log"),
        script_name="/app",
        WN_SCRIPT_NAME="/app",
        WN_STATIC_URL=f"/app/static/{CURRENT}/",
    )


@pytest.fixture(scope="module")
def cdn_server(
    kind: str, collected: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    # The app as the origin of a CDN that forwards /assets/... unchanged.
    yield from app_server(
        kind,
        collected,
        tmp_path_factory.mktemp("log"),
        WN_STATIC_URL=f"https://cdn.example.com/assets/{CURRENT}/",
        WN_MISMATCH="404",
    )


@pytest.fixture(scope="module")
def index_server(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    root = collect(tmp_path_factory.mktemp("wn-index"))
    (root / "docs").mkdir()
    (root / "docs" / "index.html").write_bytes(DOCS)
    yield from app_server(kind, root, tmp_path_factory.mktemp("log"), WN_INDEX_FILE="1")


@pytest.fixture(scope="module")
def linked_server(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    root = collect(tmp_path_factory.mktemp("wn-links"))
    (root / "css" / "leak.css").symlink_to(root.parent / "outside.txt")
    (root / "css" / "alias.css").symlink_to("site.css")
    (root / "loop").symlink_to(".")
    yield from app_server(kind, root, tmp_path_factory.mktemp("log"))


def test_current_version_is_immutable(server: int) -> None:
    response = servers.request(server, f"/static/{CURRENT}/css/site.css")
    assert (response.status, response.body) == (200, CSS)
    assert response.headers.get_all("Cache-Control") == [IMMUTABLE]
    assert response.header("X-Static-Version") is None


def test_other_version_gets_the_current_file_uncached(server: int) -> None:
    response = servers.request(server, f"/static/{OLDER}/css/site.css")
    assert (response.status, response.body) == (200, CSS)
    assert response.headers.get_all("Cache-Control") == ["no-store"]
    assert response.header("X-Static-Version") == CURRENT


def test_unversioned_url_keeps_whitenoise_short_max_age(server: int) -> None:
    response = servers.request(server, "/static/css/site.css")
    assert (response.status, response.body) == (200, CSS)
    assert response.headers.get_all("Cache-Control") == ["max-age=60, public"]


@pytest.mark.parametrize(
    "path",
    [f"/static/{CURRENT}/css/missing.css", f"/static/{OLDER}/missing.css", "/static/missing.css"],
)
def test_missing_file_is_a_404_no_cache_keeps(server: int, path: str) -> None:
    response = servers.request(server, path)
    assert response.status == 404
    assert response.headers.get_all("Cache-Control") == ["no-store"]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_dotfiles_and_directories_never_reach_a_file(server: int, path: str) -> None:
    response = servers.request(server, path)
    assert response.status == 404, path
    assert response.header("Cache-Control") == "no-store"
    assert OUTSIDE not in response.body
    assert DOTFILE not in response.body


@pytest.mark.parametrize("prefix", [f"/static/{CURRENT}/", f"/static/{OLDER}/", "/static/"])
def test_unsatisfiable_range_is_416_no_cache_keeps(server: int, prefix: str) -> None:
    response = servers.request(server, f"{prefix}css/big.css", headers={"Range": "bytes=99999999-"})
    assert response.status == 416
    assert response.headers.get_all("Cache-Control") == ["no-store"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods_are_405_no_cache_keeps(server: int, method: str) -> None:
    response = servers.request(server, f"/static/{CURRENT}/css/site.css", method=method)
    assert response.status == 405
    assert response.headers.get_all("Cache-Control") == ["no-store"]


@pytest.mark.parametrize(
    "path", [f"//static/{CURRENT}/css/site.css", f"/./static/{CURRENT}/css/site.css"]
)
def test_paths_whitenoise_hands_to_the_app_404_no_cache_keeps(server: int, path: str) -> None:
    response = servers.request(server, path)
    assert response.status == 404
    assert response.headers.get_all("Cache-Control") == ["no-store"]


def test_gzip_variant_under_the_current_version(server: int) -> None:
    response = servers.request(
        server, f"/static/{CURRENT}/css/big.css", headers={"Accept-Encoding": "gzip"}
    )
    assert response.status == 200
    assert response.header("Content-Encoding") == "gzip"
    assert response.header("Vary") == "Accept-Encoding"
    assert response.headers.get_all("Cache-Control") == [IMMUTABLE]
    assert gzip.decompress(response.body) == BIG


def test_range_request(server: int) -> None:
    response = servers.request(
        server, f"/static/{CURRENT}/css/big.css", headers={"Range": "bytes=10-19"}
    )
    assert (response.status, response.body) == (206, BIG[10:20])
    assert response.header("Content-Range") == f"bytes 10-19/{len(BIG)}"
    assert response.headers.get_all("Cache-Control") == [IMMUTABLE]


def test_conditional_requests_are_304(server: int) -> None:
    first = servers.request(server, f"/static/{CURRENT}/css/site.css")
    etag, modified = first.header("ETag"), first.header("Last-Modified")
    assert etag
    assert modified
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
        response = servers.request(server, f"/static/{CURRENT}/css/site.css", headers=headers)
        assert (response.status, response.body) == (304, b"")
        assert response.headers.get_all("Cache-Control") == [IMMUTABLE]


def test_head_has_the_headers_of_get_and_no_body(server: int) -> None:
    response = servers.request(server, f"/static/{CURRENT}/css/big.css", method="HEAD")
    assert (response.status, response.body) == (200, b"")
    assert response.header("Content-Length") == str(len(BIG))
    assert response.headers.get_all("Cache-Control") == [IMMUTABLE]


def test_page_links_serve_immutable_and_carry_the_version(server: int) -> None:
    page = servers.request(server, "/")
    assert page.header("X-Static-Version") == CURRENT
    assert f'href="/static/{CURRENT}/css/site.css"'.encode() in page.body
    logo = servers.request(server, f"/static/{CURRENT}/img/logo.svg")
    assert logo.status == 200
    assert logo.header("Cache-Control") == IMMUTABLE


def test_force_script_name(script_server: int) -> None:
    response = servers.request(script_server, f"/app/static/{CURRENT}/css/site.css")
    assert (response.status, response.body) == (200, CSS)
    assert response.headers.get_all("Cache-Control") == [IMMUTABLE]
    page = servers.request(script_server, "/app/")
    assert f'href="/app/static/{CURRENT}/css/site.css"'.encode() in page.body
    unversioned = servers.request(script_server, "/app/static/css/site.css")
    assert unversioned.header("Cache-Control") == "max-age=60, public"


def test_cdn_origin_matches_the_path_and_404s_other_versions(cdn_server: int) -> None:
    response = servers.request(cdn_server, f"/assets/{CURRENT}/css/site.css")
    assert (response.status, response.body) == (200, CSS)
    assert response.headers.get_all("Cache-Control") == [IMMUTABLE]
    older = servers.request(cdn_server, f"/assets/{OLDER}/css/site.css")
    assert (older.status, older.header("Cache-Control")) == (404, "no-store")
    page = servers.request(cdn_server, "/")
    assert f'href="https://cdn.example.com/assets/{CURRENT}/css/site.css"'.encode() in page.body


@pytest.fixture(scope="module")
def demo(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    folder = tmp_path_factory.mktemp("demo")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "demo.settings",
        "DEMO_STATIC_ROOT": str(folder / "static-root"),
        "DEMO_STAMP": str(folder / "static-version.txt"),
    }
    example = servers.ROOT / "example"
    for command in (["collectstatic", "--noinput", "-v0"], ["static_url", "stamp"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=example, env=env, check=True)
    port = servers.free_port()
    args = servers.app_server_args(kind, port, project="demo")
    with servers.running(args, port, folder / f"{kind}.log", env=env, cwd=example):
        yield port


def test_demo_assets_are_immutable_under_the_current_version(demo: int) -> None:
    page = servers.request(demo, "/")
    version = page.header("X-Static-Version")
    assert version
    assert f'<meta name="static-version" content="{version}">'.encode() in page.body
    for asset in ("css/site.css", "js/app.js", "img/logo.svg"):
        url = f"/static/{version}/{asset}"
        assert url.encode() in page.body
        # The demo page asks for each asset with HEAD and shows its Cache-Control.
        response = servers.request(demo, url, method="HEAD")
        assert (response.status, response.header("Cache-Control")) == (200, IMMUTABLE)


@pytest.mark.parametrize(
    ("prefix", "cache_control"),
    [(f"/static/{CURRENT}/", IMMUTABLE), (f"/static/{OLDER}/", "no-store"), ("/static/", None)],
)
def test_index_files_are_served_under_every_version(
    index_server: int, prefix: str, cache_control: str | None
) -> None:
    response = servers.request(index_server, f"{prefix}docs/")
    assert (response.status, response.body) == (200, DOCS)
    if cache_control is not None:
        assert response.headers.get_all("Cache-Control") == [cache_control]
    for path, location in (("docs/index.html", "./"), ("docs", "docs/")):
        redirect = servers.request(index_server, prefix + path)
        assert (redirect.status, redirect.header("Location")) == (302, location)
        assert redirect.headers.get_all("Cache-Control") == ["no-store"]


@pytest.mark.parametrize("prefix", [f"/static/{CURRENT}/", f"/static/{OLDER}/", "/static/"])
def test_links_out_of_the_static_folders_are_never_served(linked_server: int, prefix: str) -> None:
    leak = servers.request(linked_server, f"{prefix}css/leak.css")
    assert (leak.status, leak.headers.get_all("Cache-Control")) == (404, ["no-store"])
    assert OUTSIDE not in leak.body
    alias = servers.request(linked_server, f"{prefix}css/alias.css")
    assert (alias.status, alias.body) == (200, CSS)
