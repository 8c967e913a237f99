"""A static-only deploy: ``collectstatic`` alone publishes release B, running servers follow.

Two gunicorn servers of the example site share one release root (STATIC_ROOT,
a folder per release) and follow the published version
(STATIC_VERSION_FOLLOW), behind an nginx load balancer that caches nothing,
behind a real Varnish that caches like a CDN. A bounded client and headless
Chromium use the site through Varnish while ``manage.py collectstatic``, the
whole deploy (no restart, no HUP), publishes B. One deploy runs per module;
each test checks one thing it must have done, and the figures are printed.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pytest

from django_static_url_helper import version
from tests import browser, servers, varnish
from tests.example_site import Site

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = [pytest.mark.nginx, pytest.mark.varnish, pytest.mark.browser, pytest.mark.server]

INTERVAL = 1.0
"""STATIC_VERSION_FOLLOW_INTERVAL of every server."""
SWITCH_LIMIT = INTERVAL + 1.0
"""Every server renders the published release this long after the publish."""
SETTLE = 0.3
"""How long the servers are watched past SWITCH_LIMIT at least."""
WATCH_LIMIT = 5.0
"""How much longer they may be, until each worker has rendered a poll past the limit."""
BEFORE_DEPLOY = 0.5
"""Seconds of traffic at release A before collectstatic starts."""
CLIENTS = 3
MAX_PAGES = 1200
"""The client's bound on its work, well past a run's few hundred pages: the end of
the watch stops it, and it must still be fetching when B is rendered."""
CLIENT_GAP = 0.02
POLL_GAP = 0.03
# gunicorn's access log names the worker: each poll ("/?poll=N") is then
# known to have been rendered by one worker, and every worker is watched.
ACCESS_FORMAT = '%(p)s "%(r)s" %(s)s'
ACCESS_RE = re.compile(r'<(\d+)> "GET (\S+) ')
IMMUTABLE = "immutable"
OLD, NEW = "rgb(12, 92, 160)", "rgb(200, 30, 30)"
# Release B's script marks the page, so the browser shows which script ran.
B_SCRIPT_MARK = 'document.documentElement.dataset.release = "b";\n'
ASSET_RE = re.compile(r'(?:href|src)="(/static/[^"]+)"')
# Every way the demo page names a version: its URLs (links, rows, the
# STATIC_URL it shows), the context processor's meta tag, the version shown.
NAMED_RE = re.compile(
    r'/static/([^/"<\s]+)/|name="static-version" content="([^"]*)"|<code id="version">([^<]*)<'
)
NGINX_HTTP = """
    upstream app {{
        server 127.0.0.1:{port_1};
        server 127.0.0.1:{port_2};
    }}
    server {{
        listen 127.0.0.1:{port};
        # A load balancer only: Varnish in front of it is the one cache.
        location / {{
            proxy_pass http://app;
            proxy_set_header Host $host;
        }}
    }}
"""


class Release(NamedTuple):
    version: str
    folder: Path

    def bytes_of(self, name: str) -> bytes:
        return (self.folder / name).read_bytes()


class Fetch(NamedTuple):
    path: str
    status: int
    """0 when the connection failed."""
    cache: str
    """Varnish's X-Cache (HIT, MISS); empty when asked of an app server directly."""
    cache_control: str
    static_version: str
    """X-Static-Version: the version the response was served with, if it says."""
    body: bytes

    def __repr__(self) -> str:  # assertion messages without the bodies
        return (
            f"Fetch({self.path!r}, {self.status}, cache={self.cache!r}, "
            f"cache_control={self.cache_control!r}, {len(self.body)} bytes)"
        )


class Page(NamedTuple):
    started: float
    """When the request was sent (epoch seconds, the clock of the publish record)."""
    ended: float
    page: Fetch
    versions: frozenset[str]
    """Every version the page names, and the one its X-Static-Version header names."""
    assets: tuple[Fetch, ...]
    """What the page references, fetched after it, in the same place."""


class View(NamedTuple):
    """What Chromium shows of the demo page."""

    colour: str
    """The heading's computed colour: release B's CSS changed it."""
    release: str | None
    """What the script that ran wrote on the page: release B's writes "b"."""
    meta: str
    stylesheet: str


