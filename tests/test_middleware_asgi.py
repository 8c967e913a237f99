"""The whitenoise middleware in an async chain (Django's ASGI handler), in process.

The same requests go over real HTTP to uvicorn in test_middleware_http; here
the response objects themselves are looked at: an async body, read lazily.
"""

from __future__ import annotations

import gzip
import inspect
import warnings
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.http import HttpRequest, HttpResponseNotFound
from django.http.response import HttpResponseBase, StreamingHttpResponse
from django.test import AsyncClient, RequestFactory

from django_static_url_helper.file_responses import BLOCK_SIZE, FileBlocks
from django_static_url_helper.middleware import VersionedWhiteNoiseMiddleware
from tests.collected import BIG, COMPRESSED, CSS, CURRENT, IMMUTABLE, OLDER, collect

OURS = "django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware"


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return collect(tmp_path_factory.mktemp("wn-asgi"))


@pytest.fixture(autouse=True)
def production(settings: Any, collected: Path) -> Any:
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.urls_whitenoise"
    settings.MIDDLEWARE = [OURS]
    settings.STATIC_ROOT = str(collected)
    settings.STORAGES = COMPRESSED
    return settings


async def _fetch(url: str, method: str, headers: dict[str, str]) -> tuple[HttpResponseBase, bytes]:
    # A new client builds a new (async) middleware chain, so it sees the settings.
    response = await getattr(AsyncClient(), method)(url, headers=headers)
    try:
        if response.streaming and (method == "head" or response.status_code == 304):
            # The test client itself swaps the body of these for an empty list.
            return response, b"".join(response.streaming_content)
        if response.streaming:
            assert response.is_async, "a sync body would make Django warn and buffer it"
            return response, b"".join([part async for part in response])
        return response, bytes(response.content)
    finally:
        response.close()


def get(url: str, method: str = "get", **headers: str) -> tuple[HttpResponseBase, bytes]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return async_to_sync(_fetch)(url, method, headers)


def test_the_middleware_is_sync_and_async_capable() -> None:
    assert VersionedWhiteNoiseMiddleware.sync_capable
    assert VersionedWhiteNoiseMiddleware.async_capable


def test_current_version_is_streamed_asynchronously_and_immutable() -> None:
    response, body = get(f"/static/{CURRENT}/css/site.css")
    assert (response.status_code, body) == (200, CSS)
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert response.headers["Content-Type"] == 'text/css; charset="utf-8"'
    assert response.headers["Content-Length"] == str(len(CSS))
    assert "X-Static-Version" not in response.headers


def test_other_version_gets_the_current_file_uncached() -> None:
    response, body = get(f"/static/{OLDER}/css/site.css")
    assert (response.status_code, body) == (200, CSS)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Static-Version"] == CURRENT


def test_unversioned_url_keeps_whitenoise_max_age() -> None:
    response, body = get("/static/css/site.css")
    assert (response.status_code, body) == (200, CSS)
    assert response.headers["Cache-Control"] == "max-age=60, public"


def test_gzip_variant() -> None:
    response, body = get(f"/static/{CURRENT}/css/big.css", accept_encoding="gzip")
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == BIG
    assert response.headers["Cache-Control"] == IMMUTABLE


def test_range_is_206_with_the_slice() -> None:
    response, body = get(f"/static/{CURRENT}/css/big.css", range="bytes=10-19")
    assert (response.status_code, body) == (206, BIG[10:20])
    assert response.headers["Content-Range"] == f"bytes 10-19/{len(BIG)}"
    assert response.headers["Cache-Control"] == IMMUTABLE


@pytest.mark.parametrize("prefix", [f"/static/{CURRENT}/", f"/static/{OLDER}/", "/static/"])
def test_unsatisfiable_range_is_416_with_an_async_empty_body_no_cache_keeps(prefix: str) -> None:
    response, body = get(f"{prefix}css/big.css", range="bytes=99999999-")
    assert (response.status_code, body) == (416, b"")
    assert response.headers["Cache-Control"] == "no-store"


