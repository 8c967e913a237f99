"""Helpers that compute a versioned STATIC_URL, called from ``settings.py``.

Settings are not configured while these run, so nothing here touches
``django.conf.settings``. Each helper returns ``static_url_base`` followed by
a version segment and a slash, e.g. ``'/static/3fa9c1e2b7d4/'``.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal, NamedTuple, TypeVar

from django.core.exceptions import ImproperlyConfigured

from . import content_hash, git_revision, version, version_files

__all__ = [
    "get_static_url_env",
    "get_static_url_file",
    "get_static_url_fixed",
    "get_static_url_git",
    "get_static_url_now",
    "get_static_url_release",
    "get_static_url_stamp",
    "source_of",
    "stamp_url_for",
]

logger = logging.getLogger("django_static_url_helper")
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

PENDING = "stamp-pending"
"""Stands where the segment goes while collectstatic runs before the stamp exists."""


def _key(url: str) -> _Key:
    """``'static/3fa9c1e2b7d4/'`` -> ``('3fa9c1e2b7d4', 'static/')``."""
    base, _, segment = url[:-1].rpartition("/")
    return segment, base + "/"


def _record(url: str, source: Source) -> str:
    _sources[_key(url)] = source
    return url


def _lookup(registry: dict[_Key, _T], static_url: str) -> _T | None:
    """The entry of the helper whose URL Django's settings give as ``static_url``."""
    if not static_url.endswith("/"):
        return None
    segment, base = _key(static_url)
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
    """Return how a helper of this module produced ``static_url``, if one did.

    ``static_url`` is ``settings.STATIC_URL``: a relative base the helper got
    comes back with the script prefix in front, and is found all the same.
    """
    return _lookup(_sources, static_url)


# get_static_url_stamp() keeps how it turns a digest into its URL, so a release
# collect learns the URL of a stamp it has not written yet from the same code.
_stamp_urls: dict[_Key, Callable[[str], str]] = {}


def stamp_url_for(static_url: str, digest: str) -> str | None:
    """The URL ``get_static_url_stamp()`` gives once its stamp holds ``digest``.

    None unless that helper produced ``static_url``.
    """
    for_digest = _lookup(_stamp_urls, static_url)
    return for_digest(digest) if for_digest else None


def _versioned(
    static_url_base: str, kind: str, value: str, secret_key: str | bytes | None, source: Source
) -> str:
    return _record(
        version.join(static_url_base, version.keyed_segment(f"{kind}:{value}", secret_key)), source
    )


# --- The 0.1.0 helpers: same names, same positional order, same defaults. ---


_boot_ns: int | None = None


def boot_time_ns() -> int:
    """This process's boot time: when it first asked, the same at every later call."""
    global _boot_ns
    if _boot_ns is None:
        _boot_ns = time.time_ns()
    return _boot_ns


def get_static_url_now(
    static_url_base: str, hash_url: bool = True, secret_key: str | bytes | None = None
) -> str:
    """Version from the process boot time: a new URL at every (re)start.

    One value per process, however often and from wherever it is called
    (split settings modules). Right for development, where every runserver
    reload must bust the cache. Wrong for production: each worker and server
    boots at a different time.
    """
    source = Source("now")
    if not hash_url:
        seconds = boot_time_ns() // 10**9
        return _record(version.join(static_url_base, version.plain_segment(seconds)), source)
    return _versioned(static_url_base, "now", str(boot_time_ns()), secret_key, source)


