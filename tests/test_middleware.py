"""The whitenoise middleware through the Django test client, on a real collectstatic."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import brotli
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, HttpResponseNotFound
from django.http.response import HttpResponseBase
from django.test import Client, RequestFactory

from django_static_url_helper.middleware import VersionedWhiteNoiseMiddleware
from tests.collected import (
    BIG,
    COMPRESSED,
    CSS,
    CURRENT,
    DOTFILE,
    IMMUTABLE,
    MANIFEST,
    OLDER,
    OUTSIDE,
    TRAVERSALS,
    collect,
)
from tests.collected import body as content

OURS = "django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware"
SECURITY = "django.middleware.security.SecurityMiddleware"


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return collect(tmp_path_factory.mktemp("wn"))


@pytest.fixture(autouse=True)
def production(settings: Any, collected: Path) -> Any:
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.urls_whitenoise"
    settings.MIDDLEWARE = [SECURITY, OURS]
    settings.STATIC_ROOT = str(collected)
    settings.STORAGES = COMPRESSED
    return settings


def get(url: str, method: str = "get", **meta: str) -> tuple[HttpResponseBase, bytes]:
    # A new Client builds a new middleware chain, so each call sees the settings.
    response = getattr(Client(), method)(url, **meta)
    return response, content(response)


# --- The table of the README, one row per test. ---


def test_current_version_is_immutable() -> None:
    response, body = get(f"/static/{CURRENT}/css/site.css")
    assert (response.status_code, body) == (200, CSS)
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert response.headers["Content-Type"] == 'text/css; charset="utf-8"'
    # The URL names the version already; the hot path sends no extra header.
    assert "X-Static-Version" not in response.headers


def test_immutable_max_age_follows_the_setting(settings: Any) -> None:
    settings.STATIC_VERSION_MAX_AGE = 600
    response, _ = get(f"/static/{CURRENT}/css/site.css")
    assert response.headers["Cache-Control"] == "public, max-age=600, immutable"


def test_other_version_gets_the_current_file_uncached() -> None:
    response, body = get(f"/static/{OLDER}/css/site.css")
    assert (response.status_code, body) == (200, CSS)
    assert response.headers["Cache-Control"] == "no-store"
    # An old page learns that a newer version is live.
    assert response.headers["X-Static-Version"] == CURRENT


def test_other_version_is_a_404_when_the_setting_says_so(settings: Any) -> None:
    settings.STATIC_VERSION_MISMATCH = "404"
    response, _ = get(f"/static/{OLDER}/css/site.css")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"
    current, body = get(f"/static/{CURRENT}/css/site.css")
    assert (current.status_code, body) == (200, CSS)


def test_unversioned_url_keeps_whitenoise_short_max_age() -> None:
    response, body = get("/static/css/site.css")
    assert (response.status_code, body) == (200, CSS)
    assert response.headers["Cache-Control"] == "max-age=60, public"


@pytest.mark.parametrize(
    "url",
    [
        f"/static/{CURRENT}/css/missing.css",
        f"/static/{OLDER}/css/missing.css",
        "/static/css/missing.css",
        f"/static/{CURRENT}/missing/site.css",
    ],
)
def test_missing_file_is_a_404_no_cache_keeps(url: str) -> None:
    response, _ = get(url)
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Static-Version"] == CURRENT


@pytest.mark.parametrize("url", TRAVERSALS)
def test_traversal_dotfiles_and_directories_are_404(url: str) -> None:
    response, body = get(url)
    assert response.status_code == 404, url
    assert response.headers["Cache-Control"] == "no-store"
    assert OUTSIDE not in body
    assert DOTFILE not in body


def test_plain_whitenoise_would_serve_the_dotfile_we_refuse(settings: Any) -> None:
    settings.STATIC_URL = "/static/"
    settings.MIDDLEWARE = [SECURITY, "whitenoise.middleware.WhiteNoiseMiddleware"]
    response, body = get("/static/.env")
    assert (response.status_code, body) == (200, DOTFILE)


# --- whitenoise features under the versioned prefix. ---


def test_gzip_variant_under_the_current_version() -> None:
    response, body = get(f"/static/{CURRENT}/css/big.css", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert gzip.decompress(body) == BIG
    plain, plain_body = get(f"/static/{CURRENT}/css/big.css")
    assert "Content-Encoding" not in plain.headers
    assert plain.headers["Vary"] == "Accept-Encoding"
    assert plain_body == BIG


def test_gzip_variant_under_another_version_is_not_stored() -> None:
    response, body = get(f"/static/{OLDER}/css/big.css", HTTP_ACCEPT_ENCODING="gzip")
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "no-store"
    assert gzip.decompress(body) == BIG


@pytest.mark.parametrize(("segment", "cache_control"), [(CURRENT, IMMUTABLE), (OLDER, "no-store")])
def test_brotli_variant_is_preferred_and_keeps_the_version_policy(
    segment: str, cache_control: str
) -> None:
    response, body = get(f"/static/{segment}/css/big.css", HTTP_ACCEPT_ENCODING="gzip, br")
    assert response.headers["Content-Encoding"] == "br"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.headers["Cache-Control"] == cache_control
    assert brotli.decompress(body) == BIG


@pytest.mark.parametrize(
    ("header", "start", "end"), [("bytes=0-9", 0, 9), ("bytes=100-", 100, len(BIG) - 1)]
)
def test_range_request_under_the_current_version(header: str, start: int, end: int) -> None:
    response, body = get(f"/static/{CURRENT}/css/big.css", HTTP_RANGE=header)
    assert response.status_code == 206
    assert body == BIG[start : end + 1]
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{len(BIG)}"
    assert response.headers["Cache-Control"] == IMMUTABLE


@pytest.mark.parametrize("prefix", [f"/static/{CURRENT}/", f"/static/{OLDER}/", "/static/"])
def test_unsatisfiable_range_is_416_no_cache_keeps(prefix: str) -> None:
    response, _ = get(f"{prefix}css/big.css", HTTP_RANGE=f"bytes={len(BIG) + 5}-")
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(BIG)}"
    assert response.headers["Cache-Control"] == "no-store"


def test_if_none_match_is_304_and_stays_immutable() -> None:
    first, _ = get(f"/static/{CURRENT}/css/site.css")
    etag = first.headers["ETag"]
    response, body = get(f"/static/{CURRENT}/css/site.css", HTTP_IF_NONE_MATCH=etag)
    assert (response.status_code, body) == (304, b"")
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == IMMUTABLE
    older, _ = get(f"/static/{OLDER}/css/site.css", HTTP_IF_NONE_MATCH=etag)
    assert (older.status_code, older.headers["Cache-Control"]) == (304, "no-store")
    stale, body = get(f"/static/{CURRENT}/css/site.css", HTTP_IF_NONE_MATCH='"other"')
    assert (stale.status_code, body) == (200, CSS)


def test_if_modified_since_is_304() -> None:
    first, _ = get("/static/css/site.css")
    since = first.headers["Last-Modified"]
    response, _ = get(f"/static/{CURRENT}/css/site.css", HTTP_IF_MODIFIED_SINCE=since)
    assert response.status_code == 304
    assert response.headers["Cache-Control"] == IMMUTABLE
    unversioned, _ = get("/static/css/site.css", HTTP_IF_MODIFIED_SINCE=since)
    assert (unversioned.status_code, unversioned.headers["Cache-Control"]) == (
        304,
        "max-age=60, public",
    )


def test_head_has_the_headers_of_get_and_no_body() -> None:
    response, body = get(f"/static/{CURRENT}/css/big.css", method="head")
    assert (response.status_code, body) == (200, b"")
    assert response.headers["Content-Length"] == str(len(BIG))
    assert response.headers["Cache-Control"] == IMMUTABLE


@pytest.mark.parametrize("prefix", [f"/static/{CURRENT}/", f"/static/{OLDER}/", "/static/"])
def test_post_is_405_no_cache_keeps(prefix: str) -> None:
    response, _ = get(f"{prefix}css/site.css", method="post")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert response.headers["Cache-Control"] == "no-store"


def test_whitenoise_root_errors_are_not_stored(settings: Any, tmp_path: Path) -> None:
    (tmp_path / "robots.txt").write_bytes(b"User-agent: *\n")
    settings.WHITENOISE_ROOT = str(tmp_path)
    response, _ = get("/robots.txt", method="post")
    assert (response.status_code, response.headers["Cache-Control"]) == (405, "no-store")


@pytest.mark.parametrize(
    "path",
    [
        f"//static/{CURRENT}/css/site.css",
        f"/./static/{CURRENT}/css/site.css",
        "/static/../static/css/site.css",
        "/static",
    ],
)
def test_app_404s_of_paths_whitenoise_hands_on_are_not_stored(path: str) -> None:
    # The test client would parse "//static" as a host: build the request by hand.
    request = RequestFactory().get("/")
    request.path_info = request.path = path
    middleware = VersionedWhiteNoiseMiddleware(lambda request: HttpResponseNotFound())
    response = middleware(request)
    assert isinstance(response, HttpResponseBase)
    assert (response.status_code, response.headers["Cache-Control"]) == (404, "no-store")


@pytest.mark.parametrize(
    ("status", "path"), [(302, "/static/somewhere"), (500, "/static/x"), (400, "//static/x")]
)
def test_app_errors_and_redirects_under_the_static_base_are_not_stored(
    status: int, path: str
) -> None:
    request = RequestFactory().get("/")
    request.path_info = request.path = path
    middleware = VersionedWhiteNoiseMiddleware(lambda request: HttpResponse(status=status))
    response = middleware(request)
    assert isinstance(response, HttpResponseBase)
    assert response.headers["Cache-Control"] == "no-store"


def test_app_answers_outside_the_static_base_keep_their_headers() -> None:
    request = RequestFactory().get("/login/")
    middleware = VersionedWhiteNoiseMiddleware(lambda request: HttpResponse(status=302))
    response = middleware(request)
    assert isinstance(response, HttpResponseBase)
    assert "Cache-Control" not in response.headers
    own = VersionedWhiteNoiseMiddleware(
        lambda request: HttpResponse(status=404, headers={"Cache-Control": "max-age=5"})
    )
    answer = own(RequestFactory().get("/static/missing.css"))
    assert isinstance(answer, HttpResponseBase)
    assert answer.headers["Cache-Control"] == "max-age=5"


def test_hex_named_folders_are_folders_not_versions() -> None:
    assert get("/static/fa/fa.css")[1] == b"/* fa/fa.css */\n"
    assert get("/static/cafe/app.css")[1] == b"/* cafe/app.css */\n"
    response, body = get(f"/static/{CURRENT}/2024/x.png")
    assert (body, response.headers["Cache-Control"]) == (b"PNG-2024\n", IMMUTABLE)


def test_quoted_names_are_served() -> None:
    assert get(f"/static/{CURRENT}/with%20space/a%20b.css")[1] == b"spaced\n"
    assert get(f"/static/{CURRENT}/css/caf%C3%A9.css")[1] == b"accent\n"


def test_manifest_storage_hashed_names_under_the_version(settings: Any, tmp_path: Path) -> None:
    settings.STATIC_ROOT = str(collect(tmp_path, MANIFEST))
    settings.STORAGES = MANIFEST
    from django.templatetags.static import static

    url = static("css/site.css")
    assert url.startswith(f"/static/{CURRENT}/css/site.")
    assert url != f"/static/{CURRENT}/css/site.css"
    response, body = get(url)
    assert (body, response.headers["Cache-Control"]) == (CSS, IMMUTABLE)


# --- Deployment shapes. ---


def test_force_script_name(settings: Any) -> None:
    settings.FORCE_SCRIPT_NAME = "/app"
    settings.STATIC_URL = f"/app/static/{CURRENT}/"
    # path_info, what middleware sees, is below the script name.
    response, body = get(f"/static/{CURRENT}/css/site.css")
    assert (body, response.headers["Cache-Control"]) == (CSS, IMMUTABLE)
    assert response.wsgi_request.path == f"/app/static/{CURRENT}/css/site.css"  # type: ignore[attr-defined]


def test_cdn_static_url_matches_on_its_path(settings: Any) -> None:
    settings.STATIC_URL = f"https://cdn.example.com/assets/{CURRENT}/"
    response, body = get(f"/assets/{CURRENT}/css/site.css")
    assert (body, response.headers["Cache-Control"]) == (CSS, IMMUTABLE)
    assert get(f"/assets/{OLDER}/css/site.css")[0].headers["Cache-Control"] == "no-store"
    assert get(f"/static/{CURRENT}/css/site.css")[0].status_code == 404


def test_static_base_at_the_site_root_leaves_views_alone(settings: Any) -> None:
    settings.STATIC_URL = f"/{CURRENT}/"
    page, body = get("/")
    assert page.status_code == 200
    assert b"/css/site.css" in body
    assert "Cache-Control" not in page.headers
    response, body = get(f"/{CURRENT}/css/site.css")
    assert (body, response.headers["Cache-Control"]) == (CSS, IMMUTABLE)
    assert get("/css/site.css")[0].headers["Cache-Control"] == "max-age=60, public"


def test_debug_autorefresh_serves_a_file_added_after_start(settings: Any, tmp_path: Path) -> None:
    settings.DEBUG = True
    settings.STATIC_ROOT = None
    settings.WHITENOISE_USE_FINDERS = True
    settings.STATICFILES_DIRS = [tmp_path]
    client = Client()
    assert content(client.get(f"/static/{CURRENT}/new.css")) != b"new\n"
    (tmp_path / "new.css").write_bytes(b"new\n")
    response = client.get(f"/static/{CURRENT}/new.css")
    assert (response.status_code, content(response)) == (200, b"new\n")
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert "X-Static-Version" not in response.headers
    unversioned = client.get("/static/new.css")
    assert (content(unversioned), unversioned.headers["Cache-Control"]) == (
        b"new\n",
        "max-age=0, public",
    )
    assert client.get(f"/static/{CURRENT}/../outside.txt").status_code == 404


def test_whitenoise_root_files_are_served_as_before(settings: Any, tmp_path: Path) -> None:
    (tmp_path / "robots.txt").write_bytes(b"User-agent: *\n")
    settings.WHITENOISE_ROOT = str(tmp_path)
    response, body = get("/robots.txt")
    assert (response.status_code, body) == (200, b"User-agent: *\n")
    assert response.headers["Cache-Control"] == "max-age=60, public"
    assert response.headers["X-Static-Version"] == CURRENT


# --- The version header. ---


@pytest.mark.parametrize(
    "url", ["/", "/missing/", "/static/css/site.css", f"/static/{OLDER}/img/logo.svg"]
)
def test_every_other_response_carries_the_version_header(url: str) -> None:
    response, _ = get(url)
    assert response.headers["X-Static-Version"] == CURRENT


def test_version_header_name_is_a_setting(settings: Any) -> None:
    settings.STATIC_VERSION_HEADER = "X-Assets"
    response, _ = get(f"/static/{OLDER}/css/site.css")
    assert response.headers["X-Assets"] == CURRENT
    assert "X-Static-Version" not in response.headers


def test_version_header_can_be_turned_off(settings: Any) -> None:
    settings.STATIC_VERSION_HEADER = None
    response, _ = get("/")
    assert "X-Static-Version" not in response.headers


def test_unversioned_static_url_serves_as_plain_whitenoise(settings: Any) -> None:
    settings.STATIC_URL = "/static/"
    response, body = get("/static/css/site.css")
    assert (body, response.headers["Cache-Control"]) == (CSS, "max-age=60, public")
    assert "X-Static-Version" not in response.headers
    assert get(f"/static/{OLDER}/css/site.css")[0].headers["Cache-Control"] == "no-store"


# --- Setup. ---


def test_invalid_mismatch_setting_stops_start_up(settings: Any) -> None:
    settings.STATIC_VERSION_MISMATCH = "410"
    with pytest.raises(ImproperlyConfigured, match="STATIC_VERSION_MISMATCH is '410'"):
        VersionedWhiteNoiseMiddleware(lambda request: None)


def test_indexes_files_under_the_unversioned_prefix(settings: Any) -> None:
    middleware = VersionedWhiteNoiseMiddleware(lambda request: None)
    assert middleware.static_prefix == "/static/"
    assert "/static/css/site.css" in middleware.files
    assert not any(CURRENT in url for url in middleware.files)


def test_current_version_index_holds_the_safe_files_only(settings: Any, tmp_path: Path) -> None:
    (tmp_path / "robots.txt").write_bytes(b"")
    settings.WHITENOISE_ROOT = str(tmp_path)
    middleware = VersionedWhiteNoiseMiddleware(lambda request: None)
    index = middleware.state.current_files
    assert index[f"/static/{CURRENT}/css/site.css"].cache_control == IMMUTABLE
    assert f"/static/{CURRENT}/2024/x.png" in index
    assert "/static/.env" in middleware.files  # whitenoise indexed it; we never serve it
    assert not [url for url in index if "/." in url or not url.startswith(f"/static/{CURRENT}/")]
    # Every file but the dot-files (.env, the collect's .static-integrity.json).
    served = [url for url in middleware.files if url.startswith("/static/") and "/." not in url]
    assert len(index) == len(served)


def test_no_current_version_index_without_a_version_or_with_autorefresh(settings: Any) -> None:
    settings.STATIC_URL = "/static/"
    assert VersionedWhiteNoiseMiddleware(lambda request: None).state.current_files == {}
    settings.STATIC_URL = f"/static/{CURRENT}/"
    settings.WHITENOISE_AUTOREFRESH = True
    assert VersionedWhiteNoiseMiddleware(lambda request: None).state.current_files == {}


def test_explicit_whitenoise_static_prefix_loses_its_segment(settings: Any) -> None:
    settings.WHITENOISE_STATIC_PREFIX = f"/static/{CURRENT}/"
    middleware = VersionedWhiteNoiseMiddleware(lambda request: None)
    assert middleware.static_prefix == "/static/"


@pytest.mark.parametrize(
    ("name", "value"), [("STATIC_VERSION_MAX_AGE", "abc"), ("STATIC_VERSION_HEADER", "")]
)
def test_an_invalid_policy_setting_stops_start_up_saying_how_to_fix_it(
    settings: Any, name: str, value: object
) -> None:
    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=f"{name} {value!r}|{name} is {value!r}"):
        VersionedWhiteNoiseMiddleware(lambda request: None)


def test_a_file_that_fails_while_it_is_served_is_a_500_no_cache_keeps(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    middleware = VersionedWhiteNoiseMiddleware(lambda request: HttpResponse("page"))

    def broken(static_file: object, request: object) -> HttpResponseBase:
        raise PermissionError(13, "Permission denied")  # e.g. a file made unreadable

    monkeypatch.setattr(middleware, "serve", broken)
    response = middleware(RequestFactory().get("/static/3fa9c1e2b7d4/css/site.css"))
    assert isinstance(response, HttpResponseBase)
    assert (response.status_code, response.headers["Cache-Control"]) == (500, "no-store")
    assert "Permission denied" in caplog.text  # logged as Django logs any error


def test_an_error_outside_the_static_base_is_left_to_django() -> None:
    def view(request: object) -> HttpResponse:
        raise LookupError("the app's own")

    middleware = VersionedWhiteNoiseMiddleware(view)
    with pytest.raises(LookupError):
        middleware(RequestFactory().get("/login/"))
