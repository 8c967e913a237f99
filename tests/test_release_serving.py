"""Which versions the servers of STATIC_ROOT serve from their own directories."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from django_static_url_helper import release_serving, url_helper, version
from django_static_url_helper.conf import conf

from .release_support import RELEASE_A, RELEASE_B, RELEASE_STORAGES, collect, make_tree

if TYPE_CHECKING:
    from pytest_django import Settings


def release(settings: Settings, tmp_path: Path, release_id: str, files: dict[str, bytes]) -> str:
    settings.STATICFILES_DIRS = [make_tree(tmp_path / release_id, files)]
    settings.STATIC_URL = url_helper.get_static_url_release("/static/", release_id)
    collect()
    return str(version.split_url(settings.STATIC_URL).segment)


def test_complete_releases_are_kept_and_incomplete_ones_not(
    settings: Settings, tmp_path: Path
) -> None:
    settings.STORAGES = RELEASE_STORAGES
    settings.STATIC_ROOT = root = tmp_path / "root"
    one = release(settings, tmp_path, "r1", RELEASE_A)
    two = release(settings, tmp_path, "r2", RELEASE_B)
    make_tree(root / "0123456789ab", {"css/site.css": b"half"})
    kept = release_serving.kept(conf.static_url.segment)
    assert kept is not None
    assert kept.versions == {one, two}
    assert kept.current == two
    assert kept.root == str(root)
    assert kept.serves(one)
    assert not kept.serves("0123456789ab")
    (root / f"{one}.release.json").unlink()  # pruned since
    assert not kept.serves(one)


def test_nothing_is_kept_without_release_directories(settings: Settings) -> None:
    assert release_serving.kept(conf.static_url.segment) is None
    settings.STORAGES = {
        **RELEASE_STORAGES,
        "staticfiles": {"BACKEND": "django_static_url_helper.releases_s3.ReleaseS3Storage"},
    }
    assert release_serving.kept(conf.static_url.segment) is None  # a bucket is served by its CDN


def test_an_empty_static_root_keeps_nothing_and_says_so(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings.STORAGES = RELEASE_STORAGES
    settings.STATIC_ROOT = tmp_path / "missing"
    kept = release_serving.kept(conf.static_url.segment)
    assert kept is not None
    assert kept.versions == frozenset()
    assert "not a complete release" in caplog.text
