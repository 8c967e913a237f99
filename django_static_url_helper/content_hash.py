"""Hash a directory tree's content: the files' digests, combined into one.

Hashing a large STATIC_ROOT takes a noticeable fraction of a second, so it is
done once per deploy (by ``collectstatic``, or ``manage.py static_url stamp``
for a tree collected elsewhere) and kept in the stamp (``stamp_file``), which
every process reads at boot instead of walking the tree.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from typing import NamedTuple

from django.core.exceptions import ImproperlyConfigured

_CHUNK = 1 << 18
# Files per task: large enough that the pool costs little, small enough to balance.
_BATCH = 32
_MAX_WORKERS = 8
# Below this many batches starting threads costs more than it saves.
_MIN_PARALLEL_BATCHES = 4
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows would otherwise translate line ends


def _files(root: str) -> list[str]:
    """Relative paths (with '/') of every regular file below ``root``, sorted."""
    found: list[str] = []
    stack = [""]
    while stack:
        prefix = stack.pop()
        with os.scandir(os.path.join(root, prefix)) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=True):
                    stack.append(rel + "/")
                elif entry.is_file(follow_symlinks=True):
                    found.append(rel)
    found.sort()
    return found


def hash_tree(
    root: str | os.PathLike[str],
    exclude: set[str] | None = None,
    *,
    workers: int | None = None,
) -> str:
    """Return a sha256 hex digest of every file name and file content below ``root``.

    Equal trees give equal digests on every machine: names are sorted and
    joined with '/', and modification times and permissions play no part.
    """
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise ImproperlyConfigured(
            f"Cannot hash {root}: it is not a directory. Run collectstatic first, "
            f"or pass the folder that holds the static files."
        )
    return hash_files(
        (
            (rel, os.path.join(root, rel))
            for rel in _files(root)
            if not exclude or rel not in exclude
        ),
        workers=workers,
    )


def hash_files(
    files: Iterable[tuple[str, str]],
    *,
    workers: int | None = None,
    sha384: dict[str, bytes] | None = None,
) -> str:
    """Digest of ``(name, path)`` pairs: ``name`` relative with '/', ``path`` where to read it.

    ``hash_tree(root)`` is this over the files below ``root``, so a tree can be
    hashed before it is collected, from the files the finders list. ``workers``
    threads read and hash files (default: one per CPU); the digest never
    depends on it. With ``sha384``, each file's SHA-384 is put there by name,
    from the same read (the integrity values of the collect).
    """
    pairs = sorted(files)
    paths = [path for _rel, path in pairs]
    read = read_files(paths, workers=workers, sha384=sha384 is not None)
    if sha384 is not None:
        for (rel, _path), found in zip(pairs, read, strict=True):
            if found.sha384 is not None:
                sha384[rel] = found.sha384
    return combine((rel, found.digest) for (rel, _path), found in zip(pairs, read, strict=True))


def combine(digests: Iterable[tuple[str, bytes]]) -> str:
    """The digest of a tree from ``(name, sha256 digest of its bytes)`` pairs, sorted by name.

    The one definition of a tree's digest: a collect that reuses recorded
    file hashes gets the same digest as one that reads every byte.
    """
    parts: list[bytes] = []
    for rel, digest in digests:
        parts += (rel.encode("utf-8", "surrogateescape"), b"\x00", digest)
    # One update of the whole: the same digest as one update per part, in less time.
    return hashlib.sha256(b"".join(parts)).hexdigest()


class Status(NamedTuple):
    """What a collect records of a file's status (``os.stat_result``'s fields of the same names)."""

    st_size: int
    st_ino: int
    st_mtime_ns: int
    st_ctime_ns: int


def status(found: os.stat_result) -> Status:
    return Status(found.st_size, found.st_ino, found.st_mtime_ns, found.st_ctime_ns)


class FileRead(NamedTuple):
    digest: bytes
    """sha256 of the bytes read."""
    size: int
    """How many bytes were read."""
    before: Status
    """The open file's status before its first byte was read."""
    sha384: bytes | None = None
    """SHA-384 of the same bytes, when asked for (an integrity value)."""


def read_files(
    paths: list[str], *, workers: int | None = None, sha384: bool = False
) -> list[FileRead]:
    """Hash each file of ``paths``, in order, on ``workers`` threads (default: one per CPU).

    With ``sha384`` each file is hashed with SHA-384 too, in the same read.
    """
    batches = [paths[start : start + _BATCH] for start in range(0, len(paths), _BATCH)]
    count = min(default_workers() if workers is None else max(1, workers), len(batches))
    read_batch = _read_batch_384 if sha384 else _read_batch
    if count <= 1 or len(batches) < _MIN_PARALLEL_BATCHES:
        return read_batch(paths)
    # Imported here: settings.py imports this module at every boot, and never hashes.
    from concurrent.futures import ThreadPoolExecutor

    # hashlib and file reads release the GIL, so threads overlap on several CPUs.
    with ThreadPoolExecutor(count, thread_name_prefix="static-hash") as pool:
        return [found for batch in pool.map(read_batch, batches) for found in batch]


def default_workers() -> int:
    """Threads ``hash_files`` uses by default: the CPUs this process may run on, at most 8."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover (macOS, Windows)
        cpus = os.cpu_count() or 1
    return max(1, min(_MAX_WORKERS, cpus))


def _read_batch(paths: list[str]) -> list[FileRead]:
    found = []
    for path in paths:
        file_hash = hashlib.sha256()
        # os.read beats a file object's readinto here: far less Python per file.
        fd = os.open(path, os.O_RDONLY | _O_BINARY)
        try:
            before, size = status(os.fstat(fd)), 0
            while chunk := os.read(fd, _CHUNK):
                file_hash.update(chunk)
                size += len(chunk)
        finally:
            os.close(fd)
        found.append(FileRead(file_hash.digest(), size, before))
    return found


def _read_batch_384(paths: list[str]) -> list[FileRead]:
    """``_read_batch``, each file also hashed with SHA-384 in the same read."""
    found = []
    for path in paths:
        file_hash, integrity = hashlib.sha256(), hashlib.sha384()
        fd = os.open(path, os.O_RDONLY | _O_BINARY)
        try:
            before, size = status(os.fstat(fd)), 0
            while chunk := os.read(fd, _CHUNK):
                file_hash.update(chunk)
                integrity.update(chunk)
                size += len(chunk)
        finally:
            os.close(fd)
        found.append(FileRead(file_hash.digest(), size, before, integrity.digest()))
    return found
