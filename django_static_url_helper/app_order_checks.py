"""System checks of the app's place in INSTALLED_APPS: W004, W008, E003.

Registered in ``apps.py``; every id is listed in docs/checks.rst. Both
``runserver`` and ``collectstatic`` are found in app order, so the app must come
above the apps whose commands it extends.
"""

from __future__ import annotations

import os
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.management import find_commands

_ID = "django_static_url_helper.%s"

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


def check_release_app_order(**kwargs: Any) -> list[CheckMessage]:
    """E003: a release storage or a stamp, but Django's collectstatic would run instead of ours."""
    from .conf import conf
    from .releases import storage_class

    backend = storage_class()
    source = conf.source
    stamped = source is not None and source.kind == "stamp"
    if (backend is None and not stamped) or not _listed_below_staticfiles():
        return []
    what = (
        f"STORAGES['staticfiles'] is the release storage {backend.__name__}"
        if backend is not None
        else "STATIC_URL comes from get_static_url_stamp()"
    )
    cannot = "cannot collect a release" if backend is not None else "writes no stamp"
    return [
        Error(
            f"{what}, but {_OURS!r} is listed after {_STATICFILES!r} in INSTALLED_APPS, "
            f"so collectstatic is Django's, which {cannot}.",
            hint=f"Move {_OURS!r} above {_STATICFILES!r} (either may name its AppConfig).",
            id=_ID % "E003",
        )
    ]
