"""The collect lock of a release root on a file system: ``flock`` on ``<root>/.collectstatic.lock``.

``release_folders`` re-exports all of it; ``bucket_lease`` is the same lock
in a bucket, with the same ``HeldLock`` interface.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import stat
import time
from collections.abc import Callable, Iterator

from .version_files import kind

LOCK_NAME = ".collectstatic.lock"

Waiting = Callable[[str], None] | None
"""Told who holds the lock, once, when a collect starts waiting for it."""


class CollectBusy(Exception):
    """Another collectstatic holds the release root's lock for longer than we may wait."""


class LockUnusable(Exception):
    """The collect lock cannot be taken at all: what is wrong, where, and the fix."""


class LockLost(LockUnusable):
    """The collect lost its lock while it ran: it must not publish."""


class HeldLock:
    """What a collect lock yields. ``flock`` cannot be lost: this one always holds."""

    def __init__(self, waited_for: str | None) -> None:
        self.waited_for = waited_for
        """Who held the lock while this waited for it, if it waited."""

    def held(self) -> bool:
        return True

    def check(self) -> None:
        """Raise ``LockLost`` if the lock was lost (a bucket lease can be; ``flock`` never)."""


@contextlib.contextmanager
def locked(root: str, wait: float, waiting: Waiting = None) -> Iterator[HeldLock]:
    """Hold the collect lock of the release root ``root``.

    ``flock`` belongs to the open file: the kernel lets go when the process
    ends, killed or not, so a lock never outlives its collect.
    """
    path = os.path.join(root, LOCK_NAME)
    fd = _open_lock(root, path)
    try:
        waited_for = _acquire(fd, wait, waiting)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(_holder()).encode(), 0)
        yield HeldLock(waited_for)
    finally:
        os.close(fd)  # closing lets go of the lock


def _open_lock(root: str, path: str) -> int:
    # Never follow a link planted there (we would truncate its target), never
    # block on a FIFO, and lock only a regular file.
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        os.makedirs(root, exist_ok=True)
        fd = os.open(path, flags, 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise LockUnusable(f"{path} is a symbolic link; {_REMOVE}") from None
        if error.errno == errno.EISDIR:
            raise LockUnusable(f"{path} is a directory, not a file; {_REMOVE}") from None
        raise LockUnusable(
            f"Cannot open the collect lock {path}: {error.strerror}. Make {root} writable "
            f"for the user collectstatic runs as."
        ) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise LockUnusable(f"{path} is {kind(mode)}, not a file; {_REMOVE}")
    return fd


_REMOVE = "remove it: collectstatic creates its lock file itself, and locks nothing else."


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
    except (ValueError, KeyError, TypeError, OverflowError):
        return "another process"
