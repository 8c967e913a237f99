"""Hash the files to collect in a child process, on another CPU, while ``collectstatic`` copies.

Django's copy loop is Python code holding the GIL for most of its time, so a
hashing *thread* beside it slows it down about as much as it saves (measured
on 2 cores, bench/README.md figure 2). A child process has its own
interpreter: with a CPU to spare, the hashing adds little to the copy. The
child imports ``content_hash`` (and the parts of Django it needs), no
settings and no apps; it reads NUL-terminated paths from its stdin and
writes one fixed-size record per file.

Anything unexpected (no Python interpreter to start, a file it cannot read,
a record that does not parse, a child that dies) falls back to hashing in
this process, with a warning; that read then raises the error a user should
see, if any."""

from __future__ import annotations

import contextlib
import logging
import os
import struct
import subprocess
import sys
import tempfile
from typing import IO

from . import content_hash

logger = logging.getLogger(__name__)

_MIN_FILES = 64
"""Fewer files than this are hashed in-process: starting a child costs more."""
_BATCH = 64
"""Paths a ``Stream`` hands over at once: one write per batch, not per file."""
_LINE = struct.Struct("<5q32s48s")
"""One file in the child's output: size read, ino, mtime_ns, ctime_ns, st_size, SHA-256, SHA-384."""
_NO_SHA384 = bytes(48)
_SHA256, _SHA384 = b"sha256", b"sha256+sha384"
"""The first NUL-separated field of the child's input: which hashes it computes."""


class Pending:
    """The hashes of ``paths``, read by a child process started at once."""

    def __init__(self, paths: list[str], *, sha384: bool = False) -> None:
        self.paths, self.sha384 = paths, sha384
        self.child: _Child | None = None
        if len(paths) >= _MIN_FILES and _interpreter():
            self.child = _Child.start(paths, sha384)

    def result(self) -> list[content_hash.FileRead]:
        """Each file's hashes, in the order of ``paths``."""
        child, self.child = self.child, None
        if child is None:
            return _in_process(self.paths, self.sha384, len(self.paths) >= _MIN_FILES)
        return child.collect(len(self.paths), self.sha384) or _in_process(
            self.paths, self.sha384, True
        )

    def close(self) -> None:
        """Stop a child whose result is no longer wanted (the collect failed)."""
        child, self.child = self.child, None
        if child is not None:
            child.process.kill()
            child.collect(0, self.sha384)


class Stream:
    """The hashes of paths handed over one at a time, read by a child as they come.

    For a collect that learns its files as it copies them: the child hashes
    each shortly after it is handed over, from the page cache the copy filled.
    """

    def __init__(self, *, sha384: bool = False) -> None:
        self.paths: list[str] = []
        self.sha384 = sha384
        self.child: _Child | None = None
        self.waiting: list[bytes] = []

    def add(self, path: str) -> None:
        self.paths.append(path)
        if self.child is not None:
            self.waiting.append(os.fsencode(path) + b"\0")
            if len(self.waiting) >= _BATCH:
                self._hand_over()
        elif len(self.paths) == _MIN_FILES and _interpreter():  # worth a child now
            self.child = _Child.start_streaming(self.sha384)
            self.waiting = [os.fsencode(path) + b"\0" for path in self.paths]
            self._hand_over()

    def _hand_over(self) -> None:
        data, self.waiting = b"".join(self.waiting), []
        child = self.child
        if child is None or child.process.stdin is None:
            return
        try:
            child.process.stdin.write(data)
            child.process.stdin.flush()
        except OSError:  # the child is gone: result() hashes in-process
            child.process.kill()

    def result(self) -> list[content_hash.FileRead]:
        """Each file's hashes, in the order the paths were added."""
        child, found = self.child, None
        if child is not None:
            self._hand_over()
            with contextlib.suppress(OSError):
                assert child.process.stdin is not None
                child.process.stdin.close()
            self.child = None
            found = child.collect(len(self.paths), self.sha384)
        if found is None:
            return _in_process(self.paths, self.sha384, len(self.paths) >= _MIN_FILES)
        return found

    def close(self) -> None:
        """Stop a child whose result is no longer wanted (the collect failed)."""
        child, self.child = self.child, None
        if child is not None:
            child.process.kill()
            with contextlib.suppress(OSError):
                assert child.process.stdin is not None
                child.process.stdin.close()
            child.collect(0, self.sha384)


