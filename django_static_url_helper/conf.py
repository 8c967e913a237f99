"""Run-time settings of the package, read on every access so override_settings works.

Settings helpers in ``url_helper`` run before settings exist and never come here.
"""

from __future__ import annotations

from typing import Literal

from django.conf import settings

from . import version

Mismatch = Literal["no-store", "404"]


class Settings:
    @property
    def static_url(self) -> version.VersionedURL:
        """STATIC_URL split into its base and version segment."""
        return version.split_url(settings.STATIC_URL or "")

    @property
    def mismatch(self) -> Mismatch:
        """What a request for a well-formed version other than the current one gets.

        ``"no-store"``: the current file, marked so no cache keeps it under that
        version (a page from before the deploy keeps working). ``"404"``: a 404.
        """
        return getattr(settings, "STATIC_VERSION_MISMATCH", "no-store")

    @property
    def immutable_max_age(self) -> int:
        """max-age, in seconds, of files served under their own version."""
        return int(getattr(settings, "STATIC_VERSION_MAX_AGE", 31536000))

    @property
    def header(self) -> str | None:
        """Response header that carries the current version; None to send none."""
        return getattr(settings, "STATIC_VERSION_HEADER", "X-Static-Version")

    @property
    def unversioned_max_age(self) -> int:
        """max-age, in seconds, of files requested without a version (nginx block)."""
        return int(getattr(settings, "STATIC_VERSION_UNVERSIONED_MAX_AGE", 60))


conf = Settings()
