"""System checks of Subresource Integrity: W011 and W012.

Registered in ``apps.py``; every id is listed in docs/checks.rst.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Warning
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from . import integrity, release_tree, releases
from .conf import InvalidSetting, conf

_ID = "django_static_url_helper.%s"
_MIDDLEWARE = "django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware"


def check_release_integrity(**kwargs: Any) -> list[CheckMessage]:
    """W011: a version the servers render was collected before integrity values were recorded."""
    if settings.DEBUG or not releases.configured():
        return []
    from django.contrib.staticfiles.storage import staticfiles_storage

    storage = cast(releases.ReleaseStorageMixin, staticfiles_storage)
    if not releases.is_local(storage):
        return []  # a bucket is not read at every start
    try:
        published = storage.read_published()
        follows = conf.follow
    except (ImproperlyConfigured, InvalidSetting):
        return []  # E005 and E006 say so
    rendered = {conf.static_url.segment, published.segment if published and follows else None}
    messages: list[CheckMessage] = []
    for segment in sorted(found for found in rendered if found is not None):
        marker = release_tree.read_marker(storage, segment)
        if marker is None or integrity.valid(marker.get("integrity")) is not None:
            continue  # W007's case, or fine
        messages.append(
            Warning(
                f"Release {segment} was collected before integrity values were recorded: "
                f"its marker {release_tree.marker_name(segment)} in {storage.release_root} "
                f"has none, so static_script, static_stylesheet and static_integrity "
                f"fail for it.",
                hint="Run 'manage.py collectstatic' with these settings: for a release "
                "already complete it reads the collected files back and adds their "
                "values to the marker, copying nothing.",
                id=_ID % "W011",
            )
        )
    return messages


def check_cross_origin(**kwargs: Any) -> list[CheckMessage]:
    """W012: static files on another origin, but the middleware sends no CORS header."""
    if not urlsplit(settings.STATIC_URL or "").netloc:
        return []
    if getattr(settings, "WHITENOISE_ALLOW_ALL_ORIGINS", True):
        return []
    if not any(_is_versioned_middleware(path) for path in settings.MIDDLEWARE):
        return []
    return [
        Warning(
            f"STATIC_URL {settings.STATIC_URL!r} is on another origin, but "
            f"WHITENOISE_ALLOW_ALL_ORIGINS is False, so static files are served "
            f"without 'Access-Control-Allow-Origin' and browsers refuse every "
            f"static_script and static_stylesheet (integrity needs CORS).",
            hint="Remove WHITENOISE_ALLOW_ALL_ORIGINS from settings.py (whitenoise sends "
            "'Access-Control-Allow-Origin: *' by default), or keep those tags off this site.",
            id=_ID % "W012",
        )
    ]


def _is_versioned_middleware(path: str) -> bool:
    try:
        cls = import_string(path)
    except Exception:
        return False
    return isinstance(cls, type) and any(
        f"{base.__module__}.{base.__qualname__}" == _MIDDLEWARE for base in cls.__mro__
    )
