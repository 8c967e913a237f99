"""The nginx block on a real nginx, over real HTTP on 127.0.0.1.

One nginx serves several servers on their own ports: the block this project
generates, the shipped snippet, the block under the "404" policy, the complete
example server in front of gunicorn, and the 0.1.0 block for comparison.
"""

from __future__ import annotations

import contextlib
import gzip
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tests import servers
from tests.nginx_sites import CURRENT, IMMUTABLE, OTHER, render, server

pytestmark = [pytest.mark.nginx, pytest.mark.server]

SOURCE = Path(__file__).resolve().parent / "static"
SHIPPED = servers.ROOT / "nginx"
EXAMPLE_ROOT = '"/srv/example/static/"'
CSS = (SOURCE / "css" / "site.css").read_bytes()
SECRET = b"TOP-SECRET outside STATIC_ROOT"
# An earlier regex location: with a plain prefix location it would take over.
CSS_REGEX = 'location ~ \\.css$ { return 418 "regex location\\n"; }'


class Site(NamedTuple):
    root: Path
    generated: int
    shipped: int
    strict: int
    example: int
    legacy: int
    legacy_css: int


def _static_root(tmp: Path) -> Path:
    root = tmp / "static-root"
    shutil.copytree(SOURCE, root)
    (root / "css" / "site.css.gz").write_bytes(gzip.compress(CSS))
    (root / "css" / ".hidden.css").write_text("/* hidden */\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core] SECRET=dotfile\n")
    (tmp / "secret.txt").write_bytes(SECRET)
    return root


