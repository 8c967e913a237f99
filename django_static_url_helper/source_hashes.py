"""The hashes of a collect's source files, reusing the ones an earlier collect recorded.

A collect hashes every file the finders list: the digest of them all is the
release's content (``content_hash.combine``). Reading every byte again when
nothing changed is most of an unchanged re-collect, so the marker records,
per source file, what its collect read: the size and sha256 of its bytes,
and the file's inode, ``mtime_ns`` and ``ctime_ns`` just before the first
byte was read. The next collect reuses a recorded hash only when the file
has that size, inode, ``mtime_ns`` and ``ctime_ns`` now; any other file is
read again. Writing a file changes its ``ctime``, and only the kernel sets
it, from its clock, so a changed file goes unnoticed only if that clock was
set back by hand. A file changed less than ``RACY_NS`` before its collect read
it is not recorded as known: a write soon after the read could fall in the
same tick of the file system's clock and leave both times as they were.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping

from . import content_hash, source_fingerprint
from .source_records import Hashed, Known, Record, encode, record_text, sizes

__all__ = ["RACY_NS", "Hashed", "Known", "Record", "Started", "encode", "hash_sources", "sizes"]

RACY_NS = 2_000_000_000
"""Files changed this recently (ns) are hashed again next time: timestamps can be that coarse."""


def hash_sources(
    found: Iterable[tuple[str, str]],
    known: Known,
    *,
    workers: int | None = None,
    sha384: dict[str, bytes] | None = None,
) -> Hashed:
    """Hash the ``(name, path)`` pairs, reusing a ``known`` record where the file is unchanged.

    With ``sha384``, the SHA-384 of each file read is put there by name; a
    file whose record was reused is not read, and gets none.
    """
    started = Started(found, known)
    read = content_hash.read_files(started.paths(), workers=workers, sha384=sha384 is not None)
    return started.finish(read, sha384)


class Started:
    """A hashing of sources begun: the known records checked, the other files still to read."""

    def __init__(
        self,
        found: Iterable[tuple[str, str]],
        known: Known,
        entries: Mapping[str, os.DirEntry[str]] | None = None,
    ) -> None:
        """``entries``: the scandir entry of a source's path, by name, where one was listed."""
        self.pairs = sorted(found)
        self.records: dict[str, Record] = {}
        self.unread: list[tuple[str, str]] = []
        self.vouched = known.vouched(self.pairs, entries)
        if self.vouched is not None:  # every source as recorded: nothing to check one by one
            self.started = time.time_ns()
            return
        entry_of = (entries or {}).get
        for name, path in self.pairs:
            record = known.unchanged(name, path, entry_of(name))
            if record is not None:
                self.records[name] = record
            else:
                self.unread.append((name, path))
        # Before any byte is read: a file changed after this is not trusted (RACY_NS).
        self.started = time.time_ns()

    @classmethod
    def in_read_order(cls, pairs: list[tuple[str, str]], started: int) -> Started:
        """A hashing of ``pairs`` under way since ``started``: none known, read in this order."""
        begun = cls([], Known(None))
        begun.pairs, begun.unread, begun.started = sorted(pairs), pairs, started
        return begun

    def paths(self) -> list[str]:
        """The files whose hashes no record vouches for, to read in this order."""
        return [path for _name, path in self.unread]

    def finish(self, read: list[content_hash.FileRead], sha384: dict[str, bytes] | None) -> Hashed:
        """The records and digest, from the reads of ``paths()``."""
        if self.vouched is not None:
            return self.vouched
        records = self.records
        digests = {name: bytes.fromhex(record.sha256) for name, record in records.items()}
        settled_before = self.started - RACY_NS
        for (name, _path), done in zip(self.unread, read, strict=True):
            if sha384 is not None and done.sha384 is not None:
                sha384[name] = done.sha384
            before = done.before
            trusted = (
                max(before.st_mtime_ns, before.st_ctime_ns) <= settled_before
                and before.st_size == done.size
            )
            stat = (before.st_ino, before.st_mtime_ns, before.st_ctime_ns) if trusted else None
            digests[name] = done.digest
            records[name] = Record(done.size, done.digest.hex(), stat)
        digest = content_hash.combine((name, digests[name]) for name, _ in self.pairs)
        return Hashed(digest, records, len(self.unread), self.fingerprint(digest))

    def fingerprint(self, digest: str) -> str | None:
        """The listing's fingerprint, when every record's times were settled."""
        records = self.records
        sources = []
        for name, path in self.pairs:
            record = records[name]
            if record.stat is None:
                return None
            sources.append((name, path, (record.size, *record.stat), record_text(record)))
        return source_fingerprint.fingerprint(digest, sources)
