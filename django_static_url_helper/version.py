"""The version segment: its shape, how it is derived, and how paths split.

This is the one place that knows the format. Everything that builds or reads
a versioned URL (settings helpers, the dev urlpattern, the middleware, the
nginx renderer) asks this module instead of matching its own regex.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import NamedTuple
from urllib.parse import unquote, urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

SEGMENT_LENGTH = 12
# Exactly twelve lowercase hex digits. A fixed length keeps real folders with
# hex-looking names ("fa", "cafe", "2024") from being mistaken for a version.
SEGMENT_PATTERN = f"[0-9a-f]{{{SEGMENT_LENGTH}}}"
_SEGMENT_RE = re.compile(SEGMENT_PATTERN)

PENDING = "unpublished"
"""Stands where the segment goes until the first collectstatic has written the stamp."""

_KEY_CONTEXT = b"django-static-url segment key v1\x00"
_UNKEYED = b"django-static-url segment key v1 (no secret)"


def is_segment(name: str) -> bool:
    """Return True when ``name`` has the exact shape of a version segment."""
    return _SEGMENT_RE.fullmatch(name) is not None


def _derive_key(secret_key: str | bytes | None) -> bytes:
    if not isinstance(secret_key, str | bytes | None):
        raise ImproperlyConfigured(
            f"secret_key must be a string (e.g. SECRET_KEY) or None, got a "
            f"{type(secret_key).__name__}."
        )
    if secret_key is None or secret_key == "" or secret_key == b"":
        return _UNKEYED
    if isinstance(secret_key, str):
        secret_key = secret_key.encode()
    # The secret never enters a URL: it only keys HMAC through a derived key.
    return hashlib.sha256(_KEY_CONTEXT + secret_key).digest()


def keyed_segment(value: str, secret_key: str | bytes | None = None) -> str:
    """Derive a segment from ``value`` (a time, a release id, a content hash).

    The value cannot be read back from the segment; with a ``secret_key`` it
    cannot be guessed either (a boot time alone has little entropy).
    """
    digest = hmac.new(_derive_key(secret_key), value.encode(), hashlib.sha256)
    return digest.hexdigest()[:SEGMENT_LENGTH]


def release_segment(release_id: str) -> str:
    """The segment of a release id, a commit id or an environment variable's value.

    Not keyed: the same on every machine, with or without the production secret.
    """
    return keyed_segment(f"release:{release_id}")


def content_segment(digest: str) -> str:
    """The segment of a content digest (the stamp), the same on every machine."""
    return keyed_segment(f"content:{digest}")


def plain_segment(seconds: int) -> str:
    """The ``hash_url=False`` segment of 0.1.0: the timestamp, readable, in hex."""
    return format(seconds % (1 << (4 * SEGMENT_LENGTH)), f"0{SEGMENT_LENGTH}x")


def validate_base(static_url_base: str) -> str:
    """Return ``static_url_base`` unchanged, or raise if it cannot take a segment."""
    if not isinstance(static_url_base, str) or not static_url_base:
        raise ImproperlyConfigured(
            f"static_url_base must be a non-empty string such as '/static/', "
            f"got {static_url_base!r}."
        )
    if any(char.isspace() or not char.isprintable() for char in static_url_base):
        raise ImproperlyConfigured(
            f"static_url_base {static_url_base!r} holds white space or a control "
            f"character, which a URL cannot carry as it is: write the base "
            f"without it, e.g. '/static/'."
        )
    parts = urlsplit(static_url_base)
    if parts.scheme not in ("", "http", "https") or parts.username or parts.password:
        raise ImproperlyConfigured(
            f"static_url_base {static_url_base!r} must be a path ('/static/') or "
            f"an http(s) URL without credentials ('https://cdn.example.com/static/')."
        )
    if {".", ".."} & set(unquote(parts.path).split("/")):
        raise ImproperlyConfigured(
            f"static_url_base {static_url_base!r} holds a '.' or '..' path "
            f"segment, which browsers and servers resolve away: write the folder "
            f"it means, e.g. '/static/'."
        )
    if parts.query or parts.fragment or "?" in static_url_base or "#" in static_url_base:
        bare = urlunsplit(parts._replace(query="", fragment=""))
        raise ImproperlyConfigured(
            f"static_url_base {static_url_base!r} must not carry a query string "
            f"or fragment: a version segment is appended to its path, which "
            f"busts caches on its own. Use {_with_slash(bare)!r}."
        )
    if not static_url_base.endswith("/"):
        raise ImproperlyConfigured(
            f"static_url_base {static_url_base!r} must end with '/' (Django "
            f"requires the same of STATIC_URL): use {_with_slash(static_url_base)!r}."
        )
    return static_url_base


def _with_slash(base: str) -> str:
    return base if base.endswith("/") else base + "/"


def join(static_url_base: str, segment: str) -> str:
    """``('/static/', '3fa9c1e2b7d4')`` -> ``'/static/3fa9c1e2b7d4/'``."""
    base = validate_base(static_url_base)
    already = split_url(base)
    if already.segment is not None:
        raise ImproperlyConfigured(
            f"static_url_base {static_url_base!r} already ends with a version "
            f"segment: pass the unversioned base, {already.base!r}."
        )
    return base + segment + "/"


class VersionedURL(NamedTuple):
    base: str
    """STATIC_URL without its segment, e.g. ``'/static/'``."""
    segment: str | None
    """The segment, or None when the URL carries none."""


def split_url(static_url: str) -> VersionedURL:
    """``'/static/3fa9c1e2b7d4/'`` -> ``VersionedURL('/static/', '3fa9c1e2b7d4')``."""
    head, sep, last = static_url.rstrip("/").rpartition("/")
    if sep and static_url.endswith("/") and is_segment(last):
        return VersionedURL(head + "/", last)
    if sep and static_url.endswith("/") and last == PENDING:
        return VersionedURL(head + "/", None)  # a stamp not written yet: no version
    return VersionedURL(static_url, None)


def base_path(static_url_base: str) -> str:
    """The path part of a base that may be an absolute (CDN) URL."""
    return urlsplit(static_url_base).path


class StaticPath(NamedTuple):
    segment: str | None
    """The version the request named, or None for an unversioned URL."""
    name: str
    """The file's path relative to the static root, e.g. ``'css/site.css'``."""


def split_path(path: str) -> StaticPath | None:
    """Split a decoded path below the static base into (segment, name).

    ``'3fa9c1e2b7d4/css/a.css'`` -> ``StaticPath('3fa9c1e2b7d4', 'css/a.css')``
    and ``'css/a.css'`` -> ``StaticPath(None, 'css/a.css')``. Returns None for
    anything that must never be served: an empty name, a directory, ``..`` or
    ``.`` segments, dot-files, empty segments, backslashes, NUL bytes.
    """
    head, sep, rest = path.partition("/")
    if sep and is_segment(head):
        segment: str | None = head
        name = rest
    else:
        segment, name = None, path
    return StaticPath(segment, name) if is_safe_name(name) else None


def is_safe_name(name: str) -> bool:
    """True when ``name`` is a plain relative file path that stays in its root."""
    if not name or "\\" in name or "\x00" in name:
        return False
    # Leading "/" yields an empty first part; a trailing "/" an empty last one.
    return all(part and not part.startswith(".") for part in name.split("/"))
