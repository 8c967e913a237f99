"""Incoming folders: where a content version is collected before its digest names it.

On a file system the first release of a root with ``get_static_url_stamp``
is copied into ``<root>/.incoming-<random>/`` while its files are hashed,
then renamed to its version (``release_collect``). Such a folder is no
version: nothing serves, lists or prunes it, and each release collect
removes, under the collect lock, what a killed one left.
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import secrets
import shutil
from typing import TYPE_CHECKING

from . import release_folders

INCOMING_PREFIX = ".incoming-"
"""The start of every incoming folder's name; a version never starts with a dot."""


class IncomingFolders:
    """Mixed into ``releases.ReleaseStorageMixin`` (file systems only)."""

    if TYPE_CHECKING:  # the storage's own

        @property
        def release_root(self) -> str: ...

        def release_folder(self, segment: str) -> str: ...

    def begin_incoming(self) -> str:
        """A new incoming folder's name; its name is no version, so nothing serves or prunes it.

        The collect called ``remove_incoming`` when it took the lock.
        """
        return INCOMING_PREFIX + secrets.token_hex(8)

    def name_release(self, incoming: str, segment: str) -> None:
        """Give the incoming folder its version, replacing a folder left incomplete.

        Under the collect lock, and only for a version without a marker: no
        server serves a folder that has none.
        """
        target, folder = self.release_folder(segment), self.release_folder(incoming)
        if os.path.lexists(target):
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            else:
                os.unlink(target)
        os.makedirs(folder, exist_ok=True)  # a release of no files wrote none
        os.rename(folder, target)

    def merge_release(self, incoming: str, segment: str) -> None:
        """Move into version ``segment``'s folder each file of the incoming one it lacks.

        A file there already with the same bytes stays (servers may be
        sending it); one missing or different is replaced in one rename.
        """
        source, target = self.release_folder(incoming), self.release_folder(segment)
        for name in release_folders.files(source):
            here, there = os.path.join(source, name), os.path.join(target, name)
            if not (os.path.isfile(there) and filecmp.cmp(here, there, shallow=False)):
                os.makedirs(os.path.dirname(there), exist_ok=True)
                os.replace(here, there)
        release_folders.remove(source)

    def remove_incoming(self) -> None:
        """Remove what killed collects left; under the collect lock, so none is collecting."""
        with contextlib.suppress(FileNotFoundError), os.scandir(self.release_root) as entries:
            for entry in entries:
                if entry.name.startswith(INCOMING_PREFIX) and entry.is_dir(follow_symlinks=False):
                    release_folders.remove(entry.path)
