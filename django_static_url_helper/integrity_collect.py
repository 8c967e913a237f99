"""What ``collectstatic`` records of integrity values, with or without release directories.

A release's values go into its marker (``release_tree.write_marker``); a
collect into one folder writes them to a record of its own
(``integrity_record``). A file whose source the collect's hashing read
gets the SHA-384 of that read; one whose source record was reused unchanged
(``source_hashes``) takes the value the release it starts from recorded for
it, so a deploy that changes a few files reads only those.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from . import integrity, integrity_record, release_tree, releases
from .conf import conf
from .release_links import Start
from .source_hashes import Record


def release_values(
    command: Any, records: Mapping[str, Record], start: Start | None
) -> release_tree.Values:
    """The marker's integrity callback: the value of each collected file, by name."""
    storage = command.storage
    sizes = {name: record.size for name, record in records.items()}
    rewritten = set(command.post_processed_files)
    inherited = inherited_values(storage, start)
    sha384 = command.sha384

    def values(files: dict[str, int]) -> dict[str, str]:
        return integrity.collected(storage, files, sizes, sha384, rewritten, inherited)

    return values


def inherited_values(storage: Any, start: Start | None) -> Mapping[str, str]:
    """The values the start release recorded, for files whose sources did not change.

    Only a storage that copies files as they are: one that post-processes may
    have written other bytes under the same name then.
    """
    if start is None or hasattr(storage, "post_process"):
        return {}
    return integrity.valid(start.marker.get("integrity")) or {}


def add_missing_values(command: Any, segment: str, marker: dict[str, Any]) -> None:
    """Give a release collected before integrity values were recorded its values.

    How it was post-processed then is not known: every file is read back.
    The marker keeps its completion time, so pruning sees the same age.
    """
    if command.dry_run or integrity.valid(marker.get("integrity")) is not None:
        return
    files = marker["files"]
    with releases.scope(segment):
        marker["integrity"] = integrity.collected(command.storage, files, {}, {}, files)
    command.lock.check()
    release_tree.save_marker(command.storage, segment, marker)
    command.log(f"Recorded the integrity values of release {segment}.", 1)


def flat_record(storage: Any) -> str | None:
    """Where a collect into one folder on this file system writes its values, or None."""
    if not releases.is_local(storage):
        return None
    return integrity_record.flat_path(conf.source, settings.STATIC_ROOT)


def write_flat_values(
    command: Any, record: str, segment: str | None, records: Mapping[str, Record]
) -> None:
    """The record of a collect into one folder, from the sizes and hashes its hashing read."""
    storage = command.storage
    sources = {name: source.size for name, source in records.items()}
    names = integrity.flat_names(storage, sources, command.copied_files)
    rewritten = set(command.post_processed_files)
    values = integrity.collected(storage, names, sources, command.sha384, rewritten)
    try:
        integrity_record.write_flat(record, segment, values)
    except OSError as error:
        raise CommandError(
            f"Cannot write the integrity values to {record}: {error.strerror}. The files "
            f"are collected; make that folder writable for this user, then run "
            f"collectstatic again."
        ) from None
