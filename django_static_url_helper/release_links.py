"""Releases share unchanged bytes: a new release hard-links them from a complete one.

Keeping N releases would cost N copies of every file, and each deploy a full
copy. On a file system a collect links a file from the release it starts
from (``start``: the published one, else the newest complete one) when the
source's hash and size are what that release's marker recorded for the same
name, and the file there still has that size. Everything else is copied.

A link shares one inode between releases, so nothing may ever write into a
collected file in place. Django's ``FileSystemStorage`` creates every file it
saves (``O_EXCL``) and deletes by unlinking, and collectstatic deletes before it
copies; storages that post-process (manifest, compression) are never linked
into: whitenoise's compressor, for one, rewrites ``name.gz`` in place. Pruning a
release unlinks its names; the bytes stay while another release links them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage

from . import release_tree
from .releases import ReleaseStorageMixin
from .source_hashes import Record

# Link errors after which no other file of the collect will link either.
_NEVER = {errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}


class Start(NamedTuple):
    """The complete release a collect starts from, as read before the collect lock."""

    segment: str
    marker: dict[str, Any]
    tag: tuple[int, int, int] | None
    """The marker file's inode, size and mtime_ns before it was read (file systems)."""


def start(storage: ReleaseStorageMixin, segment: str | None) -> Start | None:
    """The complete release a collect starts from, or None.

    ``segment``'s own release when it is complete (collecting it again), else
    the published release, else the newest complete one. Read before the
    collect lock: its records only say what source files hashed to, which
    holds whoever holds the lock, and links are decided later, under it.
    """
    candidates = [segment] if segment else []
    candidates.append("")  # the published one, looked up only if needed
    for candidate in candidates:
        if not candidate:
            with contextlib.suppress(ImproperlyConfigured):  # unreadable: no shortcut
                published = storage.read_published()
                candidate = published.segment if published is not None else ""
        if not candidate:
            continue
        tag = _tag(storage, candidate)
        marker = release_tree.read_marker(storage, candidate)
        if marker is not None:
            return Start(candidate, marker, tag)
    for release in release_tree.releases(storage, complete_only=True)[:1]:
        tag = _tag(storage, release.segment)
        marker = release_tree.read_marker(storage, release.segment)
        if marker is not None:
            return Start(release.segment, marker, tag)
    return None


def _tag(storage: ReleaseStorageMixin, segment: str) -> tuple[int, int, int] | None:
    if not isinstance(storage, FileSystemStorage):
        return None
    path = os.path.join(storage.release_root, release_tree.marker_name(segment))
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns)


def marker(
    storage: ReleaseStorageMixin, segment: str, begun: Start | None
) -> dict[str, Any] | None:
    """``release_tree.read_marker``, under the lock, without reading the same file twice.

    The marker ``start`` read is reused while its file has the same inode, size
    and mtime: a collect replaces a marker, it never edits one.
    """
    same = begun is not None and begun.segment == segment and begun.tag is not None
    if same and begun is not None and _tag(storage, segment) == begun.tag:
        return begun.marker
    return release_tree.read_marker(storage, segment)


def links_into(storage: object) -> bool:
    """True for a file system storage that saves files as they are and post-processes none."""
    if not isinstance(storage, FileSystemStorage) or hasattr(storage, "post_process"):
        return False
    for cls in storage.__class__.__mro__:  # through a LazyObject too
        if cls is FileSystemStorage:
            return True
        # A storage that saves by its own means might change the bytes on the way.
        if cls is not ReleaseStorageMixin and ("_save" in vars(cls) or "save" in vars(cls)):
            return False
    return False  # pragma: no cover (FileSystemStorage is in the MRO of an instance of it)


def linker(
    storage: ReleaseStorageMixin,
    segment: str,
    begun: Start | None,
    records: Callable[[], Mapping[str, Record]],
) -> Linker | None:
    """The ``Linker`` of collecting ``segment``, or None when it copies every file.

    Called under the collect lock, which prune also takes: the origin's marker is
    read again here, so its files are there and it is still what was recorded.
    """
    if begun is None or begun.segment == segment or not links_into(storage):
        return None
    recorded = marker(storage, begun.segment, begun)
    if recorded is None:
        return None
    # Waits for the hashes, so that each file's is known when it is collected.
    return Linker(storage, begun.segment, recorded, records(), segment)


def said(linker: Linker | None) -> str:
    """The collect's line about links, if it tried any."""
    if linker is None or not (linker.linked or linker.stopped):
        return ""
    if not linker.linked:
        return f"\nNothing hard-linked from release {linker.origin}: {linker.stopped}; copied."
    line = f"\n{linker.linked} of them hard-linked from release {linker.origin} (unchanged)."
    if linker.stopped:
        line += f" Copied the rest: {linker.stopped}."
    return line


class Linker:
    """Links the unchanged files of one collect from release ``origin``, read under the lock."""

    def __init__(
        self,
        storage: ReleaseStorageMixin,
        origin: str,
        marker: dict[str, Any],
        ours: Mapping[str, Record],
        segment: str,
    ) -> None:
        self.storage = storage
        self.origin = origin
        self.folder = storage.release_folder(origin)
        self.into = storage.release_folder(segment)
        sources, files = marker.get("sources"), marker.get("files")
        self.theirs: dict[str, object] = sources if isinstance(sources, dict) else {}
        self.sizes: dict[str, object] = files if isinstance(files, dict) else {}
        completed = marker.get("completed")
        self.completed = float(completed) if isinstance(completed, (int, float)) else 0.0
        """When the origin was complete: a file written since is not as its collect left it."""
        self.ours = ours
        self.folders: set[str] = set()
        """Folders of the new release known to exist."""
        self.linked = 0
        self.stopped: str | None = None
        """Why no file links any more (another device, no hard links there)."""

    def link(self, name: str) -> bool:
        """Hard-link ``name`` from the origin into the release being collected; False: copy it."""
        ours = self.ours.get(name)
        if self.stopped is not None or ours is None or self.sizes.get(name) != ours.size:
            return False  # the origin's file is not as its collect left it
        # Their record must start with our size and hash: no need to decode the rest.
        theirs, same = self.theirs.get(name), f"{ours.size} {ours.sha256}"
        if not isinstance(theirs, str) or theirs[: len(same) + 1] not in (same, same + " "):
            return False
        target = os.path.join(self.into, name)
        self._folder_for(os.path.dirname(target))
        try:
            os.link(os.path.join(self.folder, name), target, follow_symlinks=False)
        except OSError as error:
            if error.errno in _NEVER:
                self.stopped = f"{self.folder}: {error.strerror}"
            return False  # gone since, there already, EPERM, EMLINK: the copy decides
        found = os.lstat(target)
        # Written since its release was complete (edited in place, same size or
        # not): its bytes may not be the ones recorded, so they are never shared.
        changed = found.st_size != ours.size or found.st_mtime > self.completed
        if not stat.S_ISREG(found.st_mode) or changed:
            os.unlink(target)
            return False
        self.linked += 1
        return True

    def _folder_for(self, folder: str) -> None:
        # The folders a copy would get: the storage's mode, else the umask's.
        if folder in self.folders:
            return
        mode = getattr(self.storage, "directory_permissions_mode", None)
        missing, parent = [], folder
        while not os.path.isdir(parent):
            missing.append(parent)
            parent = os.path.dirname(parent)
        for path in reversed(missing):
            with contextlib.suppress(FileExistsError):
                os.mkdir(path)
                if mode is not None:
                    os.chmod(path, mode)
        self.folders.add(folder)
