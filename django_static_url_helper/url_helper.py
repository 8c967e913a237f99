"""Helpers that compute a versioned STATIC_URL, called from ``settings.py``.

Settings are not configured while these run, so nothing here touches
``django.conf.settings``. Each helper returns ``static_url_base`` followed by
a version segment and a slash, e.g. ``'/static/3fa9c1e2b7d4/'``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from django.core.exceptions import ImproperlyConfigured

from . import git_revision, helper_inputs, version
from .source_registry import Source, record, record_stamp_url, source_of, stamp_url_for

__all__ = [
    "PENDING",
    "Source",
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

PENDING = "stamp-pending"
"""Stands where the segment goes while collectstatic runs before the stamp exists."""


def _versioned(
    static_url_base: str, kind: str, value: str, secret_key: str | bytes | None, source: Source
) -> str:
    return record(
        version.join(static_url_base, version.keyed_segment(f"{kind}:{value}", secret_key)), source
    )


# --- The 0.1.0 helpers: same names, same positional order, same defaults. ---


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
        seconds = helper_inputs.boot_time_ns() // 10**9
        return record(version.join(static_url_base, version.plain_segment(seconds)), source)
    return _versioned(static_url_base, "now", str(helper_inputs.boot_time_ns()), secret_key, source)


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
    path = os.fspath(file_path)
    stamp_ns = helper_inputs.deploy_file_ns(path, timestamp)
    source = Source("file", os.path.abspath(path))
    if not hash_url:
        return record(
            version.join(static_url_base, version.plain_segment(stamp_ns // 10**9)), source
        )
    return _versioned(static_url_base, timestamp, str(stamp_ns), secret_key, source)


# --- Sources that are identical on every server of one release. ---


def get_static_url_release(
    static_url_base: str, release: str, secret_key: str | bytes | None = None
) -> str:
    """Version from an explicit release id, e.g. a build number your deploy knows."""
    value = helper_inputs.release_id(release, "The release given to get_static_url_release()")
    return _versioned(static_url_base, "release", value, secret_key, Source("release"))


def get_static_url_env(
    static_url_base: str, variable: str, secret_key: str | bytes | None = None
) -> str:
    """Version from an environment variable, e.g. ``GIT_COMMIT`` or ``HEROKU_RELEASE_VERSION``."""
    version.validate_base(static_url_base)
    value = helper_inputs.env_release_id(variable)
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
        record_stamp_url(url, for_digest)
        return url

    digest = helper_inputs.stamp_digest(path)
    if digest is None:
        url = record(static_url_base + PENDING + "/", source)
        record_stamp_url(url, for_digest)
        return url
    return for_digest(digest)


def get_static_url_fixed(static_url_base: str, segment: str = "0" * version.SEGMENT_LENGTH) -> str:
    """A constant version, for tests and HTML snapshots."""
    if not version.is_segment(segment):
        raise ImproperlyConfigured(
            f"get_static_url_fixed(segment={segment!r}): a segment is exactly "
            f"{version.SEGMENT_LENGTH} lowercase hex digits, e.g. {'0' * version.SEGMENT_LENGTH!r}."
        )
    return record(version.join(static_url_base, segment), Source("fixed"))
