"""Collecting a release again reads only the sources whose size or times changed."""

from __future__ import annotations

import base64
import builtins
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management.base import CommandError

from django_static_url_helper import (
    content_hash,
    integrity,
    source_fingerprint,
    source_hashes,
    source_listing,
    stamp_file,
    url_helper,
    version,
)

from .release_support import RELEASE_A, RELEASE_STORAGES, collect, make_tree

if TYPE_CHECKING:
    from pytest_django import Settings


class Opens:
    """The source files opened, by name below the source folder, in any thread."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, source: Path) -> None:
        self.source = str(source) + os.sep
        self.names: list[str] = []
        monkeypatch.setattr(os, "open", self.counting(os.open))
        monkeypatch.setattr(builtins, "open", self.counting(builtins.open))

    def counting(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def opening(path: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(path, (str, os.PathLike)):
                full = os.path.abspath(os.fspath(path))
                if full.startswith(self.source):
                    self.names.append(full[len(self.source) :].replace(os.sep, "/"))
            return real(path, *args, **kwargs)

        return opening

    def since(self, action: Callable[[], object]) -> list[str]:
        self.names.clear()
        action()
        return sorted(self.names)


class Site:
    def __init__(self, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
        self.root = tmp_path / "static-root"
        self.source = make_tree(tmp_path / "src", RELEASE_A)
        settings.STORAGES = RELEASE_STORAGES
        settings.STATIC_ROOT = self.root
        settings.STATICFILES_DIRS = [self.source]
        settings.STATIC_URL = url_helper.get_static_url_release("/static/", "r1")
        self.segment = str(version.split_url(settings.STATIC_URL).segment)
        self.marker = self.root / f"{self.segment}.release.json"
        self.opens = Opens(monkeypatch, self.source)

    def sources(self) -> dict[str, str]:
        found: dict[str, str] = json.loads(self.marker.read_text())["sources"]
        return found


@pytest.fixture
def site(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    return Site(settings, tmp_path, monkeypatch)


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files just written count as settled (else a collect waits RACY_NS to trust them)."""
    monkeypatch.setattr(source_hashes, "RACY_NS", 0)


NOTHING = "is already collected from these 4 files: nothing copied."


@pytest.mark.usefixtures("settled")
def test_an_unchanged_recollect_opens_no_source_file(site: Site) -> None:
    assert site.opens.since(collect) == sorted([*RELEASE_A, *RELEASE_A])  # hashed, copied
    outputs: list[str] = []
    assert site.opens.since(lambda: outputs.append(collect())) == []
    assert NOTHING in outputs[0]


@pytest.mark.usefixtures("settled")
def test_a_source_whose_mtime_changed_is_read_again(site: Site) -> None:
    collect()
    script = site.source / "js/app.js"
    os.utime(script, ns=(script.stat().st_atime_ns, script.stat().st_mtime_ns + 1))
    assert site.opens.since(collect) == ["js/app.js"]


@pytest.mark.usefixtures("settled")
def test_a_source_rewritten_with_its_size_and_mtime_kept_is_noticed(site: Site) -> None:
    collect()
    css = site.source / "css/site.css"
    before = css.stat()
    css.write_bytes(b"body { color: rEd }\n")  # same size
    os.utime(css, ns=(before.st_atime_ns, before.st_mtime_ns))  # the kernel moves ctime
    assert css.stat().st_size == before.st_size
    with pytest.raises(CommandError, match="files of the same names and sizes have other bytes"):
        collect()


@pytest.mark.usefixtures("settled")
def test_a_record_matching_the_files_size_and_times_is_trusted_unread(site: Site) -> None:
    # The documented limit: a changed file that still had the size, inode,
    # mtime_ns and ctime_ns its collect recorded (which takes a clock set back
    # by hand) is not read. Here the record is made to match instead.
    collect()
    css = site.source / "css/site.css"
    css.write_bytes(b"body { color: rEd }\n")
    now = css.stat()
    sha = site.sources()["css/site.css"].split(" ")[1]
    marker = json.loads(site.marker.read_text())
    marker["sources"]["css/site.css"] = (
        f"{now.st_size} {sha} {now.st_ino} {now.st_mtime_ns} {now.st_ctime_ns}"
    )
    site.marker.write_text(json.dumps(marker))
    assert site.opens.since(collect) == []
    # --rehash reads every source: the change is found.
    with pytest.raises(CommandError, match="already collected from other files"):
        collect("--rehash")


@pytest.mark.usefixtures("settled")
def test_rehash_reads_every_source_file(site: Site) -> None:
    collect()
    assert site.opens.since(lambda: collect("--rehash")) == sorted(RELEASE_A)


