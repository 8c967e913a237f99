"""System checks of the deploy's publication and of following it: W007, W009, W010, E005, E006.

Registered in ``apps.py``; every id is listed in docs/checks.rst.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from . import release_tree, releases
from .conf import InvalidSetting, conf

_ID = "django_static_url_helper.%s"
PINNING_MIDDLEWARE = (
    "django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware",
    "django_static_url_helper.follow_middleware.PublishedVersionMiddleware",
)


def _release_storage() -> releases.ReleaseStorageMixin | None:
    if not releases.configured():
        return None
    from django.contrib.staticfiles.storage import staticfiles_storage

    return cast(releases.ReleaseStorageMixin, staticfiles_storage)


def check_published(**kwargs: Any) -> list[CheckMessage]:
    """E005 (deploy): nothing is published yet, so no server can render a static URL."""
    source = conf.source
    if source is not None and source.kind == "stamp" and conf.static_url.segment is None:
        return [
            Error(
                f"No static version is published yet: the stamp {source.path} that "
                f"STATIC_URL is computed from does not exist, so the app servers "
                f"cannot render a static URL or serve a static file.",
                hint="Run 'python manage.py collectstatic' (it collects, then writes "
                "the stamp) before starting the app servers.",
                id=_ID % "E005",
            )
        ]
    storage = _release_storage()
    if storage is None or conf.static_url.segment is None:
        return []
    try:
        if storage.read_published():
            return []
    except ImproperlyConfigured as error:
        return [Error(str(error), id=_ID % "E005")]
    return [
        Error(
            f"No version is published in {storage.release_root}: no collectstatic "
            f"has completed a release there yet.",
            hint="Run 'python manage.py collectstatic' with these settings before "
            "starting the app servers.",
            id=_ID % "E005",
        )
    ]


def check_release_collected(**kwargs: Any) -> list[CheckMessage]:
    """W007: in production, the served version is not a complete release in STATIC_ROOT.

    W009: STATIC_URL's version is not the published one, and the servers do not follow it.
    """
    storage = _release_storage()
    if settings.DEBUG or storage is None or not releases.is_local(storage):
        return []  # a bucket is not listed at every start
    segment = conf.static_url.segment
    try:
        published = storage.read_published()
    except ImproperlyConfigured:
        return []  # E005 says so
    messages: list[CheckMessage] = []
    if published is not None and segment not in (None, published.segment) and not _follows():
        messages.append(
            Warning(
                f"STATIC_URL carries version {segment}, but the version published "
                f"last in {storage.release_root} is {published.segment}: these "
                f"settings render the URLs of another release than the deploy made live.",
                hint="Restart the app servers with the new release's environment "
                "(a gunicorn HUP keeps the old environment), or set "
                "STATIC_VERSION_FOLLOW = True to follow each publish without a restart.",
                id=_ID % "W009",
            )
        )
    live = published.segment if published is not None and _follows() else segment
    if live is None or release_tree.read_marker(storage, live) is not None:
        return messages
    return [
        *messages,
        Warning(
            f"Version {live} is not a complete release in {storage.release_root} (no "
            f"{release_tree.marker_name(live)}): its files are missing or still being collected.",
            hint="Run 'manage.py collectstatic' with these settings before starting "
            "the app servers.",
            id=_ID % "W007",
        ),
    ]


def _follows() -> bool:
    try:
        return conf.follow
    except InvalidSetting:
        return False


def check_follow(**kwargs: Any) -> list[CheckMessage]:
    """E006: following is set up wrong; W010: no middleware pins each request's version."""
    try:
        follow, _interval = conf.follow, conf.follow_interval
    except InvalidSetting as exc:
        return [Error(exc.problem, hint=exc.fix, id=_ID % "E006")]
    if not follow:
        return []
    if not releases.configured():
        return [
            Error(
                "STATIC_VERSION_FOLLOW is True, but the staticfiles storage keeps no "
                "release directories: there is no published release to follow, and "
                "files replaced in place cannot be served under their old version.",
                hint="Set STORAGES['staticfiles'] to a release storage "
                "(django_static_url_helper.releases), or turn STATIC_VERSION_FOLLOW off.",
                id=_ID % "E006",
            )
        ]
    if any(_is_pinning(path) for path in settings.MIDDLEWARE):
        return []
    return [
        Warning(
            "STATIC_VERSION_FOLLOW is True, but no middleware fixes each request's "
            "version when it starts: a page rendered across a switch may mix two versions.",
            hint=f"Add {PINNING_MIDDLEWARE[1]!r} to MIDDLEWARE (the whitenoise "
            f"integration {PINNING_MIDDLEWARE[0]!r} does it too).",
            id=_ID % "W010",
        )
    ]


def _is_pinning(path: str) -> bool:
    try:
        cls = import_string(path)
    except Exception:
        return False
    return isinstance(cls, type) and any(
        f"{base.__module__}.{base.__qualname__}" in PINNING_MIDDLEWARE for base in cls.__mro__
    )
