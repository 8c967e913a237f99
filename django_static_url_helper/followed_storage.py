"""Which version a release storage renders and serves: STATIC_URL's, or the published one.

The half of ``releases.ReleaseStorageMixin`` that STATIC_VERSION_FOLLOW
adds: ``live_segment`` (pinned per request, else the published version re-read
at most once per interval, else STATIC_URL's), the URL of a name under it,
and reading the published record.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage

from . import release_folders, release_publication, release_tree, version
from .conf import conf
from .release_publication import PUBLISHED_NAME, Published
from .release_scope import pinned_segment


class FollowsPublished:
    """Mixed into ``ReleaseStorageMixin``, which provides the storage's side."""

    _live: tuple[float, str | None] = (float("-inf"), None)
    """``Following.live`` as ``published()`` last left it: until when, which segment."""

    if TYPE_CHECKING:  # the storage's own

        @property
        def release_root(self) -> str: ...

        def read_published_if_changed(self, tag: Any) -> tuple[Any, bytes | None]: ...

    def live_segment(self) -> str | None:
        """The version this request (or process) serves and renders.

        The one STATIC_URL carries; with STATIC_VERSION_FOLLOW, the one
        published last (re-read at most once per interval), and within a
        request the one it started with.
        """
        segment = pinned_segment()
        if segment is not None:
            return segment
        if conf.follow:
            published = self.published()
            if published is not None:
                return published.segment
        return conf.static_url.segment

    def _live_and_static_url(self) -> tuple[str | None, version.VersionedURL]:
        """``live_segment()`` and STATIC_URL split, each read once (``url()``'s hot path)."""
        static_url = conf.static_url
        segment = pinned_segment()
        if segment is None and conf.follow:
            # published()'s hot path, inline (every {% static %} passes here):
            # one clock reading against the (fresh until, segment) it copied.
            live = self._live
            if time.monotonic() < live[0]:
                segment = live[1]
            else:
                published = self.published()
                segment = None if published is None else published.segment
        return (static_url.segment if segment is None else segment), static_url

    def published(self) -> Published | None:
        """The version collectstatic published last; cached for STATIC_VERSION_FOLLOW_INTERVAL.

        Only a complete release is followed; while the one published is not
        (a tree shipped marker first), the version read before stays.
        """
        following = self.__dict__.get("_following")
        if following is not None and time.monotonic() < following.fresh_until:
            # A thread that copied Following.live just before another replaced
            # it may have left an older copy: take the current one again.
            self._live = following.live
            return following.current  # type: ignore[no-any-return]  # the hot path: a clock reading
        following = self.following()
        published = following.published(
            self.read_published_if_changed, conf.follow_interval, self.release_complete
        )
        self._live = following.live
        return published

    def following(self) -> release_publication.Following:
        """This storage's view of the published version (one per process)."""
        found = self.__dict__.get("_following")
        if found is None:
            found = self.__dict__.setdefault("_following", release_publication.Following())
        return cast(release_publication.Following, found)

    def release_complete(self, segment: str) -> bool:
        """True when ``segment`` has its marker and every file the marker lists."""
        marker = release_tree.read_marker(cast(Any, self), segment)
        return marker is not None and not release_tree.missing(cast(Any, self), segment, marker)

    def read_published(self) -> Published | None:
        """The published version now, read from the storage (no cache); None if none.

        A record that is there but is not one (a FIFO, a folder, foreign
        content) is an ImproperlyConfigured: prune, the nginx renderer and
        the checks must not mistake it for "nothing published".
        """
        _tag, body = self.read_published_if_changed(None)
        if body is None:
            return None
        found = release_publication.decode(body)
        if found is None:
            raise ImproperlyConfigured(
                f"{self.release_root}/{PUBLISHED_NAME} is not a published version record. "
                f"{release_folders.PUBLISHED_FIX}"
            )
        return found

    def url(self, name: str | None) -> str:
        live, static_url = self._live_and_static_url()
        if live is not None and live != static_url.segment:
            # Followed past STATIC_URL's version: the URL under the live one,
            # kept by name per live version (a process may render it until it
            # restarts), where the storage's url() is Django's, a function of
            # the name and STATIC_URL alone.
            followed = self.__dict__.get("_followed_urls")
            if followed is not None and followed[0] == live and followed[1] == static_url:
                try:
                    return followed[2][name]  # type: ignore[no-any-return]
                except (KeyError, TypeError):  # not kept yet, or unhashable
                    pass
        url: str = super().url(name)  # type: ignore[misc]
        if live is None:
            raise conf.unpublished() or ImproperlyConfigured(
                f"{type(self).__name__} keeps each release below its version, but "
                f"STATIC_URL {static_url.base!r} carries no version segment. Compute "
                f"STATIC_URL with a helper of django_static_url_helper.url_helper."
            )
        if live == static_url.segment:
            return url
        found = _under(url, live, static_url)
        if _url_is_djangos(type(self)):
            followed = self.__dict__.get("_followed_urls")
            if followed is None or followed[0] != live or followed[1] != static_url:
                followed = self.__dict__["_followed_urls"] = (live, static_url, {})
            urls: dict[Any, str] = followed[2]
            if len(urls) >= _FOLLOWED_URLS:
                urls.clear()  # names from elsewhere (user input): start over, bounded
            with contextlib.suppress(TypeError):  # an unhashable name is answered, never kept
                urls[name] = found
        return found


_FOLLOWED_URLS = 1 << 15
"""URLs kept per followed version: more than the files of a large site."""


def _url_is_djangos(storage_class: type) -> bool:
    """True when ``url`` and ``base_url`` below this mixin are FileSystemStorage's own.

    Then a name's URL depends on the name and STATIC_URL alone and can be kept;
    a storage with a url() of its own (a manifest, a bucket signing its URLs)
    or a base_url of its own (a tenant's, per request) is asked every time. A
    ``base_url`` assigned to a running storage is not seen by the URLs kept.
    """
    mro = storage_class.__mro__
    below = mro[mro.index(FollowsPublished) + 1 :]
    return all(
        next((klass for klass in below if attr in vars(klass)), None) is FileSystemStorage
        for attr in ("url", "base_url")
    )


def _under(url: str, live: str, static_url: version.VersionedURL) -> str:
    """``url`` (under STATIC_URL's version) under version ``live`` instead."""
    current = f"{static_url.base}{static_url.segment or version.PENDING}/"
    if not url.startswith(current):
        return url
    return f"{static_url.base}{live}/{url[len(current) :]}"
