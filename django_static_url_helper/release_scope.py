"""Which version a release storage works on: the collect's, prune's, or one request's.

Context variables, so each thread and each asyncio task has its own: a
request pinned to one version never sees another request's, and a collect
running in one thread does not move where another thread reads from.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

_scope: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "django_static_url_release_scope", default=None
)
# The version one request renders and is served from, fixed when it starts.
_pinned: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "django_static_url_pinned_version", default=None
)


@contextlib.contextmanager
def _set(var: contextvars.ContextVar[str | None], segment: str | None) -> Iterator[None]:
    token = var.set(segment)
    try:
        yield
    finally:
        var.reset(token)


def scope(segment: str) -> contextlib.AbstractContextManager[None]:
    """Within the block release storages work below ``segment``; ``""`` is the root."""
    return _set(_scope, segment)


def in_release_collect() -> bool:
    """True while collectstatic writes a release (inside ``scope``)."""
    return bool(_scope.get())


def pinned(segment: str | None) -> contextlib.AbstractContextManager[None]:
    """Within the block (one request) ``live_segment()`` is ``segment``."""
    return _set(_pinned, segment)


scoped_segment: Callable[[], str | None] = _scope.get
"""The version of the enclosing ``scope`` (``""``: the root), or None outside one.

The context variable's own ``get``: storages ask for it several times per
file a collect copies.
"""


def pinned_segment() -> str | None:
    """The version of the enclosing ``pinned`` block, or None outside one."""
    return _pinned.get()
