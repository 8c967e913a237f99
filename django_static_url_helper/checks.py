"""System checks, registered in ``apps.py``. Every id is listed in the README."""

from __future__ import annotations

import os
from typing import Any, get_args

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.checks import CheckMessage, Error, Warning

from . import url_helper, version
from .conf import Mismatch, conf

_ID = "django_static_url_helper.%s"


def check_static_url(**kwargs: Any) -> list[CheckMessage]:
    """W002: STATIC_URL carries no version segment, so URLs never change."""
    static_url = settings.STATIC_URL or ""
    if conf.static_url.segment is not None or static_url.endswith(f"/{url_helper.PENDING}/"):
        return []
    return [
        Warning(
            f"STATIC_URL {static_url!r} carries no version segment, so static URLs "
            f"do not change between deploys and caches keep stale files.",
            hint="Compute STATIC_URL in settings.py with a helper of "
            "django_static_url_helper.url_helper, e.g. "
            "STATIC_URL = url_helper.get_static_url_env('/static/', 'GIT_COMMIT').",
            id=_ID % "W002",
        )
    ]


def check_source(**kwargs: Any) -> list[CheckMessage]:
    """W001: a boot-time version in production; E001: the deploy file is gone."""
    source = url_helper.source_of(settings.STATIC_URL or "")
    if source is None:
        return []
    messages: list[CheckMessage] = []
    if source.kind == "now" and not settings.DEBUG:
        messages.append(
            Warning(
                "STATIC_URL comes from get_static_url_now() while DEBUG is False. "
                "Every worker and every server boots at a different time, so each "
                "renders different static URLs and caches never warm up.",
                hint="In production use a version that is the same on every server "
                "of a release: get_static_url_env(), get_static_url_git(), "
                "get_static_url_stamp() or get_static_url_file().",
                id=_ID % "W001",
            )
        )
    if source.kind in ("file", "stamp") and source.path and not os.path.exists(source.path):
        messages.append(
            Error(
                f"The file {source.path} that STATIC_URL's version was read from no "
                f"longer exists: the next restart will fail to load settings.",
                hint="Keep the deploy file (or stamp) in place between deploys; "
                "for a stamp run 'python manage.py static_url stamp'.",
                id=_ID % "E001",
            )
        )
    return messages


def check_app_order(**kwargs: Any) -> list[CheckMessage]:
    """W004: listed below staticfiles, so runserver uses Django's own static handler."""
    apps = list(settings.INSTALLED_APPS)
    ours, theirs = "django_static_url_helper", "django.contrib.staticfiles"
    if not settings.DEBUG or ours not in apps or theirs not in apps:
        return []
    if apps.index(ours) < apps.index(theirs):
        return []
    return [
        Warning(
            f"{ours!r} is listed after {theirs!r} in INSTALLED_APPS, so runserver "
            f"serves only the current static version and answers some malformed "
            f"static paths with a 500.",
            hint=f"Move {ours!r} above {theirs!r}.",
            id=_ID % "W004",
        )
    ]


def _top_level_folders() -> set[str]:
    names: set[str] = set()
    for finder in get_finders():
        for storage in getattr(finder, "storages", {}).values():
            try:
                folders, _files = storage.listdir("")
            except OSError:
                continue
            names.update(folders)
    return names


def check_folder_names(**kwargs: Any) -> list[CheckMessage]:
    """W003: a top-level static folder whose name looks like a version segment."""
    return [
        Warning(
            f"The static folder {name!r} has the shape of a version segment "
            f"({version.SEGMENT_LENGTH} hex digits), so an unversioned URL into it "
            f"would be read as a versioned URL of a file one level up.",
            hint=f"Rename the folder (e.g. 'v-{name}'); versioned URLs are not affected.",
            id=_ID % "W003",
        )
        for name in sorted(_top_level_folders())
        if version.is_segment(name)
    ]


_MIDDLEWARE = "django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware"
_PLAIN_WHITENOISE = "whitenoise.middleware.WhiteNoiseMiddleware"
_SECURITY = "django.middleware.security.SecurityMiddleware"


