"""Release directories: each collected release keeps its whole tree under its own version.

A release storage makes ``collectstatic`` write into ``<root>/<segment>/...``
(``root`` is STATIC_ROOT, or the bucket prefix). The collect writes the marker
``<root>/<segment>.release.json`` last: a version directory without its marker
is incomplete, and nothing serves it as a kept version or counts it as one.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from typing import Any

from django.conf import STATICFILES_STORAGE_ALIAS
from django.contrib.staticfiles.storage import StaticFilesStorage
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.module_loading import import_string

from .conf import conf

_scope: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "django_static_url_release_scope", default=None
)


@contextlib.contextmanager
def scope(segment: str) -> Iterator[None]:
    """Within the block release storages work below ``segment``; ``""`` is the root."""
    token = _scope.set(segment)
    try:
        yield
    finally:
        _scope.reset(token)


class ReleaseStorageMixin(Storage):
    """Put first in the bases of ``StaticFilesStorage`` or django-storages' ``S3Storage``.

    Names stay relative to the version, so ``url()`` and ``{% static %}`` are
    unchanged; only where files live moves below the version segment.
    """

    @property
    def release_root(self) -> str:
        """STATIC_ROOT (absolute) or the bucket prefix, without any segment."""
        if isinstance(self, FileSystemStorage):
            base = self.base_location
            return os.fspath(os.path.abspath(base)) if base else ""
        try:
            return self.__dict__["_release_root"]  # type: ignore[no-any-return]
        except KeyError:
            # django-storages tests hasattr(self, "location") before setting it.
            raise AttributeError("location") from None

    @property
    def release_segment(self) -> str:
        """The version being collected or pruned, else the one STATIC_URL carries."""
        scoped = _scope.get()
        if scoped is not None:
            return scoped
        segment = conf.static_url.segment
        if segment is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} keeps each release below its version, but "
                f"STATIC_URL {conf.static_url.base!r} carries no version segment. "
                f"Compute STATIC_URL with a helper of django_static_url_helper.url_helper."
            )
        return segment

    @property
    def location(self) -> str:
        root = self.release_root
        if not root and isinstance(self, FileSystemStorage):
            return root  # STATIC_ROOT unset: StaticFilesStorage.path() says so
        segment = self.release_segment
        if not segment:
            return root
        from .release_tree import folder  # release_tree builds on this module

        return folder(root, segment, local=is_local(self))

    @location.setter
    def location(self, value: str) -> None:
        self.__dict__["_release_root"] = value

    def _save(self, name: str, content: Any) -> str:
        if _scope.get() is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} only takes files from the release collect. "
                f"Run collectstatic with 'django_static_url_helper' listed above "
                f"'django.contrib.staticfiles' in INSTALLED_APPS, so its collectstatic runs."
            )
        return super()._save(name, content)  # type: ignore[misc,no-any-return]

    def get_object_parameters(self, name: str) -> dict[str, Any]:
        """django-storages' upload parameters: files of a version are immutable."""
        params: dict[str, Any] = super().get_object_parameters(name)  # type: ignore[misc]
        cache = conf.immutable_cache_control if _scope.get() else None
        params.setdefault("CacheControl", cache or "no-cache")
        return params


class ReleaseStaticFilesStorage(ReleaseStorageMixin, StaticFilesStorage):
    """``StaticFilesStorage`` that keeps every release in ``STATIC_ROOT/<version>/``."""


def storage_class() -> type[ReleaseStorageMixin] | None:
    """The ``staticfiles`` storage's class if it is a release storage (without creating it).

    None for any other storage, and for one that cannot be imported: Django
    reports that itself, with the setting's name.
    """
    backends: dict[str, dict[str, Any]] = getattr(storages, "backends")  # noqa: B009
    try:
        backend = import_string(backends[STATICFILES_STORAGE_ALIAS]["BACKEND"])
    except (ImportError, KeyError):
        return None
    if isinstance(backend, type) and issubclass(backend, ReleaseStorageMixin):
        return backend
    return None


def configured() -> bool:
    """True when the ``staticfiles`` storage is a release storage."""
    return storage_class() is not None


def is_local(storage: Storage) -> bool:
    return isinstance(storage, FileSystemStorage)
