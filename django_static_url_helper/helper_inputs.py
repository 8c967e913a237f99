"""What the helpers of ``url_helper`` derive a version from, read and checked.

The boot time, a deploy file's time, a release id or environment variable,
the stamp. Each reader returns the value or raises an ``ImproperlyConfigured``
that says what is wrong, where, and how to fix it. Like ``url_helper``, nothing
here touches ``django.conf.settings``: it runs while ``settings.py`` is imported.
"""

from __future__ import annotations

import os
import time
from typing import Literal

from django.core.exceptions import ImproperlyConfigured

from . import stamp_file, version_files

_boot_ns: int | None = None


def boot_time_ns() -> int:
    """This process's boot time: when it first asked, the same at every later call."""
    global _boot_ns
    if _boot_ns is None:
        _boot_ns = time.time_ns()
    return _boot_ns


def deploy_file_ns(path: str, timestamp: Literal["atime", "mtime"]) -> int:
    """The access or modification time, in ns, of the deploy file at ``path``."""
    if timestamp not in ("atime", "mtime"):
        raise ImproperlyConfigured(
            f"get_static_url_file(timestamp={timestamp!r}): use 'atime' or 'mtime'."
        )
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
    return stat.st_atime_ns if timestamp == "atime" else stat.st_mtime_ns


def release_id(release: object, where: str) -> str:
    """``release`` if it is a usable release id; ``where`` names it in a message."""
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


def env_release_id(variable: str) -> str:
    """The release id held by the environment variable ``variable``."""
    if not isinstance(variable, str) or not variable or "=" in variable or "\0" in variable:
        raise ImproperlyConfigured(
            f"get_static_url_env() takes the name of an environment variable, "
            f"e.g. 'GIT_COMMIT', got {variable!r}."
        )
    if variable not in os.environ:
        raise ImproperlyConfigured(
            f"The environment variable {variable} (get_static_url_env) is not set. "
            f"Export it in the environment of every server process, e.g. "
            f"'{variable}=$(git rev-parse HEAD)'."
        )
    return release_id(os.environ[variable], f"The environment variable {variable}")


def stamp_digest(path: str) -> str | None:
    """The digest the stamp at ``path`` holds; None before the first collectstatic wrote it.

    A stamp that is there but unusable (a folder, not a digest) is an error.
    """
    if not os.path.lexists(path):
        return None
    return stamp_file.read_stamp(path)
