"""whitenoise's index with release directories: the current release up front, older ones on demand.

whitenoise indexes every file below STATIC_ROOT at start. With release
directories that is every kept release, so a worker's start-up time and
memory would grow with releases x files, for releases that are requested
rarely (by pages cached before a deploy). Here only the release served at
start is indexed; a file of any other kept release is looked up in that
release's own folder on its first request, checked against its marker like
an indexed one, and remembered (up to ``LOOKED_UP_LIMIT`` files). Following
a newly published release therefore indexes nothing at the switch either.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from whitenoise.responders import MissingFileError

from . import release_serving

logger = logging.getLogger("django_static_url_helper")

LOOKED_UP_LIMIT = 8192
"""How many looked-up files of releases not indexed at start a worker remembers."""


class KeptReleaseFiles:
    """Mixed in before ``CheckedFiles`` (whose scan indexes the folder it is given)."""

    releases: release_serving.Kept | None
    """Set before whitenoise's ``__init__`` indexes anything."""
    static_prefix: str
    autorefresh: bool
    index_file: str | None
    looked_up: dict[str, Any]
    _indexed: set[str]
    """The versions whose files whitenoise's own index holds."""

    if TYPE_CHECKING:  # whitenoise's own

        def find_file_at_path(self, path: str, url: str) -> Any: ...

    def start_looking_up(self) -> None:
        """Called before whitenoise's ``__init__`` indexes anything."""
        self.looked_up = {}
        self._indexed = set()

    def update_files_dictionary(self, root: str, prefix: str) -> None:
        kept = self.releases
        if kept is None or root.rstrip(os.sep) != kept.root or prefix != self.static_prefix:
            super().update_files_dictionary(root, prefix)  # type: ignore[misc]
            return
        # Nothing outside the version folders is served from STATIC_ROOT (the
        # markers, the published record, the lock): every URL maps into one.
        folder = os.path.join(kept.root, kept.current)
        if os.path.isdir(folder):
            super().update_files_dictionary(  # type: ignore[misc]
                folder + os.sep, f"{self.static_prefix}{kept.current}/"
            )
        self._indexed.add(kept.current)

    def release_file(self, kept: release_serving.Kept, url: str) -> Any:
        """whitenoise's file for ``url`` of a kept release that is not indexed, or None.

        ``url`` is ``<static prefix><version>/<name>``, ``name`` a safe
        relative path (``version.split_path`` passed it).
        """
        found = self.looked_up.get(url)
        if found is not None:
            return found
        segment, _, name = url[len(self.static_prefix) :].partition("/")
        if segment in self._indexed:
            return None  # whitenoise's index answered already: not there
        recorded = kept.recorded(segment)
        # A name its collect did not record is a 404 without touching the
        # disk, unless it may be a directory's index file or redirect.
        if recorded is None or (name not in recorded and self.index_file is None):
            return None
        path = os.path.join(kept.root, segment, *name.split("/"))
        try:
            found = self.find_file_at_path(path, url)
        except MissingFileError:
            if name in recorded and (os.path.islink(path) or not os.path.isfile(path)):
                # Its collect wrote a file there; now it is a link out of the
                # static folders, a FIFO or gone. (A size not the recorded one
                # is logged where it is checked.)
                logger.warning("Not serving %s: not as release %s collected it.", path, segment)
            return None
        if len(self.looked_up) >= LOOKED_UP_LIMIT:
            for old in list(self.looked_up)[: LOOKED_UP_LIMIT // 2]:
                self.looked_up.pop(old, None)
        self.looked_up[url] = found
        return found

    def forget_looked_up(self, kept: release_serving.Kept) -> None:
        """Drop looked-up files of releases that are no longer kept (pruned)."""
        prefix = len(self.static_prefix)
        for url in list(self.looked_up):
            if url[prefix:].partition("/")[0] not in kept.versions:
                self.looked_up.pop(url, None)
