"""What a marker records of a collect's sources, and what a later collect reuses of it.

Per source file, one string: ``"<size> <sha256>[ <ino> <mtime_ns> <ctime_ns>]"``
(``encode``), and for the whole listing one fingerprint
(``source_fingerprint``). ``Known`` checks a record against the file now
(``source_hashes`` has the rule); ``Known.vouched`` takes every record at
once when the listing is the one fingerprinted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from django.core.management.base import CommandError

from . import source_fingerprint

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


def encode(records: Mapping[str, Record]) -> dict[str, str]:
    """The marker's ``sources``: ``"<size> <sha256>[ <ino> <mtime_ns> <ctime_ns>]"`` per name.

    One string per file, not an object: a marker of 3,000 files parses in a
    third of the time, and an unchanged re-collect reads it first.
    """
    return {name: record_text(record) for name, record in sorted(records.items())}


def record_text(record: Record) -> str:
    """One source's entry in the marker's ``sources``."""
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
        # Vouched for, the digest is taken as it is (the stamp, the version):
        # only ever one the per-file rule could have computed.
        self.digest = digest if isinstance(digest, str) and _SHA256_RE.fullmatch(digest) else None

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
