"""What one collectstatic deploys: the version it collects into, and the stamp it then writes.

The version is settled before the first file is copied, from the configured
source and the digest of the files the finders list, so that it is the exact
segment the app servers' STATIC_URL carries for this release.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

from django.core.management.base import CommandError

from . import content_hash, version
from .conf import conf

_STABLE_SOURCES = (
    "get_static_url_release(), get_static_url_env(), get_static_url_git() or get_static_url_stamp()"
)


Digest = Callable[[], str]


@contextlib.contextmanager
def hashing(
    found: list[tuple[str, str]], sha384: dict[str, bytes] | None = None
) -> Iterator[Digest]:
    """Hash the files to collect in the background, while they are copied.

    Hashing re-reads every byte; overlapping it with the copy hides most of
    its cost. The block gets a function that waits for the digest; once it
    returned, ``sha384`` holds each source file's SHA-384, from the same read.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="static-digest") as pool:
        future = pool.submit(content_hash.hash_files, found, sha384=sha384)
        yield future.result


class Plan(NamedTuple):
    segment: str
    stamp: str | None
    """The stamp file to write once the release is complete (content versions)."""


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


def describe_change(before: dict[str, int], after: dict[str, int]) -> str:
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


def stamped(release: Plan) -> str:
    """' (stamp <path>)' when the release writes a stamp, for the closing line."""
    return f" (stamp {release.stamp})" if release.stamp else ""
