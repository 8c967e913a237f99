"""The completion marker of a version directory, and the list of versions in a release root.

The marker ``<root>/<segment>.release.json`` is written after every file of
the version, so a version without it is incomplete: ``read_marker`` is the
one answer to "is version X complete". It records when the collect finished
and what it collected, so a second collect of the same release compares
against it instead of copying again. Where files are (a folder, a bucket) is
the storage's business: this module only calls its ``release_*`` methods.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from django.contrib.staticfiles.storage import HashedFilesMixin
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.management.base import CommandError

from . import version
from .release_folders import MARKER_LIMIT
from .release_scope import scope

if TYPE_CHECKING:
    from .releases import ReleaseStorageMixin

logger = logging.getLogger("django_static_url_helper")
_MARKER_FIX = (
    "A marker is the file collectstatic writes once a release is complete: remove "
    "what is there and run collectstatic for that release again."
)

MARKER_SUFFIX = ".release.json"
_MARKER_FORMAT = 1
_CHUNK = 1 << 16


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


def read_marker(storage: ReleaseStorageMixin, segment: str) -> dict[str, Any] | None:
    """The marker of ``segment``, or None when the version is not complete."""
    name = marker_name(segment)
    try:
        body = storage.read_root_file(name, "the release marker", _MARKER_FIX, MARKER_LIMIT)
        data = json.loads(body) if body is not None else None
    except ValueError:
        return None
    except ImproperlyConfigured as error:  # a FIFO, a folder, a huge file
        logger.warning("Release %s counts as incomplete: %s", segment, error)
        return None
    if (
        not isinstance(data, dict)
        or data.get("version") != segment
        or not isinstance(data.get("completed"), (int, float))
        or not isinstance(data.get("files"), dict)
    ):
        return None
    return data


Values = Callable[[dict[str, int]], dict[str, str]]
"""The integrity values of the collected files (name to size), by name."""


def write_marker(
    storage: ReleaseStorageMixin,
    segment: str,
    digest: str,
    sources: Mapping[str, object],
    integrity: Values | None = None,
    listed: str | None = None,
) -> dict[str, Any]:
    """Write the marker of a collected release; ``listed``: its sources' fingerprint."""
    collected = storage.release_files(segment)
    gone = sorted(sources.keys() - collected.keys())
    if gone and not isinstance(storage, HashedFilesMixin):  # those may drop originals
        raise CommandError(
            f"{len(gone)} file(s) of release {segment} vanished while it was collected, "
            f"e.g. {gone[0]}: another process deleted them. The release is not marked "
            f"complete and nothing was published; run collectstatic again."
        )
    files = {name: info.size for name, info in sorted(collected.items())}
    data: dict[str, Any] = {
        "format": _MARKER_FORMAT,
        "version": segment,
        "completed": time.time(),
        "digest": digest,
        "sources": sources,
        "files": files,
    }
    if integrity is not None:
        data["integrity"] = integrity(files)
    if listed is not None:
        data["listed"] = listed
    save_marker(storage, segment, data)
    return data


def save_marker(storage: Storage, segment: str, data: dict[str, Any]) -> None:
    """Write the marker ``data`` of ``segment`` (replacing any)."""
    body = json.dumps(data, indent=1, sort_keys=True).encode()
    with scope(""):
        delete_marker(storage, segment)
        storage.save(marker_name(segment), ContentFile(body))


def delete_marker(storage: Storage, segment: str) -> None:
    with scope(""):
        storage.delete(marker_name(segment))


def missing(storage: ReleaseStorageMixin, segment: str, marker: dict[str, Any]) -> list[str]:
    """Files the marker lists that are gone or have another size."""
    present = storage.release_files(segment)
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
            times = [info.modified for info in storage.release_files(segment).values()]
            found.append(Release(segment, None, max(times, default=0.0)))
    return sorted(found, key=lambda release: (-release.modified, release.segment))


def marked_segments(storage: ReleaseStorageMixin) -> frozenset[str]:
    """The versions that have a marker file, without reading the markers.

    What a server may keep serving; each marker is read (and checked) only
    when its release is first served.
    """
    with scope(""):
        try:
            _folders, names = storage.listdir("")
        except FileNotFoundError:
            return frozenset()
    segments = (name[: -len(MARKER_SUFFIX)] for name in names if name.endswith(MARKER_SUFFIX))
    return frozenset(segment for segment in segments if version.is_segment(segment))
