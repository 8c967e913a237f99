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
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

from django.core.management.base import CommandError

from . import content_hash, source_fingerprint

RACY_NS = 2_000_000_000
"""Files changed this recently (ns) are hashed again next time: timestamps can be that coarse."""
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_HEX_DIGITS = "0123456789abcdef"


class Record(NamedTuple):
    size: int
    sha256: str
    """The hex digest of the file's bytes."""
    stat: tuple[int, int, int] | None
    """``(ino, mtime_ns, ctime_ns)`` when it was read, or None: hash it again next time."""


# A NamedTuple's own constructor is Python code: tuple's is a C call, per source
# checked (thousands on an unchanged re-collect).
_new_record = tuple.__new__


class Hashed(NamedTuple):
    digest: str
    """The digest of every source, as ``content_hash.hash_files`` gives it."""
    records: Mapping[str, Record]
    read: int
    """How many files were read; the others' hashes were reused."""
    listed: str | None = None
    """The fingerprint of the listing to record (``source_fingerprint``), or None."""


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
            sources.append((name, path, (record.size, *record.stat), _encoded(record)))
        return source_fingerprint.fingerprint(digest, sources)


def encode(records: Mapping[str, Record]) -> dict[str, str]:
    """The marker's ``sources``: ``"<size> <sha256>[ <ino> <mtime_ns> <ctime_ns>]"`` per name.

    One string per file, not an object: a marker of 3,000 files parses in a
    third of the time, and an unchanged re-collect reads it first.
    """
    return {name: _encoded(record) for name, record in sorted(records.items())}


def _encoded(record: Record) -> str:
    return " ".join(map(str, [record.size, record.sha256, *(record.stat or ())]))


class Known:
    """The records of a marker's ``sources``, each checked when it is looked up.

    A marker is a file on disk or in a bucket that anyone with write access
    could have edited or cut short: an entry that is not exactly a record is
    unknown, and its file is hashed again.
    """

    def __init__(self, sources: object, listed: object = None, digest: object = None) -> None:
        """``listed`` and ``digest``: the marker's fingerprint of the listing and content."""
        self.sources: dict[object, object] = sources if isinstance(sources, dict) else {}
        self.listed = listed if isinstance(listed, str) else None
        self.digest = digest if isinstance(digest, str) else None

    def vouched(
        self, pairs: list[tuple[str, str]], entries: Mapping[str, os.DirEntry[str]] | None
    ) -> Hashed | None:
        """The digest and every record at once, if the listing is the one fingerprinted."""
        if self.listed is None or self.digest is None or not entries:
            return None
        found = source_fingerprint.of_listing(self.digest, pairs, entries, self.sources)
        if found != self.listed:
            return None
        records = _Recorded(self.sources, [name for name, _path in pairs])
        return Hashed(self.digest, records, 0, self.listed)

    def unchanged(
        self, name: str, path: str, listed: os.DirEntry[str] | None = None
    ) -> Record | None:
        """The record of ``name`` if the file at ``path`` still has its size and identity.

        ``listed``: the scandir entry of ``path``, whose ``stat()`` is that of
        ``os.stat(path)`` (links followed) taken now, once, for this check only.
        """
        entry = self.sources.get(name)
        if not isinstance(entry, str):
            return None
        now = os.stat(path) if listed is None else listed.stat()
        # Compared as text: the digits a valid entry holds are exactly these.
        size, identity = now.st_size, (now.st_ino, now.st_mtime_ns, now.st_ctime_ns)
        head = f"{size} "
        sha256 = entry[len(head) : len(head) + 64]
        if entry != f"{head}{sha256} {identity[0]} {identity[1]} {identity[2]}":
            return None
        # Exactly 64 lowercase hex digits: nothing is left once those are stripped.
        if len(sha256) != 64 or sha256.strip(_HEX_DIGITS):
            return None
        return _new_record(Record, (size, sha256, identity))


class _Recorded(Mapping[str, Record]):
    """The records of a fingerprinted listing, parsed only if they are looked at."""

    def __init__(self, sources: dict[object, object], names: list[str]) -> None:
        self.sources, self.names = sources, names
        self.parsed: dict[str, Record] | None = None

    def all(self) -> dict[str, Record]:
        if self.parsed is None:
            parsed = {name: _decode(self.sources.get(name)) for name in self.names}
            broken = [name for name, record in parsed.items() if record is None]
            if broken:  # a marker edited by hand, fingerprint and all
                raise CommandError(
                    f"The marker's record of {broken[0]} is not one, although the marker "
                    f"vouches for it: run collectstatic --rehash to read every file again."
                )
            self.parsed = {name: record for name, record in parsed.items() if record}
        return self.parsed

    def __getitem__(self, name: str) -> Record:
        return self.all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self.names)


def _decode(entry: object) -> Record | None:
    fields: list[str] = entry.split(" ") if isinstance(entry, str) else []
    if len(fields) not in (2, 5) or not _SHA256_RE.fullmatch(fields[1]):
        return None
    numbers = [_number(field) for field in [fields[0], *fields[2:]]]
    if None in numbers:
        return None
    size, *stat = (number or 0 for number in numbers)
    return Record(size, fields[1], (stat[0], stat[1], stat[2]) if stat else None)


def _number(field: str) -> int | None:
    # Plain ASCII digits only: int() would take "+1", " 1", "1_0" and "²" too.
    return int(field) if field.isascii() and field.isdigit() else None


def sizes(sources: object) -> dict[str, int]:
    """Name to size of a marker's ``sources`` (also of a marker written before records)."""
    found: dict[str, int] = {}
    if isinstance(sources, dict):
        for name, entry in sources.items():
            if type(entry) is int:
                found[name] = entry
            elif (record := _decode(entry)) is not None:
                found[name] = record.size
    return found
