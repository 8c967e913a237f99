"""Release directories: each collected release keeps its whole tree under its own version.

A release storage makes ``collectstatic`` write into ``<root>/<segment>/...``
(``root`` is STATIC_ROOT, or the bucket prefix). The collect writes the
marker ``<root>/<segment>.release.json`` once every file is there, then
publishes the version (``release_publication``). A version directory without
its marker is incomplete, and nothing serves it as a kept version.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, cast

from django.conf import STATICFILES_STORAGE_ALIAS
from django.contrib.staticfiles.storage import StaticFilesStorage, staticfiles_storage
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.module_loading import import_string

from . import release_folders, release_publication
from .conf import conf
from .followed_storage import FollowsPublished
from .incoming_folders import INCOMING_PREFIX, IncomingFolders
from .release_folders import CollectBusy, FileInfo, HeldLock, Waiting
from .release_manifests import PerVersionManifests
from .release_publication import PUBLISHED_NAME
from .release_scope import in_release_collect, pinned, scope, scoped_segment

__all__ = [
    "INCOMING_PREFIX",
    "CollectBusy",
    "FileInfo",
    "ReleaseStaticFilesStorage",
    "ReleaseStorageMixin",
    "in_release_collect",
    "pinned",
    "scope",
]


class ReleaseStorageMixin(FollowsPublished, PerVersionManifests, IncomingFolders, Storage):
    """Put first in the bases of ``StaticFilesStorage`` (or a subclass of it).

    Names stay relative to the version, so ``url()`` and ``{% static %}`` are
    unchanged; only where files live moves below the version segment. For a
    bucket use ``releases_s3.ReleaseS3Storage`` (or its ``S3ReleaseMixin``).
    """

    # Django's storage asks for ``location`` several times per file a collect
    # copies: the last answer is kept, for the root and segment it was for.
    _root_of: tuple[object, str] = (None, "")
    _folder_of: tuple[str, str, str] = ("", "", "")

    @property
    def release_root(self) -> str:
        """STATIC_ROOT (absolute) or the bucket prefix, without any segment."""
        base = getattr(self, "base_location", None)
        if not base:
            return ""
        given, root = self._root_of
        if given is not base:
            root = os.fspath(os.path.abspath(base))
            self._root_of = (base, root)
        return root

    def release_folder(self, segment: str) -> str:
        """Where version ``segment`` lives: a folder, or a bucket key prefix."""
        root = self.release_root
        given_root, given_segment, folder = self._folder_of
        if given_root != root or given_segment != segment:
            folder = os.path.join(root, segment)
            self._folder_of = (root, segment, folder)
        return folder

    @property
    def release_segment(self) -> str:
        """The version being collected or pruned, else the one being served."""
        scoped = scoped_segment()
        if scoped is not None:
            return scoped
        segment = self.live_segment()
        if segment is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} keeps each release below its version, but no "
                f"version is known yet: STATIC_URL {conf.static_url.base!r} carries none "
                f"and no collectstatic has published one. Run 'manage.py collectstatic' "
                f"(with a helper of django_static_url_helper.url_helper computing STATIC_URL)."
            )
        return segment

    _scoped_location: tuple[str | None, object, str] = (None, None, "")

    @property
    def location(self) -> str:
        scoped = scoped_segment()
        if scoped is not None:  # a collect or prune: the same answer for every file
            given, base, found = self._scoped_location
            if given == scoped and base is getattr(self, "base_location", None):
                return found
        root = self.release_root
        if not root:
            return root  # STATIC_ROOT unset: StaticFilesStorage.path() says so
        segment = self.release_segment
        found = self.release_folder(segment) if segment else root
        if scoped is not None:
            self._scoped_location = (scoped, getattr(self, "base_location", None), found)
        return found

    @location.setter
    def location(self, value: str) -> None:
        self.__dict__["_release_root"] = value

    def _save(self, name: str, content: Any) -> str:
        if scoped_segment() is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} only takes files from the release collect. "
                f"Run collectstatic with 'django_static_url_helper' listed above "
                f"'django.contrib.staticfiles' in INSTALLED_APPS, so its collectstatic runs."
            )
        return super()._save(name, content)  # type: ignore[misc,no-any-return]

    # --- What differs between a file system and a bucket (see releases_s3). ---

    def release_files(self, segment: str) -> dict[str, FileInfo]:
        """Every file of version ``segment``, by name relative to its folder."""
        return release_folders.files(self.release_folder(segment))

    def remove_release(self, segment: str) -> None:
        """Delete version ``segment``'s folder and everything in it."""
        release_folders.remove(self.release_folder(segment))

    def read_root_file(self, name: str, what: str, fix: str, limit: int) -> bytes | None:
        """A small file of the release root (a marker), or None when it is not there.

        Read so that a FIFO, a device or a huge file there is an error, not a hang.
        """
        path = os.path.join(self.release_root, name)
        try:
            return release_folders.read_small(path, what, fix, limit)
        except FileNotFoundError:
            return None

    def read_published_if_changed(self, tag: Any) -> tuple[Any, bytes | None]:
        """``(tag, body)`` of the published record; ``body`` None if unchanged since ``tag``."""
        return release_folders.read_if_changed(os.path.join(self.release_root, PUBLISHED_NAME), tag)

    def publish(self, segment: str) -> None:
        """Make ``segment`` the published version, in one atomic write."""
        path = os.path.join(self.release_root, PUBLISHED_NAME)
        release_folders.write_atomically(path, release_publication.encode(segment))

    def collect_lock(
        self, wait: float, waiting: Waiting = None
    ) -> contextlib.AbstractContextManager[HeldLock]:
        """Hold the release root's collect lock (``CollectBusy`` after ``wait`` seconds).

        ``waiting`` is told who holds it, once, if this has to wait. Yields a
        ``HeldLock``: ``waited_for``, and ``check()`` (``LockLost`` once lost).
        """
        return release_folders.locked(self.release_root, wait, waiting)


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


def live_segment() -> str | None:
    """The version ``{% static %}`` renders now, for anything a page says about its version.

    STATIC_URL's segment; with a release storage and STATIC_VERSION_FOLLOW the
    published one, and within a request the one it started with. STATIC_URL
    itself keeps the version the process started with.
    """
    if not configured():
        return conf.static_url.segment
    return cast(ReleaseStorageMixin, staticfiles_storage).live_segment()


def is_local(storage: Storage) -> bool:
    return isinstance(storage, FileSystemStorage)
