"""The hashing of one collect: begun before or during the copy, finished when the digest is needed.

``hashing`` hashes the files the finders list, reusing what the marker of
the release the collect starts from vouches for; ``streamed_hashing`` the
files Django's collect hands over as it copies them (a collect that reuses
nothing). Both read in a child process (``hash_worker``) when they can.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping

from . import content_hash, hash_worker, source_hashes


class Hashing:
    """The digest of the files to collect, computed when first asked for."""

    def __init__(self, work: Callable[[], source_hashes.Hashed]) -> None:
        self.work = work
        self.done: source_hashes.Hashed | None = None

    def result(self) -> source_hashes.Hashed:
        if self.done is None:
            self.done = self.work()
        return self.done

    def __call__(self) -> str:
        return self.result().digest

    def records(self) -> Mapping[str, source_hashes.Record]:
        return self.result().records


@contextlib.contextmanager
def hashing(
    found: list[tuple[str, str]],
    known: source_hashes.Known,
    sha384: dict[str, bytes] | None = None,
    *,
    beside_copy: bool = True,
    entries: Mapping[str, os.DirEntry[str]] | None = None,
) -> Iterator[Hashing]:
    """The hashing of the files to collect, begun now, finished when the digest is asked for.

    Hashing reads every byte the ``known`` records do not vouch for. Beside
    the copy it runs in a child process (``hash_worker``); a version that is
    the digest (a content stamp with release directories) is needed before
    the copy, and then this process hashes on up to two threads, which is
    faster when nothing else runs. Once the digest is in, ``sha384`` holds the
    SHA-384 of each file read (integrity values). A collect that fails stops
    the child. ``entries``: the scandir entries the listing found (``Started``).
    """
    started = source_hashes.Started(found, known, entries)
    paths, want = started.paths(), sha384 is not None
    if not beside_copy:
        yield Hashing(lambda: started.finish(content_hash.read_files(paths, sha384=want), sha384))
        return
    pending = hash_worker.Pending(paths, sha384=want)
    try:
        yield Hashing(lambda: started.finish(pending.result(), sha384))
    finally:
        pending.close()


class Streamed:
    """The files a collect hands over as it copies them, each hashed by a child meanwhile."""

    def __init__(self, sha384: bool) -> None:
        self.pairs: list[tuple[str, str]] = []
        self.stream = hash_worker.Stream(sha384=sha384)
        self.started = time.time_ns()

    def add(self, name: str, path: str) -> None:
        self.pairs.append((name.replace(os.sep, "/"), path))
        self.stream.add(path)


@contextlib.contextmanager
def streamed_hashing(sha384: dict[str, bytes] | None) -> Iterator[tuple[Streamed, Hashing]]:
    """``hashing`` for a collect that learns its files as it copies them (one folder)."""
    streamed = Streamed(sha384 is not None)

    def finish() -> source_hashes.Hashed:
        started = source_hashes.Started.in_read_order(streamed.pairs, streamed.started)
        return started.finish(streamed.stream.result(), sha384)

    try:
        yield streamed, Hashing(finish)
    finally:
        streamed.stream.close()
