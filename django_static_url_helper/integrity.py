"""Subresource Integrity values of a collect: ``sha384-<base64>`` of each file as collected.

The collect's hashing (``collect_hashing``) already reads every
source file for the version's digest; it hashes each with SHA-384 in the same
read. A file the storage copied as it is gets its source's value. A file the
storage wrote itself or changed (a manifest storage's hashed names, rewritten
CSS, any post-processed file) is read back from the storage, so the value is
always that of the bytes a browser gets. Compressed variants (whitenoise's
``.gz`` and ``.br``) get no value of their own: they are served for the
uncompressed file's URL, and browsers check the decoded bytes.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import IO, Any

from django.contrib.staticfiles.storage import StaticFilesStorage
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, Storage
from django.utils.functional import LazyObject

PREFIX = "sha384-"
_VALUE_RE = re.compile(r"sha384-[A-Za-z0-9+/]{64}")
COMPRESSED_SUFFIXES = (".gz", ".br")
_CHUNK = 1 << 18


class IntegrityMissing(ImproperlyConfigured):
    """A static name has no integrity value for the version being rendered."""


def value(sha384: bytes) -> str:
    """The ``integrity`` attribute of a file whose SHA-384 is ``sha384``."""
    return PREFIX + base64.b64encode(sha384).decode("ascii")


def of_stream(stream: IO[bytes]) -> str:
    found = hashlib.sha384()
    while chunk := stream.read(_CHUNK):
        found.update(chunk)
    return value(found.digest())


def of_file(path: str | os.PathLike[str]) -> str:
    with open(path, "rb") as stream:
        return of_stream(stream)


def of_stored(storage: Storage, name: str) -> str:
    with storage.open(name, "rb") as stream:
        return of_stream(stream)


def is_variant(name: str, names: Collection[str]) -> bool:
    """True for ``x.css.gz`` (or ``.br``) when ``x.css`` is collected too."""
    return name.endswith(COMPRESSED_SUFFIXES) and name[:-3] in names


def collected(
    storage: Storage,
    names: Mapping[str, int],
    sources: Mapping[str, int],
    sha384: Mapping[str, bytes],
    rewritten: Collection[str] = (),
    inherited: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The value of every file in ``names`` (name to collected size), sorted by name.

    ``sources`` is the size of each source file, ``sha384`` its SHA-384 (read
    by the collect's hashing), ``rewritten`` the names post-processing reported,
    ``inherited`` the values recorded for sources that were not read because
    they did not change. A source's value is taken only for a name the
    storage wrote with the source's size and did not post-process, and only
    from a storage that saves files as they are (``saves_as_is``); every
    other file is read back.
    """
    values: dict[str, str] = {}
    inherited = inherited or {}
    as_is = saves_as_is(storage)
    for name in sorted(names):
        if is_variant(name, names):
            continue
        as_source = as_is and sources.get(name) == names[name] and name not in rewritten
        digest = sha384.get(name)
        if as_source and digest is not None:
            values[name] = value(digest)
        elif as_source and name in inherited:
            values[name] = inherited[name]
        else:
            values[name] = of_stored(storage, name)
    return values


def flat_names(
    storage: Any, sources: Mapping[str, int], copied: Collection[str] = ()
) -> dict[str, int]:
    """What a collect into one folder wrote: the sources, and a manifest's hashed names.

    A storage that saves files as they are (Django's ``_save``, no
    post-processing) wrote each of ``copied`` with its source's size; every
    other name is looked up in the storage.
    """
    names = set(sources)
    hashed = getattr(storage, "hashed_files", None)
    if isinstance(hashed, Mapping):
        names.update(name for name in hashed.values() if isinstance(name, str))
    as_copied = saves_as_is(storage) and not hasattr(storage, "post_process")
    sizes = {name: sources[name] for name in copied if name in sources} if as_copied else {}
    sizes.update(_sizes(storage, sorted(names - sizes.keys())))
    return sizes


_SAVES_AS_IS = {
    "django.core.files.storage.base.Storage",
    "django.core.files.storage.filesystem.FileSystemStorage",
    "django_static_url_helper.releases.ReleaseStorageMixin",
    "storages.backends.s3.S3Storage",
}
"""Classes whose ``save``/``_save`` write the bytes given (S3 may gzip them, as HTTP does)."""


def saves_as_is(storage: Any) -> bool:
    """True when each ``save`` and ``_save`` of the storage's classes is in ``_SAVES_AS_IS``."""
    concrete = storage._wrapped if isinstance(storage, LazyObject) else storage
    savers = [
        kind for kind in type(concrete).__mro__ if "_save" in vars(kind) or "save" in vars(kind)
    ]
    names = {f"{kind.__module__}.{kind.__qualname__}" for kind in savers}
    return bool(savers) and names <= _SAVES_AS_IS


def _sizes(storage: Any, names: Iterable[str]) -> Iterator[tuple[str, int]]:
    """``(name, size)`` of each of ``names`` the storage holds."""
    concrete = storage._wrapped if isinstance(storage, LazyObject) else storage
    plain = isinstance(concrete, FileSystemStorage)
    default_path = type(concrete).path in (FileSystemStorage.path, StaticFilesStorage.path)
    if not plain or not default_path or not concrete.location:
        yield from ((name, storage.size(name)) for name in names if storage.exists(name))
        return
    # One stat a file: Django's exists() and size() each check the name and
    # build the path again, which is most of this on a large collect.
    location = os.fspath(concrete.location)
    for name in names:
        try:
            found = os.stat(os.path.join(location, name))
        except FileNotFoundError:
            continue
        yield name, found.st_size


def valid(values: object) -> dict[str, str] | None:
    """``values`` when it is a recorded name-to-value mapping, else None."""
    if not isinstance(values, dict):
        return None
    if not all(isinstance(name, str) and is_value(found) for name, found in values.items()):
        return None
    return values


def is_value(found: object) -> bool:
    """True for ``sha384-`` and the base64 of 48 bytes: what ``value`` gives."""
    return isinstance(found, str) and _VALUE_RE.fullmatch(found) is not None
