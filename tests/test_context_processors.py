"""``{{ STATIC_VERSION }}`` in templates."""

from __future__ import annotations

from typing import Any

from django.template import engines
from django.test import RequestFactory

from django_static_url_helper.context_processors import static_version


def render(settings: Any, source: str) -> str:
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "context_processors": ["django_static_url_helper.context_processors.static_version"]
            },
        }
    ]
    template = engines["django"].from_string(source)
    return template.render({}, RequestFactory().get("/"))


def test_template_sees_the_current_version(settings: Any) -> None:
    html = render(settings, '<meta name="static-version" content="{{ STATIC_VERSION }}">')
    assert html == '<meta name="static-version" content="3fa9c1e2b7d4">'


def test_version_follows_static_url(settings: Any) -> None:
    settings.STATIC_URL = "https://cdn.example.com/static/0123456789ab/"
    assert render(settings, "{{ STATIC_VERSION }}") == "0123456789ab"


def test_none_without_a_version(settings: Any) -> None:
    settings.STATIC_URL = "/static/"
    assert static_version(RequestFactory().get("/")) == {"STATIC_VERSION": None}
    assert render(settings, "{{ STATIC_VERSION|default:'none' }}") == "none"
