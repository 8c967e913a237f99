"""``runserver`` whose static handler serves every version through the safe dev view.

Django's handler only knows the current STATIC_URL, so older versions fall
through to the urlconf, and a traversal probe under the current version
raises SuspiciousFileOperation, which its handler turns into a 500.

Other apps ship a ``runserver`` too (daphne's runs an ASGI server). Rather
than shadow theirs, this command extends whichever ``runserver`` comes next in
INSTALLED_APPS below this app, and only swaps the static handler that one
wraps the application in: the WSGI one (staticfiles') or the ASGI one
(daphne's ``get_application``). An app listed above this one wins instead;
check W008 says so.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.contrib.staticfiles.handlers import (
    ASGIStaticFilesHandler,
    StaticFilesHandler,
    StaticFilesHandlerMixin,
)
from django.core.handlers.wsgi import WSGIHandler
from django.core.management.base import BaseCommand, CommandParser
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from ... import version
from ...app_order_checks import apps_with_command
from ...django_url_helper import serve

_THIS_APP = __name__.split(".management.", 1)[0]
# Below every app: staticfiles' command, so that with nothing else below this
# app runserver serves static files as it always has (it extends Django's own).
_LAST = "django.contrib.staticfiles"


def next_runserver() -> type[BaseCommand]:
    """The ``runserver`` Command class of the first app below this one that ships one."""
    names = apps_with_command("runserver")
    below = names[names.index(_THIS_APP) + 1 :] if _THIS_APP in names else []
    # Imported unguarded: a runserver module that exists but fails to import is
    # an error to see, not a reason to quietly run another server.
    module = import_module(f"{below[0] if below else _LAST}.management.commands.runserver")
    command: type[BaseCommand] = module.Command
    return command


class _EveryVersion(StaticFilesHandlerMixin):
    """Handle all of the unversioned base of STATIC_URL, through the safe dev view."""

    def get_base_url(self) -> str:
        return version.split_url(super().get_base_url()).base

    def serve(self, request: HttpRequest) -> HttpResponseBase:  # type: ignore[override]
        # Installed only with DEBUG or --insecure, so insecure=True, as Django's
        # own handler passes. Http404 becomes a 404 in get_response.
        return serve(request, request.path[len(self.base_url.path) :], insecure=True)


# The ignores match django-stubs' own on the classes they extend (load_middleware).
class VersionedStaticFilesHandler(_EveryVersion, StaticFilesHandler):  # type: ignore[misc]
    """WSGI: replaces the StaticFilesHandler of staticfiles' runserver."""


class VersionedASGIStaticFilesHandler(_EveryVersion, ASGIStaticFilesHandler):  # type: ignore[misc]
    """ASGI: replaces the ASGIStaticFilesHandler of daphne's runserver."""


if TYPE_CHECKING:
    from django.contrib.staticfiles.management.commands.runserver import (
        Command as NextRunserver,
    )
else:
    # Known only once the app registry is ready, which it is by the time
    # Django loads a management command.
    NextRunserver = next_runserver()


_STATIC_SWITCHES = (
    ("--nostatic", "use_static_handler", "store_false", "Do not serve static files at STATIC_URL."),
    ("--insecure", "insecure_serving", "store_true", "Serve static files even if DEBUG is False."),
)


class Command(NextRunserver):
    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        # staticfiles' switches, which this command has always had; daphne only
        # has them from 4.2 on (its get_application reads them when present).
        for flag, dest, action, help_text in _STATIC_SWITCHES:
            if parser.get_default(dest) is None:
                parser.add_argument(flag, action=action, dest=dest, help=help_text)

    def get_handler(self, *args: Any, **options: Any) -> WSGIHandler:
        handler = super().get_handler(*args, **options)
        if isinstance(handler, StaticFilesHandler):
            return VersionedStaticFilesHandler(handler.application)
        return handler

    def get_application(self, options: dict[str, Any]) -> Any:
        """Called by ASGI runservers (daphne's) only; the others do not define it."""
        application = super().get_application(options)  # type: ignore[misc]
        if isinstance(application, ASGIStaticFilesHandler):
            return VersionedASGIStaticFilesHandler(application.application)
        return application
