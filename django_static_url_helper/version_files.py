"""Stat and read the small files a version comes from, safely at settings import.

The deploy file, the stamp and git's files (``.git``, ``HEAD``, ``commondir``,
refs, ``packed-refs``) are read while ``settings.py`` is imported. Whatever
sits at such a path, the result is its content or an ``ImproperlyConfigured``
that says what is wrong with which file: never a raw ``OSError`` or
``UnicodeDecodeError``, never a read that blocks (a FIFO, a device), and never
the file's content in the message, since a misconfigured path may name a file
that is not meant to be shown.

A missing file raises ``FileNotFoundError``: each caller says in its own words
what to create.
"""

from __future__ import annotations

import os
import stat

from django.core.exceptions import ImproperlyConfigured

# O_NONBLOCK: should a FIFO take the place of the file between the stat and the
# open, the open returns at once instead of waiting for a writer.
_OPEN_FLAGS = os.O_RDONLY
for _flag in ("O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC", "O_BINARY"):
    _OPEN_FLAGS |= getattr(os, _flag, 0)

SMALL = 4096
"""Bytes a one-line file (HEAD, a ref, a stamp, a link) may hold at most."""

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def kind(mode: int) -> str:
    """What a file that is not regular is, for a message: ``'a directory'``, ..."""
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def _capital(what: str) -> str:
    return what[:1].upper() + what[1:]


def _require_regular(mode: int, path: str, what: str, fix: str) -> None:
    if not stat.S_ISREG(mode):
        raise ImproperlyConfigured(
            f"{_capital(what)} {path} is {kind(mode)}, not a regular file. {fix}"
        )


def stat_regular(path: str | os.PathLike[str], what: str, fix: str) -> os.stat_result:
    """``os.stat(path)`` of a regular file (symlinks followed); anything else is refused.

    ``what`` names the file in a message (``"the static version stamp"``) and
    ``fix`` says what to do about it.
    """
    path = os.fspath(path)
    try:
        result = os.stat(path)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ImproperlyConfigured(f"Cannot stat {what} {path}: {exc.strerror}. {fix}") from None
    _require_regular(result.st_mode, path, what, fix)
    return result


def read_bytes(
    path: str | os.PathLike[str], what: str, fix: str, *, limit: int | None = SMALL
) -> bytes:
    """The bytes of the regular file at ``path``; more than ``limit`` bytes is refused."""
    path = os.fspath(path)
    # Checked before opening: opening a FIFO waits for a writer, a device may act.
    stat_regular(path, what, fix)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ImproperlyConfigured(f"Cannot read {what} {path}: {exc.strerror}. {fix}") from None
    try:
        _require_regular(os.fstat(fd).st_mode, path, what, fix)  # replaced since the stat
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
            size += len(chunk)
            if limit is not None and size > limit:
                raise ImproperlyConfigured(
                    f"{_capital(what)} {path} holds more than {limit} bytes, far more than it "
                    f"ever does. {fix}"
                )
    except OSError as exc:
        raise ImproperlyConfigured(f"Cannot read {what} {path}: {exc.strerror}. {fix}") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_text(
    path: str | os.PathLike[str], what: str, fix: str, *, limit: int | None = SMALL
) -> str:
    """The text of the regular file at ``path``, which must be UTF-8."""
    data = read_bytes(path, what, fix, limit=limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImproperlyConfigured(
            f"{_capital(what)} {os.fspath(path)} is not UTF-8 text (byte {exc.start} cannot be "
            f"decoded). {fix}"
        ) from None
