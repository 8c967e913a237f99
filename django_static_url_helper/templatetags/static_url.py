"""``{% load static_url %}``: static files with Subresource Integrity.

``{% static_integrity "js/app.js" %}`` gives the file's ``sha384-...`` value;
``{% static_script "js/app.js" defer type="module" %}`` and
``{% static_stylesheet "css/site.css" media="print" %}`` render the whole tag.
A bare word after the name is a boolean attribute (``defer``, ``async``);
``key=value`` sets an attribute (``data_x`` is written ``data-x``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import template
from django.template.base import FilterExpression, Parser, Token
from django.template.context import Context
from django.utils.safestring import SafeString

from ..integrity_lookup import integrity_of
from ..integrity_tags import attribute_name, nonce_of, script, stylesheet

register = template.Library()

Render = Callable[[str, Mapping[str, Any], Any], SafeString]


@register.simple_tag
def static_integrity(name: str) -> str:
    """The integrity value of the static file ``name`` (``sha384-<base64>``)."""
    return integrity_of(name)


class IntegrityTagNode(template.Node):
    def __init__(
        self,
        render_tag: Render,
        name: FilterExpression,
        attributes: list[tuple[str, FilterExpression | None]],
    ) -> None:
        self.render_tag = render_tag
        self.name = name
        self.attributes = attributes

    def render(self, context: Context) -> str:
        attributes = {
            key: True if found is None else found.resolve(context) for key, found in self.attributes
        }
        nonce = attributes.pop("nonce", None)
        if nonce is None:
            nonce = nonce_of(context)
        return self.render_tag(str(self.name.resolve(context)), attributes, nonce)


def _parse(parser: Parser, token: Token, render_tag: Render) -> IntegrityTagNode:
    tag, *bits = token.split_contents()
    if not bits:
        raise template.TemplateSyntaxError(
            f'{tag} takes the static file\'s name first, e.g. {{% {tag} "js/app.js" %}}.'
        )
    attributes: list[tuple[str, FilterExpression | None]] = []
    for bit in bits[1:]:
        key, equals, found = bit.partition("=")
        try:
            attribute_name(key)
        except ValueError as error:
            raise template.TemplateSyntaxError(f"{tag}: {error}") from None
        attributes.append((key, parser.compile_filter(found) if equals else None))
    return IntegrityTagNode(render_tag, parser.compile_filter(bits[0]), attributes)


@register.tag("static_script")
def static_script(parser: Parser, token: Token) -> IntegrityTagNode:
    """``<script src=... integrity=...>`` of a static file, with the attributes given."""
    return _parse(parser, token, script)


@register.tag("static_stylesheet")
def static_stylesheet(parser: Parser, token: Token) -> IntegrityTagNode:
    """``<link rel="stylesheet" href=... integrity=...>`` of a static file."""
    return _parse(parser, token, stylesheet)
