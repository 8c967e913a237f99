"""Jinja2 globals: ``static_integrity``, ``static_script`` and ``static_stylesheet``.

Add them to the project's environment::

    from django_static_url_helper import integrity_jinja2

    env.globals.update(integrity_jinja2.GLOBALS)

``static_script("js/app.js", defer=True, type="module")`` renders the same
tag as ``{% static_script "js/app.js" defer type="module" %}``; the nonce comes
from the template's ``csp_nonce`` or ``request``, or ``nonce=...``.
"""

from __future__ import annotations

from typing import Any

from django.utils.safestring import SafeString
from jinja2 import pass_context
from jinja2.runtime import Context

from . import integrity_tags
from .integrity_lookup import integrity_of

__all__ = ["GLOBALS", "static_integrity", "static_script", "static_stylesheet"]


def static_integrity(name: str) -> str:
    """The integrity value of the static file ``name`` (``sha384-<base64>``)."""
    return integrity_of(name)


@pass_context
def static_script(context: Context, name: str, **attributes: Any) -> SafeString:
    nonce = attributes.pop("nonce", None)
    if nonce is None:
        nonce = integrity_tags.nonce_of(context)
    return integrity_tags.script(name, attributes, nonce)


@pass_context
def static_stylesheet(context: Context, name: str, **attributes: Any) -> SafeString:
    nonce = attributes.pop("nonce", None)
    if nonce is None:
        nonce = integrity_tags.nonce_of(context)
    return integrity_tags.stylesheet(name, attributes, nonce)


GLOBALS: dict[str, Any] = {
    "static_integrity": static_integrity,
    "static_script": static_script,
    "static_stylesheet": static_stylesheet,
}
