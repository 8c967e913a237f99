"""The integrity value of a static name, for the version this request renders.

In production the values come from the collect (``integrity_record``): with
release directories from the marker of the live version (the pinned one in
a request that follows the published version), else from the record of a
collect into one folder. Each version's values are read once; each name's
value is then one dictionary lookup, as cheap as the storage's memoized
``url()``. A name without a value is an ``IntegrityMissing`` at render,
never a tag without integrity. With ``DEBUG`` the values come from the
finders (``integrity_dev``): there is no collect in development.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import HashedFilesMixin, staticfiles_storage
from django.core.signals import setting_changed
from django.utils.functional import empty

from . import integrity_dev, integrity_record, releases
from .conf import conf
from .integrity import IntegrityMissing

__all__ = ["IntegrityMissing", "integrity_of"]

_KEPT_VERSIONS = 8
_COLLECT = "Run 'python manage.py collectstatic' with these settings"


_current: _Values | None = None
"""The staticfiles storage's values: kept here, since each read through the lazy
storage and settings costs a call. Settings that change them drop it."""
_flat: dict[str, str] = {}
"""``_current.flat`` when it answers every name (production, one folder), else empty."""
_RESET = frozenset({"DEBUG", "STORAGES", "STATIC_URL", "STATIC_ROOT"})


def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    global _current, _flat
    if setting in _RESET:
        _current, _flat = None, {}


setting_changed.connect(_settings_changed)


def integrity_of(name: str) -> str:
    """``sha384-<base64>`` of the file ``{% static name %}`` points to."""
    try:
        return _flat[name]  # the hot path: one dictionary lookup, as url()'s memo
    except KeyError:
        pass
    state = _current or _start()
    if state.flat is not None:
        # One folder: its files whatever the version; a new STATIC_URL is a new storage.
        return state.look_up(None, name)
    if state.debug:
        return integrity_dev.value(name)
    segment = state.storage.live_segment()
    memo = state.memo.get(segment)
    found = memo.get(name) if memo is not None else None
    return found if found is not None else state.look_up(segment, name)


def _start() -> _Values:
    global _current, _flat
    lazy: Any = staticfiles_storage
    if lazy._wrapped is empty:
        lazy._setup()
    storage = lazy._wrapped
    state: _Values = storage.__dict__.setdefault("_static_integrity", _Values(storage))
    state.debug = bool(settings.DEBUG)
    # Production without release directories: one dict answers every name.
    state.flat = None if state.debug or state.release else state.memo.setdefault(None, {})
    _current, _flat = state, state.flat if state.flat is not None else {}
    return state


class _Values:
    """The values a storage's versions recorded, and the answer for each name asked."""

    def __init__(self, storage: Any) -> None:
        self.storage = storage
        self.debug = False
        self.release = isinstance(storage, releases.ReleaseStorageMixin)
        self.hashed = isinstance(storage, HashedFilesMixin)
        self.memo: dict[str | None, dict[str, str]] = {}
        """Each version's answers by name."""
        self.flat: dict[str, str] | None = None
        """``memo[None]`` when every name is answered from one folder's record."""
        self.versions: dict[str | None, integrity_record.Recorded] = {}
        self.lock = threading.Lock()

    def look_up(self, segment: str | None, name: str) -> str:
        recorded = self.recorded(segment)
        if recorded.values is None:
            raise IntegrityMissing(
                f"No integrity value for {name!r}: {recorded.problem} {self.fix(segment)}"
            )
        stored = self.stored_name(segment, name)
        found = recorded.values.get(stored)
        if found is None:
            what = f"release {segment}" if self.release else "the collected files"
            raise IntegrityMissing(
                f"No integrity value for {name!r}"
                f"{f' (stored as {stored!r})' if stored != name else ''} in {what}: "
                f"{recorded.where} lists no such file. Check the name; {self.added(segment)}"
            )
        with self.lock:
            self.memo.setdefault(segment, {})[name] = found
        return found

    def recorded(self, segment: str | None) -> integrity_record.Recorded:
        found = self.versions.get(segment)
        if found is not None:
            return found
        if self.release and segment is not None:
            found = integrity_record.read_release(self.storage, segment)
        else:
            path = integrity_record.flat_path(conf.source, settings.STATIC_ROOT)
            if path is None:
                return integrity_record.Recorded(
                    None, "", "STATIC_ROOT is not set, so no collect recorded values."
                )
            found = integrity_record.read_flat(path)
        if found.values is not None:  # a missing record may be written any moment
            with self.lock:
                self.versions[segment] = found
                while len(self.versions) > _KEPT_VERSIONS:
                    gone = next(iter(self.versions))
                    self.versions.pop(gone)
                    if gone is not None:  # the flat record is never dropped
                        self.memo.pop(gone, None)
        return found

    def stored_name(self, segment: str | None, name: str) -> str:
        """The file the URL of ``name`` points to: a manifest storage's hashed name."""
        if not self.hashed:
            return name
        if self.release and segment is not None:
            with releases.scope(segment):
                return str(self.storage.stored_name(name))
        return str(self.storage.stored_name(name))

    def added(self, segment: str | None) -> str:
        """What to do about a file added after its version was collected."""
        if self.release:
            # A complete release never changes: collectstatic refuses other files.
            return (
                f"a file added since release {segment} was collected needs a new release: "
                f"deploy it with its own release id (a new commit, build number or "
                f"release variable), then run 'python manage.py collectstatic'."
            )
        return f"if the file was added since, {_COLLECT[0].lower()}{_COLLECT[1:]} again."

    def fix(self, segment: str | None) -> str:
        if self.release:
            return (
                f"{_COLLECT} for release {segment}: it records the values (a release "
                f"already complete is not copied again)."
            )
        return f"{_COLLECT}: it records the values beside what it collects."
