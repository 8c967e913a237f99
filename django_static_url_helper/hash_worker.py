"""Hash the files to collect in a child process, on another CPU, while ``collectstatic`` copies.

Django's copy loop is Python code holding the GIL for most of its time, so a
hashing *thread* beside it slows it down about as much as it saves (measured
on 2 cores, bench/README.md figure 2). A child process has its own
interpreter: on a machine with a second CPU the hashing costs the copy next
to nothing. The child imports nothing from Django or the project; it reads
the paths from its stdin and writes one line per file to its stdout.

Anything unexpected (no interpreter to start, a file it cannot read, a line
that does not parse, a child that dies) falls back to hashing in this
process, which then raises the error a user should see, if any.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import tempfile
from typing import IO

from . import content_hash

_MIN_FILES = 64
"""Fewer files than this are hashed in-process: starting a child costs more."""
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
        if len(paths) >= _MIN_FILES and sys.executable:
            self.child = _Child.start(paths, sha384)

    def result(self) -> list[content_hash.FileRead]:
        """Each file's hashes, in the order of ``paths``."""
        child, self.child = self.child, None
        found = None if child is None else child.collect(len(self.paths), self.sha384)
        if found is None:
            return content_hash.read_files(self.paths, sha384=self.sha384)
        return found

    def close(self) -> None:
        """Stop a child whose result is no longer wanted (the collect failed)."""
        child, self.child = self.child, None
        if child is not None:
            child.process.kill()
            child.collect(0, self.sha384)


class _Child:
    # Input and output go through unnamed temporary files, not pipes: the
    # parent never waits for the child to start, nor the child for the parent
    # to read.
    def __init__(self, process: subprocess.Popen[bytes], output: IO[bytes]) -> None:
        self.process, self.output = process, output

    @classmethod
    def start(cls, paths: list[str], sha384: bool) -> _Child | None:
        # -S and the parent's sys.path: the child finds this package where the
        # parent did, and skips the site start-up it does not need.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, sys.path))}
        mode = _SHA384 if sha384 else _SHA256
        output = tempfile.TemporaryFile()  # noqa: SIM115 (collect() closes it)
        try:
            with tempfile.TemporaryFile() as given:
                given.write(b"\0".join([mode, *(os.fsencode(path) for path in paths)]))
                given.seek(0)
                command = [sys.executable, "-S", "-m", __name__]
                process = subprocess.Popen(
                    command, stdin=given, stdout=output, stderr=subprocess.DEVNULL, env=env
                )
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


def serve(given: IO[bytes], out: IO[bytes]) -> int:
    """The child: a mode, then NUL-separated paths, from ``given``; one record each to ``out``."""
    mode, *paths = given.read().split(b"\0")
    if mode not in (_SHA256, _SHA384):
        return 2
    try:
        read = content_hash.read_files(
            [os.fsdecode(path) for path in paths], workers=1, sha384=mode == _SHA384
        )
    except OSError:
        return 1  # the parent hashes in-process and reports the error itself
    for found in read:
        before = found.before
        fields = (found.size, before.st_ino, before.st_mtime_ns, before.st_ctime_ns, before.st_size)
        out.write(_LINE.pack(*fields, found.digest, found.sha384 or _NO_SHA384))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.stdin.buffer, sys.stdout.buffer))
