"""Which release directories ``manage.py static_url prune`` keeps, and deleting the others."""

from __future__ import annotations

import re
import time
from typing import NamedTuple

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError

from . import release_tree
from .releases import ReleaseStorageMixin

LOCK_WAIT = 60.0
"""Seconds prune waits for a running collectstatic of the same release root."""
DEFAULT_KEEP = 3
DEFAULT_KEEP_FOR = "1d"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION_RE = re.compile(r"(\d+)([smhd]?)")


def parse_duration(text: str) -> int:
    """``'90'``, ``'90s'``, ``'30m'``, ``'12h'``, ``'1d'`` -> seconds."""
    match = _DURATION_RE.fullmatch(text.strip())
    if match is None:
        raise CommandError(
            f"--keep-for {text!r} is not a duration: use a number of seconds "
            f"or a number followed by s, m, h or d, e.g. '12h' or '1d'."
        )
    return int(match[1]) * _UNITS[match[2] or "s"]


class Decision(NamedTuple):
    segment: str
    delete: bool
    reason: str


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{max(seconds, 0):.0f}s"


def plan(
    storage: ReleaseStorageMixin,
    environment: str | None,
    keep: int,
    keep_for: int,
    *,
    following: bool = False,
    now: float | None = None,
) -> list[Decision]:
    """Keep the published version, the newest ``keep`` and any younger than ``keep_for``.

    The live version is the one collectstatic published last, whatever the
    environment says; ``environment`` (STATIC_URL's version here) must be it,
    unless the servers follow the published version. An incomplete version
    (an interrupted collect, or one running now) is deleted once nothing has
    been written into it for ``keep_for``.
    """
    if keep < 0:
        raise CommandError(f"--keep {keep}: give how many releases to keep, 0 or more.")
    try:
        published = storage.read_published()
    except ImproperlyConfigured as error:
        raise CommandError(f"{error} Prune deletes nothing meanwhile.") from None
    if published is None:
        raise CommandError(
            f"No version is published in {storage.release_root}, so prune cannot tell "
            f"which release is live and deletes nothing. Run 'manage.py collectstatic' "
            f"(it publishes the version it completes), then prune."
        )
    live = published.segment
    if environment != live and not following:
        here = f"version {environment}" if environment else "no version"
        raise CommandError(
            f"STATIC_URL here carries {here}, but the version "
            f"published last in {storage.release_root} is {live}. Either this "
            f"environment is stale (an old release variable, stamp or checkout) or a "
            f"deploy is half done; prune deletes nothing. Run it with the app servers' "
            f"settings and environment, after collectstatic."
        )
    now = time.time() if now is None else now
    found = release_tree.releases(storage)
    complete = [release for release in found if release.completed is not None]
    if live not in {release.segment for release in complete}:
        raise CommandError(
            f"The published version {live} is not a complete release in "
            f"{storage.release_root} (its marker is missing or unreadable), so prune "
            f"deletes nothing. Run 'manage.py collectstatic' for it again."
        )
    newest = {release.segment for release in complete[:keep]}
    decisions = []
    for release in found:
        age = now - release.modified
        if release.segment == live:
            decision = Decision(release.segment, False, "published")
        elif release.segment == environment:
            decision = Decision(release.segment, False, "STATIC_URL's version here")
        elif release.completed is None and age < keep_for:
            decision = Decision(release.segment, False, f"incomplete, written {_age(age)} ago")
        elif release.completed is None:
            decision = Decision(release.segment, True, f"incomplete, untouched for {_age(age)}")
        elif release.segment in newest:
            decision = Decision(release.segment, False, f"one of the newest {keep}")
        elif age < keep_for:
            decision = Decision(release.segment, False, f"collected {_age(age)} ago")
        else:
            decision = Decision(release.segment, True, f"collected {_age(age)} ago")
        decisions.append(decision)
    return decisions


def delete(storage: ReleaseStorageMixin, segment: str) -> None:
    """Delete a version: its marker first, so it is never complete-looking but half gone."""
    release_tree.delete_marker(storage, segment)
    storage.remove_release(segment)
