"""``collectstatic`` copies files as Django's ``storage.save()`` would, with less work per file."""

from __future__ import annotations

import contextlib
import io
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.staticfiles.management.commands import collectstatic as django_collect
from django.contrib.staticfiles.storage import StaticFilesStorage
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage
from django.core.management import call_command
from django.utils.functional import LazyObject

from django_static_url_helper import local_copy, source_listing, url_helper
from django_static_url_helper.integrity_record import ROOT_RECORD
from django_static_url_helper.releases import ReleaseStaticFilesStorage
from django_static_url_helper.storage import VersionedStaticFilesStorage

from .release_support import RELEASE_STORAGES, collect, make_tree, read_tree

if TYPE_CHECKING:
    from pytest_django import Settings

TREE = {
    "css/site.css": b"body { color: red }\n",
    "css/print.css": b"body { color: black }\n",
    "css/deep/more.css": b"p { margin: 0 }\n",
    "js/app.js": b"console.log('a');\n" * 5000,
    "js/vendor.js": b"",
    "robots.txt": b"User-agent: *\n",
}


def described(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Each file's bytes, mode and group, and each folder's mode and group."""
    found: dict[str, tuple[bytes, int, int]] = {}
    for path in sorted(root.rglob("*")):
        info = path.stat()
        body = path.read_bytes() if path.is_file() else b"<folder>"
        found[path.relative_to(root).as_posix()] = (body, stat.S_IMODE(info.st_mode), info.st_gid)
    return found


def other_group(root: Path) -> None:
    """Give ``root`` a group the files are not created with, where this user may."""
    with contextlib.suppress(PermissionError):
        os.chown(root, -1, os.getgid() + 1)


@pytest.mark.parametrize("permissions", [None, (0o640, 0o750)])
def test_a_collect_writes_what_djangos_own_collect_writes(
    settings: Settings, tmp_path: Path, permissions: tuple[int, int] | None
) -> None:
    settings.STATICFILES_DIRS = [make_tree(tmp_path / "src", TREE)]
    if permissions is not None:
        settings.FILE_UPLOAD_PERMISSIONS, settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS = permissions
    versioned = "django_static_url_helper.storage.VersionedStaticFilesStorage"
    settings.STORAGES = {**RELEASE_STORAGES, "staticfiles": {"BACKEND": versioned}}
    found = {}
    for kind, command in (("django", django_collect.Command()), ("ours", "collectstatic")):
        settings.STATIC_ROOT = root = tmp_path / kind
        root.mkdir()
        other_group(root)
        call_command(command, "--noinput", stdout=io.StringIO())
        found[kind] = described(root)
    ours = {name: got for name, got in found["ours"].items() if name != ROOT_RECORD}
    assert ours == found["django"]
    assert {name for name, got in ours.items() if got[0] != b"<folder>"} == set(TREE)


def test_a_release_is_collected_with_the_storages_permissions(
    settings: Settings, tmp_path: Path
) -> None:
    settings.STATICFILES_DIRS = [make_tree(tmp_path / "src", TREE)]
    settings.FILE_UPLOAD_PERMISSIONS, settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o604, 0o705
    settings.STORAGES, settings.STATIC_ROOT = RELEASE_STORAGES, tmp_path / "root"
    settings.STATIC_URL = url_helper.get_static_url_release("/static/", "r1")
    collect()
    (release,) = (path for path in (tmp_path / "root").iterdir() if path.is_dir())
    assert read_tree(release) == TREE
    modes = {name: got[1] for name, got in described(release).items()}
    assert modes == {name: 0o604 if name in TREE else 0o705 for name in modes}


class SavesItsOwnWay(StaticFilesStorage):
    def _save(self, name: str, content: Any) -> str:
        return str(FileSystemStorage._save(self, name, content))  # type: ignore[attr-defined]


class NamesItsOwnWay(FileSystemStorage):
    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return name.upper()


@pytest.mark.parametrize(
    ("storage", "copies"),
    [
        (FileSystemStorage, True),
        (StaticFilesStorage, True),
        (VersionedStaticFilesStorage, True),
        (ReleaseStaticFilesStorage, True),
        (SavesItsOwnWay, False),
        (NamesItsOwnWay, False),
    ],
)
def test_only_storages_that_save_as_django_does_are_copied_into_directly(
    settings: Settings, tmp_path: Path, storage: type[FileSystemStorage], copies: bool
) -> None:
    settings.STATIC_ROOT = tmp_path
    assert local_copy.copies_as_django(storage()) is copies


@pytest.fixture
def copier(tmp_path: Path) -> local_copy.Copier:
    (tmp_path / "root" / "css").mkdir(parents=True)
    copier = local_copy.Copier(FileSystemStorage(location=tmp_path / "root"))
    copier.folders.add(str(tmp_path / "root" / "css"))  # as if save() had made it
    return copier


def test_a_file_is_copied_with_its_bytes(copier: local_copy.Copier, tmp_path: Path) -> None:
    source = tmp_path / "big.css"
    source.write_bytes(os.urandom(3 << 20))  # more than one chunk
    assert copier.copy("css/big.css", str(source))
    assert (tmp_path / "root" / "css" / "big.css").read_bytes() == source.read_bytes()


@pytest.mark.parametrize("name", ["css/../x.css", "/etc/x.css", "css\\x.css", "other/x.css"])
def test_names_that_may_leave_the_folder_and_new_folders_go_through_save(
    copier: local_copy.Copier, tmp_path: Path, name: str
) -> None:
    source = tmp_path / "x.css"
    source.write_bytes(b"x")
    assert not copier.copy(name, str(source))
    assert not (tmp_path / "x.css.copy").exists()
    assert sorted(p.name for p in (tmp_path / "root").rglob("*")) == ["css"]


def test_a_name_taken_meanwhile_is_left_alone(copier: local_copy.Copier, tmp_path: Path) -> None:
    taken = tmp_path / "root" / "css" / "site.css"
    taken.write_bytes(b"theirs")
    source = tmp_path / "site.css"
    source.write_bytes(b"ours")
    assert not copier.copy("css/site.css", str(source))
    assert taken.read_bytes() == b"theirs"


def test_a_copy_that_fails_leaves_no_file_under_the_name(
    copier: local_copy.Copier, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        copier.copy("css/site.css", str(tmp_path / "gone.css"))
    assert not (tmp_path / "root" / "css" / "site.css").exists()


class OwnGroup(FileSystemStorage):
    def _ensure_location_group_id(self, full_path: str) -> None:
        pass


class SaysTaken(FileSystemStorage):
    def exists(self, name: str) -> bool:
        return name.endswith(".taken") or super().exists(name)


@pytest.mark.parametrize("storage", [OwnGroup, SaysTaken])
def test_a_storage_overriding_what_save_consults_is_not_copied_into_directly(
    settings: Settings, tmp_path: Path, storage: type[FileSystemStorage]
) -> None:
    settings.STATIC_ROOT = tmp_path
    assert not local_copy.copies_as_django(storage())


def test_a_file_gets_its_mode_where_os_has_no_fchmod(
    copier: local_copy.Copier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(os, "fchmod")  # Windows before Python 3.13
    copier.storage.file_permissions_mode = 0o604
    source = tmp_path / "site.css"
    source.write_bytes(b"body {}")
    assert copier.copy("css/site.css", str(source))
    assert stat.S_IMODE((tmp_path / "root" / "css" / "site.css").stat().st_mode) == 0o604


class Shouting(FileSystemStorage):
    """A finder's storage that gives other bytes than the file's."""

    def _open(self, name: str, mode: str = "rb") -> Any:
        with FileSystemStorage._open(self, name, mode) as given:  # type: ignore[attr-defined]
            return ContentFile(given.read().upper(), name)


class StorageFinder:
    """Lists the files of one storage, as a third-party finder may."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def list(self, ignore_patterns: Any) -> Any:
        for name in ("u/a.txt", "u/b.txt", "u/c.txt"):
            yield name, self.storage


@pytest.mark.parametrize("wrapped", [False, True])
@pytest.mark.parametrize("storage", [FileSystemStorage, Shouting])
def test_files_of_any_finder_storage_are_collected_as_django_collects_them(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    storage: type[FileSystemStorage],
    wrapped: bool,
) -> None:
    make_tree(tmp_path / "src", {f"u/{n}.txt": b"hello" for n in "abc"})
    given: Any = storage(location=tmp_path / "src")
    if wrapped:  # as default_storage is
        lazy: Any = LazyObject()
        lazy._wrapped = given
        given = lazy
    for module in (django_collect, source_listing):  # where collectstatic asks
        monkeypatch.setattr(module, "get_finders", lambda: iter([StorageFinder(given)]))
    versioned = "django_static_url_helper.storage.VersionedStaticFilesStorage"
    settings.STORAGES = {**RELEASE_STORAGES, "staticfiles": {"BACKEND": versioned}}
    settings.STATICFILES_DIRS = []
    found = {}
    for kind, command in (("django", django_collect.Command), ("ours", None)):
        settings.STATIC_ROOT = root = tmp_path / kind
        for dry_run in (["--dry-run"], []):  # a command instance collects once
            call_command(command() if command else "collectstatic", "--noinput", *dry_run)
        found[kind] = read_tree(root)
    ours = {name: body for name, body in found["ours"].items() if name != ROOT_RECORD}
    assert ours == found["django"]
    assert set(ours) == {"u/a.txt", "u/b.txt", "u/c.txt"}
