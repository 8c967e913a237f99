"""whitenoise for a versioned STATIC_URL: immutable caching, safe across deploys.

A drop-in for ``whitenoise.middleware.WhiteNoiseMiddleware``. whitenoise indexes
the files under the *unversioned* base (``/static/``) exactly as it would for a
plain STATIC_URL; each request under that base is split once by
``version.split_path`` and answered from that same index, with the cache policy
its version calls for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import response_for_exception
from django.http import HttpRequest
from django.http.response import HttpResponseBase

try:
    from whitenoise.middleware import WhiteNoiseMiddleware
except ImportError as exc:  # pragma: no cover - the test extra installs whitenoise
    raise ImproperlyConfigured(
        "django_static_url_helper.middleware needs whitenoise: "
        "pip install 'django-static-url[whitenoise]'."
    ) from exc

from . import file_responses, release_serving, releases, static_folders
from .cache_policy import file_answer, not_found, other_answer, under
from .conf import conf
from .kept_release_files import KeptReleaseFiles
from .served_versions import ServedVersions
from .version_policy import Found, Policy, Serving
from .whitenoise_files import CheckedFiles, UnversionedSettings

__all__ = ["Found", "VersionedWhiteNoiseMiddleware"]

GetResponse = Callable[[HttpRequest], Any]
Serve = Callable[[Any, HttpRequest], HttpResponseBase]


class VersionedWhiteNoiseMiddleware(
    ServedVersions,
    KeptReleaseFiles,
    CheckedFiles,
    WhiteNoiseMiddleware,  # type: ignore[misc]
):
    """WhiteNoiseMiddleware that knows the version segment of STATIC_URL.

    ====================================  =============================================
    request                               answer
    ====================================  =============================================
    ``/static/<current>/css/a.css``       the file, ``public, max-age=…, immutable``
    ``/static/<other version>/css/a.css`` the current file, ``no-store`` (or a 404)
    ``/static/css/a.css``                 the file, whitenoise's own Cache-Control
    a versioned missing file              404, ``no-store``
    anything else under ``/static/``      the app answers; errors get ``no-store``
    ====================================  =============================================
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse | None = None, settings: Any = None) -> None:
        wrapped = django_settings if settings is None else settings
        # Django hands an async middleware chain under ASGI (unless a sync-only
        # middleware sits below): answer it in kind, without a thread hop.
        self.is_async = get_response is not None and iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        roots = [getattr(wrapped, name, None) for name in ("STATIC_ROOT", "WHITENOISE_ROOT")]
        self.folders = static_folders.Folders([*roots, *static_folders.finder_folders()])
        # Release directories: read before whitenoise indexes their files.
        self.release_storage = release_serving.storage()
        self.following = conf.follow and self.release_storage is not None
        segment = release_serving.starting_segment(self.release_storage)
        self.releases = release_serving.kept(segment)
        self.start_looking_up()
        self.own_cache_control: set[str] = set()
        """URLs whose Cache-Control WHITENOISE_ADD_HEADERS_FUNCTION set: it wins."""
        super().__init__(
            get_response, settings=UnversionedSettings(wrapped, self.own_cache_control)
        )
        self.prefix_length = len(self.static_prefix)
        self.state = self.serving(segment, self.releases)
        self.start_following()

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        state = self.serving_now()
        answer = self.answered(request, self.serve, state)
        if answer is not None:
            return answer
        with releases.pinned(state.policy.segment if self.following else None):
            return self.app_answered(request, self.get_response(request), state)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        """``__call__`` under ASGI: the same answers, files streamed by an async iterator."""
        state = self.state
        if self.switch_due() is not None:
            # A switch indexes the new release's folder: off the event loop.
            state = await sync_to_async(self.serving_now, thread_sensitive=False)()
        if self.autorefresh:
            # Autorefresh looks files up on disk: off the event loop.
            answer = await sync_to_async(self.answered, thread_sensitive=False)(
                request, file_responses.serve_async, state
            )
        else:
            answer = self.answered(request, file_responses.serve_async, state)
        if answer is not None:
            return answer
        with releases.pinned(state.policy.segment if self.following else None):
            return self.app_answered(request, await self.get_response(request), state)

    def answered(
        self, request: HttpRequest, serve: Serve, state: Serving
    ) -> HttpResponseBase | None:
        """``answer``; an error under the static base is Django's 500, never stored."""
        try:
            return self.answer(request, serve, state)
        except Exception as exc:
            if not under(request.path_info, self.static_prefix):
                raise
            # Logged and signalled as Django does for any view's error.
            return self.app_answered(request, response_for_exception(request, exc), state)

    def answer(
        self, request: HttpRequest, serve: Serve, state: Serving | None = None
    ) -> HttpResponseBase | None:
        """The middleware's own answer to ``request``, or None to let the app answer."""
        state = self.state if state is None else state
        found = state.current_files.get(request.path_info)
        if found is not None:
            return self.respond(found, request, serve)
        return self.look_up(request, serve, state)

    def look_up(
        self, request: HttpRequest, serve: Serve, state: Serving
    ) -> HttpResponseBase | None:
        """``answer`` for a path that is not a current-version file of the index."""
        path = request.path_info
        if not path.startswith(self.static_prefix):
            # whitenoise's own files outside the static base (WHITENOISE_ROOT).
            static_file = self.whitenoise_file(path)
            if static_file is None:
                return None
            return self._stamp(file_answer(serve(static_file, request), None), state)
        parts = self.split(path[self.prefix_length :])
        if parts is not None:
            if parts.segment is not None and parts.segment != state.policy.segment:
                state = self.newly_complete(state, parts.segment) or state
            found = self.find_static(parts.segment, parts.name, state.policy)
            if found is not None:
                response = self.respond(found, request, serve)
                if parts.segment == state.policy.segment:
                    self.remember_current(state, path, found)
                    return response
                return self._stamp(response, state)
            if parts.segment is not None:
                return self._stamp(not_found(), state)
        # Unversioned misses and unsafe paths go to the app, as with plain
        # whitenoise (a base of "/" shares its paths with views).
        return None

    def app_answered(
        self, request: HttpRequest, response: HttpResponseBase, state: Serving | None = None
    ) -> HttpResponseBase:
        """The app's response as it leaves: an error under the static base is never cached."""
        answered = other_answer(response, request.path_info, self.static_prefix)
        return self._stamp(answered, self.state if state is None else state)

    def find_static(
        self, segment: str | None, name: str, policy: Policy | None = None
    ) -> Found | None:
        """Which file answers ``name`` under ``segment`` (None: unversioned), and how cached.

        ``name`` has passed ``split``: a safe relative path.
        """
        policy = self.policy if policy is None else policy
        located = policy.locate(segment, name)
        if located is None:
            return None
        static_file = self.whitenoise_file(located.url)
        if static_file is None and policy.releases is not None and not self.autorefresh:
            static_file = self.release_file(policy.releases, located.url)
        if static_file is None:
            return None
        cache_control = located.cache_control
        if cache_control == policy.immutable and located.url in self.own_cache_control:
            cache_control = None  # WHITENOISE_ADD_HEADERS_FUNCTION chose its own
        return Found(static_file, cache_control)

    def whitenoise_file(self, url: str) -> Any:
        """whitenoise's file (or redirect) for ``url``, or None."""
        return self.find_file(url) if self.autorefresh else self.files.get(url)

    def respond(self, found: Found, request: HttpRequest, serve: Serve) -> HttpResponseBase:
        """whitenoise's response (ranges, 304, encodings, HEAD) with the version's policy."""
        return file_answer(serve(found.static_file, request), found.cache_control)

    def _stamp(self, response: HttpResponseBase, state: Serving) -> HttpResponseBase:
        # Not on files of the current version: their URL names it already, and
        # every header costs the hot path a little, in Django and in the server.
        if state.version_header is not None:
            response[state.version_header[0]] = state.version_header[1]
        return response
