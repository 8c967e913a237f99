"""Template context processors."""

from __future__ import annotations

from django.http import HttpRequest

from .conf import conf


def static_version(request: HttpRequest) -> dict[str, str | None]:
    """``{{ STATIC_VERSION }}``: the current version segment, or None without one.

    Lets a page hand the version to a service worker or a single-page app, which
    can compare it with the ``X-Static-Version`` header of later responses.
    """
    return {"STATIC_VERSION": conf.static_url.segment}
