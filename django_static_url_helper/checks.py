"""System checks, registered in ``apps.py``. Every id is listed in docs/checks.rst."""

from __future__ import annotations

import os
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.checks import CheckMessage, Error, Warning
from django.core.management import find_commands
from django.utils.module_loading import import_string

from . import url_helper, version
from .conf import InvalidSetting, conf

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
                "of a release: get_static_url_release(), get_static_url_env(), "
                "get_static_url_git() or get_static_url_stamp().",
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


_OURS, _STATICFILES = "django_static_url_helper", "django.contrib.staticfiles"


def _listed_below_staticfiles() -> bool:
    """True when both apps are installed and ours comes after staticfiles.

    Compared by app name, so an entry that names an AppConfig counts too.
    """
    names = [config.name for config in django_apps.get_app_configs()]
    if _OURS not in names or _STATICFILES not in names:
        return False
    return names.index(_OURS) > names.index(_STATICFILES)


def check_app_order(**kwargs: Any) -> list[CheckMessage]:
    """W004: listed below staticfiles, so runserver uses Django's own static handler."""
    if not settings.DEBUG or not _listed_below_staticfiles():
        return []
    return [
        Warning(
            f"{_OURS!r} is listed after {_STATICFILES!r} in INSTALLED_APPS, so "
            f"runserver serves static files with Django's own handler, which answers "
            f"some malformed static paths (e.g. '..' or a NUL byte) with a 500 "
            f"instead of a 404.",
            hint=f"Move {_OURS!r} above {_STATICFILES!r} (either may name its AppConfig).",
            id=_ID % "W004",
        )
    ]


def apps_with_command(command: str) -> list[str]:
    """Names of the installed apps that ship ``command``, in INSTALLED_APPS order.

    Found the way Django's own command lookup does (``find_commands`` over each
    app's ``management`` folder), so nothing is imported.
    """
    return [
        config.name
        for config in django_apps.get_app_configs()
        if command in find_commands(os.path.join(config.path, "management"))
    ]


_SAFE_RUNSERVERS = frozenset((_STATICFILES, "whitenoise.runserver_nostatic"))


