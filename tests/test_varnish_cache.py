"""The harness's Varnish keeps what a CDN honouring the origin may keep, and nothing else.

The rolling deploy through Varnish proves something about our headers only if
this cache really stores an ``immutable`` response and really refuses a
``no-store`` one. The origin is a real nginx whose every response body is a
fresh request id, so a HIT is also seen to deliver the stored bytes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests import servers, varnish

pytestmark = [pytest.mark.nginx, pytest.mark.varnish, pytest.mark.server]

IMMUTABLE = "public, max-age=31536000, immutable"
UNCACHEABLE = {
    "no-store": 'add_header Cache-Control "no-store";',
    "no-cache": 'add_header Cache-Control "public, max-age=600, no-cache";',
    "private": 'add_header Cache-Control "private, max-age=600";',
    "max-age-0": 'add_header Cache-Control "max-age=0";',
    # Varnish would keep this one 120s by default (default_ttl).
    "no-caching-headers": "",
    "set-cookie": 'add_header Cache-Control "public, max-age=600"; add_header Set-Cookie "a=b";',
}
ORIGIN = {
    "immutable": f'add_header Cache-Control "{IMMUTABLE}";',
    "max-age-1": 'add_header Cache-Control "public, max-age=1";',
    **UNCACHEABLE,
}


def origin_http(port: int) -> str:
    locations = "\n".join(
        f'        location = /{name} {{ {headers} return 200 "$request_id\\n"; }}'
        for name, headers in ORIGIN.items()
    )
    return f"    server {{\n        listen 127.0.0.1:{port};\n{locations}\n    }}\n"


@pytest.fixture(scope="module")
def cdn(
    nginx_binary: str, varnish_binary: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    """The port of Varnish in front of the nginx origin."""
    tmp = tmp_path_factory.mktemp("varnish-cache")
    origin = servers.free_port()
    with (
        servers.running_nginx(nginx_binary, tmp / "origin", origin_http(origin), origin),
        varnish.running_varnish(varnish_binary, tmp / "varnish", [origin]) as port,
    ):
        yield port


def get(port: int, path: str) -> tuple[str, bytes]:
    response = servers.request(port, path)
    assert response.status == 200, response
    return response.header("X-Cache") or "", response.body


def test_an_immutable_response_is_a_hit_with_the_same_bytes(cdn: int) -> None:
    first, again = get(cdn, "/immutable"), get(cdn, "/immutable")
    assert (first[0], again[0]) == ("MISS", "HIT")
    assert again[1] == first[1]


@pytest.mark.parametrize("name", UNCACHEABLE)
def test_a_response_shared_caches_may_not_keep_is_never_a_hit(cdn: int, name: str) -> None:
    fetches = [get(cdn, f"/{name}") for _ in range(3)]
    assert [status for status, _ in fetches] == ["MISS"] * 3
    assert len({body for _, body in fetches}) == 3, "every request reached the origin"


def test_a_response_is_fetched_again_once_its_max_age_is_over(cdn: int) -> None:
    first, again = get(cdn, "/max-age-1"), get(cdn, "/max-age-1")
    assert (first[0], again[0], again[1]) == ("MISS", "HIT", first[1])
    time.sleep(1.2)  # past max-age; no grace, so no stale copy either
    later = get(cdn, "/max-age-1")
    assert later[0] == "MISS"
    assert later[1] != first[1]
