"""System checks of the whitenoise middleware's place in MIDDLEWARE: W005, W006.

Registered in ``apps.py``; every id is listed in docs/checks.rst.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning
from django.utils.module_loading import import_string

_ID = "django_static_url_helper.%s"


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
    """The class each MIDDLEWARE entry names, or None for one that fails to import.

    An entry that fails to import is Django's to report, when it loads the middleware.
    """
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