class Deploy(NamedTuple):
    a: Release
    b: Release
    published: float
    """When collectstatic published B (epoch seconds, from published.json)."""
    collect_seconds: float
    direct: list[list[Page]]
    """Each app server's pages, polled on its own port from before the deploy on."""
    served_by: list[dict[str, int]]
    """For each app server, which worker answered each poll."""
    through_cache: list[Page]
    """The bounded client's pages and assets, through Varnish."""
    kept_page: Page
    """A page rendered with A before the deploy."""
    kept_assets: list[Fetch]
    """Its assets once every server renders B: through Varnish, then from each server."""
    pids_before: list[tuple[int, frozenset[int]]]
    pids_after: list[tuple[int, frozenset[int]]]
    views: tuple[View, View] | None
    """Chromium at A, then reloaded after the switch; None without a browser."""

    @property
    def releases(self) -> dict[str, Release]:
        return {self.a.version: self.a, self.b.version: self.b}

    def release_of(self, asset: Fetch) -> tuple[Release, str]:
        """The release an asset's URL names, and the file's name in it."""
        split = version.split_path(asset.path.removeprefix("/static/"))
        assert split is not None, asset
        assert split.segment in self.releases, asset
        return self.releases[split.segment], split.name

    def own_bytes(self, asset: Fetch) -> bool:
        """True when ``asset`` holds the exact bytes of the release its URL names."""
        release, name = self.release_of(asset)
        return asset.body == release.bytes_of(name)

    def all_pages(self) -> list[Page]:
        return [*self.through_cache, self.kept_page, *itertools.chain(*self.direct)]

    def all_fetches(self) -> list[Fetch]:
        pages = self.all_pages()
        return [
            *(page.page for page in pages),
            *(fetch for page in pages for fetch in page.assets),
            *self.kept_assets,
        ]

    def worker_polls(self, server: int) -> dict[int, list[Page]]:
        """The polls of ``server`` by the worker (pid) that rendered them, in order."""
        by_worker: dict[int, list[Page]] = {}
        for poll in self.direct[server]:
            worker = self.served_by[server].get(poll.page.path)
            if worker is not None:
                by_worker.setdefault(worker, []).append(poll)
        return by_worker

    def switch_latencies(self, server: int) -> dict[int, float]:
        """For each worker of ``server``, seconds from the publish until it rendered only B."""
        return {
            worker: switch_latency(polls, self.a.version, self.published)
            for worker, polls in sorted(self.worker_polls(server).items())
        }


def switch_latency(polls: list[Page], old: str, published: float) -> float:
    """Seconds from ``published`` to the first poll after the last one naming ``old``.

    Polls of one worker are sequential; inf when the last one still named it.
    """
    named_old = [i for i, poll in enumerate(polls) if old in poll.versions]
    after = named_old[-1] + 1 if named_old else 0
    return polls[after].started - published if after < len(polls) else float("inf")


def get(port: int, path: str) -> Fetch:
    try:
        response = servers.request(port, path)
    except (OSError, http.client.HTTPException):
        return Fetch(path, 0, "", "", "", b"")
    return Fetch(
        path,
        response.status,
        response.header("X-Cache") or "",
        response.header("Cache-Control") or "",
        response.header("X-Static-Version") or "",
        response.body,
    )


def named_versions(html: str) -> frozenset[str]:
    return frozenset(name for match in NAMED_RE.finditer(html) for name in match.groups() if name)


def visit(port: int, path: str = "/", *, assets: bool = True) -> Page:
    """The page at ``port``, then (unless told not to) every asset it references."""
    started = time.time()
    page = get(port, path)
    ended = time.time()
    html = page.body.decode()
    versions = named_versions(html) | ({page.static_version} if page.static_version else set())
    paths = sorted(set(ASSET_RE.findall(html))) if assets and page.status == 200 else []
    return Page(started, ended, page, versions, tuple(get(port, p) for p in paths))


def served_by(site: Site) -> dict[str, int]:
    """Which worker (pid) answered each request path, from the access log (ACCESS_FORMAT)."""
    lines = site.access_log.read_text().splitlines() if site.access_log.exists() else []
    return {m[2]: int(m[1]) for line in lines if (m := ACCESS_RE.match(line))}


def gunicorn_pids(site: Site) -> tuple[int, frozenset[int]]:
    """The master's pid and its workers' pids.

    The workers are the master's children, read from /proc as ``ps --ppid``
    would (procps is not among the packages the suite installs).
    """
    workers = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # "pid (name) state ppid ...": the name may hold spaces and parentheses.
            if int(stat.read_text().rpartition(")")[2].split()[1]) == site.server_pid:
                workers.add(int(stat.parent.name))
    return site.server_pid, frozenset(workers)


