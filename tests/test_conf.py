"""The serving policy settings: validated once, in conf, and reported by E002/E004."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from django_static_url_helper import checks
from django_static_url_helper.conf import conf


@pytest.mark.parametrize("value", ["abc", "60", -5, 1.5, True, None])
@pytest.mark.parametrize(
    ("name", "prop"),
    [
        ("STATIC_VERSION_MAX_AGE", "immutable_max_age"),
        ("STATIC_VERSION_UNVERSIONED_MAX_AGE", "unversioned_max_age"),
    ],
)
def test_a_max_age_that_is_not_whole_seconds_is_refused(
    settings: Any, name: str, prop: str, value: object
) -> None:
    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=rf"{name} is {value!r}: use a whole number"):
        getattr(conf, prop)


def test_max_ages_default_and_accept_zero(settings: Any) -> None:
    assert conf.immutable_max_age == 31536000
    assert conf.unversioned_max_age == 60
    settings.STATIC_VERSION_MAX_AGE = 0
    assert conf.immutable_cache_control == "public, max-age=0, immutable"


def test_the_immutable_cache_control_follows_the_setting(settings: Any) -> None:
    assert conf.immutable_cache_control == "public, max-age=31536000, immutable"
    settings.STATIC_VERSION_MAX_AGE = 600
    assert conf.immutable_cache_control == "public, max-age=600, immutable"


@pytest.mark.parametrize("value", ["", "X Static", "X-Static:", "Ünï", 5, "X-Static\r\nSet-Cookie"])
def test_a_header_that_is_not_a_header_name_is_refused(settings: Any, value: object) -> None:
    settings.STATIC_VERSION_HEADER = value
    with pytest.raises(ImproperlyConfigured, match="STATIC_VERSION_HEADER .* is not a header name"):
        print(conf.header)


@pytest.mark.parametrize("value", ["X-Static-Version", "X_Release", None])
def test_valid_headers_are_kept(settings: Any, value: str | None) -> None:
    settings.STATIC_VERSION_HEADER = value
    assert conf.header == value


@pytest.mark.parametrize("value", ["410", "", None, "NO-STORE"])
def test_an_unknown_mismatch_policy_is_refused(settings: Any, value: object) -> None:
    settings.STATIC_VERSION_MISMATCH = value
    with pytest.raises(ImproperlyConfigured, match=rf"STATIC_VERSION_MISMATCH is {value!r}"):
        print(conf.mismatch)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STATIC_VERSION_MAX_AGE", "abc"),
        ("STATIC_VERSION_MAX_AGE", -5),
        ("STATIC_VERSION_UNVERSIONED_MAX_AGE", 1.5),
        ("STATIC_VERSION_HEADER", ""),
    ],
)
def test_e004_reports_an_invalid_policy_setting(settings: Any, name: str, value: object) -> None:
    setattr(settings, name, value)
    (message,) = checks.check_policy_settings()
    assert message.id == "django_static_url_helper.E004"
    assert name in message.msg
    assert message.hint
    with pytest.raises(SystemCheckError, match="E004"):
        call_command("check")


def test_e004_reports_every_invalid_setting_at_once(settings: Any) -> None:
    settings.STATIC_VERSION_MAX_AGE = True
    settings.STATIC_VERSION_HEADER = "a b"
    names = [message.msg.split()[0] for message in checks.check_policy_settings()]
    assert names == ["STATIC_VERSION_MAX_AGE", "STATIC_VERSION_HEADER"]


def test_e004_quiet_for_valid_settings(settings: Any) -> None:
    settings.STATIC_VERSION_MAX_AGE = 0
    settings.STATIC_VERSION_UNVERSIONED_MAX_AGE = 3600
    settings.STATIC_VERSION_HEADER = None
    assert checks.check_policy_settings() == []
