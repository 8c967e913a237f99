"""Which versions the servers of STATIC_ROOT serve from their own directories.

A version is kept when its release is complete (its marker exists). whitenoise
and the nginx block read this at start (and, following the published version,
at each switch) or when the block is rendered; a version pruned later is
checked again before it is served. The middleware
serves a kept release's file only as its collect recorded it in the marker
(same name, same size): a file cut short, grown or added since is a 404.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from typing import cast

from django.contrib.staticfiles.storage import staticfiles_storage

from . import release_tree, releases
from .conf import conf

logger = logging.getLogger("django_static_url_helper")


class Kept:
    """The versions a server of STATIC_ROOT keeps serving, each from its own folder.

    A version is kept while its marker is there. The current version's marker
    is read when this is made; an older one's when that release is first
    served, so start-up work does not grow with the number of kept releases.
    """

    def __init__(
        self,
        storage: releases.ReleaseStorageMixin,
        current: str,
        versions: frozenset[str],
        current_files: Mapping[str, int] | None,
    ) -> None:
        self.root = storage.release_root
        """STATIC_ROOT, absolute: the parent of every version directory."""
        self.current = current
        """The version STATIC_URL carries."""
        self.versions = versions
        """Versions with a marker when this was read; the current one only if complete."""
        self._storage = storage
        self._records: dict[str, Mapping[str, int]] = {}
        self._incomplete: dict[str, float] = {}
        """When a marker that is not a complete one was last read, by version."""
        if current_files is not None:
            self._records[current] = current_files

    def serves(self, segment: str) -> bool:
        """True while ``segment`` is kept: its marker is there and is a complete one."""
        marker = os.path.join(self.root, release_tree.marker_name(segment))
        return (
            segment in self.versions
            and os.path.isfile(marker)
            and self.recorded(segment) is not None
        )

    def recorded(self, segment: str) -> Mapping[str, int] | None:
        """The size its collect recorded of each file of ``segment``; None if not complete.

        A marker that is not a complete one (torn, still being written) is read
        again at most once per STATIC_VERSION_FOLLOW_INTERVAL.
        """
        if segment not in self.versions:
            return None
        found = self._records.get(segment)
        if found is not None:
            return found
        now = time.monotonic()
        if now - self._incomplete.get(segment, float("-inf")) < conf.follow_interval:
            return None
        marker = release_tree.read_marker(self._storage, segment)
        if marker is None:
            self._incomplete[segment] = now  # at most one entry per marker on disk
            return None
        # Kept for as long as this Kept: one record per kept release at most
        # (prune bounds them), and a request for an older release must never
        # cost a marker read again, whatever order the requests come in.
        files: Mapping[str, int] = marker["files"]
        self._records[segment] = files
        return files

    def complete_versions(self) -> frozenset[str]:
        """The kept versions whose marker is a complete one (every marker read)."""
        return frozenset(s for s in self.versions if self.recorded(s) is not None)

    def as_collected(self, path: str, size: int) -> bool:
        """False when ``path``, in a kept version's folder, is not as its collect recorded it.

        Files outside the kept versions' folders are not judged here: an
        incomplete version has no record, and its files are never cached.
        """
        segment, _, name = path.removeprefix(self.root + os.sep).partition(os.sep)
        recorded = self.recorded(segment) if name else None
        if recorded is None:
            return True
        expected = recorded.get(name.replace(os.sep, "/"))
        if expected == size:
            return True
        why = "not among" if expected is None else f"{size} bytes, not the {expected} recorded in"
        logger.warning("Not serving %s: %s the files of release %s.", path, why, segment)
        return False


def storage() -> releases.ReleaseStorageMixin | None:
    """The staticfiles storage if it keeps release directories on this file system."""
    if not releases.configured():
        return None
    found = cast(releases.ReleaseStorageMixin, staticfiles_storage)
    return found if releases.is_local(found) else None


def kept(segment: str | None) -> Kept | None:
    """The kept versions with ``segment`` current, or None unless STATIC_ROOT holds releases."""
    found = storage()
    if found is None or segment is None:
        return None
    versions = release_tree.marked_segments(found)
    marker = release_tree.read_marker(found, segment) if segment in versions else None
    if marker is None:
        versions -= {segment}
    kept = Kept(found, segment, versions, None if marker is None else marker["files"])
    if segment not in kept.versions:
        logger.warning(
            "Version %s is not a complete release in %s: its files are served "
            "uncached until collectstatic completes and publishes it.",
            segment,
            kept.root,
        )
    return kept


def starting_segment(storage: releases.ReleaseStorageMixin | None) -> str | None:
    """The version to serve at start, or an error when no deploy has published one yet.

    A process that follows the published version may start before the first
    publish: it serves nothing versioned until then.
    """
    segment = storage.live_segment() if storage is not None else conf.static_url.segment
    following = storage is not None and conf.follow
    unpublished = conf.unpublished() if segment is None and not following else None
    if unpublished is not None:
        raise unpublished
    return segment
