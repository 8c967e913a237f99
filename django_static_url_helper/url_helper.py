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
from .version_source import Source, VersionedStaticURL

__all__ = [
    "PENDING",
    "Source",
    "VersionedStaticURL",
    "get_static_url_env",
    "get_static_url_file",
    "get_static_url_fixed",
    "get_static_url_git",
    "get_static_url_now",
    "get_static_url_release",
    "get_static_url_stamp",
]

PENDING = version.PENDING


def _url(static_url_base: str, segment: str, source: Source) -> VersionedStaticURL:
    return VersionedStaticURL(version.join(static_url_base, segment), source, static_url_base)


def _keyed(
    static_url_base: str, kind: str, value: str, secret_key: str | bytes | None, source: Source
) -> VersionedStaticURL:
    return _url(static_url_base, version.keyed_segment(f"{kind}:{value}", secret_key), source)


# --- The 0.1.0 helpers: same names, same positional order, same defaults. ---


def get_static_url_now(
    static_url_base: str, hash_url: bool = True, secret_key: str | bytes | None = None
) -> VersionedStaticURL:
    """Version from the process boot time: a new URL at every (re)start.

    One value per process, however often and from wherever it is called
    (split settings modules). Right for development, where every runserver
    reload must bust the cache. Wrong for production: each worker and server
    boots at a different time.
    """
    source = Source("now")
    if not hash_url:
        seconds = helper_inputs.boot_time_ns() // 10**9
        return _url(static_url_base, version.plain_segment(seconds), source)
    return _keyed(static_url_base, "now", str(helper_inputs.boot_time_ns()), secret_key, source)


def get_static_url_file(
    static_url_base: str,
    file_path: str | os.PathLike[str],
    hash_url: bool = True,
    secret_key: str | bytes | None = None,
    *,
    timestamp: Literal["atime", "mtime"] = "atime",
) -> VersionedStaticURL:
    """Version from a deploy file's access time (0.1.0 default) or modification time.

    Touch the file at every deploy. Pass ``timestamp="mtime"`` on file systems
    mounted ``noatime``/``relatime``, where reading the file can move its atime.
    """
    version.validate_base(static_url_base)
    path = os.fspath(file_path)
    stamp_ns = helper_inputs.deploy_file_ns(path, timestamp)
    source = Source("file", os.path.abspath(path))
    if not hash_url:
        return _url(static_url_base, version.plain_segment(stamp_ns // 10**9), source)
    return _keyed(static_url_base, timestamp, str(stamp_ns), secret_key, source)


# --- Sources that are identical on every server of one release. ---
# Their values are no secret (a commit id, a build number, a content hash), so
# their segments are not keyed: a build without the production SECRET_KEY
# (collectstatic in an image build) computes the segment the servers compute.


def get_static_url_release(static_url_base: str, release: str) -> VersionedStaticURL:
    """Version from an explicit release id, e.g. a build number your deploy knows."""
    value = helper_inputs.release_id(release, "The release given to get_static_url_release()")
    return _url(static_url_base, version.release_segment(value), Source("release"))


def get_static_url_env(static_url_base: str, variable: str) -> VersionedStaticURL:
    """Version from an environment variable, e.g. ``GIT_COMMIT`` or ``HEROKU_RELEASE_VERSION``."""
    version.validate_base(static_url_base)
    value = helper_inputs.env_release_id(variable)
    source = Source("env", variable=variable)
    return _url(static_url_base, version.release_segment(value), source)


def get_static_url_git(
    static_url_base: str, checkout: str | os.PathLike[str]
) -> VersionedStaticURL:
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
    return _url(static_url_base, version.release_segment(revision), source)


def get_static_url_stamp(
    static_url_base: str, stamp_path: str | os.PathLike[str]
) -> VersionedStaticURL:
    """Version from the content of the static files, read from a stamp file.

    ``collectstatic`` writes the stamp once the files are collected (or
    ``manage.py static_url stamp``, for a tree collected elsewhere); every
    server that has the same files computes the same version. Until the first
    collectstatic the URL carries no version (``/static/unpublished/``):
    settings load and ``migrate`` or ``check`` work, while rendering a static
    URL or serving stops with an error that names collectstatic.
    """
    version.validate_base(static_url_base)
    path = os.path.abspath(os.fspath(stamp_path))
    source = Source("stamp", path)
    digest = helper_inputs.stamp_digest(path)
    if digest is None:
        return VersionedStaticURL(static_url_base + PENDING + "/", source, static_url_base)
    return _url(static_url_base, version.content_segment(digest), source)


def get_static_url_fixed(
    static_url_base: str, segment: str = "0" * version.SEGMENT_LENGTH
) -> VersionedStaticURL:
    """A constant version, for tests and HTML snapshots."""
    if not version.is_segment(segment):
        raise ImproperlyConfigured(
            f"get_static_url_fixed(segment={segment!r}): a segment is exactly "
            f"{version.SEGMENT_LENGTH} lowercase hex digits, e.g. {'0' * version.SEGMENT_LENGTH!r}."
        )
    return _url(static_url_base, segment, Source("fixed"))
