"""Copying a found file into a storage on the local disk, as its ``save()`` would.

Django's ``collectstatic`` copies each file through ``storage.save()``: the
name is checked three times, ``exists()`` asked again (a path built and a
stat), the folders made again, the bytes passed through Python, the file
locked and, on Django 6.1, two more stats for its group. For a storage whose
``save``, ``_save``, ``get_available_name`` and ``path`` are Django's own (or
ours, which only add a guard), that is creating the file, copying its bytes
in the kernel and setting its mode and group, once ``delete_file`` has said
the name is free. Everything else goes through ``save()``: another storage,
a name that might leave its folder, each folder's first file (so that
Django makes the folders, with their permissions), a name taken meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

from django.core.files.storage import FileSystemStorage, Storage
from django.utils.functional import LazyObject

_AS_DJANGO_DOES = {
    "django.core.files.storage.base.Storage",
    "django.core.files.storage.filesystem.FileSystemStorage",
    "django.contrib.staticfiles.storage.StaticFilesStorage",
    "django_static_url_helper.releases.ReleaseStorageMixin",
}
"""Classes whose ``save``, ``_save``, ``get_available_name`` and ``path`` these copies match."""
_METHODS = ("save", "_save", "get_available_name", "path")
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
_CHUNK = 1 << 20
# Django 6.1 gives each saved file the group of the storage's folder.
_SAME_GROUP = hasattr(FileSystemStorage, "_ensure_location_group_id") and os.name == "posix"
_SENDFILE = sys.platform.startswith("linux")


def copies_as_django(storage: Storage) -> bool:
    """Whether ``storage`` saves a file exactly as ``Copier.copy`` writes it."""
    concrete = storage._wrapped if isinstance(storage, LazyObject) else storage
    if not isinstance(concrete, FileSystemStorage):
        return False
    for method in _METHODS:
        owner = next(kind for kind in type(concrete).__mro__ if method in vars(kind))
        if f"{owner.__module__}.{owner.__qualname__}" not in _AS_DJANGO_DOES:
            return False
    return True


class Copier:
    """Copies files into one storage for one collect; ``copy`` says when it did not."""

    def __init__(self, storage: Storage) -> None:
        self.storage: Any = storage
        self.usable = copies_as_django(storage)
        self.folders: set[str] = set()
        """Folders a ``save()`` of this collect has made (or found)."""
        self.group: tuple[str, int] = ("", -1)

    def copy(self, name: str, source: str) -> bool:
        """Write ``source``'s bytes as ``name``; False: nothing written, ``save()`` must."""
        if not self.usable or name.startswith(("/", "\\")) or ".." in name or "\\" in name:
            return False
        storage = self.storage
        location = os.fspath(storage.location)
        if not location:  # STATIC_ROOT unset: save() says so
            return False
        target = os.path.join(location, name)
        folder = os.path.dirname(target)
        if folder not in self.folders:  # made by save() first, as Django makes folders
            self.folders.add(folder)
            return False
        try:
            fd = os.open(target, _FLAGS, 0o666)
        except FileExistsError:  # taken since delete_file: save() picks another name
            return False
        try:
            with open(source, "rb") as read:
                _copy_bytes(read.fileno(), fd)
            mode = storage.file_permissions_mode
            if mode is not None:
                os.fchmod(fd, mode)
            if _SAME_GROUP:
                self._same_group(fd, location)
        except BaseException:
            os.close(fd)
            os.unlink(target)  # no half-written file left under the name
            raise
        os.close(fd)
        return True

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
