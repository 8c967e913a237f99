"""Release directories on the file system: listing, removing, publishing, locking.

The methods of ``releases.ReleaseStorageMixin`` for a ``FileSystemStorage``
call these; ``releases_s3`` has the same operations for a bucket.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import NamedTuple

from . import version_files

LOCK_NAME = ".collectstatic.lock"


class FileInfo(NamedTuple):
    size: int
    modified: float


Waiting = Callable[[str], None] | None
"""Told who holds the lock, once, when a collect starts waiting for it."""


class CollectBusy(Exception):
    """Another collectstatic holds the release root's lock for longer than we may wait."""


def files(top: str) -> dict[str, FileInfo]:
    """Every file below ``top``, by name relative to it with '/', in one walk."""
    found: dict[str, FileInfo] = {}
    stack = [""]
    while stack:
        prefix = stack.pop()
        with contextlib.suppress(FileNotFoundError), os.scandir(top + "/" + prefix) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(prefix + entry.name + "/")
                else:
                    stat = entry.stat(follow_symlinks=False)
                    found[prefix + entry.name] = FileInfo(stat.st_size, stat.st_mtime)
    return found


def remove(top: str) -> None:
    """Delete the folder ``top`` and everything below it, if it exists."""
    if os.path.isdir(top):
        shutil.rmtree(top)


def write_atomically(path: str, body: bytes) -> None:
    """Replace ``path`` with ``body`` in one rename: a reader sees the old or the new file."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
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
        stat = os.stat(path)
    except FileNotFoundError:
        return None, None
    now: Tag = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if now == tag:
        return tag, None
    try:
        # Never blocks on a FIFO, never reads a device or a huge file whole.
        return now, read_small(path, "the published version record", PUBLISHED_FIX)
    except FileNotFoundError:
        return None, None


PUBLISHED_FIX = (
    "It is the small file collectstatic writes last: remove what is there and run "
    "collectstatic, which publishes the release it completes."
)
MARKER_LIMIT = 1 << 26
"""A marker lists every file of its release: 64 MiB is millions of names."""


def read_small(path: str, what: str, fix: str, limit: int = version_files.SMALL) -> bytes:
    """The bytes of the regular file ``path``, refusing a FIFO, a device or more than ``limit``."""
    return version_files.read_bytes(path, what, fix, limit=limit)


@contextlib.contextmanager
def locked(root: str, wait: float, waiting: Waiting = None) -> Iterator[str | None]:
    """Hold the collect lock of the release root ``root``; yields who held it before, if anyone.

    ``flock`` belongs to the open file: the kernel lets go when the process
    ends, killed or not, so a lock never outlives its collect.
    """
    os.makedirs(root, exist_ok=True)
    path = os.path.join(root, LOCK_NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        waited_for = _acquire(fd, wait, waiting)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(_holder()).encode(), 0)
        yield waited_for
    finally:
        os.close(fd)  # closing lets go of the lock


def _holder() -> dict[str, object]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}


def _acquire(fd: int, wait: float, waiting: Waiting) -> str | None:
    deadline = time.monotonic() + wait
    holder: str | None = None
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return holder
        except BlockingIOError:
            first = holder is None
            holder = describe_holder(os.pread(fd, 4096, 0))
            if time.monotonic() >= deadline:
                raise CollectBusy(holder) from None
            if first and waiting is not None:
                waiting(holder)
            time.sleep(0.05)


def describe_holder(body: bytes) -> str:
    """'pid 123 on web-1, for 4 s' from a lock's content; 'another process' if unreadable."""
    try:
        data = json.loads(body)
        since = max(0.0, time.time() - float(data["since"]))
        return f"pid {int(data['pid'])} on {data['host']}, for {since:.0f} s"
    except (ValueError, KeyError, TypeError):
        return "another process"
