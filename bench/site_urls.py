"""URLs of the site of ``follow.py`` and ``switch.py``: a page with one ``{% static %}`` tag.

``/page/`` answers ``<pid> <URL of release.txt>``: which worker rendered it, and
the version it rendered.
"""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

PAGE = engines["django"].from_string('{% load static %}{% static "release.txt" %}')


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"{os.getpid()} {PAGE.render({}, request)}", content_type="text/plain")


urlpatterns = [path("page/", page)]
