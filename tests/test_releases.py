"""Collecting releases side by side on the file system, with the real collectstatic."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.management.base import CommandError

from django_static_url_helper import (
    content_hash,
    release_tree,
    releases,
    stamp_file,
    url_helper,
    version,
)
from django_static_url_helper.integrity_record import ROOT_RECORD

from .release_support import (
    RELEASE_A,
    RELEASE_B,
    RELEASE_STORAGES,
    collect,
    make_tree,
    read_tree,
    static_url,
)

if TYPE_CHECKING:
    from pytest_django import Settings


class Site:
    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        self.settings = settings
        self.tmp = tmp_path
        self.root = tmp_path / "static-root"
        settings.STORAGES = RELEASE_STORAGES
        settings.STATIC_ROOT = self.root
        self.use(RELEASE_A)

    def use(self, files: dict[str, bytes]) -> Path:
        self.sources = getattr(self, "sources", 0) + 1
        source = make_tree(self.tmp / f"src-{self.sources}", files)
        self.settings.STATICFILES_DIRS = [source]
        return source

    def release(self, release_id: str) -> str:
        self.settings.STATIC_URL = url_helper.get_static_url_release("/static/", release_id)
        segment = version.split_url(self.settings.STATIC_URL).segment
        assert segment is not None
        return segment


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> Site:
    return Site(settings, tmp_path)


def test_two_releases_live_side_by_side_with_their_own_bytes(site: Site) -> None:
    one = site.release("2026.1")
    out = collect()
    assert f"copied to '{site.root / one}'" in out
    assert f"Release {one} is complete." in out
    site.use(RELEASE_B)
    two = site.release("2026.2")
    collect()
    assert sorted(name for name in os.listdir(site.root) if not name.startswith(".")) == sorted(
        [one, two, f"{one}.release.json", f"{two}.release.json", "published.json"]
    )
    assert json.loads((site.root / "published.json").read_text())["version"] == two
    assert read_tree(site.root / one) == RELEASE_A
    assert read_tree(site.root / two) == RELEASE_B


def test_the_marker_records_what_was_collected(site: Site) -> None:
    segment = site.release("r1")
    collect()
    marker = json.loads((site.root / f"{segment}.release.json").read_text())
    assert marker["version"] == segment
    assert marker["files"] == {name: len(body) for name, body in RELEASE_A.items()}
    # Each source: its size and sha256 (its times too, once it is old enough to trust).
    sha = hashlib.sha256(b"only in a").hexdigest()
    assert marker["sources"]["old.txt"].split(" ")[:2] == ["9", sha]
    assert {name: int(entry.split(" ")[0]) for name, entry in marker["sources"].items()} == (
        marker["files"]
    )
    # The digest of the finders' files is the digest of the collected tree.
    assert marker["digest"] == content_hash.hash_tree(site.root / segment)


def test_recollecting_the_same_release_copies_nothing(site: Site) -> None:
    segment = site.release("r1")
    collect()
    css = site.root / segment / "css/site.css"
    os.utime(css, (1, 1))  # a copy would give it a new time
    marker = (site.root / f"{segment}.release.json").read_bytes()
    out = collect()
    assert out == (
        f"Release {segment} is already collected from these 4 files: nothing copied. "
        f"Published version {segment}.\n"
    )
    assert css.stat().st_mtime == 1
    assert (site.root / f"{segment}.release.json").read_bytes() == marker


def test_a_release_id_reused_for_other_files_is_refused(site: Site) -> None:
    segment = site.release("r1")
    collect()
    site.use(RELEASE_B)
    with pytest.raises(CommandError, match=f"Version {segment} was already collected from other"):
        collect()
    assert read_tree(site.root / segment) == RELEASE_A


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"css/site.css": b"body { color: rEd }\n"}, "files of the same names and sizes"),
        ({"css/site.css": b"body{}"}, "resized: css/site.css"),
        ({"extra.css": b""}, "new: extra.css"),
    ],
)
def test_the_refusal_names_what_changed(site: Site, change: dict[str, bytes], said: str) -> None:
    site.release("r1")
    collect()
    site.use({**RELEASE_A, **change})
    with pytest.raises(CommandError, match=said):
        collect()


def test_a_lost_file_is_collected_again(site: Site) -> None:
    segment = site.release("r1")
    collect()
    (site.root / segment / "js/app.js").unlink()
    out = collect("-v", "2")
    assert "lost 1 file(s), e.g. js/app.js: repairing" in out
    assert "Skipping 'css/site.css' (same size and content)" in out
    assert read_tree(site.root / segment) == RELEASE_A
    assert release_tree.read_marker(cast(Any, staticfiles_storage), segment) is not None


def test_files_left_by_an_interrupted_collect_are_checked_byte_for_byte(site: Site) -> None:
    segment = site.release("r1")
    half = site.root / segment
    make_tree(half, {"css/site.css": b"body { col", "js/app.js": RELEASE_A["js/app.js"]})
    os.utime(half / "css/site.css", (4e9, 4e9))  # newer than its source: Django would skip it
    out = collect("-v", "2")
    assert "Deleting 'css/site.css'" in out
    assert "Skipping 'js/app.js' (same size and content)" in out
    assert read_tree(half) == RELEASE_A


def test_a_leftover_of_the_same_size_with_other_bytes_is_replaced(site: Site) -> None:
    segment = site.release("r1")
    make_tree(site.root / segment, {"js/app.js": b"console.log('b');\n"})
    out = collect("-v", "2")
    assert "Deleting 'js/app.js'" in out
    assert read_tree(site.root / segment) == RELEASE_A


def test_dry_run_over_leftovers_deletes_nothing(site: Site) -> None:
    segment = site.release("r1")
    make_tree(site.root / segment, {"js/app.js": b"half"})
    out = collect("--dry-run", "-v", "2")
    assert "Pretending to delete 'js/app.js'" in out
    assert read_tree(site.root / segment) == {"js/app.js": b"half"}


def test_dry_run_writes_nothing(site: Site) -> None:
    segment = site.release("r1")
    out = collect("--dry-run")
    assert f"Release {segment} would be collected." in out
    assert not site.root.exists()


def test_a_damaged_release_dry_run_keeps_its_marker(site: Site) -> None:
    segment = site.release("r1")
    collect()
    (site.root / segment / "old.txt").unlink()
    collect("--dry-run")
    assert (site.root / f"{segment}.release.json").exists()


def test_verbosity_zero_prints_nothing(site: Site) -> None:
    site.release("r1")
    assert collect("-v", "0") == ""
    assert collect("-v", "0") == ""


@pytest.mark.parametrize("flag", ["--link", "--clear"])
def test_link_and_clear_are_refused(site: Site, flag: str) -> None:
    site.release("r1")
    with pytest.raises(CommandError, match=f"{flag} does not go with release directories"):
        collect(flag)


def test_the_stamp_is_written_after_the_release_and_names_its_version(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamp = site.tmp / "static-version.txt"
    stamp_file.write_stamp(stamp, "0" * 64)  # the previous release's stamp
    site.settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", stamp)
    out = collect()
    digest = stamp_file.read_stamp(stamp)
    # What every app server computes at its next boot:
    served = version.split_url(url_helper.get_static_url_stamp("/static/", stamp)).segment
    assert out.strip().endswith(f"Published version {served} (stamp {stamp}).")
    assert read_tree(site.root / str(served)) == RELEASE_A
    assert digest == content_hash.hash_tree(site.root / str(served))
    stamp.unlink()
    assert f"(stamp {stamp})." in collect()  # a no-op collect writes it again
    assert stamp_file.read_stamp(stamp) == digest
    assert stamp_file.read_stamp(stamp) == digest


def test_a_stamp_pending_url_collects_under_the_content_version(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamp = site.tmp / "static-version.txt"
    site.settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", stamp)
    assert site.settings.STATIC_URL == "/static/unpublished/"
    collect()
    expected = version.content_segment(stamp_file.read_stamp(stamp))
    assert (site.root / f"{expected}.release.json").exists()


def test_a_relative_base_collects_each_release_under_its_content_version(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamp = site.tmp / "static-version.txt"
    site.settings.STATIC_URL = url_helper.get_static_url_stamp("static/", stamp)
    assert site.settings.STATIC_URL == "/static/unpublished/"  # Django prefixes it
    collect()
    first = version.content_segment(stamp_file.read_stamp(stamp))
    assert read_tree(site.root / first) == RELEASE_A
    # The next deploy: its settings boot on the first release's stamp.
    site.use(RELEASE_B)
    site.settings.STATIC_URL = url_helper.get_static_url_stamp("static/", stamp)
    assert version.split_url(site.settings.STATIC_URL) == ("/static/", first)
    collect()
    second = version.content_segment(stamp_file.read_stamp(stamp))
    assert second != first
    assert read_tree(site.root / second) == RELEASE_B


def test_the_stamp_command_leaves_the_stamp_to_collectstatic(site: Site) -> None:
    with pytest.raises(CommandError, match="collectstatic writes the stamp and publishes"):
        static_url("stamp", "--output", str(site.tmp / "stamp.txt"))
    assert not (site.tmp / "stamp.txt").exists()


@pytest.mark.parametrize(
    ("make_url", "said"),
    [
        (lambda tmp: url_helper.get_static_url_now("/static/"), "get_static_url_now()"),
        (
            lambda tmp: url_helper.get_static_url_file(
                "/static/", make_tree(tmp, {"deploy": b""}) / "deploy"
            ),
            "get_static_url_file()",
        ),
        (lambda tmp: "/static/", "carries no version segment"),
    ],
)
def test_versions_unknown_before_the_collect_are_refused(
    site: Site, make_url: Callable[[Path], str], said: str
) -> None:
    site.settings.STATIC_URL = make_url(site.tmp)
    with pytest.raises(CommandError, match=said):
        collect()
    assert not site.root.exists()


def test_a_fixed_or_hand_written_segment_is_used_as_is(site: Site) -> None:
    site.settings.STATIC_URL = "/static/0123456789ab/"
    collect()
    assert read_tree(site.root / "0123456789ab") == RELEASE_A


def test_without_a_release_storage_collectstatic_is_djangos(site: Site) -> None:
    site.settings.STORAGES = {
        **RELEASE_STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    site.release("r1")
    collect()
    tree = read_tree(site.root)
    assert tree.pop(ROOT_RECORD)  # the integrity values of a collect into one folder
    assert tree == RELEASE_A


def test_at_run_time_the_storage_reads_the_current_version(site: Site) -> None:
    segment = site.release("r1")
    collect()
    assert staticfiles_storage.url("css/site.css") == f"/static/{segment}/css/site.css"
    assert staticfiles_storage.path("css/site.css") == str(site.root / segment / "css/site.css")
    with staticfiles_storage.open("css/site.css") as handle:
        assert handle.read() == RELEASE_A["css/site.css"]


def test_the_storage_takes_no_file_outside_the_collect(site: Site) -> None:
    site.release("r1")
    with pytest.raises(ImproperlyConfigured, match="listed above 'django.contrib.staticfiles'"):
        staticfiles_storage.save("x.css", ContentFile(b"x"))


def test_the_storage_needs_a_versioned_static_url(site: Site) -> None:
    site.settings.STATIC_URL = "/static/"
    with pytest.raises(ImproperlyConfigured, match="carries none and no collectstatic has"):
        staticfiles_storage.path("x.css")


def test_without_static_root_the_storage_says_so(site: Site) -> None:
    site.settings.STATIC_ROOT = None
    site.release("r1")
    with pytest.raises(ImproperlyConfigured, match="without having set the STATIC_ROOT"):
        staticfiles_storage.path("x.css")


def test_manifest_storage_keeps_its_manifest_in_the_version(site: Site, settings: Settings) -> None:
    settings.STORAGES = {
        **RELEASE_STORAGES,
        "staticfiles": {"BACKEND": "tests.release_support.ReleaseManifestStorage"},
    }
    segment = site.release("r1")
    collect()
    manifest = json.loads((site.root / segment / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/site.css"]
    assert (site.root / segment / hashed).read_bytes() == RELEASE_A["css/site.css"]
    settings.DEBUG = False
    assert staticfiles_storage.url("css/site.css") == f"/static/{segment}/{hashed}"
    assert "Release" in collect()  # unchanged sources: nothing copied, nothing post-processed


def test_configured_tells_a_release_storage_from_another(settings: Settings) -> None:
    settings.STORAGES = RELEASE_STORAGES
    assert releases.configured()
    settings.STORAGES = {
        **RELEASE_STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    assert not releases.configured()
    assert releases.storage_class() is None
    settings.STORAGES = {"staticfiles": {"BACKEND": "nowhere.Storage"}}
    assert not releases.configured()  # Django itself says the storage is missing


def test_static_url_collect_collects_a_stamp_release_in_one_step(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamp = site.tmp / "static-version.txt"
    site.settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", stamp)
    out = static_url("collect")
    segment = version.content_segment(stamp_file.read_stamp(stamp))
    assert f"Release {segment} is complete." in out
    assert read_tree(site.root / segment) == RELEASE_A


def test_static_url_collect_collects_a_release_id_release(site: Site) -> None:
    segment = site.release("2026.7")
    out = static_url("collect")
    assert f"Release {segment} is complete." in out
    assert read_tree(site.root / segment) == RELEASE_A
