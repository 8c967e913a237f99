"""Render the nginx block that serves STATIC_ROOT under the versioned STATIC_URL.

The block comes from one template shipped with the package,
``nginx.conf.template``. Every value is validated here before it reaches the
template, since a stray ``;``, ``$`` or ``{`` in nginx config changes its meaning.
"""

from __future__ import annotations

import os
import re
import textwrap
from dataclasses import dataclass
from importlib import resources
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Engine, Template

from . import nginx_values, version
from .conf import Mismatch, header_name, immutable_cache_control, mismatch_policy, seconds

TEMPLATE = "nginx.conf.template"
NOT_FOUND_LOCATION = "@static_url_not_found"
# A Range header that may not fit the file, so that nginx may answer 416: any
# but one range from byte 0 (an 18-digit end cannot overflow).
RANGE_PATTERN = r"^(?!bytes=0-[0-9]{0,18}$)."
# Other versions are rewritten below this folder of the base. A dot-folder can
# never be a static file's path: the block refuses those.
MISMATCH_FOLDER = ".version-mismatch/"
# Any path part starting with a dot, a final "/" (a directory), and any
# backslash ("\x5c": nginx config would eat a plain backslash).
REFUSE_PATTERN = r"/\.|/$|\x5c"


@dataclass(frozen=True)
class Server:
    """A complete server block around the static locations."""

    listen: str = "80"
    name: str = "_"
    upstream: str = "127.0.0.1:8000"
    """The app server: ``HOST:PORT`` or ``unix:/path/to/socket``."""


@dataclass(frozen=True)
class Block:
    base: str
    """URL path of the unversioned base, e.g. ``'/static/'``."""
    root: str
    """Absolute folder the files are served from (STATIC_ROOT)."""
    current: str
    """The current version segment."""
    mismatch: Mismatch = "no-store"
    max_age: int = 31536000
    unversioned_max_age: int = 60
    version_header: str | None = "X-Static-Version"
    headers_include: str | None = None
    """A file of add_header lines the server block includes; repeated inside."""
    server: Server | None = None
    releases: tuple[str, ...] | None = None
    """Release directories: the kept versions, each served from ``root/<version>/``."""
    gzip_static: bool = True
    """Send ``file.gz`` to clients that take gzip: only worth it where such files exist."""
    allow_origin: bool = False
    """Send ``Access-Control-Allow-Origin: *``: STATIC_URL is on another origin (a CDN)."""


def render(block: Block) -> str:
    """The nginx config for ``block``: a snippet, or a server when ``block.server``."""
    base = nginx_values.location_path(block.base, "The STATIC_URL path")
    root = nginx_values.quoted_path(block.root, "STATIC_ROOT", absolute=True, directory=True)
    versions = [{"segment": block.current, "root": root}]
    if block.releases is not None:
        versions = _release_versions(block)
        root = versions[0]["root"]
    if not version.is_segment(block.current):
        raise ImproperlyConfigured(
            f"{block.current!r} is not a version segment ({version.SEGMENT_LENGTH} "
            f"lowercase hex digits); STATIC_URL must end with one."
        )
    mismatch = mismatch_policy(block.mismatch)
    max_age = seconds(block.max_age, "STATIC_VERSION_MAX_AGE")
    context: dict[str, Any] = {
        "static_url": base + block.current + "/",
        "base": base,
        "base_re": re.escape(base),
        "segment_re": version.SEGMENT_PATTERN,
        "current": block.current,
        "root": root,
        "symlinks_from": nginx_values.quoted_path(
            f"from={block.root}", "STATIC_ROOT", directory=True
        ),
        "versions": versions,
        "gzip_static": block.gzip_static,
        "allow_origin": block.allow_origin is True,
        "releases": block.releases is not None,
        "mismatch": mismatch,
        "mismatch_prefix": base + MISMATCH_FOLDER,
        "refuse_re": f'"{REFUSE_PATTERN}"',
        "not_found": NOT_FOUND_LOCATION,
        "range_re": f'"{RANGE_PATTERN}"',
        # Strings: the template engine would localize numbers ("31,536,000").
        "max_age": str(max_age),
        "immutable_cache_control": immutable_cache_control(max_age),
        "unversioned_max_age": str(
            seconds(block.unversioned_max_age, "STATIC_VERSION_UNVERSIONED_MAX_AGE")
        ),
        "version_header": header_name(block.version_header),
        "headers_include": block.headers_include
        and nginx_values.quoted_path(block.headers_include, "--headers-include"),
        "server": block.server
        and nginx_values.server_values(
            block.server.listen, block.server.name, block.server.upstream
        ),
    }
    context["static_headers"] = static_headers(context)
    text: str = _template().render(Context(context, autoescape=False))
    if block.server is None:
        text = textwrap.dedent(text)
    return text.strip("\n") + "\n"


def static_headers(context: dict[str, Any]) -> list[str]:
    """The header lines of every static location but Cache-Control.

    Each location writes them, and so does the Range ``if`` inside one: an
    ``if`` with add_header lines of its own inherits none of its location's.
    """
    lines = [f"include {context['headers_include']};"] if context["headers_include"] else []
    if context["version_header"]:
        lines.append(f"add_header {context['version_header']} {context['current']};")
    if context["gzip_static"]:
        lines.append("add_header Vary Accept-Encoding;")
    if context["allow_origin"]:
        lines.append('add_header Access-Control-Allow-Origin "*";')
    return lines


def _release_versions(block: Block) -> list[dict[str, str]]:
    """The current version's folder first, then every other kept version's."""
    assert block.releases is not None
    if block.current not in block.releases:
        raise ImproperlyConfigured(
            f"The current version {block.current} (the published one, or STATIC_URL's "
            f"before any publish) is not a complete "
            f"release in {block.root}. Run 'manage.py collectstatic' first, then "
            f"render the block again."
        )
    ordered = sorted(block.releases, key=lambda segment: (segment != block.current, segment))
    return [
        {
            "segment": segment,
            "root": nginx_values.quoted_path(
                os.path.join(block.root, segment), "STATIC_ROOT", directory=True
            ),
        }
        for segment in ordered
        if version.is_segment(segment)
    ]


def _template() -> Template:
    source = resources.files(__package__).joinpath(TEMPLATE).read_text(encoding="utf-8")
    # A line holding only a tag or comment leaves nothing behind (no blank line).
    source = re.sub(r"^[ \t]*(\{%.*?%\}|\{#.*?#\})[ \t]*\n", r"\1", source, flags=re.M)
    return Engine(autoescape=False).from_string(source)
