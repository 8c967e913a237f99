"""The ``<script>`` and ``<link rel="stylesheet">`` tags with integrity, for both template engines.

``{% static_script %}`` and ``{% static_stylesheet %}`` (``templatetags/static_url``)
and the Jinja2 globals (``integrity_jinja2``) render through here, so both give
the same markup. An absolute static URL (a CDN) adds ``crossorigin="anonymous"``:
a browser checks integrity of a cross-origin file only when it is fetched with
CORS. A CSP nonce is added when the page has one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from django.templatetags.static import static
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .integrity_lookup import integrity_of

_ATTRIBUTE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_:.-]*")
RESERVED = frozenset({"src", "href", "integrity"})
CSP_CONTEXT_KEY = "csp_nonce"
"""Django 6.0's ``django.template.context_processors.csp`` puts the nonce here."""


def attribute_name(key: str) -> str:
    """A keyword as an HTML attribute: ``data_turbo_track`` -> ``data-turbo-track``."""
    name = key.replace("_", "-")
    if name.lower() in RESERVED:
        raise ValueError(
            f"{key!r} is set by the tag itself ({', '.join(sorted(RESERVED))} are): "
            f"remove it; the tag takes the static file's name first."
        )
    if not _ATTRIBUTE_RE.fullmatch(name):
        raise ValueError(
            f"{key!r} is not an attribute name: use letters, digits and '-' "
            f"(an '_' is written as '-', so data_x gives data-x)."
        )
    return name


def nonce_of(context: Any) -> Any:
    """The CSP nonce of the page: the context's ``csp_nonce``, else the request's; or None.

    Django 6.0's CSP middleware keeps a lazy nonce on the request (false until
    used, so only ``None`` counts as absent); django-csp names it
    ``request.csp_nonce``. Django 5.2 has neither, and no nonce is added.
    """
    nonce = context.get(CSP_CONTEXT_KEY)
    if nonce is not None:
        return nonce
    request = context.get("request")
    for attribute in ("_csp_nonce", "csp_nonce"):
        nonce = getattr(request, attribute, None)
        if nonce is not None:
            return nonce
    return None


def script(name: str, attributes: Mapping[str, Any], nonce: Any = None) -> SafeString:
    """``<script src=... integrity=...></script>`` of the static file ``name``."""
    head = _opening("script", "src", name, attributes, nonce, ())
    return mark_safe(f"{head}</script>")


def stylesheet(name: str, attributes: Mapping[str, Any], nonce: Any = None) -> SafeString:
    """``<link rel="stylesheet" href=... integrity=...>`` of the static file ``name``."""
    return mark_safe(_opening("link", "href", name, attributes, nonce, (("rel", "stylesheet"),)))


def _opening(
    tag: str,
    url_attribute: str,
    name: str,
    attributes: Mapping[str, Any],
    nonce: Any,
    first: Iterable[tuple[str, Any]],
) -> str:
    given = {attribute_name(key): found for key, found in attributes.items()}
    url = static(name)
    pairs: dict[str, Any] = dict(first)
    pairs[url_attribute] = url
    pairs["integrity"] = integrity_of(name)
    if _cross_origin(url):
        pairs["crossorigin"] = "anonymous"
    pairs.update(given)  # rel, crossorigin and nonce may be given
    if nonce is not None and "nonce" not in given:
        pairs["nonce"] = nonce
    return f"<{tag}{''.join(_attribute(key, found) for key, found in pairs.items())}>"


def _attribute(name: str, found: Any) -> str:
    if found is True:
        return f" {name}"
    if found is False or found is None:
        return ""
    return f' {name}="{escape(str(found))}"'


def _cross_origin(url: str) -> bool:
    """True for an absolute URL (``https://cdn...``, ``//cdn...``): another origin."""
    return bool(urlsplit(url).netloc)
