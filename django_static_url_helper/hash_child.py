"""The hashing child process of ``hash_worker``: starting it, reading it, and its own side.

The child is ``python -P -m django_static_url_helper.hash_child``. It reads
a mode, then paths, each ending in NUL, from its stdin, and writes one
fixed-size record per path to its stdout, hashing each path as it comes (a
parent may hand them over one at a time). It loads no settings and no apps:
``content_hash`` and the parts of Django it imports.
"""

from __future__ import annotations

import contextlib
import os
import struct
import subprocess
import sys
import tempfile
from typing import IO, Any

from . import content_hash

RECORD = struct.Struct("<5q32s48s")
"""One file: size read, ino, mtime_ns, ctime_ns, st_size, SHA-256, SHA-384."""
NO_SHA384 = bytes(48)
SHA256, SHA384 = b"sha256", b"sha256+sha384"
"""The first field of the input: which hashes the child computes."""


def serve(given: IO[bytes], out: IO[bytes]) -> int:
    """The child: a mode, then paths, each ending in NUL, from ``given``; a record each to ``out``.

    Paths are hashed as they come, so a parent may hand them over one at a
    time (``hash_worker.Stream``).
    """
    mode, sha384, pending = None, False, b""
    read_some = getattr(given, "read1", given.read)  # what a pipe has so far
    while chunk := read_some(1 << 16):
        *items, pending = (pending + chunk).split(b"\0")
        if mode is None and items:
            mode, *items = items
            if mode not in (SHA256, SHA384):
                return 2
            sha384 = mode == SHA384
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
            out.write(RECORD.pack(*fields, found.digest, found.sha384 or NO_SHA384))
    out.flush()
    return 0 if mode is not None and not pending else 2


class Child:
    # The output goes to an unnamed temporary file, not a pipe: the child
    # never waits for the parent to read. Pending's input is one too, so the
    # parent never waits for the child to start; a Stream's is a pipe.
    def __init__(self, process: subprocess.Popen[bytes], output: IO[bytes]) -> None:
        self.process, self.output = process, output

    @classmethod
    def start(cls, sha384: bool, paths: list[str] | None = None) -> Child | None:
        """A child hashing ``paths``, or, without them, the paths later written to its stdin."""
        mode = (SHA384 if sha384 else SHA256) + b"\0"
        try:  # no temporary folder to write to: the collect hashes in-process
            output = tempfile.TemporaryFile()  # noqa: SIM115 (collect() closes it)
        except OSError:
            return None
        try:
            with contextlib.ExitStack() as stack:
                given: Any = subprocess.PIPE
                if paths is not None:
                    given = stack.enter_context(tempfile.TemporaryFile())
                    given.write(mode + b"".join(os.fsencode(path) + b"\0" for path in paths))
                    given.seek(0)
                process = subprocess.Popen(
                    [sys.executable, "-P", "-m", __name__],
                    stdin=given,
                    stdout=output,
                    stderr=subprocess.DEVNULL,
                    env=child_env(),
                )
                if process.stdin is not None:
                    process.stdin.write(mode)
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
        if len(data) != count * RECORD.size:
            return None
        found = []
        for (
            size,
            ino,
            mtime_ns,
            ctime_ns,
            st_size,
            digest,
            integrity,
        ) in RECORD.iter_unpack(data):
            before = content_hash.Status(st_size, ino, mtime_ns, ctime_ns)
            found.append(content_hash.FileRead(digest, size, before, integrity if sha384 else None))
        return found


def usable_interpreter() -> bool:
    """True when ``sys.executable`` is a Python to start (not uWSGI's, nor a frozen app's)."""
    return os.path.basename(sys.executable).lower().startswith(("python", "pypy"))


def child_env() -> dict[str, str]:
    """The parent's environment, with this package's folder first on the path.

    The child finds this very copy of the package, also when the parent
    found it through an editable install's import hook, which a bare path
    does not give.
    """
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = [here, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


if __name__ == "__main__":
    sys.exit(serve(sys.stdin.buffer, sys.stdout.buffer))
