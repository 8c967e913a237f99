"""The sources a collect lists are exactly those Django's finders list, faster."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.staticfiles.finders import get_finders
from django.core.files.storage import FileSystemStorage

from django_static_url_helper import source_listing

from .release_support import make_tree

if TYPE_CHECKING:
    from pytest_django import Settings

TREE = {
    "css/site.css": b"a",
    "css/.hidden.css": b"b",
    "css/site.css~": b"c",
    "CVS/entries": b"d",
    "js/app.js": b"e",
    "js/vendor/lib.min.js": b"f",
    "js/vendor/skip/me.js": b"g",
    ".well-known/x.txt": b"h",
    "img/logo.svg": b"i",
}
PATTERNS = [
    ["CVS", ".*", "*~"],  # Django's defaults
    ["CVS", ".*", "*~", "js/vendor/skip/*", "*.min.js"],
    ["js/*"],
    [],
]


def django_listing(patterns: list[str]) -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for finder in get_finders():
        for path, storage in finder.list(patterns):
            prefix = getattr(storage, "prefix", None)
            name = os.path.join(prefix, path) if prefix else path
            found.setdefault(name.replace(os.sep, "/"), storage.path(path))
    return sorted(found.items())


@pytest.mark.parametrize("patterns", PATTERNS)
def test_the_sources_listed_are_exactly_what_djangos_finders_list(
    settings: Settings, tmp_path: Path, patterns: list[str]
) -> None:
    first = make_tree(tmp_path / "first", TREE)
    second = make_tree(tmp_path / "second", {"css/site.css": b"shadowed", "more.txt": b"m"})
    (tmp_path / "elsewhere").mkdir()
    make_tree(tmp_path / "elsewhere", {"linked.css": b"l"})
    (first / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    settings.STATICFILES_DIRS = [first, ("vendor", second), tmp_path / "missing"]
    assert source_listing.found_files(patterns) == django_listing(patterns)
    names = [name for name, _path in source_listing.found_files(patterns)]
    assert "linked/linked.css" in names
    assert "vendor/more.txt" in names


def test_a_finder_of_its_own_is_asked_through_its_list(settings: Settings, tmp_path: Path) -> None:
    source = make_tree(tmp_path / "own", {"own.css": b"o"})
    asked: list[Any] = []

    class OwnFinder:
        def list(self, ignore_patterns: list[str]) -> Any:
            asked.append(ignore_patterns)
            yield "own.css", FileSystemStorage(location=source)

    finders = [OwnFinder()]
    settings.STATICFILES_DIRS = []
    found = list(source_listing.listed(finders[0], ["CVS"], source_listing.matcher(["CVS"])))
    assert [(path, entry) for path, _storage, entry in found] == [("own.css", None)]
    assert asked == [["CVS"]]


NAMES = ["a.css", "A.CSS", "abc", "zy", "xy", ".git", "CVS", "cvs", "x/y.css", "x/.z", "a~"]


@pytest.mark.parametrize(
    "patterns", [["*.css"], ["a?c"], ["[!x]y"], [".*"], ["CVS", ".*", "*~"], ["x/*"], []]
)
def test_the_compiled_patterns_match_as_fnmatchcase_does(patterns: list[str]) -> None:
    ignored = source_listing.matcher(patterns)
    for name in NAMES:
        expected = any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)
        assert ignored(name) == expected, (patterns, name)


def test_each_walked_file_comes_with_the_scandir_entry_of_its_source_path(
    settings: Settings, tmp_path: Path
) -> None:
    first = make_tree(tmp_path / "first", TREE)
    second = make_tree(tmp_path / "second", {"css/site.css": b"shadowed", "more.txt": b"m"})
    make_tree(tmp_path / "elsewhere", {"linked.css": b"l"})
    (first / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    settings.STATICFILES_DIRS = [first, ("vendor", second)]
    found = source_listing.listing(["CVS", ".*", "*~"])
    assert sorted(found.entries) == [name for name, _path in found.files]
    for name, path in found.files:
        entry, now = found.entries[name], os.stat(path)
        assert entry.path == path
        # What the re-collect compares with the marker's record: os.stat's, links followed.
        ours = entry.stat()
        assert (ours.st_size, ours.st_ino, ours.st_mtime_ns) == (
            now.st_size,
            now.st_ino,
            now.st_mtime_ns,
        )
    assert found.entries["css/site.css"].path == str(first / "css" / "site.css")
