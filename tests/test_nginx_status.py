"""Cache headers that follow the status, on a real nginx over raw HTTP.

Only a response that carries the file (200, 206, 304) gets the policy of its
URL; every other answer under the static base is "no-store", whichever
location gave it (current version, other version, no version) and whatever
caused it: a range, a method, a precondition, a file nginx cannot open, or a
directive of the server around the block (a rate limit, basic auth, deny,
expires).
"""

from __future__ import annotations

import base64
import contextlib
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tests import servers
from tests.nginx_sites import CURRENT, IMMUTABLE, OTHER, UNVERSIONED, render, server

pytestmark = [pytest.mark.nginx, pytest.mark.server]

SOURCE = Path(__file__).resolve().parent / "static"
CSS = (SOURCE / "css" / "site.css").read_bytes()
# Each kind of URL with the policy of its file.
KINDS = {
    "current": (f"/static/{CURRENT}/", IMMUTABLE),
    "other": (f"/static/{OTHER}/", "no-store"),
    "unversioned": ("/static/", UNVERSIONED),
}


class Site(NamedTuple):
    main: int
    limited: int
    guarded: int
    denied: int
    expiring: int


@pytest.fixture(scope="module")
def site(nginx_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("nginx-status")
    root = tmp / "static-root"
    shutil.copytree(SOURCE, root)
    (root / "empty.css").write_bytes(b"")
    # A file nginx finds but cannot open: open() of a socket fails with ENXIO.
    with contextlib.chdir(root), socket.socket(socket.AF_UNIX) as sock:
        sock.bind("run.sock")
    prefix = tmp / "prefix"
    snippets = prefix / "conf" / "snippets"
    snippets.mkdir(parents=True)
    shutil.copy(servers.ROOT / "nginx" / "security-headers.conf", snippets)
    headers = "snippets/security-headers.conf"
    (snippets / "static.conf").write_text(render("--headers-include", headers, STATIC_ROOT=root))
    (prefix / "conf" / "users").write_text("user:{PLAIN}secret\n")
    site = Site(*(servers.free_port() for _ in Site._fields))
    block = f"include {headers};\ninclude snippets/static.conf;"
    http = "    limit_req_zone $binary_remote_addr zone=static_test:1m rate=1r/m;\n" + "".join(
        [
            server(site.main, block),
            server(site.limited, f"limit_req zone=static_test;\n{block}"),
            server(site.guarded, f'auth_basic "static";\nauth_basic_user_file users;\n{block}'),
            server(site.denied, f"deny all;\n{block}"),
            server(site.expiring, f"expires 7d;\netag off;\n{block}"),
        ]
    )
    with servers.running_nginx(nginx_binary, prefix, http, site.main):
        yield site


def get(port: int, path: str, method: str = "GET", **headers: str) -> servers.Response:
    return servers.request(port, path, method=method, headers=headers)


def assert_not_stored(response: servers.Response, status: int) -> None:
    """``status``, exactly one Cache-Control, "no-store", and the block's other headers."""
    assert response.status == status
    assert response.headers.get_all("Cache-Control") == ["no-store"]
    assert response.header("X-Static-Version") == CURRENT
    assert response.header("Expires") is None


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> tuple[str, str]:
    """The base of one kind of URL (current version, other version, none) and its policy."""
    return KINDS[request.param]


@pytest.mark.parametrize(
    "ranges",
    ["bytes=99999999-", "bytes=0-99999999999999999999999", "bytes=99999999-99999999,-0"],
)
def test_an_unsatisfiable_range_is_a_416_no_cache_keeps(
    site: Site, kind: tuple[str, str], ranges: str
) -> None:
    response = get(site.main, kind[0] + "css/site.css", Range=ranges)
    assert_not_stored(response, 416)
    assert response.header("Content-Range") == f"bytes */{len(CSS)}"
    assert response.headers.get_all("X-Content-Type-Options")
    assert CSS not in response.body


@pytest.mark.parametrize("ranges", ["bytes=0-", "bytes=0-3", f"bytes=0-{10**17}"])
def test_a_range_from_the_first_byte_is_a_206_with_the_policy(
    site: Site, kind: tuple[str, str], ranges: str
) -> None:
    # nginx never answers such a range with 416, so its headers can be the file's.
    response = get(site.main, kind[0] + "css/site.css", Range=ranges)
    assert response.status == 206
    assert CSS.startswith(response.body)
    assert response.headers.get_all("Cache-Control") == [kind[1]]


def test_an_empty_file_asked_from_the_first_byte_is_a_200_with_the_policy(
    site: Site, kind: tuple[str, str]
) -> None:
    # The one file a range from byte 0 cannot cover: nginx ignores the range.
    response = get(site.main, kind[0] + "empty.css", Range="bytes=0-")
    assert (response.status, response.body) == (200, b"")
    assert response.headers.get_all("Cache-Control") == [kind[1]]


@pytest.mark.parametrize("ranges", ["bytes=3-", "bytes=-5", "bytes=0-1,4-5", "BYTES=0-3"])
def test_any_other_range_is_not_stored_whatever_the_answer(
    site: Site, kind: tuple[str, str], ranges: str
) -> None:
    # nginx sets the headers before it knows whether the range fits the file
    # (206) or not (416): such a range is "no-store" either way.
    response = get(site.main, kind[0] + "css/site.css", Range=ranges)
    assert response.status == 206
    parts = response.header("Content-Range") or response.header("Content-Type") or ""
    assert parts.startswith(("bytes ", "multipart/byteranges"))
    assert response.headers.get_all("Cache-Control") == ["no-store"]
    # The "if" that makes it "no-store" sends the location's other headers too.
    assert response.header("X-Static-Version") == CURRENT
    assert response.header("X-Content-Type-Options") == "nosniff"


@pytest.mark.parametrize("path", ["css", "css/", "missing.css", ".env"])
def test_a_ranged_request_for_no_file_is_a_404_no_cache_keeps(
    site: Site, kind: tuple[str, str], path: str
) -> None:
    assert_not_stored(get(site.main, kind[0] + path, Range="bytes=5-"), 404)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PROPFIND"])
def test_a_method_other_than_get_or_head_is_a_405_no_cache_keeps(
    site: Site, kind: tuple[str, str], method: str
) -> None:
    response = get(site.main, kind[0] + "css/site.css", method)
    assert_not_stored(response, 405)
    assert response.headers.get_all("X-Content-Type-Options") == ["nosniff"]
    assert CSS not in response.body


@pytest.mark.parametrize(
    "header",
    [("If-Match", '"not-this-file"'), ("If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:01 GMT")],
)
def test_a_failed_precondition_is_a_412_no_cache_keeps(
    site: Site, kind: tuple[str, str], header: tuple[str, str]
) -> None:
    response = get(site.main, kind[0] + "css/site.css", **dict([header]))
    assert_not_stored(response, 412)
    assert CSS not in response.body


def test_a_request_body_over_the_limit_is_a_413_no_cache_keeps(
    site: Site, kind: tuple[str, str]
) -> None:
    response = get(site.main, kind[0] + "css/site.css", "POST", **{"Content-Length": "9999999"})
    assert_not_stored(response, 413)


def test_a_file_nginx_cannot_open_is_an_error_no_cache_keeps(
    site: Site, kind: tuple[str, str]
) -> None:
    assert_not_stored(get(site.main, kind[0] + "run.sock"), 500)


def test_a_rate_limited_request_is_a_503_no_cache_keeps(site: Site) -> None:
    responses = [get(site.limited, f"/static/{CURRENT}/css/site.css") for _ in range(3)]
    # The zone lets one request a minute through.
    assert [response.status for response in responses].count(503) >= 2
    assert_not_stored(next(r for r in responses if r.status == 503), 503)


def test_a_request_without_credentials_is_a_401_no_cache_keeps(
    site: Site, kind: tuple[str, str]
) -> None:
    response = get(site.guarded, kind[0] + "css/site.css")
    assert_not_stored(response, 401)
    assert response.header("WWW-Authenticate") == 'Basic realm="static"'
    authorization = "Basic " + base64.b64encode(b"user:secret").decode()
    signed_in = get(site.guarded, kind[0] + "css/site.css", Authorization=authorization)
    assert (signed_in.status, signed_in.body) == (200, CSS)
    assert signed_in.headers.get_all("Cache-Control") == [kind[1]]


def test_a_denied_request_is_a_404_no_cache_keeps(site: Site, kind: tuple[str, str]) -> None:
    # As every 403 of the block: nothing tells a file that exists from one that does not.
    assert_not_stored(get(site.denied, kind[0] + "css/site.css"), 404)


@pytest.mark.parametrize("conditional", [False, True])
def test_the_servers_expires_does_not_change_the_policy(
    site: Site, kind: tuple[str, str], conditional: bool
) -> None:
    path = kind[0] + "css/site.css"
    first = get(site.expiring, path)
    headers = {"If-Modified-Since": first.header("Last-Modified") or ""} if conditional else {}
    response = get(site.expiring, path, **headers)
    assert response.status == (304 if conditional else 200)
    assert response.headers.get_all("Cache-Control") == [kind[1]]
    assert response.header("Expires") is None
    assert response.header("ETag") is None  # the server's "etag off" holds
    assert_not_stored(get(site.expiring, kind[0] + "missing.css"), 404)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("TRACE", "css/site.css", 405), ("GET", "a" * 9000, 414)],
)
def test_what_nginx_refuses_before_choosing_a_location_is_the_servers_to_answer(
    site: Site, method: str, path: str, status: int
) -> None:
    # The limit of the block, as docs/serving-nginx.rst says: none of its headers.
    response = get(site.main, f"/static/{CURRENT}/{path}", method)
    assert response.status == status
    assert response.header("Cache-Control") is None
    assert response.header("X-Static-Version") is None
