from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static

from django_static_url_helper.conf import conf

ASSETS = ["css/site.css", "js/app.js", "img/logo.svg"]


def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "index.html",
        {
            "version": conf.static_url.segment,
            "static_url": settings.STATIC_URL,
            "assets": [(name, static(name)) for name in ASSETS],
        },
    )
