"""One manifest per version, for release storages built on ``ManifestStaticFilesStorage``.

Django's manifest storage loads ``staticfiles.json`` once, when it is
created. With release directories each version has its own manifest in its
own folder, and a process that follows the published version must look names
up in the manifest of the version it renders (the one a request is pinned
to), not the one it started with.
"""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.exceptions import ImproperlyConfigured

from .release_scope import scope, scoped_segment

_KEPT_MANIFESTS = 8
"""Manifests a process keeps: the versions it serves now and recently."""


class PerVersionManifests:
    """The ``hashed_files`` of the version in use; each version's manifest read once."""

    def live_segment(self) -> str | None:
        raise NotImplementedError  # ReleaseStorageMixin's

    def _manifest_segment(self) -> str | None:
        scoped = scoped_segment()
        if scoped:
            return scoped
        try:
            return self.live_segment()
        except ImproperlyConfigured:  # a bad follow setting: said where it matters
            return None

    @property
    def hashed_files(self) -> dict[str, Any]:
        segment = self._manifest_segment()
        manifests: dict[str | None, dict[str, Any]] = self.__dict__.setdefault("_manifests", {})
        found = manifests.get(segment)
        if found is None:
            found = {}
            if segment is not None and isinstance(self, ManifestFilesMixin):
                with scope(segment):
                    loaded: Any = ManifestFilesMixin.load_manifest(self)
                    found = loaded[0]
            self._keep(manifests, segment, found)
        return found

    @hashed_files.setter
    def hashed_files(self, value: dict[str, Any]) -> None:
        manifests: dict[str | None, dict[str, Any]] = self.__dict__.setdefault("_manifests", {})
        self._keep(manifests, self._manifest_segment(), value)

    @staticmethod
    def _keep(
        manifests: dict[str | None, dict[str, Any]], segment: str | None, value: dict[str, Any]
    ) -> None:
        manifests.pop(segment, None)
        manifests[segment] = value  # newest last
        while len(manifests) > _KEPT_MANIFESTS:
            manifests.pop(next(iter(manifests)))

    def load_manifest(self) -> tuple[dict[str, Any], str]:
        if self._manifest_segment() is None:
            return {}, ""  # no version yet (the first collect): nothing to load
        loaded: Any = ManifestFilesMixin.load_manifest(self)  # type: ignore[arg-type]
        return loaded  # type: ignore[no-any-return]
