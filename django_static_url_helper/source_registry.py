"""Which helper of ``url_helper`` produced a STATIC_URL, for the checks and commands.

The helpers record each URL they return; the system checks, ``static_url``
and ``collectstatic`` look ``settings.STATIC_URL`` up here. Only this process's
helpers are known: a STATIC_URL written by hand has no entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NamedTuple, TypeVar

_T = TypeVar("_T")


class Source(NamedTuple):
    """Where a STATIC_URL's version came from, for system checks and commands."""

    kind: Literal["now", "file", "release", "env", "git", "stamp", "fixed"]
    path: str | None = None
    """The deploy file, stamp file or checkout the version was read from."""


# Keyed by (segment, base), not by the returned URL: Django puts the script
# prefix in front of a relative base ("static/") when STATIC_URL is read.
_Key = tuple[str, str]
_sources: dict[_Key, Source] = {}


def key(url: str) -> _Key:
    """``'static/3fa9c1e2b7d4/'`` -> ``('3fa9c1e2b7d4', 'static/')``."""
    base, _, segment = url[:-1].rpartition("/")
    return segment, base + "/"


def record(url: str, source: Source) -> str:
    """Remember that ``source`` produced ``url``; return ``url``."""
    _sources[key(url)] = source
    return url


def _lookup(registry: dict[_Key, _T], static_url: str) -> _T | None:
    """The entry of the helper whose URL Django's settings give as ``static_url``."""
    if not static_url.endswith("/"):
        return None
    segment, base = key(static_url)
    found = registry.get((segment, base))
    if found is None and base.startswith("/"):
        # Django turned a relative base into this one: "static/" into "/static/"
        # or "/app/static/". Try each tail that follows a "/", longest first.
        tails = (base[at + 1 :] for at, char in enumerate(base[:-1]) if char == "/")
        found = next(
            (registry[segment, tail] for tail in tails if (segment, tail) in registry), None
        )
    return found


def source_of(static_url: str) -> Source | None:
    """Return how a helper of ``url_helper`` produced ``static_url``, if one did.

    ``static_url`` is ``settings.STATIC_URL``: a relative base the helper got
    comes back with the script prefix in front, and is found all the same.
    """
    return _lookup(_sources, static_url)


# get_static_url_stamp() keeps how it turns a digest into its URL, so a release
# collect learns the URL of a stamp it has not written yet from the same code.
_stamp_urls: dict[_Key, Callable[[str], str]] = {}


def record_stamp_url(url: str, for_digest: Callable[[str], str]) -> None:
    """Remember how the stamp helper that returned ``url`` turns a digest into a URL."""
    _stamp_urls[key(url)] = for_digest


def stamp_url_for(static_url: str, digest: str) -> str | None:
    """The URL ``get_static_url_stamp()`` gives once its stamp holds ``digest``.

    None unless that helper produced ``static_url``.
    """
    for_digest = _lookup(_stamp_urls, static_url)
    return for_digest(digest) if for_digest else None