def check_runserver_order(**kwargs: Any) -> list[CheckMessage]:
    """W008: an app listed above ours ships ``runserver``, so ours never runs."""
    names = apps_with_command("runserver")
    if not settings.DEBUG or _OURS not in names:
        return []
    # staticfiles above ours is W004's case, with its own wording; whitenoise's
    # runserver_nostatic serves no static files at all, so requests reach the
    # dev pattern or the middleware, both safe.
    above = [name for name in names[: names.index(_OURS)] if name not in _SAFE_RUNSERVERS]
    return [
        Warning(
            f"{name!r} is listed above {_OURS!r} in INSTALLED_APPS and ships its own "
            f"'runserver' command, which Django runs instead of the one of {_OURS!r}: "
            f"runserver then serves static files without the safe handler (Django's "
            f"own handler serves only the current static version and answers some "
            f"malformed static paths, e.g. with '..', with a 500 instead of a 404).",
            hint=f"Move {_OURS!r} above {name!r} in INSTALLED_APPS (either may name its "
            f"AppConfig): its runserver then runs the next one in app order, e.g. "
            f"daphne's ASGI server, with the safe static handler.",
            id=_ID % "W008",
        )
        for name in above
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


def _first_of(classes: list[type | None], base: type, but_not: type | None = None) -> int | None:
    """Index of the first class that is ``base`` or a subclass (and not of ``but_not``)."""
    return next(
        (
            at
            for at, cls in enumerate(classes)
            if cls is not None
            and issubclass(cls, base)
            and not (but_not is not None and issubclass(cls, but_not))
        ),
        None,
    )


def _middleware_classes(middleware: list[str]) -> list[type | None]:
    """The class each MIDDLEWARE entry names, or None for one that fails to import:
    Django reports that itself when it loads the middleware."""
    classes: list[type | None] = []
    for path in middleware:
        try:
            cls = import_string(path)
        except Exception:
            cls = None
        classes.append(cls if isinstance(cls, type) else None)
    return classes


def check_middleware(**kwargs: Any) -> list[CheckMessage]:
    """W005: not right after SecurityMiddleware; W006: plain whitenoise listed as well.

    Entries are matched by class, so a project's subclass counts as what it extends.
    """
    from django.middleware.security import SecurityMiddleware

    try:
        from whitenoise.middleware import WhiteNoiseMiddleware

        from .middleware import VersionedWhiteNoiseMiddleware
    except ImportError:
        return []  # without whitenoise no entry can be the middleware

    middleware = [str(path) for path in getattr(settings, "MIDDLEWARE", None) or []]
    classes = _middleware_classes(middleware)
    ours = _first_of(classes, VersionedWhiteNoiseMiddleware)
    if ours is None:
        return []
    name = middleware[ours]
    messages: list[CheckMessage] = []
    security = _first_of(classes, SecurityMiddleware)
    expected = 0 if security is None else security + 1
    if ours != expected:
        where = "first" if security is None else f"right after {middleware[security]!r}"
        messages.append(
            Warning(
                f"{name!r} is at position {ours} of MIDDLEWARE; whitenoise expects to "
                f"come {where}, so that no other middleware runs (sessions, locale "
                f"redirects, ...) for a static file.",
                hint=f"Move {name!r} {where} in MIDDLEWARE.",
                id=_ID % "W005",
            )
        )
    plain = _first_of(classes, WhiteNoiseMiddleware, but_not=VersionedWhiteNoiseMiddleware)
    if plain is not None:
        messages.append(
            Warning(
                f"Both {name!r} and {middleware[plain]!r} are in MIDDLEWARE. "
                f"Whichever comes first serves the static files: the plain one without "
                f"immutable caching, and every file is indexed twice.",
                hint=f"Remove {middleware[plain]!r}: {name!r} replaces it.",
                id=_ID % "W006",
            )
        )
    return messages


def check_mismatch_setting(**kwargs: Any) -> list[CheckMessage]:
    """E002: STATIC_VERSION_MISMATCH is neither "no-store" nor "404"."""
    return _policy_errors(("mismatch",), "E002")


def check_policy_settings(**kwargs: Any) -> list[CheckMessage]:
    """E004: STATIC_VERSION_MAX_AGE, _UNVERSIONED_MAX_AGE or _HEADER has an unusable value."""
    return _policy_errors(("immutable_max_age", "unversioned_max_age", "header"), "E004")


def _policy_errors(properties: tuple[str, ...], code: str) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for name in properties:
        try:
            getattr(conf, name)
        except InvalidSetting as exc:
            errors.append(Error(exc.problem, hint=exc.fix, id=_ID % code))
    return errors


def check_release_app_order(**kwargs: Any) -> list[CheckMessage]:
    """E003: a release storage, but Django's collectstatic would run instead of ours."""
    from .releases import storage_class

    backend = storage_class()
    if backend is None or not _listed_below_staticfiles():
        return []
    return [
        Error(
            f"STORAGES['staticfiles'] is the release storage {backend.__name__}, but "
            f"{_OURS!r} is listed after {_STATICFILES!r} in INSTALLED_APPS, so "
            f"collectstatic is Django's, which cannot collect a release.",
            hint=f"Move {_OURS!r} above {_STATICFILES!r} (either may name its AppConfig).",
            id=_ID % "E003",
        )
    ]


def check_release_collected(**kwargs: Any) -> list[CheckMessage]:
    """W007: in production, the current version is not a complete release in STATIC_ROOT."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.files.storage import FileSystemStorage

    from . import release_tree
    from .releases import storage_class

    backend = storage_class()
    segment = conf.static_url.segment
    if settings.DEBUG or backend is None or segment is None:
        return []
    if not issubclass(backend, FileSystemStorage) or not settings.STATIC_ROOT:
        return []  # a bucket is not listed at every start
    root = getattr(staticfiles_storage, "release_root", "")
    marker = release_tree.marker_path(root, segment)
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
