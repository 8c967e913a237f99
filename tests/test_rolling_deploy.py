"""A rolling deploy from release A to B behind a real shared cache that acts like a CDN.

Two app servers (gunicorn + the whitenoise integration), each with its own
STATIC_ROOT and content-stamp version, behind an nginx load balancer. The
cache is either that nginx's own ``proxy_cache`` or a real Varnish in front of
it (nginx then caches nothing). A bounded client fetches pages and every asset
they reference while the traffic moves A -> A+B -> B. No cached response for
version V may ever hold bytes of another release.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest

from django_static_url_helper import version
from tests import servers, varnish
from tests.example_site import Site

pytestmark = [pytest.mark.nginx, pytest.mark.server]

PAGES_PER_PHASE = 40
CLIENTS = 4
TIME_LIMIT = 60.0
ASSET_RE = re.compile(r'(?:href|src)="(/static/[^"]+)"')
# Where each cache says HIT or MISS: nginx's proxy_cache, our Varnish's VCL.
CACHE_HEADERS = ("X-Cache-Status", "X-Cache")


class Fetch(NamedTuple):
    phase: int
    path: str
    status: int
    cache_status: str
    cache_control: str
    body: bytes


class Release(NamedTuple):
    version: str
    root: Path

    def bytes_of(self, name: str) -> bytes:
        return (self.root / name).read_bytes()


PROXY_HTTP = """
{cache_path}
    upstream app {{
{upstreams}
    }}
    upstream release_a {{ server 127.0.0.1:{port_a}; }}
    upstream release_b {{ server 127.0.0.1:{port_b}; }}
    # A client may pin a request to one release: the worst case of a rolling
    # deploy (page from one release, its assets from the other) on demand.
    map $http_x_release $backend {{ a release_a; b release_b; default app; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://$backend;
            proxy_set_header Host $host;
            add_header X-Phase {phase} always;
        }}
        location ^~ /static/ {{
            proxy_pass http://$backend;
            proxy_set_header Host $host;
{static_cache}
            add_header X-Phase {phase} always;
        }}
    }}
