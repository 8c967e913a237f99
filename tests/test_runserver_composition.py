"""runserver composes with the next runserver in app order (daphne's), and W008.

daphne is only ever run in subprocesses: importing it installs the twisted
reactor and registers daphne's own system check for the rest of the process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pytest
from django.core.checks import CheckMessage

from django_static_url_helper import app_order_checks
from django_static_url_helper.management.commands import runserver
from tests import servers

if TYPE_CHECKING:
    from pytest_django import Settings

CSS = b"h1 { color: rgb(0, 128, 0); }\n"
OURS = "django_static_url_helper"
OUR_CONFIG = "django_static_url_helper.apps.StaticUrlHelperConfig"
STATICFILES = "django.contrib.staticfiles"
OTHER = "tests.other_runserver"  # ships a runserver, as daphne does


def daphne_env(order: str) -> dict[str, str]:
    return {"DJANGO_SETTINGS_MODULE": "tests.settings_daphne", "RS_DAPHNE": order}


class Server(NamedTuple):
    port: int
    log: Path
    asgi: bool


@pytest.fixture(
    scope="module",
    params=["runserver", "runserver --nostatic", "runserver --noasgi"],
)
def daphne_below_ours(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A real runserver with INSTALLED_APPS = [ours, "daphne", staticfiles]."""
    port = servers.free_port()
    log = tmp_path_factory.mktemp("daphne") / "server.log"
    args = servers.runserver_args(port, *request.param.split()[1:])
    with servers.running(args, port, log, env=daphne_env("after")):
        yield Server(port, log, asgi="--noasgi" not in request.param)


@pytest.mark.server
def test_daphne_listed_below_ours_runs_the_daphne_asgi_server(daphne_below_ours: Server) -> None:
    response = servers.request(daphne_below_ours.port, "/")
    assert response.status == 200
    if daphne_below_ours.asgi:
        assert response.header("Server") == "daphne"
        assert "Starting ASGI/Daphne" in daphne_below_ours.log.read_text()
    else:  # daphne's own switch back to Django's WSGI server
        assert (response.header("Server") or "").startswith("WSGIServer/")


@pytest.mark.server
@pytest.mark.parametrize(
    "path",
    [
        "/static/3fa9c1e2b7d4/css/site.css",
        "/static/0123456789ab/css/site.css",
        "/static/css/site.css",
    ],
)
def test_daphne_serves_current_older_and_unversioned_urls(
    daphne_below_ours: Server, path: str
) -> None:
    response = servers.request(daphne_below_ours.port, path)
    assert (response.status, response.body) == (200, CSS)
    assert response.header("Content-Type") == "text/css"


@pytest.mark.server
@pytest.mark.parametrize(
    "path",
    [
        # Under the current version, Django's ASGIStaticFilesHandler answers these with a 500.
        "/static/3fa9c1e2b7d4/../../tests/settings.py",
        "/static/3fa9c1e2b7d4/%2e%2e/%2e%2e/tests/settings.py",
        "/static/3fa9c1e2b7d4/css/..%2f..%2f..%2fsettings.py",
        "/static/../tests/settings.py",
        "/static/0123456789ab/../../tests/settings.py",
        "/static/css/..%2f..%2fsettings.py",
        "/static/3fa9c1e2b7d4/css/site.css%00",
        "/static/.env",
        "/static/3fa9c1e2b7d4/css/",
        "/static/3fa9c1e2b7d4//etc/passwd",
    ],
)
def test_daphne_answers_traversal_probes_with_404_not_500(
    daphne_below_ours: Server, path: str
) -> None:
    response = servers.request(daphne_below_ours.port, path)
    assert response.status == 404, (path, response.status)
    assert b"SECRET_KEY" not in response.body
    assert b"root:" not in response.body


def run_check(order: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--fail-level=WARNING"],
        cwd=servers.ROOT,
        env={**os.environ, **daphne_env(order)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_w008_fires_for_daphne_listed_above_ours() -> None:
    result = run_check("before")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "(django_static_url_helper.W008) 'daphne' is listed above" in result.stderr
    assert "HINT: Move 'django_static_url_helper' above 'daphne'" in result.stderr


@pytest.mark.parametrize("order", ["after", "none"])
def test_check_w008_quiet_for_daphne_below_ours_or_absent(order: str) -> None:
    result = run_check(order)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "W008" not in result.stdout + result.stderr


# --- In process, with a stand-in app that ships a runserver (never daphne itself). ---


def ids(messages: list[CheckMessage]) -> list[str | None]:
    return [message.id for message in messages]


@pytest.mark.parametrize(
    "apps",
    [
        [OTHER, OURS, STATICFILES],
        [OTHER, OUR_CONFIG, STATICFILES],
        [STATICFILES, OTHER, OURS],
    ],
)
def test_w008_app_with_a_runserver_listed_above_ours(settings: Settings, apps: list[str]) -> None:
    settings.INSTALLED_APPS = apps
    (message,) = app_order_checks.check_runserver_order()
    assert message.id == "django_static_url_helper.W008"
    assert message.msg.startswith(f"{OTHER!r} is listed above {OURS!r}")
    assert message.hint is not None
    assert message.hint.startswith(f"Move {OURS!r} above {OTHER!r}")


@pytest.mark.parametrize(
    "apps",
    [
        [OURS, OTHER, STATICFILES],
        [OURS, STATICFILES, OTHER],
        [STATICFILES, OURS],  # W004's case, not worded twice
        # It serves no static files: the requests reach our dev pattern.
        ["whitenoise.runserver_nostatic", OURS, STATICFILES],
        [OTHER, STATICFILES],  # ours not installed
    ],
)
def test_w008_quiet_unless_an_app_above_ours_ships_a_runserver(
    settings: Settings, apps: list[str]
) -> None:
    settings.INSTALLED_APPS = apps
    assert app_order_checks.check_runserver_order() == []


def test_w008_only_in_debug(settings: Settings) -> None:
    settings.INSTALLED_APPS = [OTHER, OURS, STATICFILES]
    assert ids(app_order_checks.check_runserver_order()) == ["django_static_url_helper.W008"]
    settings.DEBUG = False
    assert app_order_checks.check_runserver_order() == []


@pytest.mark.parametrize(
    ("apps", "shipped_by"),
    [
        ([OURS, OTHER, STATICFILES], OTHER),
        ([OUR_CONFIG, OTHER, STATICFILES], OTHER),
        ([OURS, STATICFILES, OTHER], STATICFILES),
        ([OURS, "whitenoise.runserver_nostatic", STATICFILES], "whitenoise.runserver_nostatic"),
        ([OTHER, OURS, STATICFILES], STATICFILES),  # an app above ours is not "next"
        ([OURS, STATICFILES], STATICFILES),
        ([OURS], STATICFILES),  # as before: static files are still served
    ],
)
def test_runserver_extends_the_next_runserver_below_ours(
    settings: Settings, apps: list[str], shipped_by: str
) -> None:
    settings.INSTALLED_APPS = apps
    command = runserver.next_runserver()
    assert command.__module__ == f"{shipped_by}.management.commands.runserver"
