"""Which release directories ``manage.py static_url prune`` keeps, and deleting the others."""

from __future__ import annotations

import re
import time
from typing import NamedTuple

from django.core.management.base import CommandError

from . import release_tree
from .releases import ReleaseStorageMixin

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
    current: str | None,
    keep: int,
    keep_for: int,
    now: float | None = None,
) -> list[Decision]:
    """Keep the current version, the newest ``keep`` and any younger than ``keep_for``.

    An incomplete version (an interrupted collect, or one running now) is
    deleted once nothing has been written into it for ``keep_for``.
    """
    if keep < 0:
        raise CommandError(f"--keep {keep}: give how many releases to keep, 0 or more.")
    if current is None:
        raise CommandError(
            "Cannot tell which version is current: STATIC_URL carries no version "
            "segment. Run prune with the settings and environment of the app servers."
        )
    now = time.time() if now is None else now
    found = release_tree.releases(storage)
    complete = [release for release in found if release.completed is not None]
    if current not in {release.segment for release in complete}:
        raise CommandError(
            f"Cannot tell which version is current: STATIC_URL carries {current}, "
            f"which is not a complete release in {storage.release_root}. Run prune "
            f"with the settings and environment of the app servers, after collectstatic."
        )
    newest = {release.segment for release in complete[:keep]}
    decisions = []
    for release in found:
        age = now - release.modified
        if release.segment == current:
            decision = Decision(release.segment, False, "current")
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
    release_tree.remove(storage, segment)
