"""The complete server block in front of a real app server, on a port other than 80.

Both the block ``manage.py static_url nginx --server`` prints and the shipped
nginx/example-server.conf proxy everything outside the static base to
gunicorn, which runs a CSRF-protected sign-in form as the admin's. The app must
see the host and port the browser used: Django's CSRF check compares the
Origin header of a POST with them.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode

import pytest

from tests import servers
from tests.nginx_sites import CURRENT, IMMUTABLE, render

pytestmark = [pytest.mark.nginx, pytest.mark.server]

SOURCE = Path(__file__).resolve().parent / "static"
SHIPPED = servers.ROOT / "nginx"


class Site(NamedTuple):
    generated: int
    example: int


@pytest.fixture(scope="module")
def site(nginx_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("nginx-proxy")
    root = tmp / "static-root"
    shutil.copytree(SOURCE, root)
    prefix = tmp / "prefix"
    (prefix / "conf" / "snippets").mkdir(parents=True)
    shutil.copy(SHIPPED / "security-headers.conf", prefix / "conf" / "snippets")
    site = Site(servers.free_port(), servers.free_port())
    app = servers.free_port()
    upstream = f"127.0.0.1:{app}"
    generated = render(
        "--server", "--listen", f"127.0.0.1:{site.generated}", "--upstream", upstream,
        STATIC_ROOT=root,
    )  # fmt: skip
    example = (
        (SHIPPED / "example-server.conf")
        .read_text()
        .replace("listen 80;", f"listen 127.0.0.1:{site.example};")
        .replace("unix:/run/gunicorn/example.sock", upstream)
        .replace('"/srv/example/static/"', f'"{root}/"')
    )
    with contextlib.ExitStack() as stack:
        stack.enter_context(
            servers.running(
                servers.gunicorn_args(app),
                app,
                tmp / "gunicorn.log",
                env={"DJANGO_SETTINGS_MODULE": "tests.settings_csrf"},
            )
        )
        stack.enter_context(
            servers.running_nginx(nginx_binary, prefix, generated + example, site.generated)
        )
        yield site


@pytest.fixture(params=Site._fields)
def port(request: pytest.FixtureRequest, site: Site) -> int:
    """The server block the command prints, and the example server shipped in nginx/."""
    return int(getattr(site, request.param))


def post(port: int, path: str, fields: dict[str, str], headers: dict[str, str]) -> servers.Response:
    body = urlencode(fields).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(
            "POST",
            path,
            body,
            {"Content-Type": "application/x-www-form-urlencoded", **headers},
        )
        response = conn.getresponse()
        return servers.Response(response.status, response.headers, response.read())
    finally:
        conn.close()


def test_the_app_sees_the_host_and_port_the_browser_asked_for(port: int) -> None:
    response = servers.request(port, "/host/")
    assert (response.status, response.body) == (200, f"127.0.0.1:{port}".encode())


def sign_in(port: int, origin: str) -> servers.Response:
    """GET the form as a browser does, then POST it back with its cookie, token and Origin."""
    page = servers.request(port, "/sign-in/")
    assert page.status == 200
    cookie = re.search(r"csrftoken=([^;]+)", page.header("Set-Cookie") or "")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    assert cookie
    assert token
    return post(
        port,
        "/sign-in/",
        {"csrfmiddlewaretoken": token.group(1).decode(), "username": "ada"},
        {"Cookie": f"csrftoken={cookie.group(1)}", "Origin": origin},
    )


def test_a_csrf_protected_form_posts_back_through_the_server_block(port: int) -> None:
    response = sign_in(port, f"http://127.0.0.1:{port}")
    assert (response.status, response.body) == (200, b"signed in as ada")


def test_a_post_from_another_origin_is_still_refused(port: int) -> None:
    assert sign_in(port, "http://127.0.0.1:1").status == 403


def test_static_files_are_still_nginxs_own(port: int) -> None:
    response = servers.request(port, f"/static/{CURRENT}/css/site.css")
    assert (response.status, response.body) == (200, (SOURCE / "css" / "site.css").read_bytes())
    assert response.headers.get_all("Cache-Control") == [IMMUTABLE]
