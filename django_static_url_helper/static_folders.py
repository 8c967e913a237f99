"""The static folders, and whether a file's real path stays inside them.

A symlink in the static tree is followed only while its target lies inside a
static folder: STATIC_ROOT, WHITENOISE_ROOT, a STATICFILES_DIRS entry or an
app's ``static/`` folder (``collectstatic --link`` fills STATIC_ROOT with links
into the last two). The middleware checks this when it indexes files at
start-up (``scan``, which looks up only the links themselves) and on each
lookup with autorefresh; the dev pattern on each request.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterable, Iterator

from django.contrib.staticfiles import finders
from django.core.files.storage import FileSystemStorage

__all__ = ["Folders", "finder_folders", "is_served_kind", "scan"]

logger = logging.getLogger("django_static_url_helper")


def finder_folders() -> list[str]:
    """The folders the staticfiles finders read (STATICFILES_DIRS, the apps' static/)."""
    folders = []
    for finder in finders.get_finders():
        storages = getattr(finder, "storages", None)
        candidates = list(storages.values()) if isinstance(storages, dict) else []
        candidates.append(getattr(finder, "storage", None))
        folders += [os.fspath(s.location) for s in candidates if isinstance(s, FileSystemStorage)]
    return folders


def is_served_kind(mode: int) -> bool:
    """A regular file: never a FIFO (opening one blocks), a socket or a device."""
    return stat.S_ISREG(mode)


def _inside(real: str, real_folders: tuple[str, ...]) -> bool:
    return os.path.join(real, "").startswith(real_folders)


def _real_folder(folder: str) -> str:
    return os.path.join(os.path.realpath(folder), "")


class Folders:
    """The static folders a served file's real path must stay in."""

    def __init__(self, folders: Iterable[str | os.PathLike[str] | None]) -> None:
        absolute = (os.path.join(os.path.abspath(f), "") for f in folders if f)
        self.folders = tuple(dict.fromkeys(absolute))

    def real_folders(self) -> tuple[str, ...]:
        """The folders' real paths, as they are now, each ending in a separator."""
        return tuple(_real_folder(folder) for folder in self.folders)

    def holds(self, path: str) -> bool:
        """True unless ``path`` lies in a static folder but its real path leaves them all.

        A path in no static folder at all (a custom finder's) is not judged.
        Looks up the real paths as they are now: for single lookups.
        """
        containers = [folder for folder in self.folders if path.startswith(folder)]
        if not containers:
            return True
        real = os.path.realpath(path)
        if _inside(real, tuple(_real_folder(folder) for folder in containers)):
            return True
        return _inside(real, self.real_folders())

    def checker(self) -> Callable[[str], bool]:
        """``holds`` for many paths in a row: each directory's real path looked up once."""
        real_folders = self.real_folders()
        directories: dict[str, str] = {}

        def holds(path: str) -> bool:
            if not path.startswith(self.folders):
                return True
            directory, name = os.path.split(path)
            real_directory = directories.get(directory)
            if real_directory is None:
                real_directory = directories[directory] = os.path.realpath(directory)
            if os.path.islink(path):
                return _inside(os.path.realpath(path), real_folders)
            return _inside(os.path.join(real_directory, name), real_folders)

        return holds


def scan(root: str, folders: Folders) -> Iterator[tuple[str, os.stat_result]]:
    """``(path, stat)`` of every file below ``root`` that may be served, for the index.

    Regular files only; a symlink is followed while its target stays in the
    static folders, and never into a folder it is already in (a loop). Only
    links cost a look-up of their real path. Broken links, FIFOs, sockets and
    devices are left out.
    """
    allowed = folders.real_folders()
    stack = [(root, os.path.realpath(root), frozenset[str]())]
    while stack:
        directory, real_directory, above = stack.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                link = entry.is_symlink()
                real = (
                    os.path.realpath(entry.path)
                    if link
                    else os.path.join(real_directory, entry.name)
                )
                if link and not _inside(real, allowed):
                    logger.warning("Not serving %s: a link out of the static folders.", entry.path)
                    continue
                try:
                    if entry.is_dir():
                        if real in above or _inside(real_directory, (os.path.join(real, ""),)):
                            # A link back up: the walk would never end.
                            logger.warning("Not following %s: a link loop.", entry.path)
                            continue
                        stack.append((entry.path, real, above | {real_directory}))
                        continue
                    found = entry.stat()
                except OSError:
                    logger.warning("Not serving %s: a broken link.", entry.path)
                    continue
                if is_served_kind(found.st_mode):
                    yield entry.path, found
                else:
                    logger.warning("Not serving %s: not a regular file.", entry.path)
