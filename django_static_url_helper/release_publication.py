"""The published version: which release the deploy made live, read by servers and prune.

``collectstatic`` writes ``<root>/published.json`` last, in one atomic write
(a rename on a file system, one PUT in a bucket), once the release is
complete. With ``STATIC_VERSION_FOLLOW`` every process re-reads it at most
once per interval (one ``stat``, or one conditional GET) and serves and
renders that version; ``prune`` never deletes it; the nginx block serves it
as the current version.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from django.core.exceptions import ImproperlyConfigured

from . import version

logger = logging.getLogger("django_static_url_helper")

PUBLISHED_NAME = "published.json"
_FORMAT = 1


class PublishedUnreadable(ImproperlyConfigured):
    """The published record is there (or may be) but cannot be read: denied, a folder, throttled.

    An ``ImproperlyConfigured``, as the file readers' refusals were before it.
    """


class Published(NamedTuple):
    segment: str
    published: float
    """When the deploy published it (epoch seconds)."""


def encode(segment: str) -> bytes:
    data = {"format": _FORMAT, "version": segment, "published": time.time()}
    return json.dumps(data, sort_keys=True).encode()


def decode(body: bytes) -> Published | None:
    """The record in ``body``, or None when it is not one (a torn or foreign file)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    segment, published = data.get("version"), data.get("published")
    if not isinstance(segment, str) or not version.is_segment(segment):
        return None
    if isinstance(published, bool) or not isinstance(published, int | float):
        return None
    return Published(segment, float(published))


ReadIfChanged = Callable[[Any], tuple[Any, bytes | None]]


class Following:
    """One process's view of the published version, re-read at most once per interval.

    Between reads the answer is a clock comparison: the request path never
    touches the disk or the bucket more than once per interval.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.fresh_until = float("-inf")
        """Until then (``time.monotonic()``) ``current`` is the answer, unread."""
        self._tag: Any = None
        self._warned: str | None = None
        self.current: Published | None = None
        self.live: tuple[float, str | None] = (self.fresh_until, None)
        """``fresh_until`` and the segment of ``current``, replaced as one (hot paths copy it)."""

    def published(
        self, read_if_changed: ReadIfChanged, interval: float, complete: Callable[[str], bool]
    ) -> Published | None:
        """The published version to follow: changes only to a complete release.

        A record that is gone, unreadable or names an incomplete release keeps
        the version read before (never back to the environment's), with a
        warning; it is read again after the next interval.
        """
        if time.monotonic() < self.fresh_until:
            return self.current
        # One thread reads; the first time the others wait for it, later they
        # keep the answer they had meanwhile.
        if not self._lock.acquire(blocking=self._tag is None and self.current is None):
            return self.current
        try:
            self._read(read_if_changed, complete)
            self.fresh_until = time.monotonic() + interval
            self.live = (self.fresh_until, None if self.current is None else self.current.segment)
        finally:
            self._lock.release()
        return self.current

    def _read(self, read_if_changed: ReadIfChanged, complete: Callable[[str], bool]) -> None:
        try:
            tag, body = read_if_changed(self._tag)
            if body is None:
                if tag is None and self.current is not None:
                    self._warn_once("is gone")
                return
            found = decode(body)
            if found is None:
                self._warn_once("is not a published version record")
            elif self.current is not None and found.segment == self.current.segment:
                self._tag = tag
            elif not complete(found.segment):
                self._warn_once(f"names {found.segment}, which is not complete yet")
            else:
                self._tag, self.current, self._warned = tag, found, None
        except Exception as error:  # a bucket that refuses, a folder there: never a 500
            self._warn_once(f"cannot be read ({error})")

    def _warn_once(self, problem: str) -> None:
        if self._warned == problem:
            return
        self._warned = problem
        keeping = self.current.segment if self.current else None
        kept = f"keeping version {keeping}" if keeping else "following nothing yet"
        logger.warning("The published version record %s: %s.", problem, kept)
