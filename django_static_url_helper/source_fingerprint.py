"""One digest of the sources a collect listed: every name, path, size and identity at once.

An unchanged re-collect would otherwise check each source against its own
record (``source_records.Known``): a lookup, a parse and a comparison per
file, most of what it costs once the ``stat`` calls are made. The marker
also keeps the fingerprint of the whole listing: the SHA-256 of the
release's content digest and, per source in name order, its name, its path,
the size, inode, ``mtime_ns`` and ``ctime_ns`` its collect saw before
reading it, and its record as the marker holds it (so an edited record is
checked by itself again). It is recorded only when every source's times were settled
(``source_hashes.RACY_NS``). The next collect takes one ``stat`` per source,
and when the fingerprint of what it finds is the recorded one, every record
and the digest are reused in one comparison: the rule is the per-file rule,
for all files together. One file added, removed, moved to another folder or
changed, and the files are checked one by one again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping

Identity = tuple[int, int, int, int]
"""``(size, ino, mtime_ns, ctime_ns)`` of a source file."""


def fingerprint(digest: str, sources: Iterable[tuple[str, str, Identity, str]]) -> str:
    """The fingerprint of ``(name, path, identity, record)`` per source, in name order."""
    # Fields are joined with NUL, which no name, path or record holds: one text, one listing.
    fields = [digest]
    add = fields.append
    for name, path, (size, ino, mtime_ns, ctime_ns), record in sources:
        add(f"{name}\0{path}\0{size}\0{ino}\0{mtime_ns}\0{ctime_ns}\0{record}")
    return _sha256("\0".join(fields))


def of_listing(
    digest: str,
    pairs: list[tuple[str, str]],
    entries: Mapping[str, os.DirEntry[str]],
    records: Mapping[object, object],
) -> str | None:
    """The fingerprint of the sorted ``(name, path)`` pairs as they are now, with ``records``.

    None when one of them was not walked (no scandir entry: a finder or
    storage of its own lists it) or has no record: then each file is checked
    by itself.
    """
    fields = [digest]
    add = fields.append
    entry_of, record_of = entries.get, records.get
    for name, path in pairs:
        entry, record = entry_of(name), record_of(name)
        if entry is None or type(record) is not str:
            return None
        now = entry.stat()  # os.stat(path), links followed, as the collect that read it
        size, ino, mtime_ns, ctime_ns = now.st_size, now.st_ino, now.st_mtime_ns, now.st_ctime_ns
        add(f"{name}\0{path}\0{size}\0{ino}\0{mtime_ns}\0{ctime_ns}\0{record}")
    return _sha256("\0".join(fields))


def _sha256(text: str) -> str:
    # Any lone surrogate (a name's undecodable bytes, an unpaired UTF-16 half
    # on Windows, a "\ud800" a hand-edited marker's JSON holds) is encoded,
    # one way per code point: never an error, never two texts alike.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
