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
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from . import version

PUBLISHED_NAME = "published.json"
_FORMAT = 1


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
        self._checked = float("-inf")
        self._tag: Any = None
        self.current: Published | None = None

    def published(self, read_if_changed: ReadIfChanged, interval: float) -> Published | None:
        if time.monotonic() - self._checked < interval:
            return self.current
        # One thread reads; the others keep the answer they had meanwhile.
        if not self._lock.acquire(blocking=False):
            return self.current
        try:
            tag, body = read_if_changed(self._tag)
            if tag is None:
                self._tag, self.current = None, None
            elif body is not None:
                found = decode(body)
                if found is not None:  # a torn or foreign file: keep what we had
                    self._tag, self.current = tag, found
            self._checked = time.monotonic()
        finally:
            self._lock.release()
        return self.current
