"""System checks of the whitenoise middleware setup: W005, W006, E002."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.middleware.security import SecurityMiddleware
from whitenoise.middleware import WhiteNoiseMiddleware

from django_static_url_helper import checks, middleware_checks
from django_static_url_helper.middleware import VersionedWhiteNoiseMiddleware

OURS = "django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware"
PLAIN = "whitenoise.middleware.WhiteNoiseMiddleware"
SECURITY = "django.middleware.security.SecurityMiddleware"
SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"
COMMON = "django.middleware.common.CommonMiddleware"


def ids(messages: list[Any]) -> list[str]:
    return [message.id for message in messages]


@pytest.mark.parametrize(
    "middleware",
    [[SECURITY, OURS, SESSIONS], [OURS, COMMON], [PLAIN, COMMON], [SECURITY, COMMON], []],
)
def test_placement_passes(settings: Any, middleware: list[str]) -> None:
    settings.MIDDLEWARE = middleware
    assert middleware_checks.check_middleware() == []


@pytest.mark.parametrize(
    ("middleware", "where"),
    [
        ([SECURITY, SESSIONS, OURS], "right after 'django.middleware.security"),
        ([OURS, SECURITY], "right after 'django.middleware.security"),
        ([COMMON, OURS], "first"),
    ],
)
def test_w005_not_where_whitenoise_expects(
    settings: Any, middleware: list[str], where: str
) -> None:
    settings.MIDDLEWARE = middleware
    (message,) = middleware_checks.check_middleware()
    assert message.id == "django_static_url_helper.W005"
    assert f"position {middleware.index(OURS)}" in message.msg
    assert message.hint is not None
    assert where in message.hint


def test_w005_stops_a_strict_check(settings: Any) -> None:
    settings.MIDDLEWARE = [SECURITY, SESSIONS, OURS]
    with pytest.raises(SystemCheckError, match="W005"):
        call_command("check", fail_level="WARNING")


@pytest.mark.parametrize("middleware", [[SECURITY, OURS, PLAIN], [SECURITY, PLAIN, OURS]])
def test_w006_plain_whitenoise_listed_too(settings: Any, middleware: list[str]) -> None:
    settings.MIDDLEWARE = middleware
    assert "django_static_url_helper.W006" in ids(middleware_checks.check_middleware())


class ProjectMiddleware(VersionedWhiteNoiseMiddleware):
    """A project's own subclass of the middleware, as its settings would list it."""


class ProjectWhiteNoise(WhiteNoiseMiddleware):  # type: ignore[misc]
    """A project's subclass of whitenoise's own middleware."""


class ProjectSecurity(SecurityMiddleware):
    pass


SUBCLASS = f"{__name__}.ProjectMiddleware"
PLAIN_SUBCLASS = f"{__name__}.ProjectWhiteNoise"
SECURITY_SUBCLASS = f"{__name__}.ProjectSecurity"


@pytest.mark.parametrize(
    ("middleware", "where"),
    [
        ([SECURITY, SESSIONS, SUBCLASS], "right after 'django.middleware.security"),
        ([COMMON, SUBCLASS], "first"),
    ],
)
def test_w005_finds_a_subclass_of_the_middleware(
    settings: Any, middleware: list[str], where: str
) -> None:
    settings.MIDDLEWARE = middleware
    (message,) = middleware_checks.check_middleware()
    assert message.id == "django_static_url_helper.W005"
    assert f"{SUBCLASS!r} is at position {middleware.index(SUBCLASS)}" in message.msg
    assert message.hint is not None
    assert where in message.hint


@pytest.mark.parametrize(
    "middleware", [[SECURITY, SUBCLASS, PLAIN], [SECURITY, OURS, PLAIN_SUBCLASS]]
)
def test_w006_finds_subclasses_of_either_middleware(settings: Any, middleware: list[str]) -> None:
    settings.MIDDLEWARE = middleware
    assert ids(middleware_checks.check_middleware()) == ["django_static_url_helper.W006"]


def test_a_subclass_of_security_middleware_counts_as_security(settings: Any) -> None:
    settings.MIDDLEWARE = [SECURITY_SUBCLASS, SUBCLASS, SESSIONS]
    assert middleware_checks.check_middleware() == []


def test_a_middleware_entry_that_fails_to_import_is_left_to_django(settings: Any) -> None:
    settings.MIDDLEWARE = ["no_such_package.Middleware", f"{__name__}.Missing", SUBCLASS]
    (message,) = middleware_checks.check_middleware()
    assert message.id == "django_static_url_helper.W005"


def test_e002_invalid_mismatch_setting(settings: Any) -> None:
    settings.STATIC_VERSION_MISMATCH = "no-cache"
    (message,) = checks.check_mismatch_setting()
    assert message.id == "django_static_url_helper.E002"
    assert "'no-cache'" in message.msg
    assert message.hint is not None
    assert "'404'" in message.hint
    with pytest.raises(SystemCheckError, match="E002"):
        call_command("check")


@pytest.mark.parametrize("value", ["no-store", "404"])
def test_e002_quiet_for_valid_values(settings: Any, value: str) -> None:
    settings.STATIC_VERSION_MISMATCH = value
    assert checks.check_mismatch_setting() == []


def test_the_whitenoise_test_settings_pass_every_check(settings: Any) -> None:
    from tests import settings_whitenoise

    settings.MIDDLEWARE = settings_whitenoise.MIDDLEWARE
    settings.STATIC_VERSION_MISMATCH = settings_whitenoise.STATIC_VERSION_MISMATCH
    call_command("check", fail_level="WARNING")
