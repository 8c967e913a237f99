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
from collections.abc import Mapping
from typing import NamedTuple, cast

from django.contrib.staticfiles.storage import staticfiles_storage

from . import release_tree, releases
from .conf import conf

logger = logging.getLogger("django_static_url_helper")


class Kept(NamedTuple):
    root: str
    """STATIC_ROOT, absolute: the parent of every version directory."""
    current: str
    """The version STATIC_URL carries."""
    versions: frozenset[str]
    """Complete versions when this was read, the current one among them if complete."""

    sizes: Mapping[str, Mapping[str, int]]
    """For each kept version, the size its collect recorded of each of its files."""

    def serves(self, segment: str) -> bool:
        """True while ``segment`` is kept: complete when read, and not pruned since."""
        marker = os.path.join(self.root, release_tree.marker_name(segment))
        return segment in self.versions and os.path.isfile(marker)

    def as_collected(self, path: str, size: int) -> bool:
        """False when ``path``, in a kept version's folder, is not as its collect recorded it.

        Files outside the kept versions' folders are not judged here: an
        incomplete version has no record, and its files are never cached.
        """
        segment, _, name = path.removeprefix(self.root + os.sep).partition(os.sep)
        recorded = self.sizes.get(segment) if name else None
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
    root = found.release_root
    sizes = {}
    for release in release_tree.releases(found, complete_only=True):
        marker = release_tree.read_marker(found, release.segment)
        if marker is not None:  # else pruned in the meantime
            sizes[release.segment] = marker["files"]
    kept = Kept(root, segment, frozenset(sizes), sizes)
    if segment not in kept.versions:
        logger.warning(
            "Version %s is not a complete release in %s: its files are served "
            "uncached until collectstatic completes and publishes it.",
            segment,
            root,
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
