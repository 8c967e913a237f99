"""Which helper of ``url_helper`` computed a STATIC_URL, carried by the value itself.

Each helper returns a ``VersionedStaticURL``: a ``str`` (Django and every
template see the plain URL) that also holds its ``Source``. ``conf.source``
reads it back from the value ``settings.py`` assigned, so there is one record
of the configured source, in the settings, and no registry beside them.
Nothing here touches ``django.conf.settings``: it runs while ``settings.py``
is imported.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

__all__ = ["STABLE_KINDS", "Source", "VersionedStaticURL"]

Kind = Literal["now", "file", "release", "env", "git", "stamp", "fixed"]

STABLE_KINDS: frozenset[Kind] = frozenset({"release", "env", "git", "stamp"})
"""Sources whose version is the same on every server of a release, and at build time."""


class Source(NamedTuple):
    """Where a STATIC_URL's version came from, for system checks and commands."""

    kind: Kind
    path: str | None = None
    """The deploy file, stamp file or checkout the version was read from."""
    variable: str | None = None
    """The environment variable of ``get_static_url_env``."""

    @property
    def stable(self) -> bool:
        """True when every server and every build of one release computes the same version."""
        return self.kind in STABLE_KINDS


class VersionedStaticURL(str):
    """A STATIC_URL computed by a helper, e.g. ``'/static/3fa9c1e2b7d4/'``.

    Equal to, and used as, the plain string; ``source`` says how it was computed.
    """

    source: Source
    base: str
    """The unversioned base the helper was given, e.g. ``'/static/'``."""

    def __new__(cls, url: str, source: Source, base: str) -> VersionedStaticURL:
        value = super().__new__(cls, url)
        value.source = source
        value.base = base
        return value

    def __reduce__(self) -> tuple[object, ...]:
        return (VersionedStaticURL, (str(self), self.source, self.base))