def test_a_file_changed_just_before_its_collect_read_it_is_read_again(site: Site) -> None:
    # A write right after the read may keep both times (coarse timestamps):
    # such a file gets no times in the marker, so the next collect reads it.
    collect()
    assert all(len(entry.split(" ")) == 2 for entry in site.sources().values())
    assert site.opens.since(collect) == sorted(RELEASE_A)


SHA = "0" * 64


@pytest.mark.usefixtures("settled")
@pytest.mark.parametrize(
    "entry",
    [
        20,
        None,
        [20, SHA],
        {"size": 20, "sha256": SHA},
        "20",
        f"20 {SHA} 1 2",
        f"20 {SHA} 1 2 3 4",
        f"20 {SHA.upper()} 1 2 3",
        f"-20 {SHA} 1 2 3",
        f"+20 {SHA} 1 2 3",
        f"\N{FULLWIDTH DIGIT TWO}0 {SHA} 1 2 3",
        f"20 {SHA} 1 2 x",
        f"20  {SHA} 1 2 3",
        f"20 {SHA[:-1]} 1 2 3",
        "\ud800",  # JSON may hold a lone surrogate
    ],
)
def test_a_marker_entry_that_is_not_a_record_is_read_again(site: Site, entry: object) -> None:
    collect()
    marker = json.loads(site.marker.read_text())
    marker["sources"]["css/site.css"] = entry
    site.marker.write_text(json.dumps(marker))
    outputs: list[str] = []
    assert site.opens.since(lambda: outputs.append(collect())) == ["css/site.css"]
    assert NOTHING in outputs[0]


@pytest.mark.usefixtures("settled")
def test_a_marker_without_records_reads_every_source(site: Site) -> None:
    collect()
    marker = json.loads(site.marker.read_text())
    marker["sources"] = {name: len(body) for name, body in RELEASE_A.items()}  # sizes only
    site.marker.write_text(json.dumps(marker))
    assert site.opens.since(collect) == sorted(RELEASE_A)


@pytest.mark.usefixtures("settled")
def test_the_recorded_hashes_give_the_digest_of_every_byte(site: Site) -> None:
    collect()
    marker = json.loads(site.marker.read_text())
    digest = content_hash.hash_tree(site.source)
    assert marker["digest"] == digest
    known = source_hashes.Known(marker["sources"])
    found = [(name, str(site.source / name)) for name in RELEASE_A]
    reused = source_hashes.hash_sources(found, known)
    assert (reused.digest, reused.read) == (digest, 0)
    assert reused.records["old.txt"].sha256 == hashlib.sha256(RELEASE_A["old.txt"]).hexdigest()


def collected_with_a_stamp(settings: Settings, tmp_path: Path) -> tuple[Path, str]:
    """A content stamp's release collected; the stamp and its digest, the servers' settings."""
    stamp = tmp_path / "static-version.txt"
    settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", stamp)
    collect()
    digest = stamp_file.read_stamp(stamp)
    settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", stamp)
    return stamp, digest


@pytest.mark.usefixtures("settled")
def test_a_stamp_release_collected_again_reads_nothing_and_keeps_its_version(
    site: Site, settings: Settings, tmp_path: Path
) -> None:
    stamp, digest = collected_with_a_stamp(settings, tmp_path)
    assert site.opens.since(collect) == []
    assert stamp_file.read_stamp(stamp) == digest == content_hash.hash_tree(site.source)


