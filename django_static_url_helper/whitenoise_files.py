"""What whitenoise sees of the settings, and what it indexes, for the versioned middleware."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from typing import Any

from whitenoise.responders import MissingFileError

from . import static_folders, version

__all__ = ["CheckedFiles", "UnversionedSettings"]

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


class CheckedFiles:
    """whitenoise's file index and lookups, serving only files the static folders hold.

    Mixed in before ``WhiteNoiseMiddleware``. At start-up ``STATIC_ROOT`` and
    ``WHITENOISE_ROOT`` are walked by ``static_folders.scan``, and the
    finders' files (``WHITENOISE_USE_FINDERS``) are checked as they are added;
    with autorefresh each lookup checks the file and its compressed variants.
    """

    folders: static_folders.Folders
    """Set before whitenoise's ``__init__`` indexes anything."""
    _checking: Callable[[str], bool] | None = None

    def complete(self, path: str, size: int) -> bool:
        """False for a file that may not be served as it is (see release directories)."""
        return True

    def update_files_dictionary(self, root: str, prefix: str) -> None:
        # whitenoise's own walk follows every link (out of the tree, round a
        # loop) and stops at start-up on a broken link or a FIFO.
        stats = {
            path: found
            for path, found in static_folders.scan(root, self.folders)
            if self.complete(path, found.st_size)
        }
        for path in stats:
            url = prefix + path[len(root) :].replace(os.sep, "/")
            self.add_file_to_dictionary(url, path, stat_cache=stats)

    def add_files_from_finders(self) -> None:
        self._checking = self.folders.checker()
        try:
            super().add_files_from_finders()  # type: ignore[misc]
        finally:
            self._checking = None

    def add_file_to_dictionary(
        self, url: str, path: str, stat_cache: dict[str, os.stat_result] | None = None
    ) -> None:
        checking = self._checking
        if checking is not None and stat_cache is not None:
            found = stat_cache.get(path)
            if found is None or not static_folders.is_served_kind(found.st_mode):
                return
            if not checking(path):
                return
        super().add_file_to_dictionary(url, path, stat_cache=stat_cache)  # type: ignore[misc]

    def get_static_file(
        self, path: str, url: str, stat_cache: dict[str, os.stat_result] | None = None
    ) -> Any:
        if stat_cache is None:  # autorefresh: looked up now, for this request
            stat_cache = self._stats_now(path)
        elif self._checking is not None:  # a finder's file: its variants are checked too
            stat_cache = self._checked_stats(path, stat_cache, self._checking)
        return super().get_static_file(path, url, stat_cache=stat_cache)  # type: ignore[misc]

    def _stats_now(self, path: str) -> dict[str, os.stat_result]:
        """The stats whitenoise may use for ``path`` and its variants (.gz, .br), now."""
        stats = {}
        for candidate in (path, path + ".gz", path + ".br"):
            try:
                found = os.stat(candidate)
            except OSError:
                continue
            if static_folders.is_served_kind(found.st_mode):
                servable = self.complete(candidate, found.st_size)
            else:  # a directory stays, for whitenoise's index-file redirects
                servable = candidate == path and stat.S_ISDIR(found.st_mode)
            if servable and self.folders.holds(candidate):
                stats[candidate] = found
        if path not in stats:
            raise MissingFileError(path)
        return stats

    @staticmethod
    def _checked_stats(
        path: str, stats: dict[str, os.stat_result], holds: Callable[[str], bool]
    ) -> dict[str, os.stat_result]:
        variants = (path + ".gz", path + ".br")
        checked = {v: stats[v] for v in variants if v in stats and holds(v)}
        return {path: stats[path], **checked}
