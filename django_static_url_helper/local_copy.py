"""Copying a found file into a storage on the local disk, as its ``save()`` would.

Django's ``collectstatic`` copies each file through ``storage.save()``: the
name is checked three times, ``exists()`` asked again (a path built and a
stat), the folders made again, the bytes passed through Python, the file
locked and two more stats for its group. For a storage whose methods that
``save()`` runs are Django's own (or ours, which only add a guard), that is
creating the file, copying its bytes in the kernel and setting its mode and
group, once ``delete_file`` has said the name is free; for a finder's
storage whose ``open`` is Django's, the bytes are the file's on disk.
Everything else goes through ``save()``: other storages, a name that might
leave its folder, each folder's first file (so that Django makes the
folders, with their permissions), a name taken meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

from django.core.files.storage import FileSystemStorage, Storage
from django.utils.functional import LazyObject, empty

_AS_DJANGO_DOES = {
    "django.core.files.storage.base.Storage",
    "django.core.files.storage.filesystem.FileSystemStorage",
    "django.contrib.staticfiles.storage.StaticFilesStorage",
    "django_static_url_helper.releases.ReleaseStorageMixin",
}
"""Classes whose methods below these copies match (ours only add a guard)."""
_SAVES = tuple(
    method
    for method in (
        "save",
        "_save",
        "get_available_name",
        "get_alternative_name",
        "is_name_available",
        "exists",
        "path",
        "_ensure_location_group_id",
    )
    if hasattr(FileSystemStorage, method)  # what this Django's save() runs
)
_READS = ("path", "open", "_open")
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
_CHUNK = 1 << 20
# Django gives each saved file the group of the storage's folder.
_SAME_GROUP = hasattr(FileSystemStorage, "_ensure_location_group_id") and os.name == "posix"
_SENDFILE = sys.platform.startswith("linux")


def _as_django(storage: Storage, methods: tuple[str, ...]) -> bool:
    concrete: Any = storage
    if isinstance(storage, LazyObject):  # default_storage, staticfiles_storage
        if storage._wrapped is empty:
            storage._setup()
        concrete = storage._wrapped
    if not isinstance(concrete, FileSystemStorage):
        return False
    for method in methods:
        owner = next(kind for kind in type(concrete).__mro__ if method in vars(kind))
        if f"{owner.__module__}.{owner.__qualname__}" not in _AS_DJANGO_DOES:
            return False
    return True


def copies_as_django(storage: Storage) -> bool:
    """Whether ``storage`` saves a file exactly as ``Copier.copy`` writes it."""
    return _as_django(storage, _SAVES)


def reads_as_is(storage: Storage) -> bool:
    """Whether a finder's ``storage`` opens a name as the file at its ``path()``."""
    return _as_django(storage, _READS)


class Copier:
    """Copies files into one storage for one collect; ``copy`` says when it did not."""

    def __init__(self, storage: Storage) -> None:
        self.storage: Any = storage
        self.usable = copies_as_django(storage)
        self.folders: set[str] = set()
        """Folders a ``save()`` of this collect has made (or found)."""
        self.group: tuple[str, int] = ("", -1)
        self.sources: dict[Storage, bool] = {}
        """``reads_as_is`` of each finder's storage seen (a few: one per folder)."""

    def reads(self, source: Storage) -> bool:
        """Whether files of the finder's storage ``source`` can be copied from their path."""
        found = self.sources.get(source)
        if found is None:
            found = self.sources[source] = reads_as_is(source)
        return found

    def copy(self, name: str, source: str) -> bool:
        """Write ``source``'s bytes as ``name``; False: nothing written, ``save()`` must."""
        # A drive, a root, a parent or a Windows separator: save()'s checks decide.
        if not self.usable or name.startswith("/") or any(c in name for c in ("..", "\\", ":")):
            return False
        storage = self.storage
        location = storage.location
        if not location:  # STATIC_ROOT unset: save() says so
            return False
        location = os.fspath(location)
        target = os.path.join(location, name)
        folder = os.path.dirname(target)
        if folder not in self.folders:  # made by save() first, as Django makes folders
            self.folders.add(folder)
            return False
        with open(source, "rb") as read:  # the source first, as save() reads it
            try:
                fd = os.open(target, _FLAGS, 0o666)
            except FileExistsError:  # taken since delete_file: save() picks another name
                return False
            try:
                _copy_bytes(read.fileno(), fd)
                self._set_mode(fd, target)
                if _SAME_GROUP:
                    self._same_group(fd, location)
            except BaseException:
                os.close(fd)
                os.unlink(target)  # no half-written file left under the name
                raise
        os.close(fd)
        return True

    def _set_mode(self, fd: int, target: str) -> None:
        mode = self.storage.file_permissions_mode
        if mode is None:
            return
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        else:  # Windows before Python 3.13
            os.chmod(target, mode)

    def _same_group(self, fd: int, location: str) -> None:
        known, gid = self.group
        if known != location:
            gid = os.stat(location).st_gid
            self.group = (location, gid)
        if os.fstat(fd).st_gid != gid:
            with contextlib.suppress(PermissionError):  # as Django: a group not ours
                os.fchown(fd, -1, gid)


def _copy_bytes(source: int, target: int) -> None:
    if _SENDFILE:
        try:
            sent = os.sendfile(target, source, 0, _CHUNK)
        except OSError:  # a file system sendfile cannot read: copy in Python
            pass
        else:
            offset = sent
            while sent:
                sent = os.sendfile(target, source, offset, _CHUNK)
                offset += sent
            return
    while chunk := os.read(source, _CHUNK):
        view = memoryview(chunk)
        while view:
            view = view[os.write(target, view) :]