@pytest.mark.usefixtures("settled")
def test_a_new_release_reads_only_changed_sources_and_keeps_every_integrity_value(
    site: Site, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    collect()
    read_back: list[str] = []
    reading = integrity.of_stored

    def of_stored(storage: Any, name: str) -> str:
        read_back.append(name)
        return reading(storage, name)

    monkeypatch.setattr(integrity, "of_stored", of_stored)
    (site.source / "css/site.css").write_bytes(b"body { color: green }\n")
    settings.STATIC_URL = url_helper.get_static_url_release("/static/", "r2")
    segment = str(version.split_url(settings.STATIC_URL).segment)
    # The changed file is read (hashed) and copied; the others are linked, unread.
    assert site.opens.since(collect) == ["css/site.css", "css/site.css"]
    marker = json.loads((site.root / f"{segment}.release.json").read_text())
    for name in RELEASE_A:
        collected = (site.root / segment / name).read_bytes()
        expected = "sha384-" + base64.b64encode(hashlib.sha384(collected).digest()).decode()
        assert marker["integrity"][name] == expected, name
    # No collected file was read back: the changed one's value came from its
    # read, the others' from what the first release recorded.
    assert read_back == []


class Checked:
    """The sources checked one by one against their records (``Known.unchanged``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: list[str] = []
        unchanged = source_hashes.Known.unchanged

        def counting(known: source_hashes.Known, name: str, *args: Any) -> Any:
            self.names.append(name)
            return unchanged(known, name, *args)

        monkeypatch.setattr(source_hashes.Known, "unchanged", counting)


@pytest.mark.usefixtures("settled")
def test_an_unchanged_listing_is_vouched_for_at_once_not_file_by_file(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    collect()
    assert len(json.loads(site.marker.read_text())["listed"]) == 64
    checked = Checked(monkeypatch)
    outputs: list[str] = []
    assert site.opens.since(lambda: outputs.append(collect())) == []
    assert checked.names == []
    assert NOTHING in outputs[0]


def test_a_listing_with_a_file_changed_just_before_its_read_gets_no_fingerprint(
    site: Site,
) -> None:
    collect()
    assert "listed" not in json.loads(site.marker.read_text())


def _touch(site: Site, settings: Settings) -> None:
    script = site.source / "js/app.js"
    os.utime(script, ns=(script.stat().st_atime_ns, script.stat().st_mtime_ns + 1))


def _move_to_a_second_folder(site: Site, settings: Settings) -> None:
    second = make_tree(site.source.parent / "second", {"js/app.js": RELEASE_A["js/app.js"]})
    (site.source / "js/app.js").unlink()
    settings.STATICFILES_DIRS = [site.source, second]


def _shadow_from_a_first_folder(site: Site, settings: Settings) -> None:
    first = make_tree(site.source.parent / "first", {"js/app.js": RELEASE_A["js/app.js"]})
    settings.STATICFILES_DIRS = [first, site.source]


@pytest.mark.usefixtures("settled")
@pytest.mark.parametrize("change", [_touch, _move_to_a_second_folder, _shadow_from_a_first_folder])
def test_a_listing_unlike_the_fingerprinted_one_is_checked_file_by_file(
    site: Site, settings: Settings, monkeypatch: pytest.MonkeyPatch, change: Any
) -> None:
    collect()
    change(site, settings)
    checked = Checked(monkeypatch)
    outputs: list[str] = []
    opened = site.opens.since(lambda: outputs.append(collect()))
    assert sorted(checked.names) == sorted(RELEASE_A)
    assert NOTHING in outputs[0]  # the same bytes: the release stands
    assert opened == (["js/app.js"] if change is _touch else [])


@pytest.mark.usefixtures("settled")
@pytest.mark.parametrize("change", ["added", "removed"])
def test_a_file_added_or_removed_since_the_fingerprint_is_not_vouched_for(
    site: Site, change: str
) -> None:
    collect()
    if change == "added":
        make_tree(site.source, {"js/new.js": b"new"})
    else:
        (site.source / "old.txt").unlink()
    with pytest.raises(CommandError, match="already collected from other files"):
        collect()


@pytest.mark.usefixtures("settled")
def test_a_forged_record_under_a_matching_fingerprint_stops_with_a_clear_error(
    site: Site,
) -> None:
    collect()
    marker = json.loads(site.marker.read_text())
    marker["sources"]["css/site.css"] = "20 not-a-hash"
    found = source_listing.listing([])
    marker["listed"] = source_fingerprint.of_listing(
        marker["digest"], found.files, found.entries, marker["sources"]
    )
    site.marker.write_text(json.dumps(marker))
    (site.root / site.segment / "old.txt").unlink()  # the repair needs the records
    with pytest.raises(CommandError, match=r"record of css/site.css is not one.*--rehash"):
        collect()


@pytest.mark.usefixtures("settled")
def test_a_digest_with_a_lone_surrogate_is_a_clear_error_not_a_traceback(site: Site) -> None:
    collect()
    marker = json.loads(site.marker.read_text())
    marker["digest"] = "\ud800"
    site.marker.write_text(json.dumps(marker))
    with pytest.raises(CommandError, match="already collected from other files"):
        collect()


@pytest.mark.usefixtures("settled")
def test_a_digest_that_is_not_one_is_never_vouched_for_nor_written_to_the_stamp(
    site: Site, settings: Settings, tmp_path: Path
) -> None:
    # The per-file rule always computes the digest from 64-hex records; the
    # fingerprint takes the marker's "digest" field as it is. "zz" went into
    # the stamp, and every process booting on it then fails in read_stamp.
    stamp, digest = collected_with_a_stamp(settings, tmp_path)
    marker_path = site.root / f"{version.content_segment(digest)}.release.json"
    marker = json.loads(marker_path.read_text())
    marker["digest"] = "zz"
    found = source_listing.listing([])
    marker["listed"] = source_fingerprint.of_listing(
        "zz", found.files, found.entries, marker["sources"]
    )
    marker_path.write_text(json.dumps(marker))
    with pytest.raises(CommandError):
        collect()
    assert stamp_file.read_stamp(stamp) == digest  # not "zz": servers still boot
