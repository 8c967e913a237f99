"""Which versions the servers of STATIC_ROOT serve from their own directories.

A version is kept when its release is complete (its marker exists). whitenoise
and the nginx block read this once, at start or when the block is rendered; a
version pruned later is checked again before it is served.
"""

from __future__ import annotations

import logging
import os
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

    def serves(self, segment: str) -> bool:
        """True while ``segment`` is kept: complete when read, and not pruned since."""
        marker = release_tree.marker_path(self.root, segment)
        return segment in self.versions and os.path.isfile(marker)


def kept() -> Kept | None:
    """The kept versions, or None unless STATIC_ROOT holds release directories."""
    if not releases.configured():
        return None
    storage = cast(releases.ReleaseStorageMixin, staticfiles_storage)
    segment = conf.static_url.segment
    if not releases.is_local(storage) or segment is None:
        return None
    root = storage.release_root
    complete = (release.segment for release in release_tree.releases(storage, complete_only=True))
    found = Kept(root, segment, frozenset(complete))
    if segment not in found.versions:
        logger.warning(
            "STATIC_URL carries version %s, which is not a complete release in %s: "
            "its files are served uncached until collectstatic completes it and "
            "the servers restart.",
            segment,
            root,
        )
    return found
