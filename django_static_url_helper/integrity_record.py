"""Where a collect keeps its integrity values, and reading them back.

With release directories they are the ``integrity`` entry of the release's
marker ``<root>/<segment>.release.json``, so they are published with the
release and every kept version keeps its own. Without release directories
they are one small file, written after the collect: ``<stamp>.integrity.json``
beside the stamp (``get_static_url_stamp``), else ``.static-integrity.json``
in ``STATIC_ROOT``. It describes the files the folder holds, which are served
under whatever version a URL names.
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from . import integrity, release_folders, release_tree
from .version_source import Source

RECORD_SUFFIX = ".integrity.json"
ROOT_RECORD = ".static-integrity.json"
_FORMAT = 1
_LIMIT = 1 << 26
_FIX = (
    "It is the file collectstatic writes after collecting: remove what is there "
    "and run 'python manage.py collectstatic' again."
)


def flat_path(source: Source | None, static_root: str | os.PathLike[str] | None) -> str | None:
    """The record of a collect into one folder: beside the stamp, else in STATIC_ROOT."""
    if source is not None and source.kind == "stamp" and source.path is not None:
        return os.fspath(source.path) + RECORD_SUFFIX
    if static_root:
        return os.path.join(os.path.abspath(os.fspath(static_root)), ROOT_RECORD)
    return None


def write_flat(path: str, segment: str | None, values: dict[str, str]) -> None:
    body = {"format": _FORMAT, "version": segment, "integrity": values}
    # As the stamp beside it: atomic, not flushed (nor are the files it describes).
    encoded = json.dumps(body, indent=1, sort_keys=True).encode()
    release_folders.write_atomically(path, encoded, durable=False)


class Recorded:
    """The values of one version, or why there are none (``problem``, a whole sentence)."""

    def __init__(self, values: dict[str, str] | None, where: str, problem: str = "") -> None:
        self.values = values
        self.where = where
        self.problem = problem


def read_flat(path: str) -> Recorded:
    """The values of the files in STATIC_ROOT now, whatever version STATIC_URL names.

    Files collected into one folder replace the ones before them, and are served
    under any version; the record's ``version`` only says which collect wrote it.
    """
    try:
        body = release_folders.read_small(path, "the integrity record", _FIX, _LIMIT)
    except FileNotFoundError:
        return Recorded(None, path, f"{path} does not exist: no collectstatic recorded them.")
    except ImproperlyConfigured as error:
        return Recorded(None, path, str(error))
    try:
        data: Any = json.loads(body)
    except ValueError:
        data = None
    values = integrity.valid(data.get("integrity")) if isinstance(data, dict) else None
    if values is None:
        return Recorded(None, path, f"{path} is not an integrity record.")
    return Recorded(values, path)


def read_release(storage: Any, segment: str) -> Recorded:
    where = os.path.join(storage.release_root, release_tree.marker_name(segment))
    marker = release_tree.read_marker(storage, segment)
    if marker is None:
        return Recorded(None, where, f"Release {segment} is not complete: {where} is missing.")
    values = integrity.valid(marker.get("integrity"))
    if values is None:
        return Recorded(
            None,
            where,
            f"Release {segment} was collected before integrity values were recorded: "
            f"its marker {where} has none.",
        )
    return Recorded(values, where)
