"""Release directories on the file system: listing, removing, publishing (locking: ``folder_lock``).

The methods of ``releases.ReleaseStorageMixin`` for a ``FileSystemStorage``
call these; ``releases_s3`` has the same operations for a bucket.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from typing import NamedTuple

from django.core.exceptions import ImproperlyConfigured

from . import version_files
from .folder_lock import (
    LOCK_NAME,
    CollectBusy,
    HeldLock,
    LockLost,
    LockUnusable,
    Waiting,
    describe_holder,
    locked,
)
from .release_publication import PublishedUnreadable

# The lock lived here: its names stay importable from this module.
__all__ = [
    "LOCK_NAME",
    "MARKER_LIMIT",
    "PUBLISHED_FIX",
    "CollectBusy",
    "FileInfo",
    "HeldLock",
    "LockLost",
    "LockUnusable",
    "Tag",
    "Waiting",
    "describe_holder",
    "files",
    "locked",
    "read_if_changed",
    "read_small",
    "remove",
    "write_atomically",
]


class FileInfo(NamedTuple):
    size: int
    modified: float


def files(top: str) -> dict[str, FileInfo]:
    """Every file below ``top``, by name relative to it with '/', in one walk."""
    found: dict[str, FileInfo] = {}
    info = tuple.__new__  # FileInfo's own constructor is Python code: this is one C call a file
    stack = [""]
    while stack:
        prefix = stack.pop()
        with contextlib.suppress(FileNotFoundError), os.scandir(top + "/" + prefix) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(prefix + entry.name + "/")
                else:
                    stat = entry.stat(follow_symlinks=False)
                    found[prefix + entry.name] = info(FileInfo, (stat.st_size, stat.st_mtime))
    return found


def remove(top: str) -> None:
    """Delete the folder ``top`` and everything below it, if it exists."""
    if os.path.isdir(top):
        shutil.rmtree(top)


def write_atomically(path: str, body: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``body`` in one rename: a reader sees the old or the new file.

    ``durable``: flushed to the disk before the rename (the published record,
    the point a deploy is live from). A record written beside collected files
    that are not flushed either gains nothing from it, and an ``fsync`` costs
    a deploy tens of milliseconds on a disk.
    """
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


Tag = tuple[int, int, int]


def read_if_changed(path: str, tag: Tag | None) -> tuple[Tag | None, bytes | None]:
    """``(tag, body)`` of ``path``; ``body`` is None when it is gone or still ``tag``.

    One ``stat`` while nothing changed: the inode, size and mtime say whether
    the file was replaced since ``tag``.
    """
    try:
        found = os.stat(path)
        now: Tag = (found.st_ino, found.st_size, found.st_mtime_ns)
        if now == tag:
            return tag, None
        # Never blocks on a FIFO, never reads a device or a huge file whole.
        return now, read_small(path, "the published version record", PUBLISHED_FIX)
    except FileNotFoundError:
        return None, None
    # There, but unreadable (denied, a folder, a FIFO): one class a follower can catch.
    except OSError as error:
        raise PublishedUnreadable(
            f"Cannot read the published version record {path}: {error.strerror}. {PUBLISHED_FIX}"
        ) from error
    except ImproperlyConfigured as error:
        raise PublishedUnreadable(str(error)) from error


PUBLISHED_FIX = (
    "It is the small file collectstatic writes last: remove what is there and run "
    "collectstatic, which publishes the release it completes."
)
MARKER_LIMIT = 1 << 26
"""A marker lists every file of its release: 64 MiB is millions of names."""


def read_small(path: str, what: str, fix: str, limit: int = version_files.SMALL) -> bytes:
    """The bytes of the regular file ``path``, refusing a FIFO, a device or more than ``limit``."""
    return version_files.read_bytes(path, what, fix, limit=limit)
