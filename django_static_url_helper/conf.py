"""Run-time settings of the package, read on every access so override_settings works.

Settings helpers in ``url_helper`` run before settings exist and never come here.
Every serving policy setting is validated here, once, for the middleware, the
release storages, the nginx block and the system check alike.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import version
from .version_source import Source, VersionedStaticURL

Mismatch = Literal["no-store", "404"]

# What nginx's add_header and every HTTP stack take as a header name.
_HEADER_RE = re.compile(r"[A-Za-z0-9_-]+")


class InvalidSetting(ImproperlyConfigured):
    """A policy setting with a value the package cannot serve with."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem} {fix}")
        self.problem = problem
        self.fix = fix


def mismatch_policy(value: object) -> Mismatch:
    """``value`` if it is a STATIC_VERSION_MISMATCH choice, else InvalidSetting."""
    choices: tuple[Mismatch, ...] = get_args(Mismatch)
    if value not in choices:
        raise InvalidSetting(
            f"STATIC_VERSION_MISMATCH is {value!r}: use 'no-store' or '404'.",
            "Set it in settings.py to 'no-store' (default: a request for another "
            "version gets the current file, which no cache keeps) or '404' (it gets a 404).",
        )
    return value


def seconds(value: object, setting: str) -> int:
    """``value`` if it is a whole number of seconds, 0 or more, else InvalidSetting."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidSetting(
            f"{setting} is {value!r}: use a whole number of seconds, 0 or more.",
            f"Set it in settings.py to an int, e.g. {setting} = 3600 for an hour.",
        )
    return value


def header_name(value: object) -> str | None:
    """``value`` if it is a header name or None, else InvalidSetting."""
    if value is not None and not (isinstance(value, str) and _HEADER_RE.fullmatch(value)):
        raise InvalidSetting(
            f"STATIC_VERSION_HEADER {value!r} is not a header name: use letters, "
            f"digits, '-' and '_' (e.g. 'X-Static-Version'), or None to send none.",
            "Fix STATIC_VERSION_HEADER in settings.py; an invalid name would be "
            "refused by nginx and by HTTP clients.",
        )
    return value


def follow_interval(value: object) -> float:
    """``value`` if it is a usable STATIC_VERSION_FOLLOW_INTERVAL, else InvalidSetting."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.1 <= value <= 3600:
        raise InvalidSetting(
            f"STATIC_VERSION_FOLLOW_INTERVAL is {value!r}: use a number of seconds "
            f"from 0.1 to 3600.",
            "Set it in settings.py, e.g. STATIC_VERSION_FOLLOW_INTERVAL = 1.0: each "
            "process re-reads the published version at most once per interval.",
        )
    return float(value)


def immutable_cache_control(max_age: int) -> str:
    """Cache-Control of a file served (or uploaded) under its own version."""
    return f"public, max-age={max_age}, immutable"


class Settings:
    @property
    def static_url(self) -> version.VersionedURL:
        """STATIC_URL split into its base and version segment."""
        return version.split_url(settings.STATIC_URL or "")

    @property
    def source(self) -> Source | None:
        """How a helper of ``url_helper`` computed STATIC_URL; None for one written by hand.

        Read from the value settings.py assigned: Django's settings object puts
        the script prefix in front of a relative STATIC_URL, a plain ``str``.
        """
        raw = getattr(getattr(settings, "_wrapped", None), "STATIC_URL", None)
        return raw.source if isinstance(raw, VersionedStaticURL) else None

    def unpublished(self) -> ImproperlyConfigured | None:
        """The error of rendering a static URL before the first publish, else None."""
        source = self.source
        if source is None or source.kind != "stamp" or self.static_url.segment is not None:
            return None
        return ImproperlyConfigured(
            f"No static version is published yet: the stamp {source.path} that "
            f"STATIC_URL is computed from does not exist, so no static URL can be "
            f"rendered. Run 'manage.py collectstatic' (it collects, then writes the stamp)."
        )

    @property
    def follow(self) -> bool:
        """STATIC_VERSION_FOLLOW: serve and render the version collectstatic published last."""
        value = getattr(settings, "STATIC_VERSION_FOLLOW", False)
        if not isinstance(value, bool):
            raise InvalidSetting(
                f"STATIC_VERSION_FOLLOW is {value!r}: use True or False.",
                "Set it in settings.py to True to follow each published version "
                "without a restart (release directories only), or False.",
            )
        return value

    @property
    def follow_interval(self) -> float:
        """How often, at most, a process re-reads the published version (seconds)."""
        return follow_interval(getattr(settings, "STATIC_VERSION_FOLLOW_INTERVAL", 1.0))

    @property
    def mismatch(self) -> Mismatch:
        """What a request for a well-formed version other than the current one gets.

        ``"no-store"``: the current file, marked so no cache keeps it under that
        version (a page from before the deploy keeps working). ``"404"``: a 404.
        """
        return mismatch_policy(getattr(settings, "STATIC_VERSION_MISMATCH", "no-store"))

    @property
    def immutable_max_age(self) -> int:
        """max-age, in seconds, of files served under their own version."""
        return seconds(
            getattr(settings, "STATIC_VERSION_MAX_AGE", 31536000), "STATIC_VERSION_MAX_AGE"
        )

    @property
    def immutable_cache_control(self) -> str:
        """Cache-Control of a file served (or uploaded) under its own version."""
        return immutable_cache_control(self.immutable_max_age)

    @property
    def header(self) -> str | None:
        """Response header that carries the current version; None to send none."""
        return header_name(getattr(settings, "STATIC_VERSION_HEADER", "X-Static-Version"))

    @property
    def unversioned_max_age(self) -> int:
        """max-age, in seconds, of files requested without a version (nginx block)."""
        return seconds(
            getattr(settings, "STATIC_VERSION_UNVERSIONED_MAX_AGE", 60),
            "STATIC_VERSION_UNVERSIONED_MAX_AGE",
        )


conf = Settings()
