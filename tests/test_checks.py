from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.checks import CheckMessage
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import set_script_prefix

from django_static_url_helper import app_order_checks, checks, stamp_file, url_helper
from django_static_url_helper.conf import conf

if TYPE_CHECKING:
    from pytest_django import Settings


def ids(messages: list[CheckMessage]) -> list[str | None]:
    return [message.id for message in messages]


def test_the_test_settings_pass_every_check() -> None:
    call_command("check", fail_level="WARNING")


def test_w002_static_url_without_version(settings: Settings) -> None:
    settings.STATIC_URL = "/static/"
    assert ids(checks.check_static_url()) == ["django_static_url_helper.W002"]
    with pytest.raises(SystemCheckError, match="W002"):
        call_command("check", fail_level="WARNING")


def test_w002_quiet_for_a_stamp_not_written_yet(settings: Settings, tmp_path: Path) -> None:
    settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", tmp_path / "stamp")
    assert checks.check_static_url() == []


def test_w001_boot_time_version_in_production(settings: Settings) -> None:
    settings.STATIC_URL = url_helper.get_static_url_now("/static/")
    settings.DEBUG = False
    assert ids(checks.check_source()) == ["django_static_url_helper.W001"]


def test_w001_hint_names_only_sources_a_release_collect_accepts(settings: Settings) -> None:
    settings.STATIC_URL = url_helper.get_static_url_now("/static/")
    settings.DEBUG = False
    (message,) = checks.check_source()
    assert message.hint is not None
    assert "get_static_url_file" not in message.hint
    for stable in ("release", "env", "git", "stamp"):
        assert f"get_static_url_{stable}()" in message.hint


@pytest.mark.parametrize("script_prefix", ["/", "/app/"])
def test_w001_boot_time_version_with_a_relative_base(
    settings: Settings, script_prefix: str
) -> None:
    # Django prefixes a relative STATIC_URL with the script prefix when it is read.
    set_script_prefix(script_prefix)
    try:
        settings.STATIC_URL = url_helper.get_static_url_now("static/")
        settings.DEBUG = False
        assert settings.STATIC_URL.startswith(f"{script_prefix}static/")
        assert ids(checks.check_source()) == ["django_static_url_helper.W001"]
    finally:
        set_script_prefix("/")


def test_e001_with_a_relative_base(settings: Settings, tmp_path: Path) -> None:
    stamp = tmp_path / "static-version.txt"
    stamp_file.write_stamp(stamp, "f" * 64)
    settings.STATIC_URL = url_helper.get_static_url_stamp("static/", stamp)
    stamp.unlink()
    assert ids(checks.check_source()) == ["django_static_url_helper.E001"]


def test_the_source_of_a_relative_base_survives_the_script_prefix(settings: Settings) -> None:
    settings.STATIC_URL = url_helper.get_static_url_fixed("static/", "0123456789ab")
    assert settings.STATIC_URL == "/static/0123456789ab/"  # Django prefixes it: a plain str
    assert conf.source == url_helper.Source("fixed")
    settings.STATIC_URL = "/other/0123456789ab/"  # hand-written: no helper made it
    assert conf.source is None


def test_w001_quiet_in_development(settings: Settings) -> None:
    settings.STATIC_URL = url_helper.get_static_url_now("/static/")
    settings.DEBUG = True
    assert checks.check_source() == []


def test_e001_deploy_file_removed_after_boot(settings: Settings, tmp_path: Path) -> None:
    deploy = tmp_path / "deploy.stamp"
    deploy.touch()
    settings.STATIC_URL = url_helper.get_static_url_file("/static/", deploy)
    assert checks.check_source() == []
    deploy.unlink()
    (message,) = checks.check_source()
    assert message.id == "django_static_url_helper.E001"
    assert str(deploy) in message.msg


def test_e001_stamp_removed_after_boot(settings: Settings, tmp_path: Path) -> None:
    stamp = tmp_path / "static-version.txt"
    stamp_file.write_stamp(stamp, "f" * 64)
    settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", stamp)
    stamp.unlink()
    assert ids(checks.check_source()) == ["django_static_url_helper.E001"]


def test_release_sources_pass(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_COMMIT", "abc")
    settings.STATIC_URL = url_helper.get_static_url_env("/static/", "GIT_COMMIT")
    settings.DEBUG = False
    assert checks.check_source() == []


def test_w003_top_level_folder_shaped_like_a_version(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "0123456789ab").mkdir()
    (tmp_path / "cafe").mkdir()
    (tmp_path / "0123456789ab" / "x.css").write_text("")
    settings.STATICFILES_DIRS = [tmp_path]
    (message,) = checks.check_folder_names()
    assert message.id == "django_static_url_helper.W003"
    assert "'0123456789ab'" in message.msg


def test_w003_skips_folders_that_cannot_be_listed(settings: Settings, tmp_path: Path) -> None:
    settings.STATICFILES_DIRS = [tmp_path / "missing"]
    assert checks.check_folder_names() == []


def test_w004_app_listed_below_staticfiles_in_debug(settings: Settings) -> None:
    settings.INSTALLED_APPS = ["django.contrib.staticfiles", "django_static_url_helper"]
    assert ids(app_order_checks.check_app_order()) == ["django_static_url_helper.W004"]
    settings.DEBUG = False
    assert app_order_checks.check_app_order() == []


def test_w004_quiet_when_listed_above_staticfiles() -> None:
    assert app_order_checks.check_app_order() == []


OUR_CONFIG = "django_static_url_helper.apps.StaticUrlHelperConfig"
THEIR_CONFIG = "django.contrib.staticfiles.apps.StaticFilesConfig"


@pytest.mark.parametrize(
    "apps",
    [
        [THEIR_CONFIG, "django_static_url_helper"],
        ["django.contrib.staticfiles", OUR_CONFIG],
        [THEIR_CONFIG, OUR_CONFIG],
    ],
)
def test_w004_finds_apps_listed_by_their_app_config(settings: Settings, apps: list[str]) -> None:
    settings.INSTALLED_APPS = apps
    (message,) = app_order_checks.check_app_order()
    assert message.id == "django_static_url_helper.W004"
    assert "500" in message.msg
    assert "only the current static version" not in message.msg


def test_w004_quiet_for_app_configs_in_the_right_order(settings: Settings) -> None:
    settings.INSTALLED_APPS = [OUR_CONFIG, THEIR_CONFIG]
    assert app_order_checks.check_app_order() == []
