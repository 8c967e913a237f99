from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from django.test import Client, RequestFactory
from django.urls import clear_url_caches, re_path

from django_static_url_helper.django_url_helper import serve, staticfiles_dynamicurlpatterns

if TYPE_CHECKING:
    from pytest_django import Settings

CURRENT = "3fa9c1e2b7d4"
OLDER = "0123456789ab"
# What the urlconf fixture yields: serve the patterns built for a static URL.
Urlconf = Callable[[str], None]


def body(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    try:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    finally:
        response.close()


def test_empty_outside_debug(settings: Settings) -> None:
    settings.DEBUG = False
    assert staticfiles_dynamicurlpatterns("/static/") == []


def test_default_argument_as_in_0_1_0() -> None:
    (pattern,) = staticfiles_dynamicurlpatterns()
    assert pattern.pattern.regex.pattern == "^static/(?P<path>.*)$"


def test_keyword_argument_as_in_0_1_0() -> None:
    (pattern,) = staticfiles_dynamicurlpatterns(static_url="/assets/")
    assert pattern.pattern.regex.pattern == "^assets/(?P<path>.*)$"


def test_rejects_a_base_without_trailing_slash() -> None:
    with pytest.raises(ImproperlyConfigured, match="must end with '/'"):
        staticfiles_dynamicurlpatterns("/static")


@pytest.mark.parametrize(
    "url",
    [f"/static/{CURRENT}/css/site.css", f"/static/{OLDER}/css/site.css", "/static/css/site.css"],
)
def test_serves_current_older_and_unversioned_urls(client: Client, url: str) -> None:
    assert body(client, url) == b"h1 { color: rgb(0, 128, 0); }\n"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/static/fa/fa.css", b"/* fa/fa.css */\n"),
        ("/static/cafe/app.css", b"/* cafe/app.css */\n"),
        ("/static/2024/x.png", b"PNG-2024\n"),
        (f"/static/{CURRENT}/fa/fa.css", b"/* fa/fa.css */\n"),
        (
            f"/static/{CURRENT}/fa.css",
            b"/* root fa.css: must never be served for /static/fa/fa.css */\n",
        ),
        ("/static/with%20space/a%20b.css", b"spaced\n"),
        ("/static/css/caf%C3%A9.css", b"accent\n"),
    ],
)
def test_real_folders_with_hex_names_resolve_to_the_right_file(
    client: Client, url: str, expected: bytes
) -> None:
    assert body(client, url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "/static/../settings.py",
        "/static/css/../../settings.py",
        f"/static/{CURRENT}/../settings.py",
        "/static/%2e%2e/settings.py",
        "/static/css/%2e%2e/%2e%2e/settings.py",
        "/static/css%2f..%2f..%2fsettings.py",
        "/static/%252e%252e/settings.py",
        "/static/..%5csettings.py",
        "/static/css\\..\\..\\settings.py",
        "/static//etc/passwd",
        f"/static/{CURRENT}//etc/passwd",
        "/static/css/site.css%00.png",
        "/static/.env",
        f"/static/{CURRENT}/.env",
        "/static/css/",
        "/static/css",
        f"/static/{CURRENT}/",
        "/static/",
        "/static/missing.css",
    ],
)
def test_never_serves_outside_the_static_folders_nor_directories(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"


def test_the_current_file_under_another_version_is_not_stored(client: Client) -> None:
    older = client.get(f"/static/{OLDER}/css/site.css")
    older.close()
    assert (older.status_code, older.headers["Cache-Control"]) == (200, "no-store")
    since = older.headers["Last-Modified"]
    again = client.get(f"/static/{OLDER}/css/site.css", headers={"If-Modified-Since": since})
    assert (again.status_code, again.headers["Cache-Control"]) == (304, "no-store")
    for url in (f"/static/{CURRENT}/css/site.css", "/static/css/site.css"):
        response = client.get(url)
        response.close()
        assert "Cache-Control" not in response.headers, url


def test_a_404_keeps_the_debug_page_of_django(client: Client) -> None:
    response = client.get("/static/missing.css")
    assert response.status_code == 404
    assert b"could not be found" in response.content


@pytest.fixture
def urlconf(settings: Settings) -> Iterator[Urlconf]:
    """Build a urlconf from the patterns under the current settings."""
    import types

    def build(static_url: str) -> None:
        module = types.ModuleType("dynamic_urls")
        module.urlpatterns = staticfiles_dynamicurlpatterns(static_url)  # type: ignore[attr-defined]
        import sys

        sys.modules["dynamic_urls"] = module
        settings.ROOT_URLCONF = "dynamic_urls"
        clear_url_caches()

    yield build
    clear_url_caches()


def test_absolute_cdn_base_matches_on_its_path(client: Client, urlconf: Urlconf) -> None:
    urlconf("https://cdn.example.com/assets/")
    assert body(client, f"/assets/{CURRENT}/css/site.css").startswith(b"h1")


def test_a_versioned_static_url_passed_by_mistake_still_serves_older_versions(
    client: Client,
    urlconf: Urlconf,
) -> None:
    urlconf(f"/static/{CURRENT}/")
    assert body(client, f"/static/{OLDER}/css/site.css").startswith(b"h1")


def test_regex_metacharacters_in_the_base_are_literal(client: Client, urlconf: Urlconf) -> None:
    urlconf("/st+at(ic)/")
    assert body(client, f"/st+at(ic)/{CURRENT}/css/site.css").startswith(b"h1")
    assert client.get("/sttat(ic)/css/site.css").status_code == 404


def test_sub_path_deployment_with_force_script_name(
    client: Client, urlconf: Urlconf, settings: Settings
) -> None:
    settings.FORCE_SCRIPT_NAME = "/app"
    urlconf("/app/static/")
    response = client.get(f"/static/{CURRENT}/css/site.css", SCRIPT_NAME="/app")
    response.close()
    assert response.status_code == 200


def test_serve_is_a_404_outside_debug_as_django_static_view(settings: Settings) -> None:
    settings.DEBUG = False
    request = RequestFactory().get(f"/static/{CURRENT}/css/site.css")
    with pytest.raises(Http404):
        serve(request, f"{CURRENT}/css/site.css")


def test_serve_takes_insecure_as_django_static_view(settings: Settings) -> None:
    settings.DEBUG = False
    request = RequestFactory().get(f"/static/{OLDER}/css/site.css")
    response = serve(request, f"{OLDER}/css/site.css", insecure=True)
    response.close()
    assert (response.status_code, response.headers["Cache-Control"]) == (200, "no-store")


def test_serve_mounted_directly_outside_debug_serves_nothing(
    client: Client, settings: Settings
) -> None:
    import sys
    import types

    module = types.ModuleType("mounted_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        re_path(r"^static/(?P<path>.*)$", serve),
        re_path(r"^insecure/(?P<path>.*)$", serve, {"insecure": True}),
    ]
    sys.modules["mounted_urls"] = module
    settings.ROOT_URLCONF = "mounted_urls"
    settings.DEBUG = False
    clear_url_caches()
    try:
        assert client.get(f"/static/{CURRENT}/css/site.css").status_code == 404
        assert body(client, f"/insecure/{CURRENT}/css/site.css").startswith(b"h1")
    finally:
        clear_url_caches()
