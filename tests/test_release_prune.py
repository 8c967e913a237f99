"""``manage.py static_url prune`` on the file system."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management.base import CommandError

from django_static_url_helper import release_prune, url_helper, version

from .release_support import (
    RELEASE_A,
    RELEASE_STORAGES,
    collect,
    make_tree,
    read_tree,
    set_completed,
    static_url,
)

if TYPE_CHECKING:
    from pytest_django import Settings

DAY = 86400


class Releases:
    """Releases r1..rN collected with distinct files, the newest last."""

    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        self.settings = settings
        self.root = tmp_path / "static-root"
        self.tmp = tmp_path
        settings.STORAGES = RELEASE_STORAGES
        settings.STATIC_ROOT = self.root
        self.segments: dict[str, str] = {}

    def collect(self, release_id: str, age_days: float) -> str:
        source = make_tree(self.tmp / release_id, {**RELEASE_A, "id.txt": release_id.encode()})
        self.settings.STATICFILES_DIRS = [source]
        segment = self.current(release_id)
        collect()
        set_completed(self.root, segment, time.time() - age_days * DAY)
        self.segments[release_id] = segment
        return segment

    def current(self, release_id: str) -> str:
        url = url_helper.get_static_url_release("/static/", release_id)
        self.settings.STATIC_URL = url
        return str(version.split_url(url).segment)

    def left(self) -> set[str]:
        by_segment = {segment: rid for rid, segment in self.segments.items()}
        return {by_segment.get(name, name) for name in os.listdir(self.root) if "." not in name}


@pytest.fixture
def five(settings: Settings, tmp_path: Path) -> Releases:
    site = Releases(settings, tmp_path)
    for number, age in zip(range(1, 6), [30, 20, 10, 5, 2], strict=True):
        site.collect(f"r{number}", age)
    return site


def test_keeps_the_newest_three_by_default(five: Releases) -> None:
    out = static_url("prune")
    assert five.left() == {"r3", "r4", "r5"}
    assert f"deleted      {five.segments['r1']}  (collected 30.0d ago)" in out
    assert f"keep         {five.segments['r5']}  (published)" in out
    assert f"keep         {five.segments['r4']}  (one of the newest 3)" in out
    assert not (five.root / f"{five.segments['r1']}.release.json").exists()


def test_keeps_releases_younger_than_keep_for(five: Releases) -> None:
    out = static_url("prune", "--keep", "1", "--keep-for", "7d")
    assert five.left() == {"r4", "r5"}
    assert f"keep         {five.segments['r4']}  (collected 5.0d ago)" in out


def test_never_deletes_the_published_version_even_the_oldest(five: Releases) -> None:
    five.settings.STATICFILES_DIRS = [five.tmp / "r1"]
    five.current("r1")
    collect()  # a rollback to the first release publishes it again
    static_url("prune", "--keep", "0", "--keep-for", "0")
    assert five.left() == {"r1"}
    assert read_tree(five.root / five.segments["r1"]) == {**RELEASE_A, "id.txt": b"r1"}


def test_a_stale_environment_naming_an_older_release_deletes_nothing(five: Releases) -> None:
    five.current("r2")  # an old release variable in the shell that runs prune
    with pytest.raises(CommandError, match=r"version published last .* is " + five.segments["r5"]):
        static_url("prune", "--keep", "0", "--keep-for", "0")
    assert five.left() == {"r1", "r2", "r3", "r4", "r5"}


def test_following_servers_keep_the_published_and_this_environment_s_release(
    five: Releases,
) -> None:
    five.settings.STATIC_VERSION_FOLLOW = True
    five.current("r2")
    out = static_url("prune", "--keep", "0", "--keep-for", "0")
    assert five.left() == {"r2", "r5"}
    assert f"keep         {five.segments['r5']}  (published)" in out


def test_dry_run_lists_and_deletes_nothing(five: Releases) -> None:
    out = static_url("prune", "--dry-run", "--keep", "2")
    assert five.left() == {"r1", "r2", "r3", "r4", "r5"}
    assert out.count("would delete") == 3
    assert f"would delete {five.segments['r3']}  (collected 10.0d ago)" in out


def test_refuses_when_static_url_has_no_version(five: Releases) -> None:
    five.settings.STATIC_URL = "/static/"
    with pytest.raises(CommandError, match="STATIC_URL here carries no version"):
        static_url("prune")
    assert len(five.left()) == 5


def test_refuses_when_the_current_version_was_never_collected(five: Releases) -> None:
    five.current("r6")  # prune run with another environment than the servers
    with pytest.raises(CommandError, match="deletes nothing"):
        static_url("prune", "--keep", "0", "--keep-for", "0")
    assert len(five.left()) == 5


def test_refuses_without_a_release_storage(settings: Settings) -> None:
    with pytest.raises(CommandError, match="keeps no release directories"):
        static_url("prune")


def test_an_interrupted_collect_is_removed_once_it_is_old(five: Releases) -> None:
    half = make_tree(five.root / "0123456789ab", {"css/site.css": b"body"})
    out = static_url("prune", "--keep-for", "1h")
    assert "keep         0123456789ab  (incomplete, written 0s ago)" in out
    os.utime(half / "css/site.css", (time.time() - 7200, time.time() - 7200))
    out = static_url("prune", "--keep-for", "1h")
    assert "deleted      0123456789ab  (incomplete, untouched for 2.0h)" in out
    assert "0123456789ab" not in five.left()


def test_leaves_what_is_not_a_release_alone(five: Releases) -> None:
    make_tree(five.root, {"static-version.txt": b"x", "fa/fa.css": b"", "cafe/x.css": b""})
    static_url("prune", "--keep", "0", "--keep-for", "0")
    assert five.left() == {"r5", "fa", "cafe"}
    assert (five.root / "static-version.txt").read_bytes() == b"x"


def test_a_marker_that_is_not_ours_makes_no_release(five: Releases) -> None:
    (five.root / f"{five.segments['r5']}.release.json").write_text("{}")
    with pytest.raises(CommandError, match="not a complete release"):
        static_url("prune")


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("30m", 1800), ("12h", 43200), ("2d", 172800)]
)
def test_durations(text: str, seconds: int) -> None:
    assert release_prune.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1w", "-1d", "1.5h", "d"])
def test_a_bad_duration_says_how_to_write_one(text: str) -> None:
    with pytest.raises(CommandError, match="use a number of seconds"):
        release_prune.parse_duration(text)


def test_a_negative_keep_is_refused(five: Releases) -> None:
    with pytest.raises(CommandError, match="--keep -1"):
        static_url("prune", "--keep", "-1")


def test_an_empty_root_refuses(settings: Settings, tmp_path: Path) -> None:
    site = Releases(settings, tmp_path)
    site.current("r1")
    with pytest.raises(CommandError, match="No version is published"):
        static_url("prune")


def test_prune_waits_for_a_running_collect_and_deletes_nothing_meanwhile(
    five: Releases, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.contrib.staticfiles.storage import staticfiles_storage

    monkeypatch.setattr(release_prune, "LOCK_WAIT", 0.3)
    storage: Any = staticfiles_storage
    with storage.collect_lock(0), pytest.raises(CommandError, match="deleted nothing"):
        static_url("prune", "--keep", "0", "--keep-for", "0")
    assert len(five.left()) == 5


def test_a_release_whose_files_vanish_during_its_collect_is_not_completed(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_static_url_helper.releases import ReleaseStorageMixin

    site = Releases(settings, tmp_path)
    listed = ReleaseStorageMixin.release_files

    def pruned_meanwhile(self: ReleaseStorageMixin, segment: str) -> dict[str, Any]:
        return {name: info for name, info in listed(self, segment).items() if name != "id.txt"}

    monkeypatch.setattr(ReleaseStorageMixin, "release_files", pruned_meanwhile)
    with pytest.raises(CommandError, match=r"1 file\(s\) of release .* vanished"):
        site.collect("r1", 0)
    assert not any(name.endswith(".json") for name in os.listdir(site.root))


def test_a_record_that_is_not_one_is_not_taken_for_nothing_published(five: Releases) -> None:
    (five.root / "published.json").write_text("{")
    with pytest.raises(CommandError, match=r"published.json is not a published version record"):
        static_url("prune", "--keep", "0", "--keep-for", "0")
    assert len(five.left()) == 5
    with pytest.raises(CommandError, match="is not a published version record"):
        static_url("nginx")
    with pytest.raises(CommandError, match="is not a published version record"):
        static_url("show")
