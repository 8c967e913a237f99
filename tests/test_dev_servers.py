"""The dev urlpattern behind real servers, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import servers

pytestmark = pytest.mark.server

CSS = b"h1 { color: rgb(0, 128, 0); }\n"
ENV = {"DJANGO_SETTINGS_MODULE": "tests.settings"}


@pytest.fixture(
    scope="module",
    params=["runserver", "runserver --nostatic", "gunicorn", "uvicorn"],
)
def dev_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    port = servers.free_port()
    if request.param in servers.APP_SERVERS:
        args = servers.app_server_args(request.param, port)
    else:
        args = servers.runserver_args(port, *request.param.split()[1:])
    log = tmp_path_factory.mktemp("dev") / "server.log"
    with servers.running(args, port, log, env=ENV):
        yield port


@pytest.mark.parametrize(
    "path",
    [
        "/static/3fa9c1e2b7d4/css/site.css",
        "/static/0123456789ab/css/site.css",
        "/static/css/site.css",
    ],
)
def test_versioned_older_and_unversioned_urls_serve_the_file(dev_server: int, path: str) -> None:
    response = servers.request(dev_server, path)
    assert (response.status, response.body) == (200, CSS)
    assert response.header("Content-Type") == "text/css"


def test_the_current_file_under_another_version_is_not_stored(dev_server: int) -> None:
    older = servers.request(dev_server, "/static/0123456789ab/css/site.css")
    assert older.headers.get_all("Cache-Control") == ["no-store"]
    again = servers.request(
        dev_server,
        "/static/0123456789ab/css/site.css",
        headers={"If-Modified-Since": str(older.header("Last-Modified"))},
    )
    assert (again.status, again.headers.get_all("Cache-Control")) == (304, ["no-store"])
    # Its own version and no version: Django's own answer, validated by Last-Modified.
    for path in ("/static/3fa9c1e2b7d4/css/site.css", "/static/css/site.css"):
        assert servers.request(dev_server, path).header("Cache-Control") is None


@pytest.mark.parametrize(
    "path",
    [
        "/static/missing.css",
        "/static/3fa9c1e2b7d4/missing.css",
        "/static/0123456789ab/missing.css",
        "/static/css/",
        "/static/.env",
        "/static/%2e%2e/tests/settings.py",
    ],
)
def test_404s_are_not_stored(dev_server: int, path: str) -> None:
    response = servers.request(dev_server, path)
    assert response.status == 404
    assert response.headers.get_all("Cache-Control") == ["no-store"]


def test_page_renders_versioned_urls_that_the_server_serves(dev_server: int) -> None:
    page = servers.request(dev_server, "/")
    assert b'href="/static/3fa9c1e2b7d4/css/site.css"' in page.body
    assert servers.request(dev_server, "/static/3fa9c1e2b7d4/img/logo.svg").status == 200


@pytest.mark.parametrize(
    "path",
    [
        "/static/../tests/settings.py",
        "/static/3fa9c1e2b7d4/../../tests/settings.py",
        "/static/%2e%2e/%2e%2e/tests/settings.py",
        "/static/css/..%2f..%2fsettings.py",
        "/static/%252e%252e/settings.py",
        "/static/..%5c..%5csettings.py",
        "/static/css/site.css%00",
        "/static/.env",
        "/static/css/",
        "/static/3fa9c1e2b7d4//etc/passwd",
    ],
)
def test_traversal_and_directories_are_404(dev_server: int, path: str) -> None:
    response = servers.request(dev_server, path)
    assert response.status in (400, 404), (path, response.status)
    assert b"SECRET_KEY" not in response.body
    assert b"dotfile" not in response.body
    assert b"root:" not in response.body


def test_hex_named_folders_serve_their_own_files(dev_server: int) -> None:
    assert servers.request(dev_server, "/static/fa/fa.css").body == b"/* fa/fa.css */\n"
    assert servers.request(dev_server, "/static/2024/x.png").body == b"PNG-2024\n"


@pytest.fixture(scope="module", params=["", "--insecure"])
def debug_off(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, bool]]:
    port = servers.free_port()
    args = servers.runserver_args(port, *request.param.split())
    log = tmp_path_factory.mktemp("insecure") / "server.log"
    with servers.running(
        args, port, log, env={"DJANGO_SETTINGS_MODULE": "tests.settings_insecure"}
    ):
        yield port, bool(request.param)


def test_runserver_serves_static_files_outside_debug_only_when_insecure(
    debug_off: tuple[int, bool],
) -> None:
    port, insecure = debug_off
    response = servers.request(port, "/static/0123456789ab/css/site.css")
    if insecure:
        assert (response.status, response.body) == (200, CSS)
        assert response.header("Cache-Control") == "no-store"
    else:
        assert response.status == 404
    missing = servers.request(port, "/static/3fa9c1e2b7d4/missing.css")
    assert missing.status == 404
    assert b"SECRET_KEY" not in missing.body