def test_if_none_match_is_304_with_no_body() -> None:
    first, _ = get(f"/static/{CURRENT}/css/site.css")
    response, body = get(f"/static/{CURRENT}/css/site.css", if_none_match=first.headers["ETag"])
    assert (response.status_code, body) == (304, b"")
    assert response.headers["Cache-Control"] == IMMUTABLE


def test_head_has_the_headers_of_get_and_no_body() -> None:
    response, body = get(f"/static/{CURRENT}/css/big.css", method="head")
    assert (response.status_code, body) == (200, b"")
    assert response.headers["Content-Length"] == str(len(BIG))


@pytest.mark.parametrize("prefix", [f"/static/{CURRENT}/", f"/static/{OLDER}/", "/static/"])
def test_post_is_405_no_cache_keeps(prefix: str) -> None:
    response, _ = get(f"{prefix}css/site.css", method="post")
    assert response.status_code == 405
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", [f"/static/{CURRENT}/css/missing.css", "/static/missing.css"])
def test_missing_file_is_a_404_no_cache_keeps(url: str) -> None:
    response, _ = get(url)
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"


def test_views_answer_the_rest_with_the_version_header() -> None:
    response, body = get("/")
    assert response.status_code == 200
    assert f"/static/{CURRENT}/css/site.css".encode() in body
    assert response.headers["X-Static-Version"] == CURRENT


def test_autorefresh_looks_up_a_file_added_after_start(settings: Any, tmp_path: Path) -> None:
    settings.DEBUG = True
    settings.STATIC_ROOT = str(tmp_path)
    (tmp_path / "late.css").write_bytes(b"late")
    response, body = get(f"/static/{CURRENT}/late.css")
    assert (response.status_code, body) == (200, b"late")
    assert response.headers["Cache-Control"] == IMMUTABLE


def test_whitenoise_root_files_are_served(settings: Any, tmp_path: Path) -> None:
    (tmp_path / "robots.txt").write_bytes(b"User-agent: *\n")
    settings.WHITENOISE_ROOT = str(tmp_path)
    response, body = get("/robots.txt")
    assert (response.status_code, body) == (200, b"User-agent: *\n")


def test_a_big_file_is_streamed_in_blocks(settings: Any, tmp_path: Path) -> None:
    data = bytes(range(256)) * (3 * BLOCK_SIZE // 256 + 7)
    (tmp_path / "big.bin").write_bytes(data)
    settings.STATIC_ROOT = str(tmp_path)

    async def app(request: HttpRequest) -> HttpResponseBase:
        return HttpResponseNotFound()

    middleware = VersionedWhiteNoiseMiddleware(app)

    async def parts() -> list[bytes]:
        answer = middleware(RequestFactory().get(f"/static/{CURRENT}/big.bin"))
        assert inspect.isawaitable(answer), "an async chain gets a coroutine back"
        response = await answer
        assert isinstance(response, StreamingHttpResponse)
        try:
            return [part async for part in response]
        finally:
            response.close()

    received = async_to_sync(parts)()
    assert b"".join(received) == data
    assert [len(part) for part in received] == [BLOCK_SIZE] * 3 + [len(data) - 3 * BLOCK_SIZE]


def test_file_blocks_read_lazily_and_close_the_file(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * (2 * BLOCK_SIZE + 1))

    async def first_then_close() -> None:
        with path.open("rb") as file:
            blocks = FileBlocks(file, 2 * BLOCK_SIZE + 1)
            iterator = aiter(blocks)
            assert await anext(iterator) == b"x" * BLOCK_SIZE
            # Nothing is read ahead of what the server has sent on.
            assert file.tell() == BLOCK_SIZE
            blocks.close()  # what Django does when a client goes away
            assert file.closed

    async_to_sync(first_then_close)()


def test_file_blocks_stop_at_the_length_without_reading_further(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"0123456789")

    async def read(length: int | None) -> tuple[bytes, bool]:
        file = path.open("rb")
        body = b"".join([part async for part in FileBlocks(file, length)])
        return body, file.closed

    assert async_to_sync(read)(4) == (b"0123", True)
    assert async_to_sync(read)(None) == (b"0123456789", True)
