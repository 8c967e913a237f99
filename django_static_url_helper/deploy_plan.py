"""What one collectstatic deploys: the version it collects into, and the stamp it then writes.

The version is the exact segment the app servers' STATIC_URL carries for
this release: from the settings, or with a content stamp the digest of the
files collected (``collect_hashing``), known before the copy or, for a
root's first release collected into an incoming folder, after it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import NamedTuple

from django.core.management.base import CommandError

from . import source_hashes, stamp_file, version
from .conf import conf

_STABLE_SOURCES = (
    "get_static_url_release(), get_static_url_env(), get_static_url_git() or get_static_url_stamp()"
)


Digest = Callable[[], str]


class Plan(NamedTuple):
    segment: str
    stamp: str | None
    """The stamp file to write once the release is complete (content versions)."""


def named_segment() -> str | None:
    """The segment STATIC_URL names, unless the version is the digest (a stamp source)."""
    return None if named_after_digest() else conf.static_url.segment


def named_after_digest() -> bool:
    """True when the version is the digest of the files collected (a stamp source)."""
    source = conf.source
    return source is not None and source.kind == "stamp"


def plan(digest: Digest) -> Plan:
    """The exact segment the app servers' STATIC_URL will carry for this release.

    ``digest()`` gives the digest of the files to collect; only a content
    version waits for it here.
    """
    source = conf.source
    if source is not None and source.kind == "stamp":
        # The stamp on disk may be the previous release's, or not there yet.
        return Plan(version.content_segment(digest()), source.path)
    if source is not None and source.kind in ("now", "file"):
        raise CommandError(
            f"STATIC_URL comes from get_static_url_{source.kind}(), whose version is "
            f"not known before the collect nor equal on every server, so no server "
            f"would ever render this release. Release directories need {_STABLE_SOURCES}."
        )
    segment = conf.static_url.segment
    if segment is None:
        raise CommandError(
            f"STATIC_URL {conf.static_url.base!r} carries no version segment, so there "
            f"is no version directory to collect into. Compute STATIC_URL in settings.py "
            f"with {_STABLE_SOURCES}."
        )
    return Plan(segment, None)


def describe_change(recorded: object, records: Mapping[str, source_hashes.Record]) -> str:
    """What differs between a marker's ``sources`` and the files found now."""
    before = source_hashes.sizes(recorded)
    after = {name: record.size for name, record in records.items()}
    added = sorted(after.keys() - before.keys())
    gone = sorted(before.keys() - after.keys())
    resized = sorted(name for name in after.keys() & before.keys() if before[name] != after[name])
    parts = [
        f"{label}: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}"
        for label, names in (("new", added), ("removed", gone), ("resized", resized))
        if names
    ]
    return "; ".join(parts) or "files of the same names and sizes have other bytes"


DEFAULT_LOCK_WAIT = 60.0


def lock_wait_seconds(text: str) -> float:
    """``--lock-wait``'s value: seconds, 0 or more."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds, 0 or more")
    return seconds


def add_release_arguments(parser: argparse.ArgumentParser) -> None:
    """collectstatic's options for release directories."""
    parser.add_argument(
        "--lock-wait",
        type=lock_wait_seconds,
        default=DEFAULT_LOCK_WAIT,
        metavar="SECONDS",
        help="With release directories: how long to wait for another collectstatic "
        f"of the same release root to finish (default {DEFAULT_LOCK_WAIT:.0f}).",
    )
    parser.add_argument(
        "--rehash",
        action="store_true",
        help="With release directories: read every source file again instead of reusing "
        "the hashes the last collect recorded for files whose size and times are unchanged.",
    )


def write_stamp(release: Plan, digest: str) -> None:
    """The stamp of a content version, once its files are collected."""
    if release.stamp is None:
        return
    try:
        stamp_file.write_stamp(release.stamp, digest)
    except OSError as error:
        raise CommandError(
            f"Cannot write the stamp {release.stamp}: {error.strerror}. The files are "
            f"collected; make the stamp's folder writable for this user (or fix the "
            f"path given to get_static_url_stamp()), then run collectstatic again."
        ) from None


def stamped(release: Plan) -> str:
    """' (stamp <path>)' when the release writes a stamp, for the closing line."""
    return f" (stamp {release.stamp})" if release.stamp else ""
