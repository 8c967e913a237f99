"""Releases on a file system share the bytes of unchanged files through hard links."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedStaticFilesStorage

from django_static_url_helper import release_links, release_prune, url_helper, version
from django_static_url_helper.releases import ReleaseStorageMixin

from .release_support import (
    RELEASE_A,
    RELEASE_B,
    RELEASE_STORAGES,
    collect,
    make_tree,
    read_tree,
    set_completed,
    static_url,
)

if TYPE_CHECKING:
    from pytest_django import Settings


class CompressedReleaseStorage(ReleaseStorageMixin, CompressedStaticFilesStorage):  # type: ignore[misc]
    """Release directories with whitenoise's compression, as the docs combine them."""


SHARED = ["img/logo.svg", "js/app.js"]  # the same bytes in RELEASE_A and RELEASE_B


class Site:
    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        self.settings = settings
        self.tmp = tmp_path
        self.root = tmp_path / "static-root"
        settings.STORAGES = RELEASE_STORAGES
        settings.STATIC_ROOT = self.root
        self.count = 0

    def deploy(self, files: dict[str, bytes], *args: str) -> tuple[str, str]:
        """Collect ``files`` as the next release: (its segment, collectstatic's output)."""
        self.count += 1
        self.settings.STATICFILES_DIRS = [make_tree(self.tmp / f"src-{self.count}", files)]
        url = url_helper.get_static_url_release("/static/", f"r{self.count}")
        self.settings.STATIC_URL = url
        return str(version.split_url(url).segment), collect(*args)

    def inode(self, segment: str, name: str) -> os.stat_result:
        return os.stat(self.root / segment / name)


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> Site:
    return Site(settings, tmp_path)


def test_unchanged_files_are_hard_links_to_the_previous_release(site: Site) -> None:
    one, _ = site.deploy(RELEASE_A)
    two, out = site.deploy(RELEASE_B)
    assert f"2 of them hard-linked from release {one} (unchanged)." in out
    for name in SHARED:
        old, new = site.inode(one, name), site.inode(two, name)
        assert (new.st_ino, new.st_dev, new.st_nlink) == (old.st_ino, old.st_dev, 2)
    # The changed and the new file are copies of their own.
    assert site.inode(two, "css/site.css").st_nlink == 1
    assert site.inode(two, "new.txt").st_nlink == 1
    assert site.inode(one, "css/site.css").st_nlink == 1
    assert read_tree(site.root / one) == RELEASE_A
    assert read_tree(site.root / two) == RELEASE_B


def test_a_third_release_links_from_the_published_one(site: Site) -> None:
    one, _ = site.deploy(RELEASE_A)
    two, _ = site.deploy(RELEASE_B)
    three, out = site.deploy({**RELEASE_B, "css/site.css": b"body { color: green }\n"})
    assert f"3 of them hard-linked from release {two}" in out
    assert site.inode(three, "js/app.js").st_nlink == 3
    assert site.inode(three, "new.txt").st_ino == site.inode(two, "new.txt").st_ino
    assert read_tree(site.root / one) == RELEASE_A


def _blocks(root: Path) -> dict[tuple[int, int], tuple[int, int]]:
    """(device, inode) -> (links, bytes on disk) of every file of every release in ``root``."""
    found = {}
    for path in root.glob("*/**/*"):
        info = path.lstat()
        if path.is_file():
            found[info.st_dev, info.st_ino] = (info.st_nlink, info.st_blocks * 512)
    return found


def test_prune_frees_exactly_what_only_the_pruned_releases_held(site: Site) -> None:
    big = {name: body * 4096 for name, body in RELEASE_A.items()}  # whole blocks each
    one, _ = site.deploy(big)
    two, _ = site.deploy({**big, "css/site.css": b"changed\n" * 4096})
    three, _ = site.deploy({**big, "css/site.css": b"again\n" * 4096})
    only_one = {os.stat(site.root / one / "css/site.css").st_ino}
    for segment, age in ((one, 3), (two, 2), (three, 1)):
        set_completed(site.root, segment, time.time() - age * 86400)
    before = _blocks(site.root)
    static_url("prune", "--keep", "2", "--keep-for", "0")
    after = _blocks(site.root)
    assert not (site.root / one).exists()
    freed = {key: value for key, value in before.items() if key not in after}
    assert {inode for _dev, inode in freed} == only_one
    # Every file the kept releases share lost exactly the pruned release's link.
    for key, (links, size) in after.items():
        if key[1] in {os.stat(site.root / two / name).st_ino for name in [*SHARED, "old.txt"]}:
            assert before[key] == (links + 1, size)
    assert read_tree(site.root / two)["js/app.js"] == big["js/app.js"]


def test_a_changed_file_in_the_previous_release_is_copied_not_linked(site: Site) -> None:
    one, _ = site.deploy(RELEASE_A)
    (site.root / one / "js/app.js").write_bytes(b"cut")  # not what its marker records
    two, out = site.deploy(RELEASE_B)
    assert "1 of them hard-linked" in out
    assert site.inode(two, "js/app.js").st_nlink == 1
    assert read_tree(site.root / two) == RELEASE_B