def booted(site: Site) -> tuple[int, frozenset[int]]:
    """The pids once every worker has booted and the site answers with a version."""
    log = site.folder / "gunicorn.log"
    deadline = time.monotonic() + 30
    while True:
        pids = gunicorn_pids(site)
        if len(pids[1]) == site.workers and log.read_text().count("Booting worker") == site.workers:
            break
        assert time.monotonic() < deadline, f"workers did not boot:\n{log.read_text()}"
        time.sleep(0.05)
    assert version.is_segment(site.page_version())
    return pids


def look(driver: WebDriver, url: str) -> View:
    driver.get(url)  # returns once the page, its CSS and its deferred script are loaded
    seen = driver.execute_script(
        "return {"
        " colour: getComputedStyle(document.getElementById('title')).color,"
        " release: document.documentElement.dataset.release || null,"
        " meta: document.querySelector('meta[name=\"static-version\"]').content,"
        " stylesheet: document.querySelector('link[rel=\"stylesheet\"]').getAttribute('href')"
        "}"
    )
    assert isinstance(seen, dict), seen
    return View(str(seen["colour"]), seen["release"], str(seen["meta"]), str(seen["stylesheet"]))


class Traffic:
    """The bounded client through Varnish and a poller per app server, in threads."""

    def __init__(self, cache_port: int, sites: list[Site]) -> None:
        self.stop = threading.Event()
        self.budget = itertools.count()
        self.numbers = itertools.count()
        self.polls: list[list[Page]] = [[] for _ in sites]
        """Each server's polls so far (the pollers append to them)."""
        self.pool = ThreadPoolExecutor(CLIENTS + len(sites))
        self.clients = [self.pool.submit(self.browse, cache_port) for _ in range(CLIENTS)]
        self.pollers = [
            self.pool.submit(self.poll, site.port, polls)
            for site, polls in zip(sites, self.polls, strict=True)
        ]

    def browse(self, port: int) -> list[Page]:
        pages = []
        while not self.stop.is_set() and next(self.budget) < MAX_PAGES:
            pages.append(visit(port))
            # Paced: on two cores a client flat out would starve the servers
            # and the collect, and measure the machine instead of the switch.
            self.stop.wait(CLIENT_GAP)
        return pages

    def poll(self, port: int, polls: list[Page]) -> None:
        """The page alone, over and over, straight from one app server (bypassing Varnish).

        Each poll has its own path, which the access log ties to a worker.
        """
        while not self.stop.is_set():
            polls.append(visit(port, f"/?poll={next(self.numbers)}", assets=False))
            self.stop.wait(POLL_GAP)

    def watched_every_worker(self, sites: list[Site], after: float) -> bool:
        """True once every worker of every server has rendered a poll sent after ``after``."""
        for site, polls in zip(sites, self.polls, strict=True):
            served, workers = served_by(site), gunicorn_pids(site)[1]
            late = {served.get(poll.page.path) for poll in list(polls) if poll.started > after}
            if not workers <= late:
                return False
        return True

    def finish(self) -> list[Page]:
        """Stop; the client's pages (the polls are in ``polls``)."""
        self.stop.set()
        try:
            for poller in self.pollers:
                poller.result(timeout=30)
            return list(itertools.chain(*(client.result(timeout=30) for client in self.clients)))
        finally:
            self.pool.shutdown()


def publish_b(site: Site, root: Path) -> tuple[float, float]:
    """New CSS and script, then ``collectstatic`` and nothing else.

    Returns when B was published (from the record) and how long the collect took.
    """
    script = site.sources / "js" / "app.js"
    script.write_text(B_SCRIPT_MARK + script.read_text())
    site.set_heading_colour(NEW)
    started = time.monotonic()
    site.manage("collectstatic", "--noinput", "-v0")
    took = time.monotonic() - started
    record = json.loads((root / "published.json").read_text())
    return float(record["published"]), took


@contextlib.contextmanager
def front(nginx: str, varnishd: str, folder: Path, sites: list[Site]) -> Iterator[int]:
    """nginx load-balancing ``sites``, Varnish in front of it; yields Varnish's port."""
    port = servers.free_port()
    http = NGINX_HTTP.format(port=port, port_1=sites[0].port, port_2=sites[1].port)
    with (
        servers.running_nginx(nginx, folder / "nginx", http, port),
        varnish.running_varnish(varnishd, folder / "varnish", [port]) as cache_port,
    ):
        yield cache_port


