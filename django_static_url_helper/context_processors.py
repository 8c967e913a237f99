"""Template context processors."""

from __future__ import annotations

from django.http import HttpRequest

from . import releases


def static_version(request: HttpRequest) -> dict[str, str | None]:
    """``{{ STATIC_VERSION }}``: the version this page renders, or None without one.

    Lets a page hand the version to a service worker or a single-page app, which
    can compare it with the ``X-Static-Version`` header of later responses. With
    STATIC_VERSION_FOLLOW it is the followed version, as ``{% static %}`` renders.
    """
    return {"STATIC_VERSION": releases.live_segment()}
