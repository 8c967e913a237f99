"""What whitenoise sees of the settings, and what it indexes, for the versioned middleware."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import version

__all__ = ["UnversionedSettings"]

AddHeaders = Callable[[Any, str, str], None]


class UnversionedSettings:
    """Settings as whitenoise must see them: STATIC_URL without its segment.

    whitenoise then indexes ``STATIC_ROOT`` under ``/static/`` and keeps its own
    rules for FORCE_SCRIPT_NAME, absolute URLs and WHITENOISE_STATIC_PREFIX.
    ``WHITENOISE_ADD_HEADERS_FUNCTION`` is wrapped to note the URLs whose
    Cache-Control it set: that one is sent instead of the version's.
    """

    def __init__(self, wrapped: Any, own_cache_control: set[str]) -> None:
        self._wrapped = wrapped
        self._own_cache_control = own_cache_control

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._wrapped, name)
        if name in ("STATIC_URL", "WHITENOISE_STATIC_PREFIX") and isinstance(value, str):
            return version.split_url(value).base
        if name == "WHITENOISE_ADD_HEADERS_FUNCTION" and callable(value):
            return _noting_cache_control(value, self._own_cache_control)
        return value


def _noting_cache_control(function: AddHeaders, chosen: set[str]) -> AddHeaders:
    def add_headers(headers: Any, path: str, url: str) -> None:
        before = headers.get("Cache-Control")
        function(headers, path, url)
        if headers.get("Cache-Control") != before:
            chosen.add(url)
        else:
            chosen.discard(url)  # autorefresh asks again on every request

    return add_headers
