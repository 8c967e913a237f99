"""A content version with release directories: collected into an incoming folder, then named.

With a content stamp the folder's name is the digest of the files, known only
once they are all read. On a file system the collect copies into
``<root>/.incoming-<random>/`` while a child process hashes the files, then
renames the folder to its version and writes the marker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from django_static_url_helper import content_hash, release_tree, stamp_file, url_helper, version
from django_static_url_helper.releases import INCOMING_PREFIX, ReleaseStaticFilesStorage

from . import servers
from .release_support import RELEASE_A, RELEASE_B, RELEASE_STORAGES, collect, make_tree, read_tree

if TYPE_CHECKING:
    from pytest_django import Settings


class Site:
    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        self.settings, self.tmp = settings, tmp_path
        self.root = tmp_path / "static-root"
        self.stamp = tmp_path / "static-version.txt"
        settings.STORAGES = RELEASE_STORAGES
        settings.STATIC_ROOT = self.root
        self.use(RELEASE_A, "a")

    def use(self, files: dict[str, bytes], where: str) -> None:
        self.settings.STATICFILES_DIRS = [make_tree(self.tmp / where, files)]
        self.settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", self.stamp)

    def segment(self) -> str:
        return version.content_segment(stamp_file.read_stamp(self.stamp))

    def folders(self) -> list[str]:
        return sorted(path.name for path in self.root.iterdir() if path.is_dir())


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> Site:
    return Site(settings, tmp_path)


def test_the_files_land_in_the_folder_their_digest_names(site: Site) -> None:
    out = collect()
    segment = site.segment()
    assert site.folders() == [segment]  # no incoming folder left
    assert read_tree(site.root / segment) == RELEASE_A
    marker = release_tree.read_marker(ReleaseStaticFilesStorage(), segment)
    assert marker is not None
    assert marker["digest"] == content_hash.hash_tree(site.root / segment)
    assert out.strip().endswith(f"Published version {segment} (stamp {site.stamp}).")


def test_what_a_killed_collect_left_is_removed_by_the_next(site: Site) -> None:
    collect("-v0")
    first = site.segment()
    dead = site.root / f"{INCOMING_PREFIX}dead"
    make_tree(dead, {"css/site.css": b"half"})
    # Not a version: neither listed for prune nor served.
    releases = release_tree.releases(ReleaseStaticFilesStorage())
    assert [release.segment for release in releases] == [first]
    site.use(RELEASE_B, "b")
    collect("-v0")
    assert site.folders() == sorted([first, site.segment()])


def test_an_incomplete_folder_of_the_same_version_is_replaced(site: Site) -> None:
    collect("-v0")
    segment = site.segment()
    (site.root / f"{segment}.release.json").unlink()  # as if cut off before its marker
    (site.root / segment / "stray.txt").write_bytes(b"not in the release")
    collect("-v0", "--rehash")
    assert read_tree(site.root / segment) == RELEASE_A
    assert release_tree.read_marker(ReleaseStaticFilesStorage(), segment) is not None


def test_reading_every_file_again_finds_the_release_complete(site: Site) -> None:
    collect("-v0")
    segment = site.segment()
    marker = site.root / f"{segment}.release.json"
    before = marker.read_bytes()
    out = collect("--rehash")
    assert f"Release {segment} is already collected from these 4 files: nothing copied." in out
    assert site.folders() == [segment]
    assert marker.read_bytes() == before


FILES = 3000


def test_a_first_collect_killed_while_copying_leaves_only_an_incoming_folder(
    site: Site, settings: Settings
) -> None:
    big = make_tree(site.tmp / "big", {f"f/{n}.txt": b"x" * (n + 1) for n in range(FILES)})
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.release_settings",
        "RELEASE_STATIC_ROOT": str(site.root),
        "RELEASE_SOURCE": str(big),
        "RELEASE_STAMP": str(site.stamp),
        "PYTHONUNBUFFERED": "1",
    }
    args = [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v", "2"]
    proc = subprocess.Popen(args, cwd=servers.ROOT, env=env, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    copied = 0
    for line in proc.stdout:
        copied += line.startswith(b"Copying ")
        if copied == FILES // 10:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    (incoming,) = site.folders()
    assert incoming.startswith(INCOMING_PREFIX)
    assert not (site.root / "published.json").exists()
    assert not site.stamp.exists()
    settings.STATICFILES_DIRS = [big]
    out = collect()
    assert site.folders() == [site.segment()]
    assert len(read_tree(site.root / site.segment())) == FILES
    # Django's line names the folder the files are in now, not the incoming one.
    assert f"copied to '{site.root / site.segment()}'" in out


def test_a_lost_file_is_repaired_in_the_live_folder(site: Site) -> None:
    collect("-v0")
    segment = site.segment()
    folder, kept = site.root / segment, site.root / segment / "js" / "app.js"
    before = (folder.stat().st_ino, kept.stat().st_ino)
    (folder / "css" / "site.css").unlink()
    out = collect("-v1")
    assert f"Release {segment} lost 1 file(s)" in out
    assert read_tree(folder) == RELEASE_A
    assert (folder.stat().st_ino, kept.stat().st_ino) == before  # never removed meanwhile
    assert site.folders() == [segment]


def test_touched_sources_of_the_same_bytes_copy_nothing(site: Site) -> None:
    collect("-v0")
    segment = site.segment()
    for path in (site.tmp / "a").rglob("*"):
        if path.is_file():
            os.utime(path, None)  # a fresh checkout: new times, the same bytes
    out = collect()
    assert f"Release {segment} is already collected from these 4 files: nothing copied." in out
    assert site.folders() == [segment]


def test_any_release_collect_removes_what_a_killed_collect_left(
    site: Site, settings: Settings
) -> None:
    settings.STATIC_URL = url_helper.get_static_url_release("/static/", "r1")
    collect("-v0")
    dead = site.root / f"{INCOMING_PREFIX}dead"
    make_tree(dead, {"css/site.css": b"half"})
    collect("-v0")  # nothing to copy: the same release again
    assert not dead.exists()
