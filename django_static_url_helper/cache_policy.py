"""Which Cache-Control a response under the static base leaves with.

Only a response that carries the file (200, 206, 304) gets a version's cache
policy. Everything else a shared cache could keep under a static URL (a 404,
405, 416, a redirect, an error of the app) is ``no-store``: a CDN that caches
errors must never keep one under a real asset's URL.
"""

from __future__ import annotations

import posixpath
import re

from django.http import HttpResponse, HttpResponseNotFound
from django.http.response import HttpResponseBase

__all__ = ["FILE_STATUSES", "NO_STORE", "file_answer", "not_found", "other_answer", "under"]

NO_STORE = "no-store"
FILE_STATUSES = frozenset((200, 206, 304))
"""Statuses of a response that carries the file (or confirms the cached copy)."""

_SLASHES = re.compile(r"/{2,}")


def file_answer(response: HttpResponseBase, cache_control: str | None) -> HttpResponseBase:
    """A response to a file request: ``cache_control`` (None: the one it has) if it
    carries the file, ``no-store`` for anything else (405, 416, a redirect)."""
    if response.status_code not in FILE_STATUSES:
        response["Cache-Control"] = NO_STORE
    elif cache_control is not None:
        response["Cache-Control"] = cache_control
    return response


def other_answer(response: HttpResponseBase, path: str, static_prefix: str) -> HttpResponseBase:
    """The app's answer to ``path``: an error or redirect under the static base is not stored.

    A Cache-Control the app set itself is left alone.
    """
    status = response.status_code
    if (
        status >= 300
        and status != 304
        and not response.has_header("Cache-Control")
        and under(path, static_prefix)
    ):
        response["Cache-Control"] = NO_STORE
    return response


def under(path: str, static_prefix: str) -> bool:
    """True when ``path`` is below ``static_prefix``, also once a proxy or CDN
    normalises it (``//static/…``, ``/./static/…``, ``/x/../static/…``)."""
    if path.startswith(static_prefix):
        return True
    normal = posixpath.normpath(_SLASHES.sub("/", path))
    return (normal.rstrip("/") + "/").startswith(static_prefix)


def not_found() -> HttpResponse:
    """The middleware's own 404: no cache may keep it (a later deploy may add the file)."""
    response = HttpResponseNotFound(b"Not Found", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = NO_STORE
    return response