"""
NGINX_CACHE_PATH = "    proxy_cache_path {cache} keys_zone=cdn:1m;"
NGINX_CACHE = """
            # Stands in for a CDN: keeps what the origin lets shared caches keep.
            proxy_cache cdn;
            proxy_cache_key $uri;
            add_header X-Cache-Status $upstream_cache_status always;"""


class Proxy:
    """nginx load-balancing the app servers of the current phase, and the shared cache.

    Without ``varnishd`` (the binary) nginx caches the static files itself;
    with it a Varnish in front of nginx is the only cache. ``port`` is the one
    clients use either way.
    """

    def __init__(
        self, binary: str, prefix: Path, a: Site, b: Site, varnishd: str | None = None
    ) -> None:
        self.binary, self.prefix, self.varnishd = binary, prefix, varnishd
        self.nginx_port = self.port = servers.free_port()
        self.a, self.b = a, b

    def http(self, phase: int, sites: list[Site]) -> str:
        upstreams = "\n".join(f"        server 127.0.0.1:{site.port};" for site in sites)
        cached = self.varnishd is None
        return PROXY_HTTP.format(
            cache_path=NGINX_CACHE_PATH.format(cache=self.prefix / "cache") if cached else "",
            static_cache=NGINX_CACHE if cached else "",
            upstreams=upstreams,
            port=self.nginx_port,
            port_a=self.a.port,
            port_b=self.b.port,
            phase=phase,
        )

    @contextlib.contextmanager
    def running(self, sites: list[Site]) -> Iterator[Proxy]:
        http = self.http(1, sites)
        with servers.running_nginx(self.binary, self.prefix, http, self.nginx_port):
            if self.varnishd is None:
                yield self
                return
            folder = self.prefix / "varnish"
            with varnish.running_varnish(self.varnishd, folder, [self.nginx_port]) as port:
                self.port = port
                yield self

    def switch(self, phase: int, sites: list[Site]) -> None:
        """Reload gracefully, as a deploy moves traffic; wait until the new config answers.

        Asked on ``port``: neither cache keeps the page, which has no caching headers.
        """
        servers.reload_nginx(self.binary, self.prefix, self.http(phase, sites))
        deadline = time.monotonic() + 15
        while servers.request(self.port, "/").header("X-Phase") != str(phase):
            assert time.monotonic() < deadline, "nginx did not reload"
            time.sleep(0.05)


def fetch_page_and_assets(port: int, phase: int, crossed: str | None) -> list[Fetch]:
    """Fetch the page, then every asset it references.

    ``crossed`` ("ab" or "ba"): the page from the first release, the assets
    from the other; None: wherever the load balancer sends them.
    """

    def get(path: str, release: str | None) -> Fetch:
        headers = {"X-Release": release} if release else None
        response = servers.request(port, path, headers=headers)
        return Fetch(
            phase,
            path,
            response.status,
            next(filter(None, map(response.header, CACHE_HEADERS)), ""),
            response.header("Cache-Control") or "",
            response.body,
        )

    page_release, asset_release = tuple(crossed) if crossed else (None, None)
    page = get("/", page_release)
    assets = sorted(set(ASSET_RE.findall(page.body.decode()))) if page.status == 200 else []
    return [page, *(get(path, asset_release) for path in assets)]


def run_phase(port: int, phase: int, deadline: float, crossed: bool = False) -> list[Fetch]:
    routes = ["ab", "ba", None] if crossed else [None]
    # One page from B with its assets from A first, before any cache holds B's
    # assets: without it, a client that fetched them from B first could leave
    # every crossed request a cache hit, and the phase would mix nothing.
    first = fetch_page_and_assets(port, phase, "ba") if crossed else []
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [
            pool.submit(fetch_page_and_assets, port, phase, routes[i % len(routes)])
            for i in range(PAGES_PER_PHASE)
        ]
        results = [
            future.result(timeout=max(1.0, deadline - time.monotonic())) for future in futures
        ]
    return first + [fetch for batch in results for fetch in batch]


class Verdict(NamedTuple):
    requests: int
    errors: int
    cached_mismatches: int
    immutable_mismatches: int
    cross_release_uncached: int
    hits: int
    misses: int


def judge(fetches: list[Fetch], releases: dict[str, Release]) -> Verdict:
    counts: Counter[str] = Counter()
    for fetch in fetches:
        counts["requests"] += 1
        if fetch.status != 200:
            counts["errors"] += 1
            continue
        if not fetch.path.startswith("/static/"):
            continue
        split = version.split_path(fetch.path.removeprefix("/static/"))
        assert split is not None
        assert split.segment in releases, fetch.path
        own = releases[split.segment].bytes_of(split.name) == fetch.body
        counts["hits"] += fetch.cache_status == "HIT"
        counts["misses"] += fetch.cache_status == "MISS"
        if fetch.cache_status == "HIT" and not own:
            counts["cached_mismatches"] += 1
        if "immutable" in fetch.cache_control and not own:
            counts["immutable_mismatches"] += 1
        if not own:
            counts["cross_release_uncached"] += 1
            assert "no-store" in fetch.cache_control, fetch
    return Verdict(*(counts[name] for name in Verdict._fields))


def rolling_deploy(
    nginx_binary: str,
    tmp_path: Path,
    server: str = "gunicorn",
    *,
    varnish_binary: str | None = None,
    **env: str,
) -> Verdict:
    a = Site(tmp_path / "release-a", server, **env)
    b = Site(tmp_path / "release-b", server, **env)
    b.set_heading_colour("rgb(200, 30, 30)")
    (b.sources / "js" / "app.js").write_text(
        "// release B\n" + (b.sources / "js" / "app.js").read_text()
    )
    a.deploy()
    b.deploy()
    front = Proxy(nginx_binary, tmp_path / "proxy", a, b, varnish_binary)
    with a.serving(), b.serving(), front.running([a]):
        releases = {
            site.page_version(): Release(site.page_version(), site.folder / "static-root")
            for site in (a, b)
        }
        assert len(releases) == 2, "the two releases must have different versions"
        deadline = time.monotonic() + TIME_LIMIT
        fetches = run_phase(front.port, 1, deadline)
        front.switch(2, [a, b])
        fetches += run_phase(front.port, 2, deadline, crossed=True)
        front.switch(3, [b])
        fetches += run_phase(front.port, 3, deadline)
    return judge(fetches, releases)


def report(title: str, verdict: Verdict, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\n{title}: " + ", ".join(f"{k}={v}" for k, v in verdict._asdict().items()))


@pytest.mark.parametrize("cache", ["nginx", pytest.param("varnish", marks=pytest.mark.varnish)])
@pytest.mark.parametrize("server", servers.APP_SERVERS)
def test_no_cache_ever_holds_another_releases_bytes(
    server: str,
    cache: str,
    nginx_binary: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    # Asked for here, so a missing varnishd skips only the Varnish rows.
    varnishd = request.getfixturevalue("varnish_binary") if cache == "varnish" else None
    verdict = rolling_deploy(nginx_binary, tmp_path, server, varnish_binary=varnishd)
    title = f"rolling deploy behind {server}, cached by {cache}, other versions uncached"
    report(title, verdict, capsys)
    assert verdict.errors == 0
    assert verdict.cached_mismatches == 0
    assert verdict.immutable_mismatches == 0
    assert verdict.hits > 0, "the proxy cache must actually be in use"
    assert verdict.cross_release_uncached > 0, "phase 2 must really mix the releases"


def test_strict_404_option_counts_the_broken_assets(
    nginx_binary: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    verdict = rolling_deploy(nginx_binary, tmp_path, DEMO_VERSION_MISMATCH="404")
    report("rolling deploy, STATIC_VERSION_MISMATCH='404'", verdict, capsys)
    assert verdict.cached_mismatches == 0
    assert verdict.immutable_mismatches == 0
    assert verdict.cross_release_uncached == 0
    assert verdict.errors > 0, "with the strict option, mixed pages get 404s"
