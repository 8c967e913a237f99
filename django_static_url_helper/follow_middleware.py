"""Fix each request's static version when it starts, for STATIC_VERSION_FOLLOW.

``VersionedWhiteNoiseMiddleware`` does this itself; this middleware is for
sites whose static files nginx or a CDN serves. Put it near the top of
MIDDLEWARE: every ``{% static %}`` of the request then renders the version
that was live when the request started, even if a deploy publishes another
meanwhile.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from . import releases
from .conf import conf

__all__ = ["PublishedVersionMiddleware"]


class PublishedVersionMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def live(self) -> str | None:
        if not conf.follow or not releases.configured():
            return None
        return cast(releases.ReleaseStorageMixin, staticfiles_storage).live_segment()

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        with releases.pinned(self.live()):
            return cast(HttpResponseBase, self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        with releases.pinned(self.live()):
            return cast(HttpResponseBase, await self.get_response(request))
