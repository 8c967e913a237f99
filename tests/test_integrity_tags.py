"""The script and stylesheet tags with integrity, in Django templates and Jinja2."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import django
import pytest
from django.http import HttpResponse
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory
from jinja2 import Environment

from django_static_url_helper import integrity_jinja2, url_helper

if TYPE_CHECKING:
    from pytest_django import Settings

JS = b"document.documentElement.dataset.ran = 'yes';\n"
CSS = b"body { color: rgb(1, 2, 3) }\n"


def sri(body: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


@pytest.fixture(autouse=True)
def dev_files(settings: Settings, tmp_path: Path) -> None:
    """DEBUG: the values come from these files, through the finders."""
    settings.DEBUG = True
    source = tmp_path / "src"
    (source / "js").mkdir(parents=True)
    (source / "css").mkdir()
    (source / "js" / "app.js").write_bytes(JS)
    (source / "css" / "site.css").write_bytes(CSS)
    settings.STATICFILES_DIRS = [source]
    settings.STATIC_URL = url_helper.get_static_url_fixed("/static/", "3fa9c1e2b7d4")


def render(text: str, **context: Any) -> str:
    return Template("{% load static_url %}" + text).render(Context(context))


def test_static_script_renders_src_integrity_and_the_attributes_given() -> None:
    html = render('{% static_script "js/app.js" defer type="module" %}')
    assert html == (
        f'<script src="/static/3fa9c1e2b7d4/js/app.js" integrity="{sri(JS)}" '
        f'defer type="module"></script>'
    )


def test_static_stylesheet_renders_a_link_with_href_and_integrity() -> None:
    html = render('{% static_stylesheet "css/site.css" media="print" %}')
    assert html == (
        f'<link rel="stylesheet" href="/static/3fa9c1e2b7d4/css/site.css" '
        f'integrity="{sri(CSS)}" media="print">'
    )


def test_static_integrity_is_the_value_alone() -> None:
    assert render('{% static_integrity "js/app.js" %}') == sri(JS)


def test_a_cdn_static_url_adds_crossorigin_anonymous(settings: Settings) -> None:
    settings.STATIC_URL = url_helper.get_static_url_fixed(
        "https://cdn.example.com/s/", "3fa9c1e2b7d4"
    )
    html = render('{% static_script "js/app.js" %}')
    assert 'src="https://cdn.example.com/s/3fa9c1e2b7d4/js/app.js"' in html
    assert 'crossorigin="anonymous"' in html
    assert 'crossorigin="use-credentials"' in render(
        '{% static_script "js/app.js" crossorigin="use-credentials" %}'
    )


def test_a_same_origin_static_url_adds_no_crossorigin() -> None:
    assert "crossorigin" not in render('{% static_stylesheet "css/site.css" %}')


def test_the_context_nonce_is_added(settings: Settings) -> None:
    html = render('{% static_script "js/app.js" %}', csp_nonce="n0nce")
    assert html.endswith(' nonce="n0nce"></script>')


def test_a_nonce_given_wins_over_the_context() -> None:
    html = render('{% static_stylesheet "css/site.css" nonce=mine %}', mine="x", csp_nonce="ctx")
    assert ' nonce="x"' in html
    assert "ctx" not in html


def test_the_nonce_of_djangos_csp_middleware_is_used_and_so_sent() -> None:
    request = RequestFactory().get("/")
    try:
        from django.middleware.csp import ContentSecurityPolicyMiddleware
    except ImportError:
        # Django 5.2 has no CSP middleware (6.0 added it): no nonce, and no error.
        assert django.VERSION < (6, 0)
        assert "nonce" not in render('{% static_script "js/app.js" %}', request=request)
        return
    ContentSecurityPolicyMiddleware(HttpResponse).process_request(request)
    html = render('{% static_script "js/app.js" %}', request=request)
    nonce = str(request._csp_nonce)  # type: ignore[attr-defined]
    assert f' nonce="{nonce}"' in html
    assert request._csp_nonce  # type: ignore[attr-defined]  # used: the header will carry it


def test_without_any_nonce_no_nonce_attribute() -> None:
    html = render('{% static_script "js/app.js" %}', request=RequestFactory().get("/"))
    assert "nonce" not in html


def test_attribute_values_are_escaped_and_underscores_become_dashes() -> None:
    html = render('{% static_script "js/app.js" data_x=v %}', v='"><b>')
    assert 'data-x="&quot;&gt;&lt;b&gt;"' in html


def test_the_tags_own_attributes_cannot_be_given() -> None:
    with pytest.raises(TemplateSyntaxError, match="'integrity' is set by the tag itself"):
        Template('{% load static_url %}{% static_script "js/app.js" integrity="x" %}')


def test_a_tag_without_a_name_says_how_to_write_it() -> None:
    with pytest.raises(TemplateSyntaxError, match='static_script "js/app.js"'):
        Template("{% load static_url %}{% static_script %}")


def test_jinja2_globals_render_the_same_tags() -> None:
    env = Environment(autoescape=True)
    env.globals.update(integrity_jinja2.GLOBALS)
    page = env.from_string(
        "{{ static_script('js/app.js', defer=True, type='module') }}"
        "{{ static_stylesheet('css/site.css', media='print') }}"
        "{{ static_integrity('js/app.js') }}"
    )
    assert page.render(csp_nonce="n") == (
        render('{% static_script "js/app.js" defer type="module" nonce="n" %}')
        + render('{% static_stylesheet "css/site.css" media="print" nonce="n" %}')
        + sri(JS)
    )
