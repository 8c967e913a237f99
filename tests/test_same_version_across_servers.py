"""Servers of one release agree on the version; boot-time versions do not, and a check says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.example_site import Site
from tests.test_git_revision import git, make_repo

pytestmark = pytest.mark.server


def version_of(site: Site) -> str:
    shown = json.loads(site.manage("static_url", "show", "--json"))
    assert shown["version"], shown
    return str(shown["version"])


def two_servers(tmp_path: Path, **env: str) -> tuple[Site, Site]:
    return Site(tmp_path / "server1", **env), Site(tmp_path / "server2", **env)


def test_content_stamp_is_equal_on_two_servers_with_the_same_files(tmp_path: Path) -> None:
    one, two = two_servers(tmp_path)
    one.deploy()
    two.deploy()
    assert version_of(one) == version_of(two)
    two.set_heading_colour("rgb(1, 2, 3)")
    two.deploy()
    assert version_of(one) != version_of(two)


def test_release_id_is_equal_on_two_servers(tmp_path: Path) -> None:
    one, two = two_servers(tmp_path, DEMO_VERSION_FROM="env", DEMO_RELEASE="2026.11.22-1")
    assert version_of(one) == version_of(two)
    three = Site(tmp_path / "server3", DEMO_VERSION_FROM="env", DEMO_RELEASE="2026.11.22-2")
    assert version_of(three) != version_of(one)


def test_git_revision_is_equal_on_two_checkouts_of_one_commit(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    origin.mkdir()
    make_repo(origin)
    for name in ("checkout1", "checkout2"):
        git(tmp_path, "clone", "-q", str(origin), name)
    git(tmp_path / "checkout2", "pack-refs", "--all")  # stored differently, same commit
    one = Site(
        tmp_path / "server1", DEMO_VERSION_FROM="git", DEMO_CHECKOUT=str(tmp_path / "checkout1")
    )
    two = Site(
        tmp_path / "server2", DEMO_VERSION_FROM="git", DEMO_CHECKOUT=str(tmp_path / "checkout2")
    )
    assert version_of(one) == version_of(two)


def test_boot_time_versions_differ_per_process_and_the_check_flags_it(tmp_path: Path) -> None:
    one, two = two_servers(tmp_path, DEMO_VERSION_FROM="now")
    assert version_of(one) != version_of(two)
    with pytest.raises(AssertionError, match="django_static_url_helper.W001"):
        one.manage("check", "--fail-level", "WARNING")