def run_deploy(nginx: str, varnishd: str, tmp: Path) -> Deploy:
    root = tmp / "static-root"
    env = {
        "DEMO_RELEASE_DIRECTORIES": "1",
        "DEMO_FOLLOW": "1",
        "DEMO_FOLLOW_INTERVAL": str(INTERVAL),
        "DEMO_STATIC_ROOT": str(root),
        "DEMO_STAMP": str(tmp / "static-version.txt"),
    }
    one = Site(tmp / "server-1", **env)
    # The second server shares the first one's sources, release root and stamp.
    two = Site(tmp / "server-2", **{**env, "DEMO_STATICFILES_DIR": str(one.sources)})
    sites = [one, two]
    for site in sites:
        site.server_args = [f"--access-logformat={ACCESS_FORMAT}"]
    one.manage("collectstatic", "--noinput", "-v0")
    a = json.loads((root / "published.json").read_text())["version"]
    with contextlib.ExitStack() as stack:
        driver = stack.enter_context(browser.chrome()) if browser.available() else None
        for site in sites:
            stack.enter_context(site.serving())
        cache_port = stack.enter_context(front(nginx, varnishd, tmp / "front", sites))
        pids_before = [booted(site) for site in sites]
        url = f"http://127.0.0.1:{cache_port}/"
        kept_page = visit(cache_port)
        at_a = look(driver, url) if driver else None
        traffic = Traffic(cache_port, sites)
        try:
            time.sleep(BEFORE_DEPLOY)
            published, collect_seconds = publish_b(one, root)
            time.sleep(max(0.0, published + SWITCH_LIMIT + SETTLE - time.time()))
            # Until each worker has been asked after the limit (a test says
            # which one never was, should the deadline pass).
            deadline = time.monotonic() + WATCH_LIMIT
            while not traffic.watched_every_worker(sites, published + SWITCH_LIMIT):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        finally:
            through_cache = traffic.finish()
        at_b = look(driver, url) if driver else None
        kept_paths = [asset.path for asset in kept_page.assets]
        kept_assets = [
            get(port, path) for port in (cache_port, one.port, two.port) for path in kept_paths
        ]
        pids_after = [gunicorn_pids(site) for site in sites]
        served = [served_by(site) for site in sites]
    b = json.loads((root / "published.json").read_text())["version"]
    assert b != a, "collectstatic of the new sources published no new version"
    return Deploy(
        Release(a, root / a),
        Release(b, root / b),
        published,
        collect_seconds,
        traffic.polls,
        served,
        through_cache,
        kept_page,
        kept_assets,
        pids_before,
        pids_after,
        (at_a, at_b) if at_a and at_b else None,
    )


def figures(deploy: Deploy) -> str:
    fetches = deploy.all_fetches()
    caches = Counter(fetch.cache for fetch in fetches if fetch.cache)
    rendered = Counter(
        "+".join("A" if v == deploy.a.version else "B" for v in sorted(page.versions))
        for page in deploy.through_cache
    )
    latencies = "; ".join(
        f"server {server + 1} "
        + ", ".join(f"{s:.2f}" for s in deploy.switch_latencies(server).values())
        for server in range(len(deploy.direct))
    )
    return (
        f"static-only deploy, gunicorn x2 sharing one release root, nginx, Varnish: "
        f"requests={len(fetches)}, errors={sum(f.status != 200 for f in fetches)}, "
        f"hits={caches['HIT']}, misses={caches['MISS']}, "
        f"pages through Varnish at A/B={rendered['A']}/{rendered['B']}, "
        f"mixed={sum(n for k, n in rendered.items() if k not in ('A', 'B'))}, "
        f"polls per server={[len(polls) for polls in deploy.direct]}, "
        f"collectstatic={deploy.collect_seconds:.2f} s, "
        f"switch latency per worker (s)=[{latencies}] (limit {SWITCH_LIMIT:g}), "
        f"pids before={describe_pids(deploy.pids_before)}, "
        f"after={describe_pids(deploy.pids_after)}"
    )


def describe_pids(pids: list[tuple[int, frozenset[int]]]) -> str:
    return "; ".join(f"master {master} workers {sorted(workers)}" for master, workers in pids)