def get_static_url_file(
    static_url_base: str,
    file_path: str | os.PathLike[str],
    hash_url: bool = True,
    secret_key: str | bytes | None = None,
    *,
    timestamp: Literal["atime", "mtime"] = "atime",
) -> str:
    """Version from a deploy file's access time (0.1.0 default) or modification time.

    Touch the file at every deploy. Pass ``timestamp="mtime"`` on file systems
    mounted ``noatime``/``relatime``, where reading the file can move its atime.
    """
    version.validate_base(static_url_base)
    if timestamp not in ("atime", "mtime"):
        raise ImproperlyConfigured(
            f"get_static_url_file(timestamp={timestamp!r}): use 'atime' or 'mtime'."
        )
    path = os.fspath(file_path)
    try:
        stat = version_files.stat_regular(
            path,
            "the deploy file",
            "get_static_url_file() takes a regular file that your deploy touches.",
        )
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"The deploy file {path!r} given to get_static_url_file() does not exist. "
            f"Create it and touch it at every deploy (e.g. 'touch {path}'), or pass "
            f"a file your deploy already touches."
        ) from None
    stamp_ns = stat.st_atime_ns if timestamp == "atime" else stat.st_mtime_ns
    source = Source("file", os.path.abspath(path))
    if not hash_url:
        return _record(
            version.join(static_url_base, version.plain_segment(stamp_ns // 10**9)), source
        )
    return _versioned(static_url_base, timestamp, str(stamp_ns), secret_key, source)


# --- Sources that are identical on every server of one release. ---


def _require_release(release: object, where: str) -> str:
    if not isinstance(release, str) or not release.strip():
        raise ImproperlyConfigured(
            f"{where} is {release!r}: a release id must be a non-empty string "
            f"(a commit id, a build number, a platform release id)."
        )
    if release != release.strip():
        # Only the whitespace is quoted: the id may come from a variable never meant to be shown.
        lead = release[: len(release) - len(release.lstrip())]
        trail = release[len(release.rstrip()) :]
        around = " and ".join(
            f"{end} with {chars!r}" for end, chars in (("starts", lead), ("ends", trail)) if chars
        )
        raise ImproperlyConfigured(
            f"{where} {around}. A release id is used exactly as given, so whitespace "
            f"around it (a newline read from a file, a space in an export) would make "
            f"another version: remove it, e.g. .strip() a value read from a file."
        )
    return release


def get_static_url_release(
    static_url_base: str, release: str, secret_key: str | bytes | None = None
) -> str:
    """Version from an explicit release id, e.g. a build number your deploy knows."""
    value = _require_release(release, "The release given to get_static_url_release()")
    return _versioned(static_url_base, "release", value, secret_key, Source("release"))


def get_static_url_env(
    static_url_base: str, variable: str, secret_key: str | bytes | None = None
) -> str:
    """Version from an environment variable, e.g. ``GIT_COMMIT`` or ``HEROKU_RELEASE_VERSION``."""
    version.validate_base(static_url_base)
    if variable not in os.environ:
        raise ImproperlyConfigured(
            f"The environment variable {variable} (get_static_url_env) is not set. "
            f"Export it in the environment of every server process, e.g. "
            f"'{variable}=$(git rev-parse HEAD)'."
        )
    value = _require_release(os.environ[variable], f"The environment variable {variable}")
    return _versioned(static_url_base, "release", value, secret_key, Source("env", variable))


def get_static_url_git(
    static_url_base: str,
    checkout: str | os.PathLike[str],
    secret_key: str | bytes | None = None,
) -> str:
    """Version from the commit of the git checkout holding ``checkout`` (read from .git).

    ``checkout`` is absolute, e.g. ``BASE_DIR``: a server process may start in
    another folder (another checkout) than the project's.
    """
    version.validate_base(static_url_base)
    if not os.path.isabs(checkout):
        raise ImproperlyConfigured(
            f"get_static_url_git(checkout={os.fspath(checkout)!r}): the checkout "
            f"{os.fspath(checkout)!r} is relative, so it would follow the working "
            f"directory of each server process. Pass an absolute path, e.g. BASE_DIR."
        )
    revision = git_revision.read_revision(checkout)
    source = Source("git", str(Path(checkout).resolve()))
    return _versioned(static_url_base, "release", revision, secret_key, source)


def _producing_stamp() -> bool:
    """True in the deploy commands that run before the stamp exists."""
    args = sys.argv[1:3]
    return args[:1] == ["collectstatic"] or args in (
        ["static_url", "stamp"],
        ["static_url", "collect"],
    )


def get_static_url_stamp(
    static_url_base: str,
    stamp_path: str | os.PathLike[str],
    secret_key: str | bytes | None = None,
) -> str:
    """Version from the content of the static files, read from a stamp file.

    ``manage.py static_url stamp`` writes the stamp after collectstatic; every
    server that has the same files computes the same version.
    """
    version.validate_base(static_url_base)
    path = os.path.abspath(os.fspath(stamp_path))
    source = Source("stamp", path)

    def for_digest(digest: str) -> str:
        url = _versioned(static_url_base, "content", digest, secret_key, source)
        _stamp_urls[_key(url)] = for_digest
        return url

    if not os.path.exists(path) and _producing_stamp():
        # collectstatic and the stamp command itself must run before the stamp
        # exists; they never render a URL, so a non-version placeholder is safe.
        logger.info(
            "Static version stamp %s not written yet; %s runs without it.", path, sys.argv[1]
        )
        url = _record(static_url_base + PENDING + "/", source)
        _stamp_urls[_key(url)] = for_digest
        return url
    return for_digest(content_hash.read_stamp(path))


def get_static_url_fixed(static_url_base: str, segment: str = "0" * version.SEGMENT_LENGTH) -> str:
    """A constant version, for tests and HTML snapshots."""
    if not version.is_segment(segment):
        raise ImproperlyConfigured(
            f"get_static_url_fixed(segment={segment!r}): a segment is exactly "
            f"{version.SEGMENT_LENGTH} lowercase hex digits, e.g. {'0' * version.SEGMENT_LENGTH!r}."
        )
    return _record(version.join(static_url_base, segment), Source("fixed"))
