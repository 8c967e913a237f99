"""``runserver`` whose static handler serves every version through the safe dev view.

Django's handler only knows the current STATIC_URL, so older versions fall
through to the urlconf, and a traversal probe under the current version
raises SuspiciousFileOperation, which its handler turns into a 500.
"""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.contrib.staticfiles.management.commands.runserver import Command as StaticRunserver
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from ... import version
from ...django_url_helper import serve


class VersionedStaticFilesHandler(StaticFilesHandler):
    def get_base_url(self) -> str:
        return version.split_url(super().get_base_url()).base

    def serve(self, request: HttpRequest) -> HttpResponseBase:  # type: ignore[override]
        return serve(request, request.path[len(self.base_url.path) :])


class Command(StaticRunserver):
    def get_handler(self, *args: Any, **options: Any) -> WSGIHandler:
        handler = super().get_handler(*args, **options)
        if isinstance(handler, StaticFilesHandler):
            return VersionedStaticFilesHandler(handler.application)
        return handler