def test_a_file_edited_in_place_with_its_size_kept_is_copied_not_linked(site: Site) -> None:
    one, _ = site.deploy(RELEASE_A)
    script = site.root / one / "js/app.js"
    with open(script, "r+b") as edited:  # the same size, other bytes, the same inode
        edited.write(b"alert(1)//")
    assert script.stat().st_size == len(RELEASE_A["js/app.js"])
    two, out = site.deploy(RELEASE_B)
    assert "1 of them hard-linked" in out  # img/logo.svg only
    assert site.inode(two, "js/app.js").st_ino != script.stat().st_ino
    assert read_tree(site.root / two) == RELEASE_B


def test_rehash_links_nothing(site: Site) -> None:
    site.deploy(RELEASE_A)
    two, out = site.deploy(RELEASE_B, "--rehash")
    assert "hard-linked" not in out
    assert all(site.inode(two, name).st_nlink == 1 for name in SHARED)
    assert read_tree(site.root / two) == RELEASE_B


@pytest.mark.parametrize("code", [errno.EPERM, errno.EMLINK, errno.EACCES])
def test_a_file_that_cannot_be_linked_is_copied(
    site: Site, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    _one, _ = site.deploy(RELEASE_A)
    real = os.link

    def link(source: Any, target: Any, **kwargs: Any) -> None:
        if str(source).endswith("js/app.js"):
            raise OSError(code, os.strerror(code))
        real(source, target, **kwargs)

    monkeypatch.setattr(os, "link", link)
    two, out = site.deploy(RELEASE_B)
    assert "1 of them hard-linked" in out
    assert site.inode(two, "js/app.js").st_nlink == 1
    assert site.inode(two, "img/logo.svg").st_nlink == 2
    assert read_tree(site.root / two) == RELEASE_B


def _other_device(than: Path) -> Iterator[Path]:
    for candidate in ("/dev/shm", tempfile.gettempdir()):
        if os.path.isdir(candidate) and os.stat(candidate).st_dev != os.stat(than).st_dev:
            yield Path(candidate)


def test_a_previous_release_on_another_device_is_copied(site: Site) -> None:
    one, _ = site.deploy(RELEASE_A)
    elsewhere = next(_other_device(site.root), None)
    if elsewhere is None:
        pytest.skip("no second file system here to hold the previous release")
    moved = Path(tempfile.mkdtemp(dir=elsewhere)) / one
    try:
        shutil.move(str(site.root / one), moved)
        (site.root / one).symlink_to(moved)
        two, out = site.deploy(RELEASE_B)
        said = f"Nothing hard-linked from release {one}: {site.root / one}: Invalid cross-device"
        assert said in out
        assert os.stat(site.root / two / "js/app.js").st_nlink == 1
        assert read_tree(site.root / two) == RELEASE_B
    finally:
        shutil.rmtree(moved.parent)


def test_cross_device_links_stop_after_the_first_refusal(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.deploy(RELEASE_A)
    calls: list[str] = []

    def link(source: Any, target: Any, **kwargs: Any) -> None:
        calls.append(str(source))
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))

    monkeypatch.setattr(os, "link", link)
    two, out = site.deploy(RELEASE_B)
    assert len(calls) == 1
    assert "Nothing hard-linked from release" in out
    assert read_tree(site.root / two) == RELEASE_B


def test_a_dry_run_links_nothing(site: Site) -> None:
    site.deploy(RELEASE_A)
    two, out = site.deploy(RELEASE_B, "--dry-run")
    assert "hard-linked" not in out
    assert not (site.root / two).exists()


def test_storages_that_post_process_copy_and_never_share_an_inode(
    site: Site, settings: Settings
) -> None:
    settings.STORAGES = {
        **RELEASE_STORAGES,
        "staticfiles": {"BACKEND": f"{__name__}.CompressedReleaseStorage"},
    }
    # Big enough for whitenoise to compress, and shipped precompressed too, with
    # whitenoise's own bytes: the source .gz is what the collect leaves there.
    css = b"body { color: red }\n" * 100
    files = {**RELEASE_A, "css/site.css": css, "css/site.css.gz": Compressor.compress_gzip(css)}
    one, _ = site.deploy(files)
    first = read_tree(site.root / one)
    assert "css/site.css.br" in first or "css/site.css.gz" in first
    _two, out = site.deploy({**files, "css/site.css": b"body { color: blue }\n" * 100})
    assert read_tree(site.root / one) == first  # the older release's bytes, .gz and all
    assert "hard-linked" not in out
    for path in site.root.rglob("*"):
        if path.is_file() and not path.name.endswith(".json"):
            assert path.stat().st_nlink == 1, path
    assert not release_links.links_into(CompressedReleaseStorage())


def test_only_a_file_system_storage_that_saves_bytes_as_they_are_links() -> None:
    from django_static_url_helper.releases import ReleaseStaticFilesStorage

    class Minifying(ReleaseStaticFilesStorage):
        def _save(self, name: str, content: Any) -> str:
            return super()._save(name, content)

    assert release_links.links_into(ReleaseStaticFilesStorage())
    assert not release_links.links_into(Minifying())


def test_prune_plan_is_unchanged_by_links(site: Site) -> None:
    # Linked files keep the time their bytes were first collected; what prune
    # keeps is decided from the markers, never from the files' times.
    one, _ = site.deploy(RELEASE_A)
    two, _ = site.deploy(RELEASE_B)
    from django.contrib.staticfiles.storage import staticfiles_storage

    storage: Any = staticfiles_storage
    decisions = release_prune.plan(storage, two, keep=1, keep_for=0)
    assert [(d.segment, d.delete) for d in decisions] == [(two, False), (one, True)]