def check_middleware(**kwargs: Any) -> list[CheckMessage]:
    """W005: not right after SecurityMiddleware; W006: plain whitenoise listed as well."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    if _MIDDLEWARE not in middleware:
        return []
    messages: list[CheckMessage] = []
    expected = middleware.index(_SECURITY) + 1 if _SECURITY in middleware else 0
    if middleware.index(_MIDDLEWARE) != expected:
        where = f"right after {_SECURITY!r}" if expected else "first"
        messages.append(
            Warning(
                f"{_MIDDLEWARE!r} is at position {middleware.index(_MIDDLEWARE)} of "
                f"MIDDLEWARE; whitenoise expects to come {where}, so that no other "
                f"middleware runs (sessions, locale redirects, ...) for a static file.",
                hint=f"Move {_MIDDLEWARE!r} {where} in MIDDLEWARE.",
                id=_ID % "W005",
            )
        )
    if _PLAIN_WHITENOISE in middleware:
        messages.append(
            Warning(
                f"Both {_MIDDLEWARE!r} and {_PLAIN_WHITENOISE!r} are in MIDDLEWARE. "
                f"Whichever comes first serves the static files: the plain one without "
                f"immutable caching, and every file is indexed twice.",
                hint=f"Remove {_PLAIN_WHITENOISE!r}: {_MIDDLEWARE!r} replaces it.",
                id=_ID % "W006",
            )
        )
    return messages


def check_mismatch_setting(**kwargs: Any) -> list[CheckMessage]:
    """E002: STATIC_VERSION_MISMATCH is neither "no-store" nor "404"."""
    value = conf.mismatch
    choices = get_args(Mismatch)
    if value in choices:
        return []
    return [
        Error(
            f"STATIC_VERSION_MISMATCH is {value!r}, which is not one of {choices!r}.",
            hint="Use 'no-store' (default: a request for another version gets the "
            "current file, which no cache keeps) or '404' (it gets a 404).",
            id=_ID % "E002",
        )
    ]


def _release_storage_class() -> type | None:
    from django.core.files.storage import storages
    from django.utils.module_loading import import_string

    from .releases import ReleaseStorageMixin

    backends = getattr(storages, "backends", {})
    try:
        backend = import_string(backends["staticfiles"]["BACKEND"])
    except (ImportError, KeyError):
        return None  # Django reports an unusable STORAGES itself
    return backend if issubclass(backend, ReleaseStorageMixin) else None


def check_release_app_order(**kwargs: Any) -> list[CheckMessage]:
    """E003: a release storage, but Django's collectstatic would run instead of ours."""
    backend = _release_storage_class()
    apps = list(settings.INSTALLED_APPS)
    ours, theirs = "django_static_url_helper", "django.contrib.staticfiles"
    if backend is None or theirs not in apps or apps.index(ours) < apps.index(theirs):
        return []
    return [
        Error(
            f"STORAGES['staticfiles'] is the release storage {backend.__name__}, but "
            f"{ours!r} is listed after {theirs!r} in INSTALLED_APPS, so collectstatic "
            f"is Django's, which cannot collect a release.",
            hint=f"Move {ours!r} above {theirs!r}.",
            id=_ID % "E003",
        )
    ]


def check_release_collected(**kwargs: Any) -> list[CheckMessage]:
    """W007: in production, the current version is not a complete release in STATIC_ROOT."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.files.storage import FileSystemStorage

    from . import release_tree

    backend = _release_storage_class()
    segment = conf.static_url.segment
    if settings.DEBUG or backend is None or segment is None:
        return []
    if not issubclass(backend, FileSystemStorage) or not settings.STATIC_ROOT:
        return []  # a bucket is not listed at every start
    root = getattr(staticfiles_storage, "release_root", "")
    marker = os.path.join(root, release_tree.marker_name(segment))
    if os.path.isfile(marker):
        return []
    return [
        Warning(
            f"STATIC_URL carries version {segment}, which is not a complete release in "
            f"{root} (no {os.path.basename(marker)}): its "
            f"files are missing or still being collected.",
            hint="Run 'manage.py collectstatic' with these settings before starting "
            "the app servers.",
            id=_ID % "W007",
        )
    ]
