"""Integrity values in development: from the files the finders find, with no collect.

With ``DEBUG`` the dev pattern (or ``runserver``) serves each file straight
from the finders, so its value is computed from that file on first use and
kept until the file changes: the cache key is the file's ``mtime_ns`` and
size, so an edited stylesheet gets its new value on the next render.
"""

from __future__ import annotations

import os
import threading
from typing import Any, NamedTuple

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from . import integrity


class _Known(NamedTuple):
    path: str
    changed: tuple[int, int]
    value: str


_known: dict[str, _Known] = {}
_lock = threading.Lock()


def value(name: str) -> str:
    """The value of the file the finders give for ``name``, recomputed when it changed."""
    known = _known.get(name)
    if known is not None:
        changed = _changed(known.path)
        if changed == known.changed:
            return known.value
    path = finders.find(name)
    if not isinstance(path, str):  # None, or a list with find(all=True)
        raise integrity.IntegrityMissing(
            f"No integrity value for {name!r}: no static file of that name is found "
            f"(STATICFILES_DIRS and the apps' static folders, with DEBUG on). Check the "
            f"name; 'python manage.py findstatic {name}' shows where Django looks."
        )
    changed = _changed(path)
    if changed is None:
        raise ImproperlyConfigured(f"The static file {path} vanished while it was read.")
    found = integrity.of_file(path)
    with _lock:
        _known[name] = _Known(path, changed, found)
    return found


def _changed(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def forget(*, setting: str = "", **kwargs: Any) -> None:
    """Drop every cached value: the finders may find other files now."""
    if setting in ("", "STATICFILES_DIRS", "STATICFILES_FINDERS", "INSTALLED_APPS"):
        with _lock:
            _known.clear()


setting_changed.connect(forget)