class _Child:
    # The output goes to an unnamed temporary file, not a pipe: the child
    # never waits for the parent to read. Pending's input is one too, so the
    # parent never waits for the child to start; a Stream's is a pipe.
    def __init__(self, process: subprocess.Popen[bytes], output: IO[bytes]) -> None:
        self.process, self.output = process, output

    @classmethod
    def start(cls, paths: list[str], sha384: bool) -> _Child | None:
        env = _child_env()
        mode = _SHA384 if sha384 else _SHA256
        try:  # no temporary folder to write to: the collect hashes in-process
            output = tempfile.TemporaryFile()  # noqa: SIM115 (collect() closes it)
        except OSError:
            return None
        try:
            with tempfile.TemporaryFile() as given:
                given.write(mode + b"\0" + b"".join(os.fsencode(path) + b"\0" for path in paths))
                given.seek(0)
                command = [sys.executable, "-P", "-m", __name__]
                process = subprocess.Popen(
                    command, stdin=given, stdout=output, stderr=subprocess.DEVNULL, env=env
                )
        except OSError:
            output.close()
            return None
        return cls(process, output)

    @classmethod
    def start_streaming(cls, sha384: bool) -> _Child | None:
        """A child reading its paths from a pipe, the mode already written."""
        env = _child_env()
        try:
            output = tempfile.TemporaryFile()  # noqa: SIM115 (collect() closes it)
        except OSError:
            return None
        try:
            process = subprocess.Popen(
                [sys.executable, "-P", "-m", __name__],
                stdin=subprocess.PIPE,
                stdout=output,
                stderr=subprocess.DEVNULL,
                env=env,
            )
            assert process.stdin is not None
            process.stdin.write((_SHA384 if sha384 else _SHA256) + b"\0")
        except OSError:
            output.close()
            return None
        return cls(process, output)

    def collect(self, count: int, sha384: bool) -> list[content_hash.FileRead] | None:
        with self.output:
            if self.process.wait() != 0:
                return None
            self.output.seek(0)
            data = self.output.read()
        if len(data) != count * _LINE.size:
            return None
        found = []
        for size, ino, mtime_ns, ctime_ns, st_size, digest, integrity in _LINE.iter_unpack(data):
            before = content_hash.Status(st_size, ino, mtime_ns, ctime_ns)
            found.append(content_hash.FileRead(digest, size, before, integrity if sha384 else None))
        return found


def _interpreter() -> bool:
    """True when ``sys.executable`` is a Python to start (not uWSGI's, nor a frozen app's)."""
    return os.path.basename(sys.executable).lower().startswith(("python", "pypy"))


def _in_process(paths: list[str], sha384: bool, unexpected: bool) -> list[content_hash.FileRead]:
    if unexpected and paths:
        logger.warning(
            "Hashing %d files in this process, after the copy: the hashing process "
            "(%s -m %s) did not give their hashes.",
            len(paths),
            sys.executable or "no interpreter",
            __name__,
        )
    return content_hash.read_files(paths, sha384=sha384)


def _child_env() -> dict[str, str]:
    """The parent's environment, with this package's folder first on the path.

    The child finds this very copy of the package, also when the parent
    found it through an editable install's import hook, which a bare path
    does not give.
    """
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = [here, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def serve(given: IO[bytes], out: IO[bytes]) -> int:
    """The child: a mode, then paths, each ending in NUL, from ``given``; a record each to ``out``.

    Paths are hashed as they come, so a parent may hand them over one at a
    time (``Stream``).
    """
    mode, sha384, pending = None, False, b""
    read_some = getattr(given, "read1", given.read)  # what a pipe has so far
    while chunk := read_some(1 << 16):
        *items, pending = (pending + chunk).split(b"\0")
        if mode is None and items:
            mode, *items = items
            if mode not in (_SHA256, _SHA384):
                return 2
            sha384 = mode == _SHA384
        try:
            read = content_hash.read_files(
                [os.fsdecode(item) for item in items], workers=1, sha384=sha384
            )
        except OSError:
            return 1  # the parent hashes in-process and reports the error itself
        for found in read:
            before = found.before
            fields = (
                found.size,
                before.st_ino,
                before.st_mtime_ns,
                before.st_ctime_ns,
                before.st_size,
            )
            out.write(_LINE.pack(*fields, found.digest, found.sha384 or _NO_SHA384))
    out.flush()
    return 0 if mode is not None and not pending else 2


if __name__ == "__main__":
    sys.exit(serve(sys.stdin.buffer, sys.stdout.buffer))
