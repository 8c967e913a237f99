"""Run-time settings of the package, read on every access so override_settings works."""

from __future__ import annotations

from django.conf import settings

from . import version


class Settings:
    @property
    def static_url(self) -> version.VersionedURL:
        """STATIC_URL split into its base and version segment."""
        return version.split_url(settings.STATIC_URL or "")


conf = Settings()