@pytest.fixture(scope="module")
def site(nginx_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("nginx")
    root = _static_root(tmp)
    prefix = tmp / "prefix"
    snippets = prefix / "conf" / "snippets"
    snippets.mkdir(parents=True)
    shutil.copy(SHIPPED / "security-headers.conf", snippets)
    (snippets / "generated.conf").write_text(
        render("--headers-include", "snippets/security-headers.conf", STATIC_ROOT=root)
    )
    (snippets / "static.conf").write_text(
        (SHIPPED / "static.conf").read_text().replace(EXAMPLE_ROOT, f'"{root}/"')
    )
    (snippets / "strict.conf").write_text(
        render(
            STATIC_ROOT=root,
            STATIC_VERSION_MISMATCH="404",
            STATIC_VERSION_UNVERSIONED_MAX_AGE=5,
            STATIC_VERSION_HEADER=None,
        )
    )
    ports = [servers.free_port() for _ in range(7)]
    site = Site(root, *ports[:6])
    app = ports[6]
    example = (
        (SHIPPED / "example-server.conf")
        .read_text()
        .replace("listen 80;", f"listen 127.0.0.1:{site.example};")
        .replace("http://unix:/run/gunicorn/example.sock", f"http://127.0.0.1:{app}")
        .replace(EXAMPLE_ROOT, f'"{root}/"')
    )
    (prefix / "conf" / "example-server.conf").write_text(example)
    legacy = f"location ~ ^/static/([a-f0-9-]+/)?(.*)$ {{ expires 7d; alias {root}/$2; }}"
    http = "".join(
        [
            server(
                site.generated,
                f"""
                include snippets/security-headers.conf;
                {CSS_REGEX}
                include snippets/generated.conf;
                """,
            ),
            server(
                site.shipped,
                f"""
                add_header X-Frame-Options "DENY" always;
                {CSS_REGEX}
                include snippets/static.conf;
                location = /app {{ return 200 "app\\n"; }}
                """,
            ),
            server(site.strict, "include snippets/strict.conf;"),
            "    include example-server.conf;\n",
            server(site.legacy, legacy),
            server(site.legacy_css, f"{CSS_REGEX}\n{legacy}"),
        ]
    )
    with contextlib.ExitStack() as stack:
        stack.enter_context(
            servers.running(
                servers.gunicorn_args(app),
                app,
                tmp / "gunicorn.log",
                env={"DJANGO_SETTINGS_MODULE": "tests.settings"},
            )
        )
        stack.enter_context(servers.running_nginx(nginx_binary, prefix, http, site.generated))
        yield site


def test_shipped_files_pass_nginx_t_as_they_are(nginx_binary: str, tmp_path: Path) -> None:
    snippets = tmp_path / "conf" / "snippets"
    snippets.mkdir(parents=True)
    shutil.copy(SHIPPED / "static.conf", snippets)
    shutil.copy(SHIPPED / "security-headers.conf", snippets)
    shutil.copy(SHIPPED / "example-server.conf", tmp_path / "conf")
    http = server(servers.free_port(), "include snippets/static.conf;")
    conf = servers.nginx_config(tmp_path, http + "    include example-server.conf;\n")
    assert "test is successful" in servers.nginx_check(nginx_binary, tmp_path, conf)


def test_nginx_check_reports_what_nginx_says(nginx_binary: str, tmp_path: Path) -> None:
    conf = servers.nginx_config(tmp_path, server(servers.free_port(), "location ^~ /x { }}"))
    with pytest.raises(RuntimeError, match="(?s)nginx -t failed.*unexpected"):
        servers.nginx_check(nginx_binary, tmp_path, conf)


@pytest.fixture(params=["generated", "shipped"])
def port(request: pytest.FixtureRequest, site: Site) -> int:
    """The block this project's command generates, and the snippet shipped in nginx/."""
    return int(getattr(site, request.param))


def get(port: int, path: str, **headers: str) -> servers.Response:
    return servers.request(port, path, headers=headers)


def cache_control(response: servers.Response) -> list[str]:
    return response.headers.get_all("Cache-Control") or []


@pytest.mark.parametrize(
    ("path", "name", "policy"),
    [
        (f"/static/{CURRENT}/css/site.css", "css/site.css", IMMUTABLE),
        (f"/static/{CURRENT}/fa/fa.css", "fa/fa.css", IMMUTABLE),
        (f"/static/{CURRENT}/with%20space/a%20b.css", "with space/a b.css", IMMUTABLE),
        (f"/static/{CURRENT}/css/caf%C3%A9.css", "css/café.css", IMMUTABLE),
        (f"/static/{OTHER}/css/site.css", "css/site.css", "no-store"),
        (f"/static/{OTHER}/2024/x.png", "2024/x.png", "no-store"),
        ("/static/css/site.css", "css/site.css", "public, max-age=60"),
        ("/static/fa/fa.css", "fa/fa.css", "public, max-age=60"),
        ("/static/cafe/app.css", "cafe/app.css", "public, max-age=60"),
        ("/static/2024/x.png", "2024/x.png", "public, max-age=60"),
    ],
)
def test_each_kind_of_url_gets_its_file_and_exactly_one_cache_policy(
    port: int, path: str, name: str, policy: str
) -> None:
    response = get(port, path)
    assert response.status == 200, path
    assert response.body == (SOURCE / name).read_bytes()
    assert cache_control(response) == [policy]
    assert response.header("X-Static-Version") == CURRENT


def test_current_version_sends_precompressed_gzip(port: int) -> None:
    response = get(port, f"/static/{CURRENT}/css/site.css", **{"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.header("Content-Encoding") == "gzip"
    assert response.header("Vary") == "Accept-Encoding"
    assert gzip.decompress(response.body) == CSS
    assert cache_control(response) == [IMMUTABLE]


def test_other_version_sends_precompressed_gzip_unstored(port: int) -> None:
    response = get(port, f"/static/{OTHER}/css/site.css", **{"Accept-Encoding": "gzip"})
    assert response.header("Content-Encoding") == "gzip"
    assert cache_control(response) == ["no-store"]


@pytest.mark.parametrize(
    "path",
    [
        f"/static/{CURRENT}/css/missing.css",
        f"/static/{OTHER}/css/missing.css",
        "/static/css/missing.css",
        # Missing hex-named folders are folders, not versions.
        "/static/cafe/x.css",
        f"/static/{CURRENT}",
        # Directories, with or without the slash.
        "/static/",
        "/static/css",
        "/static/css/",
        f"/static/{CURRENT}/",
        f"/static/{CURRENT}/css",
        f"/static/{OTHER}/css/",
        # Dot-files and dot-folders, under every kind of URL.
        "/static/.env",
        f"/static/{CURRENT}/.env",
        f"/static/{OTHER}/.env",
        "/static/css/.hidden.css",
        f"/static/{CURRENT}/.git/config",
        # Backslashes, and the folder other versions are rewritten to.
        "/static/..%5c..%5csecret.txt",
        f"/static/{CURRENT}/css%5csite.css",
        "/static/.version-mismatch/css/site.css",
        f"/static/{OTHER}/.version-mismatch/css/site.css",
        # Double-encoded dots stay literal names that do not exist.
        "/static/%252e%252e/secret.txt",
        f"/static/{CURRENT}/%252e%252e%252fsecret.txt",
    ],
)
def test_missing_hidden_and_directory_paths_are_404s_no_cache_keeps(port: int, path: str) -> None:
    response = get(port, path)
    assert response.status == 404, path
    assert cache_control(response) == ["no-store"]
    assert response.header("X-Static-Version") == CURRENT
    assert b"SECRET" not in response.body
    # The current version's location skips try_files for speed: there a
    # directory's 301 becomes the 404 but keeps its Location. Nowhere else.
    location = response.header("Location")
    assert location is None or (path == f"/static/{CURRENT}/css" and location.endswith("/css/"))


@pytest.mark.parametrize(
    "path",
    [
        "/static/../secret.txt",
        "/static/../../secret.txt",
        f"/static/{CURRENT}/../../secret.txt",
        f"/static/{OTHER}/../../secret.txt",
        "/static/%2e%2e/secret.txt",
        f"/static/{CURRENT}/%2e%2e/%2e%2e/secret.txt",
        "/static/css/..%2f..%2fsecret.txt",
        f"/static/{OTHER}/..%2f..%2f..%2fsecret.txt",
        "/static../secret.txt",
        "/static/css/site.css%00",
        f"/static/{CURRENT}/css/site.css%00.png",
        f"/static/{CURRENT}//etc/passwd",
        f"/static/{CURRENT}/{'%2e%2e/' * 12}etc/passwd",
    ],
)
def test_traversal_never_reaches_a_file_outside_static_root(port: int, path: str) -> None:
    response = get(port, path)
    assert response.status in (400, 404), (path, response.status)
    assert SECRET not in response.body
    assert b"root:" not in response.body


def test_an_earlier_regex_location_does_not_take_over(port: int) -> None:
    assert get(port, "/elsewhere.css").status == 418  # the regex location is live
    assert get(port, f"/static/{CURRENT}/css/site.css").body == CSS
    assert get(port, f"/static/{OTHER}/css/site.css").body == CSS
    assert get(port, "/static/css/site.css").body == CSS


def test_head_and_conditional_requests_keep_the_policy(port: int) -> None:
    path = f"/static/{CURRENT}/css/site.css"
    first = get(port, path)
    again = get(port, path, **{"If-None-Match": first.header("ETag") or ""})
    assert again.status == 304
    assert cache_control(again) == [IMMUTABLE]
    head = servers.request(port, path, method="HEAD")
    assert (head.status, head.body, cache_control(head)) == (200, b"", [IMMUTABLE])


@pytest.mark.parametrize(
    "path",
    [
        f"/static/{CURRENT}/css/site.css",
        f"/static/{OTHER}/css/site.css",
        "/static/css/site.css",
        "/static/css/missing.css",
        "/static/.env",
    ],
)
def test_headers_include_keeps_server_headers_in_static_locations(site: Site, path: str) -> None:
    response = get(site.generated, path)
    assert response.headers.get_all("X-Content-Type-Options") == ["nosniff"]
    assert response.header("Permissions-Policy") == "camera=(), microphone=(), geolocation=()"


def test_without_headers_include_nginx_drops_server_headers_in_static_locations(
    site: Site,
) -> None:
    # The nginx behaviour --headers-include exists for.
    assert get(site.shipped, "/app").header("X-Frame-Options") == "DENY"
    assert get(site.shipped, f"/static/{CURRENT}/css/site.css").header("X-Frame-Options") is None


def test_404_policy_refuses_other_versions(site: Site) -> None:
    other = get(site.strict, f"/static/{OTHER}/css/site.css")
    assert (other.status, cache_control(other)) == (404, ["no-store"])
    assert other.header("X-Static-Version") is None
    current = get(site.strict, f"/static/{CURRENT}/css/site.css")
    assert (current.status, current.body, cache_control(current)) == (200, CSS, [IMMUTABLE])
    assert current.header("X-Static-Version") is None
    unversioned = get(site.strict, "/static/css/site.css")
    assert (unversioned.body, cache_control(unversioned)) == (CSS, ["public, max-age=5"])
    assert get(site.strict, f"/static/{OTHER}/.env").status == 404
    assert get(site.strict, "/static/.version-mismatch/css/site.css").status == 404


def test_example_server_serves_static_files_and_proxies_the_rest_to_gunicorn(site: Site) -> None:
    page = get(site.example, "/")
    assert page.status == 200
    assert f'href="/static/{CURRENT}/css/site.css"'.encode() in page.body
    assert page.header("X-Content-Type-Options") == "nosniff"
    css = get(site.example, f"/static/{CURRENT}/css/site.css")
    assert (css.status, css.body, cache_control(css)) == (200, CSS, [IMMUTABLE])
    assert css.header("X-Content-Type-Options") == "nosniff"
    assert cache_control(get(site.example, f"/static/{OTHER}/css/site.css")) == ["no-store"]
    assert get(site.example, "/static/.env").status == 404


def test_the_0_1_0_block_has_the_defects_this_block_fixes(site: Site) -> None:
    legacy, ours = site.legacy, site.generated
    week = "max-age=604800"
    # A hex-named folder is taken for a version: the root-level file comes back.
    for path in ("/static/fa/fa.css", "/static/cafe/app.css", "/static/2024/x.png"):
        wrong = (site.root / path.rsplit("/", 1)[1]).read_bytes()
        assert get(legacy, path).body == wrong
        assert get(ours, path).body == (site.root / path.removeprefix("/static/")).read_bytes()
    # Any hex segment is cached for a week: a rolling deploy poisons caches.
    response = get(legacy, "/static/00000000/css/site.css")
    assert (response.status, cache_control(response)) == (200, [week])
    assert get(ours, "/static/00000000/css/site.css").status == 404
    # Dot-files are served.
    assert get(legacy, "/static/.env").body == b"SECRET=dotfile\n"
    assert get(ours, "/static/.env").status == 404
    # An earlier regex location takes over.
    assert get(site.legacy_css, f"/static/{CURRENT}/css/site.css").status == 418
    assert get(ours, f"/static/{CURRENT}/css/site.css").status == 200


@pytest.mark.parametrize("takes_gzip", [True, False])
def test_gzip_on_the_fly_without_gz_files_still_varies(
    nginx_binary: str, tmp_path: Path, takes_gzip: bool
) -> None:
    # Debian's nginx.conf has "gzip on;" (and often gzip_types): nginx then
    # compresses the files itself, and a cache must keep the two bodies
    # apart, though the block has no gzip_static.
    root = tmp_path / "static-root"
    shutil.copytree(SOURCE, root)
    block = render(STATIC_ROOT=root, STATIC_URL=f"/static/{CURRENT}/")
    assert "gzip_static on;" not in block
    port = servers.free_port()
    http = "    gzip on; gzip_types text/css; gzip_min_length 1;\n" + server(port, block)
    with servers.running_nginx(nginx_binary, tmp_path / "nginx", http, port):
        headers = {"Accept-Encoding": "gzip"} if takes_gzip else {}
        response = get(port, f"/static/{CURRENT}/css/site.css", **headers)
    assert response.status == 200
    assert response.header("Content-Encoding") == ("gzip" if takes_gzip else None)
    assert response.header("Vary") == "Accept-Encoding"
    assert cache_control(response) == [IMMUTABLE]
