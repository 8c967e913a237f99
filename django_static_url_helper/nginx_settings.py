"""The nginx block of this project: its settings, its published version, its kept releases.

``nginx.render`` takes values; this reads them from Django's settings and
from what the deploy published, for ``manage.py static_url nginx``.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http.request import validate_host

from . import nginx_values, release_serving
from .conf import conf
from .nginx import Block, Server


def block_from_settings(
    *, origin: bool = False, headers_include: str | None = None, server: Server | None = None
) -> Block:
    """The block for this project: STATIC_URL, STATIC_ROOT and the serving policy.

    ``origin``: STATIC_URL is a CDN's URL and this nginx is the origin the CDN
    pulls the same paths from.
    """
    static_url = settings.STATIC_URL or ""
    base, segment = conf.static_url
    unpublished = conf.unpublished()
    if unpublished is not None:
        raise unpublished
    if segment is None:
        raise ImproperlyConfigured(
            f"STATIC_URL {static_url!r} carries no version segment, so nginx has no "
            f"version to serve immutably. Compute STATIC_URL in settings.py with a "
            f"helper of django_static_url_helper.url_helper, e.g. "
            f"url_helper.get_static_url_stamp('/static/', BASE_DIR / 'static-version.txt')."
        )
    if not settings.STATIC_ROOT:
        raise ImproperlyConfigured(
            "STATIC_ROOT is not set, so nginx has no folder to serve. Set it in "
            "settings.py (e.g. STATIC_ROOT = BASE_DIR / 'static-root'), run "
            "'manage.py collectstatic', then render the block again."
        )
    parts = urlsplit(base)
    if parts.netloc and not origin and not _is_this_site(parts.hostname or ""):
        raise ImproperlyConfigured(
            f"STATIC_URL {static_url!r} is on another host ({parts.netloc}), so "
            f"browsers fetch static files from there, never through this nginx. "
            f"Set the caching up on that host; or, if this nginx is the origin "
            f"that host pulls {parts.path!r} from, pass --origin."
        )
    # With release directories the current version is the one the deploy
    # published, whatever this shell's environment says.
    storage = release_serving.storage()
    published = storage.read_published() if storage is not None else None
    segment = published.segment if published is not None else segment
    kept = release_serving.kept(segment)
    root = kept.root if kept else os.path.abspath(os.fspath(settings.STATIC_ROOT))
    precompressed = nginx_values.checked_root(root)
    return Block(
        gzip_static=precompressed,
        # Pages on another origin fetch the files with CORS (integrity checks).
        allow_origin=bool(parts.netloc),
        releases=None if kept is None else tuple(sorted(kept.complete_versions())),
        base=parts.path,
        root=root,
        current=segment,
        mismatch=conf.mismatch,
        max_age=conf.immutable_max_age,
        unversioned_max_age=conf.unversioned_max_age,
        version_header=conf.header,
        headers_include=headers_include,
        server=server,
    )


def _is_this_site(host: str) -> bool:
    # "*" would accept a CDN's host too: only hosts listed by name count.
    named = [allowed for allowed in settings.ALLOWED_HOSTS if allowed != "*"]
    return validate_host(host, named)
