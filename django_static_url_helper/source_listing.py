"""The source files a collect copies: what the staticfiles finders list, the first found winning.

Listing the sources is most of what an unchanged re-collect does. Django's
finders list through ``staticfiles.utils.get_files``, which matches every
name against every ignore pattern one ``fnmatch`` call at a time; for
Django's own two finders on plain ``FileSystemStorage`` folders this lists
the same files the same way (``os.scandir``, links to folders followed, each
name and path matched against the patterns) with the patterns compiled into
one expression. Any other finder or storage is asked through its ``list``.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from django.contrib.staticfiles.finders import (
    AppDirectoriesFinder,
    FileSystemFinder,
    get_finders,
)
from django.contrib.staticfiles.utils import get_files
from django.core.files.storage import FileSystemStorage, Storage

Ignored = Callable[[str], bool]


class Listing(NamedTuple):
    files: list[tuple[str, str]]
    """``(name, source path)``, sorted by name."""
    entries: dict[str, os.DirEntry[str]]
    """The scandir entry of each file the fast walk listed, by name: its ``stat()``
    is the one ``os.stat`` of that source path would give, without building the
    path again (the entry's ``path`` is the source path)."""


def found_files(ignore_patterns: list[str]) -> list[tuple[str, str]]:
    """``(name, source path)`` of what ``collect()`` copies: the first found wins."""
    return listing(ignore_patterns).files


def listing(ignore_patterns: list[str]) -> Listing:
    """``found_files``, with the scandir entries of the files walked here."""
    ignored = matcher(ignore_patterns)
    found: dict[str, str] = {}
    entries: dict[str, os.DirEntry[str]] = {}
    for finder in get_finders():
        for path, storage, entry in listed(finder, ignore_patterns, ignored):
            prefix = getattr(storage, "prefix", None)
            name = os.path.join(prefix, path) if prefix else path
            if os.sep != "/":
                name = name.replace(os.sep, "/")
            if name in found:
                continue  # a file of an earlier folder or finder shadows it
            if entry is None:
                found[name] = source_path(storage, path)
            else:
                found[name], entries[name] = entry.path, entry
    return Listing(sorted(found.items()), entries)


def matcher(patterns: list[str]) -> Ignored:
    """True for a name any of ``patterns`` matches, as ``fnmatch.fnmatchcase`` would."""
    if not patterns:
        return lambda name: False
    either = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))
    return lambda name: either.match(name) is not None


Listed = tuple[str, Storage, "os.DirEntry[str] | None"]


def listed(finder: Any, patterns: list[str], ignored: Ignored) -> Iterator[Listed]:
    """``finder.list(patterns)`` with each file's scandir entry where it was walked here.

    Faster for Django's own finders on plain folders; None for the entry of
    a file some other finder or storage listed.
    """
    if type(finder) is FileSystemFinder:
        storages = [finder.storages[root] for _prefix, root in finder.locations]
        storages = [storage for storage in storages if os.path.isdir(storage.location)]
    elif type(finder) is AppDirectoriesFinder:
        storages = [storage for storage in finder.storages.values() if storage.exists("")]
    else:
        yield from ((path, storage, None) for path, storage in finder.list(patterns))
        return
    for storage in storages:
        if type(storage) is FileSystemStorage:
            top = os.fspath(storage.location)
            yield from ((path, storage, entry) for path, entry in _walk(top, ignored))
        else:  # a storage of its own may list otherwise: as the finder would
            yield from ((path, storage, None) for path in get_files(storage, patterns))


def _walk(top: str, ignored: Ignored) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """``staticfiles.utils.get_files`` for a ``FileSystemStorage`` at ``top``, with entries.

    A folder's name is matched alone, a file's alone and then with its folders
    (as ``get_files`` does); the order differs, which ``listing`` sorts away.
    """
    stack = [("", top)]
    while stack:
        location, folder = stack.pop()
        # A name from scandir has no separator: joining is concatenating (and cheaper).
        prefix = location + os.sep if location else ""
        with os.scandir(folder) as found:
            for entry in found:
                name = entry.name
                if ignored(name):
                    continue
                if entry.is_dir():  # a link to a folder is followed, as listdir() does
                    stack.append((prefix + name, entry.path))
                elif not prefix:
                    yield name, entry
                elif not ignored(prefix + name):
                    yield prefix + name, entry


def source_path(storage: Storage, name: str) -> str:
    """Where ``name`` of a finder's storage is on disk."""
    # FileSystemStorage.path's traversal guard costs a tenth of an unchanged
    # re-collect, and a name its own listing gave cannot leave its folder.
    if getattr(type(storage), "path", None) is FileSystemStorage.path:  # not a LazyObject
        return os.path.join(storage.location, name)  # type: ignore[attr-defined]
    return storage.path(name)
