"""Which file answers a static request under a version, and how it may be cached.

The middleware splits a request once (``version.split_path``) and asks
``Policy.locate`` which of whitenoise's URLs answers it: the file under the
unversioned base, or, with release directories, under the folder of the
version that serves it. The answer carries the Cache-Control of a response
that carries the file; every other status is ``no-store`` (``cache_policy``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from . import release_serving
from .cache_policy import NO_STORE
from .conf import conf

__all__ = ["Found", "Located", "Policy", "Serving"]


class Located(NamedTuple):
    url: str
    """The URL whitenoise indexed the file under."""
    cache_control: str | None
    """The Cache-Control it is served with; None keeps whitenoise's own."""


class Found(NamedTuple):
    static_file: Any
    """whitenoise's prepared file (its headers, encodings and ETag)."""
    cache_control: str | None
    """The Cache-Control it is served with; None keeps whitenoise's own."""


class Policy(NamedTuple):
    static_prefix: str
    """The unversioned base whitenoise indexes files under, e.g. ``/static/``."""
    segment: str | None
    """The version STATIC_URL carries."""
    immutable: str
    mismatch_404: bool
    releases: release_serving.Kept | None
    """Release directories: STATIC_ROOT holds one folder per kept version."""

    @classmethod
    def from_settings(
        cls, static_prefix: str, segment: str | None, releases: release_serving.Kept | None
    ) -> Policy:
        """Read once: the request path must not pay for settings lookups."""
        return cls(
            static_prefix, segment, conf.immutable_cache_control, conf.mismatch == "404", releases
        )

    def locate(self, segment: str | None, name: str) -> Located | None:
        """What answers ``name`` under ``segment`` (None: unversioned), or None for a 404.

        ``name`` has passed ``version.split_path``: a safe relative path (or
        ``""``, ``"docs/"``: a directory, for its index file).
        """
        if self.releases is not None:
            return self.locate_release(self.releases, segment, name)
        if segment is None:
            cache_control = None
        elif segment == self.segment:
            cache_control = self.immutable
        elif self.mismatch_404:
            return None
        else:
            cache_control = NO_STORE
        return Located(self.static_prefix + name, cache_control)

    def locate_release(
        self, releases: release_serving.Kept, segment: str | None, name: str
    ) -> Located | None:
        """``locate`` with release directories: a kept version from its own folder.

        Only a complete release is cached as immutable, the current one included.
        """
        complete = releases.current in releases.versions
        # An incomplete current release is never cached, whatever the URL.
        folder, cache_control = releases.current, None if complete else NO_STORE
        if segment == releases.current:
            cache_control = self.immutable if complete else NO_STORE
        elif segment is not None and releases.serves(segment):
            folder, cache_control = segment, self.immutable
        elif segment is not None and self.mismatch_404:
            return None
        elif segment is not None:
            cache_control = NO_STORE
        return Located(f"{self.static_prefix}{folder}/{name}", cache_control)


class Serving(NamedTuple):
    """What the middleware serves for one version; swapped whole when the version changes."""

    policy: Policy
    current_files: dict[str, Found]
    """find_static's answer for every current-version URL, keyed by its path."""
    version_header: tuple[str, str] | None