@pytest.fixture(scope="module")
def deploy(
    nginx_binary: str,
    varnish_binary: str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Deploy:
    started = time.monotonic()
    done = run_deploy(nginx_binary, varnish_binary, tmp_path_factory.mktemp("static-only"))
    # Printed past the capture, as the rolling deploy's are (capsys is per test).
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n{figures(done)}, wall time {time.monotonic() - started:.1f} s")
    return done


def test_every_worker_renders_the_published_release_within_the_interval_and_a_second(
    deploy: Deploy,
) -> None:
    limit = deploy.published + SWITCH_LIMIT
    for server, polls in enumerate(deploy.direct):
        assert polls[0].versions == {deploy.a.version}, "watched from before the deploy"
        late = [poll for poll in polls if poll.started > limit]
        assert late, f"server {server + 1} was not watched past the limit"
        assert {poll.versions for poll in late} == {frozenset([deploy.b.version])}
        workers = deploy.pids_before[server][1]
        by_worker = deploy.worker_polls(server)
        assert set(by_worker) == workers
        for worker, latency in deploy.switch_latencies(server).items():
            assert latency <= SWITCH_LIMIT, f"server {server + 1}, worker {worker}"
            assert any(poll.started > limit for poll in by_worker[worker]), (
                f"server {server + 1}, worker {worker} was not asked past the limit"
            )


def test_the_deploy_restarts_no_process(deploy: Deploy) -> None:
    assert all(len(workers) == 2 for _, workers in deploy.pids_before)
    assert deploy.pids_after == deploy.pids_before


def test_assets_of_a_page_rendered_before_keep_their_bytes_and_stay_immutable(
    deploy: Deploy,
) -> None:
    assert deploy.kept_page.versions == {deploy.a.version}
    assert len(deploy.kept_assets) == 3 * len(deploy.kept_page.assets) > 0
    # After the switch: through Varnish, then from each server, bypassing it.
    at_a = [page for page in deploy.through_cache if page.versions == {deploy.a.version}]
    assert at_a
    # And the client's pages rendered with A, their assets fetched across the switch.
    for fetch in [*deploy.kept_assets, *(fetch for page in at_a for fetch in page.assets)]:
        assert deploy.release_of(fetch)[0] == deploy.a
        assert (fetch.status, deploy.own_bytes(fetch)) == (200, True), fetch
        assert IMMUTABLE in fetch.cache_control, fetch


def test_every_asset_is_its_own_releases_bytes_and_immutable(deploy: Deploy) -> None:
    assets = [fetch for page in deploy.all_pages() for fetch in page.assets]
    assert [fetch for fetch in assets if not deploy.own_bytes(fetch)] == []
    assert [fetch for fetch in assets if IMMUTABLE not in fetch.cache_control] == []
    assert {deploy.release_of(fetch)[0] for fetch in assets} == {deploy.a, deploy.b}


def test_no_page_names_two_versions(deploy: Deploy) -> None:
    pages = deploy.all_pages()
    mixed = [(page.page.path, sorted(page.versions)) for page in pages if len(page.versions) != 1]
    assert mixed == []
    through_cache = {page.versions for page in deploy.through_cache}
    assert through_cache == {frozenset([deploy.a.version]), frozenset([deploy.b.version])}


def test_no_request_fails(deploy: Deploy) -> None:
    failed = [(f.path, f.status) for f in deploy.all_fetches() if f.status != 200]
    assert failed == []


def test_no_cached_response_holds_another_releases_bytes(deploy: Deploy) -> None:
    hits = [fetch for page in deploy.through_cache for fetch in page.assets if fetch.cache == "HIT"]
    assert [fetch for fetch in hits if not deploy.own_bytes(fetch)] == []
    # Varnish really kept both releases: A's from before the deploy, B's after it.
    assert {deploy.release_of(fetch)[0] for fetch in hits} == {deploy.a, deploy.b}


def test_a_browser_reload_after_the_switch_shows_the_new_release(deploy: Deploy) -> None:
    if deploy.views is None:
        pytest.skip(browser.MISSING)
    at_a, at_b = deploy.views
    assert at_a == View(OLD, None, deploy.a.version, f"/static/{deploy.a.version}/css/site.css")
    assert at_b == View(NEW, "b", deploy.b.version, f"/static/{deploy.b.version}/css/site.css")
