"""Hash the files to collect in a child process, on another CPU, while ``collectstatic`` copies.

Django's copy loop is Python code holding the GIL for most of its time, so a
hashing *thread* beside it slows it down about as much as it saves (measured
on 2 cores, bench/README.md figure 2). A child process (``hash_child``) has
its own interpreter: with a CPU to spare, the hashing adds little to the
copy. ``Pending`` hands it a list of files at once, ``Stream`` one file at
a time, as the copy takes them.

Anything unexpected (no Python interpreter to start, a file it cannot read,
a record that does not parse, a child that dies) falls back to hashing in
this process, with a warning; that read then raises the error a user should
see, if any."""

from __future__ import annotations

import contextlib
import logging
import os
import sys

from . import content_hash, hash_child

logger = logging.getLogger(__name__)

_MIN_FILES = 64
"""Fewer files than this are hashed in-process: starting a child costs more."""
_BATCH = 64
"""Paths a ``Stream`` hands over at once: one write per batch, not per file."""


class Pending:
    """The hashes of ``paths``, read by a child process started at once."""

    def __init__(self, paths: list[str], *, sha384: bool = False) -> None:
        self.paths, self.sha384 = paths, sha384
        self.child: hash_child.Child | None = None
        if len(paths) >= _MIN_FILES:
            self.child = _start_child(sha384, paths)

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
        self.child: hash_child.Child | None = None
        self.waiting: list[bytes] = []

    def add(self, path: str) -> None:
        self.paths.append(path)
        if self.child is not None:
            self.waiting.append(os.fsencode(path) + b"\0")
            if len(self.waiting) >= _BATCH:
                self._hand_over()
        elif len(self.paths) == _MIN_FILES:  # worth a child now
            self.child = _start_child(self.sha384, None)
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


def _start_child(sha384: bool, paths: list[str] | None) -> hash_child.Child | None:
    """A hashing child for ``paths`` (or for paths handed over later), None: hash here."""
    return hash_child.Child.start(sha384, paths) if hash_child.usable_interpreter() else None


def _in_process(paths: list[str], sha384: bool, unexpected: bool) -> list[content_hash.FileRead]:
    if unexpected and paths:
        logger.warning(
            "Hashing %d files in this process, after the copy: the hashing process "
            "(%s -m %s) did not give their hashes.",
            len(paths),
            sys.executable or "no interpreter",
            hash_child.__name__,
        )
    return content_hash.read_files(paths, sha384=sha384)
