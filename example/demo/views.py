from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static

from django_static_url_helper import releases
from django_static_url_helper.conf import conf

ASSETS = ["css/site.css", "js/app.js", "img/logo.svg"]


def index(request: HttpRequest) -> HttpResponse:
    # The version this request renders: following a deploy, STATIC_URL keeps
    # the one the process started with.
    segment = releases.live_segment()
    return render(
        request,
        "index.html",
        {
            "version": segment,
            "static_url": f"{conf.static_url.base}{segment}/" if segment else settings.STATIC_URL,
            "assets": [(name, static(name)) for name in ASSETS],
        },
    )


def integrity(request: HttpRequest) -> HttpResponse:
    """The same stylesheet and script, with Subresource Integrity from the deploy."""
    return render(request, "integrity.html")
