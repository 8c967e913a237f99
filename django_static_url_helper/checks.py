"""System checks of the version source and the serving settings.

W001, W002, W003, E001, E002 and E004. Registered in ``apps.py``, like those
of ``app_order_checks`` (W004, W008, E003), ``middleware_checks`` (W005, W006)
and ``publication_checks`` (W007, W009, W010, E005, E006). Every id is listed
in docs/checks.rst.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.checks import CheckMessage, Error, Warning

from . import version
from .conf import InvalidSetting, conf

_ID = "django_static_url_helper.%s"


def check_static_url(**kwargs: Any) -> list[CheckMessage]:
    """W002: STATIC_URL carries no version segment, so URLs never change."""
    static_url = settings.STATIC_URL or ""
    source = conf.source
    if conf.static_url.segment is not None or (source is not None and source.kind == "stamp"):
        return []  # a stamp not written yet is E005's (deploy checks)
    return [
        Warning(
            f"STATIC_URL {static_url!r} carries no version segment, so static URLs "
            f"do not change between deploys and caches keep stale files.",
            hint="Compute STATIC_URL in settings.py with a helper of "
            "django_static_url_helper.url_helper, e.g. "
            "STATIC_URL = url_helper.get_static_url_env('/static/', 'GIT_COMMIT').",
            id=_ID % "W002",
        )
    ]


def check_source(**kwargs: Any) -> list[CheckMessage]:
    """W001: a boot-time version in production; E001: the deploy file is gone."""
    source = conf.source
    if source is None:
        return []
    messages: list[CheckMessage] = []
    if source.kind == "now" and not settings.DEBUG:
        messages.append(
            Warning(
                "STATIC_URL comes from get_static_url_now() while DEBUG is False. "
                "Every worker and every server boots at a different time, so each "
                "renders different static URLs and caches never warm up.",
                hint="In production use a version that is the same on every server "
                "of a release: get_static_url_release(), get_static_url_env(), "
                "get_static_url_git() or get_static_url_stamp().",
                id=_ID % "W001",
            )
        )
    written = source.kind == "file" or conf.static_url.segment is not None
    if (
        written
        and source.kind in ("file", "stamp")
        and source.path
        and not os.path.exists(source.path)
    ):
        messages.append(
            Error(
                f"The file {source.path} that STATIC_URL's version was read from no "
                f"longer exists: the next restart will fail to load settings.",
                hint="Keep the deploy file (or stamp) in place between deploys; "
                "for a stamp run 'python manage.py collectstatic', which writes it.",
                id=_ID % "E001",
            )
        )
    return messages


def _top_level_folders() -> set[str]:
    names: set[str] = set()
    for finder in get_finders():
        for storage in getattr(finder, "storages", {}).values():
            try:
                folders, _files = storage.listdir("")
            except OSError:
                continue
            names.update(folders)
    return names


def check_folder_names(**kwargs: Any) -> list[CheckMessage]:
    """W003: a top-level static folder whose name looks like a version segment."""
    return [
        Warning(
            f"The static folder {name!r} has the shape of a version segment "
            f"({version.SEGMENT_LENGTH} hex digits), so an unversioned URL into it "
            f"would be read as a versioned URL of a file one level up.",
            hint=f"Rename the folder (e.g. 'v-{name}'); versioned URLs are not affected.",
            id=_ID % "W003",
        )
        for name in sorted(_top_level_folders())
        if version.is_segment(name)
    ]


def check_mismatch_setting(**kwargs: Any) -> list[CheckMessage]:
    """E002: STATIC_VERSION_MISMATCH is neither "no-store" nor "404"."""
    return _policy_errors(("mismatch",), "E002")


def check_policy_settings(**kwargs: Any) -> list[CheckMessage]:
    """E004: STATIC_VERSION_MAX_AGE, _UNVERSIONED_MAX_AGE or _HEADER has an unusable value."""
    return _policy_errors(("immutable_max_age", "unversioned_max_age", "header"), "E004")


def _policy_errors(properties: tuple[str, ...], code: str) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for name in properties:
        try:
            getattr(conf, name)
        except InvalidSetting as exc:
            errors.append(Error(exc.problem, hint=exc.fix, id=_ID % code))
    return errors
