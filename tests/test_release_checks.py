"""System checks of release storages: E003 and W007."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.checks import CheckMessage
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from django_static_url_helper import app_order_checks, url_helper
from django_static_url_helper import publication_checks as checks

from .release_support import RELEASE_A, RELEASE_STORAGES, collect, make_tree

if TYPE_CHECKING:
    from pytest_django import Settings

OURS, THEIRS = "django_static_url_helper", "django.contrib.staticfiles"


def ids(messages: list[CheckMessage]) -> list[str | None]:
    return [message.id for message in messages]


@pytest.fixture
def production(settings: Settings, tmp_path: Path) -> Settings:
    settings.DEBUG = False
    settings.STORAGES = RELEASE_STORAGES
    settings.STATIC_ROOT = tmp_path / "root"
    settings.STATICFILES_DIRS = [make_tree(tmp_path / "src", RELEASE_A)]
    settings.STATIC_URL = url_helper.get_static_url_release("/static/", "r1")
    return settings


def test_e003_release_storage_below_staticfiles(production: Settings) -> None:
    # The check command imports ROOT_URLCONF, which must not be cached as DEBUG False.
    production.DEBUG = True
    production.INSTALLED_APPS = [THEIRS, OURS]
    assert ids(app_order_checks.check_release_app_order()) == ["django_static_url_helper.E003"]
    with pytest.raises(SystemCheckError, match="E003"):
        call_command("check")


def test_e003_quiet_in_the_right_order_or_without_a_release_storage(settings: Settings) -> None:
    settings.INSTALLED_APPS = [THEIRS, OURS]
    assert app_order_checks.check_release_app_order() == []
    settings.STORAGES = RELEASE_STORAGES
    settings.INSTALLED_APPS = [OURS, THEIRS]
    assert app_order_checks.check_release_app_order() == []


@pytest.mark.parametrize(
    "apps",
    [
        ["django.contrib.staticfiles.apps.StaticFilesConfig", OURS],
        [THEIRS, "django_static_url_helper.apps.StaticUrlHelperConfig"],
    ],
)
def test_e003_finds_apps_listed_by_their_app_config(production: Settings, apps: list[str]) -> None:
    production.INSTALLED_APPS = apps
    assert ids(app_order_checks.check_release_app_order()) == ["django_static_url_helper.E003"]


def test_e003_quiet_for_an_app_config_above_staticfiles(production: Settings) -> None:
    production.INSTALLED_APPS = ["django_static_url_helper.apps.StaticUrlHelperConfig", THEIRS]
    assert app_order_checks.check_release_app_order() == []


def test_e003_quiet_when_the_storage_cannot_be_imported(settings: Settings) -> None:
    settings.STORAGES = {"staticfiles": {"BACKEND": "nowhere.Storage"}}
    settings.INSTALLED_APPS = [THEIRS, OURS]
    assert app_order_checks.check_release_app_order() == []


def test_w007_until_the_current_release_is_collected(production: Settings) -> None:
    [warning] = checks.check_release_collected()
    assert warning.id == "django_static_url_helper.W007"
    assert "not a complete release" in warning.msg
    collect()
    assert checks.check_release_collected() == []


def test_w007_quiet_in_debug_and_for_buckets(production: Settings) -> None:
    production.DEBUG = True
    assert checks.check_release_collected() == []
    production.DEBUG = False
    production.STORAGES = {
        **RELEASE_STORAGES,
        "staticfiles": {"BACKEND": "django_static_url_helper.releases_s3.ReleaseS3Storage"},
    }
    assert checks.check_release_collected() == []


def test_e005_until_a_release_is_published(production: Settings) -> None:
    assert ids(checks.check_published()) == ["django_static_url_helper.E005"]
    collect()
    assert checks.check_published() == []


def test_w009_when_the_environment_is_not_the_published_release(production: Settings) -> None:
    collect()
    production.STATIC_URL = url_helper.get_static_url_release("/static/", "r0")  # HUP kept it
    messages = checks.check_release_collected()
    assert "django_static_url_helper.W009" in ids(messages)
    w009 = next(message for message in messages if message.id == "django_static_url_helper.W009")
    assert "a gunicorn HUP keeps the old environment" in str(w009.hint)
    production.STATIC_VERSION_FOLLOW = True  # following servers serve the published one
    production.MIDDLEWARE = [
        "django_static_url_helper.follow_middleware.PublishedVersionMiddleware"
    ]
    assert checks.check_release_collected() == []


@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ("STATIC_VERSION_FOLLOW", "yes", "STATIC_VERSION_FOLLOW is 'yes': use True or False."),
        ("STATIC_VERSION_FOLLOW_INTERVAL", 0, "from 0.1 to 3600"),
        ("STATIC_VERSION_FOLLOW_INTERVAL", True, "from 0.1 to 3600"),
    ],
)
def test_e006_an_unusable_follow_setting(
    production: Settings, setting: str, value: object, said: str
) -> None:
    production.STATIC_VERSION_FOLLOW = True
    setattr(production, setting, value)
    (message,) = checks.check_follow()
    assert message.id == "django_static_url_helper.E006"
    assert said in message.msg


def test_e006_follow_without_release_directories(settings: Settings) -> None:
    settings.STATIC_VERSION_FOLLOW = True
    (message,) = checks.check_follow()
    assert message.id == "django_static_url_helper.E006"
    assert "keeps no release directories" in message.msg


def test_w010_follow_without_a_middleware_that_pins_each_request(production: Settings) -> None:
    production.STATIC_VERSION_FOLLOW = True
    production.MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
    assert ids(checks.check_follow()) == ["django_static_url_helper.W010"]
    for pinning in checks.PINNING_MIDDLEWARE:
        production.MIDDLEWARE = [pinning]
        assert checks.check_follow() == []


def test_e003_a_stamp_source_below_staticfiles_would_never_be_stamped(
    settings: Settings, tmp_path: Path
) -> None:
    settings.INSTALLED_APPS = [THEIRS, OURS]
    settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", tmp_path / "stamp")
    (message,) = app_order_checks.check_release_app_order()
    assert message.id == "django_static_url_helper.E003"
    assert "get_static_url_stamp()" in message.msg
    assert "writes no stamp" in message.msg
