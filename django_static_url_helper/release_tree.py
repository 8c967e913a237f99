"""What a version directory holds, on the file system or in an S3 bucket, and its marker.

The marker ``<root>/<segment>.release.json`` is written after every file of
the version, so a version without it is incomplete. It records when the
collect finished and what it collected, so a second collect of the same
release compares against it instead of copying again.
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import shutil
import time
from typing import Any, NamedTuple

from django.core.files.base import ContentFile
from django.core.files.storage import Storage

from . import version
from .releases import ReleaseStorageMixin, is_local, scope

MARKER_SUFFIX = ".release.json"
_MARKER_FORMAT = 1
_CHUNK = 1 << 16


class FileInfo(NamedTuple):
    size: int
    modified: float


def folder(root: str, segment: str, *, local: bool) -> str:
    """Where version ``segment`` lives below ``root``: a folder, or a bucket key prefix."""
    return os.path.join(root, segment) if local else posixpath.join(root, segment)


def files(storage: ReleaseStorageMixin, segment: str) -> dict[str, FileInfo]:
    """Every file below ``<root>/<segment>/``, by name relative to it, in one listing."""
    found: dict[str, FileInfo] = {}
    if is_local(storage):
        top = folder(storage.release_root, segment, local=True)
        stack = [""]
        while stack:
            prefix = stack.pop()
            with contextlib.suppress(FileNotFoundError), os.scandir(top + "/" + prefix) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(prefix + entry.name + "/")
                    else:
                        stat = entry.stat(follow_symlinks=False)
                        found[prefix + entry.name] = FileInfo(stat.st_size, stat.st_mtime)
        return found
    key_prefix = folder(storage.release_root, segment, local=False) + "/"
    for obj in storage.bucket.objects.filter(Prefix=key_prefix):  # type: ignore[attr-defined]
        name = obj.key[len(key_prefix) :]
        found[name] = FileInfo(obj.size, obj.last_modified.timestamp())
    return found


def remove(storage: ReleaseStorageMixin, segment: str) -> None:
    """Delete ``<root>/<segment>/`` and everything below it."""
    if is_local(storage):
        top = folder(storage.release_root, segment, local=True)
        if os.path.isdir(top):
            shutil.rmtree(top)
        return
    key_prefix = folder(storage.release_root, segment, local=False) + "/"
    storage.bucket.objects.filter(Prefix=key_prefix).delete()  # type: ignore[attr-defined]


def same_content(storage: Storage, name: str, source_path: str) -> bool:
    """True when ``name`` in ``storage`` has the size and bytes of ``source_path``."""
    if storage.size(name) != os.path.getsize(source_path):
        return False
    with storage.open(name, "rb") as target, open(source_path, "rb") as source:
        while True:
            ours, theirs = source.read(_CHUNK), target.read(_CHUNK)
            if ours != theirs:
                return False
            if not ours:
                return True


# --- The completion marker, written last. ---


def marker_name(segment: str) -> str:
    return segment + MARKER_SUFFIX


def marker_path(root: str, segment: str) -> str:
    """The marker of ``segment`` in STATIC_ROOT ``root``, on the file system."""
    return os.path.join(root, marker_name(segment))


def read_marker(storage: Storage, segment: str) -> dict[str, Any] | None:
    """The marker of ``segment``, or None when the version is not complete."""
    with scope(""):
        try:
            with storage.open(marker_name(segment), "rb") as handle:
                data = json.loads(handle.read())
        except (FileNotFoundError, ValueError):
            return None
    if (
        not isinstance(data, dict)
        or data.get("version") != segment
        or not isinstance(data.get("completed"), (int, float))
        or not isinstance(data.get("files"), dict)
    ):
        return None
    return data


def write_marker(
    storage: ReleaseStorageMixin, segment: str, digest: str, sources: dict[str, int]
) -> dict[str, Any]:
    collected = files(storage, segment)
    data = {
        "format": _MARKER_FORMAT,
        "version": segment,
        "completed": time.time(),
        "digest": digest,
        "sources": sources,
        "files": {name: info.size for name, info in sorted(collected.items())},
    }
    body = json.dumps(data, indent=1, sort_keys=True).encode()
    with scope(""):
        delete_marker(storage, segment)
        storage.save(marker_name(segment), ContentFile(body))
    return data


def delete_marker(storage: Storage, segment: str) -> None:
    with scope(""):
        storage.delete(marker_name(segment))


def missing(storage: ReleaseStorageMixin, segment: str, marker: dict[str, Any]) -> list[str]:
    """Files the marker lists that are gone or have another size."""
    present = files(storage, segment)
    return sorted(
        name
        for name, size in marker.get("files", {}).items()
        if name not in present or present[name].size != size
    )


class Release(NamedTuple):
    segment: str
    completed: float | None
    """When its collect finished (epoch seconds); None for an incomplete version."""
    modified: float
    """The newest write into it: its marker, or its newest file."""


def releases(storage: ReleaseStorageMixin, complete_only: bool = False) -> list[Release]:
    """Every version below the root, complete or not, newest first."""
    with scope(""):
        try:
            folders, names = storage.listdir("")
        except FileNotFoundError:
            return []
    segments = {name for name in folders if version.is_segment(name)}
    segments.update(
        name[: -len(MARKER_SUFFIX)]
        for name in names
        if name.endswith(MARKER_SUFFIX) and version.is_segment(name[: -len(MARKER_SUFFIX)])
    )
    found = []
    for segment in segments:
        marker = read_marker(storage, segment)
        if marker is not None:
            completed = float(marker["completed"])
            found.append(Release(segment, completed, completed))
        elif not complete_only:
            times = [info.modified for info in files(storage, segment).values()]
            found.append(Release(segment, None, max(times, default=0.0)))
    return sorted(found, key=lambda release: (-release.modified, release.segment))
