"""URL patterns that serve versioned static URLs in development (DEBUG only)."""

from __future__ import annotations

import os
import re
import stat
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles import views as staticfiles_views
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, re_path

from . import file_responses, static_folders, version
from .cache_policy import NO_STORE
from .conf import conf

__all__ = ["serve", "staticfiles_dynamicurlpatterns"]


def serve(
    request: HttpRequest, path: str, insecure: bool = False, **kwargs: Any
) -> HttpResponseBase:
    """``django.contrib.staticfiles.views.serve`` for ``path`` with or without a version.

    As Django's view: ``Http404`` unless DEBUG is True or ``insecure``; the
    finders find the file and ``kwargs`` go to ``django.views.static.serve``.
    Any well-formed version is accepted, so a page rendered before the dev
    server reloaded still gets its files; under another version than the
    current one, and on a 404, with ``Cache-Control: no-store``.
    """
    if not settings.DEBUG and not insecure:
        raise Http404  # what Django's view raises: nothing is served outside DEBUG
    parts = version.split_path(path)
    try:
        if parts is None:
            raise Http404("Not a static file path.")
        refused = _refused(parts.name)
        if refused:
            raise Http404(refused)
        response = staticfiles_views.serve(request, parts.name, insecure=True, **kwargs)
    except Http404 as exc:
        return not_found(request, exc)
    if parts.segment is not None and parts.segment != conf.static_url.segment:
        response["Cache-Control"] = NO_STORE
    return file_responses.for_asgi(request, response)


def _refused(name: str) -> str | None:
    """Why the file the finders find for ``name`` is not served, or None.

    Checked before Django's view opens it: a FIFO would block the request.
    """
    found = finders.find(name)
    if not isinstance(found, str):
        return None  # Django's view says it is not found
    try:
        mode = os.stat(found).st_mode
    except OSError:
        return f"'{name}' is a broken link."
    if not (static_folders.is_served_kind(mode) or stat.S_ISDIR(mode)):
        return f"'{name}' is not a regular file."
    if not static_folders.Folders(static_folders.finder_folders()).holds(found):
        return f"'{name}' is a link out of the static folders."
    return None


def not_found(request: HttpRequest, exc: Http404) -> HttpResponseBase:
    """The 404 Django would answer for ``exc`` (its debug page in DEBUG), never stored."""
    response = response_for_exception(request, exc)
    response["Cache-Control"] = NO_STORE
    return response


def _pattern_prefix(static_url: str) -> str:
    # A versioned STATIC_URL may be passed by mistake: match on its base so
    # older versions keep resolving too.
    base = version.split_url(version.validate_base(static_url)).base
    path = version.base_path(base)
    # URL patterns match the path below the script prefix (FORCE_SCRIPT_NAME).
    script = (getattr(settings, "FORCE_SCRIPT_NAME", None) or "").rstrip("/")
    if script and path.startswith(script + "/"):
        path = path[len(script) :]
    return path.lstrip("/")


def staticfiles_dynamicurlpatterns(static_url: str = "/static/") -> list[URLPattern]:
    """Return patterns serving ``static_url`` + [version/] + path, or ``[]`` unless DEBUG.

    ``static_url`` is the unversioned base (the same value given to the settings
    helper); a path or an absolute URL, whose path is matched.
    """
    if not settings.DEBUG:
        return []
    prefix = _pattern_prefix(static_url)
    return [re_path(rf"^{re.escape(prefix)}(?P<path>.*)$", serve)]
