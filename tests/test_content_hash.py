from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from django_static_url_helper.content_hash import default_workers, hash_files, hash_tree
from django_static_url_helper.stamp_file import read_stamp, write_stamp


def make_tree(root: Path) -> Path:
    (root / "css").mkdir(parents=True)
    (root / "css" / "a.css").write_text("a{}")
    (root / "b.js").write_text("b()")
    (root / "img" / "deep").mkdir(parents=True)
    (root / "img" / "deep" / "c.png").write_bytes(bytes(range(256)) * 5000)
    return root


def test_equal_trees_on_two_servers_hash_equal(tmp_path: Path) -> None:
    one = make_tree(tmp_path / "server1")
    two = tmp_path / "server2"
    shutil.copytree(one, two)
    os.utime(two / "b.js", (1, 1))  # times and copies play no part
    assert hash_tree(one) == hash_tree(two)
    assert len(hash_tree(one)) == 64


@pytest.mark.parametrize(
    "change",
    [
        lambda root: (root / "b.js").write_text("b();"),
        lambda root: (root / "b.js").rename(root / "bb.js"),
        lambda root: (root / "new.txt").write_text(""),
        lambda root: (root / "img" / "deep" / "c.png").unlink(),
    ],
)
def test_any_content_or_name_change_changes_the_hash(
    tmp_path: Path, change: Callable[[Path], object]
) -> None:
    root = make_tree(tmp_path / "t")
    before = hash_tree(root)
    change(root)
    assert hash_tree(root) != before


def test_exclude_leaves_a_file_out(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "t")
    before = hash_tree(root)
    (root / "static-version.txt").write_text("x")
    assert hash_tree(root, exclude={"static-version.txt"}) == before


def test_hashing_a_missing_folder_says_run_collectstatic(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="Run collectstatic first"):
        hash_tree(tmp_path / "missing")


def test_stamp_round_trip_and_no_leftover_temp_file(tmp_path: Path) -> None:
    stamp = tmp_path / "deep" / "static-version.txt"
    write_stamp(stamp, "d" * 64)
    assert read_stamp(stamp) == "d" * 64
    assert os.listdir(stamp.parent) == ["static-version.txt"]


def test_a_stamp_with_garbage_is_rejected(tmp_path: Path) -> None:
    stamp = tmp_path / "static-version.txt"
    stamp.write_text("")
    with pytest.raises(ImproperlyConfigured, match="not a static version stamp"):
        read_stamp(stamp)


def test_an_unreadable_stamp_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="stamp .* is a directory, not a regular file"):
        read_stamp(tmp_path)  # a directory


def test_a_failed_stamp_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_stamp(tmp_path / "s.txt", "e" * 64)
    assert os.listdir(tmp_path) == []


def test_hash_files_equals_hash_tree_whatever_the_order_and_location(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "t")
    elsewhere = tmp_path / "elsewhere.css"
    elsewhere.write_text("a{}")
    files = [("b.js", str(root / "b.js")), ("img/deep/c.png", str(root / "img/deep/c.png"))]
    files.append(("css/a.css", str(elsewhere)))  # same bytes, other folder (a finder's source)
    assert hash_files(reversed(files)) == hash_tree(root)


def test_the_digest_of_a_known_tree_never_changes(tmp_path: Path) -> None:
    # Stamps written by earlier releases must stay valid: the format is frozen.
    digest = "fdc1a04e5e8b348fdfce1bac5d9f6a69f6214c32d784e9cd07b927a98a832cd2"
    assert hash_tree(make_tree(tmp_path / "t")) == digest


def make_wide_tree(root: Path, count: int = 150) -> Path:
    make_tree(root)
    for i in range(count):
        path = root / f"many/{i % 7}/f{i}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes([i % 256]) * (i * 97))
    (root / "é ü.css").write_text("x")
    return root


@pytest.mark.parametrize("workers", [1, 2, 3, 64, 0, None])
def test_the_digest_does_not_depend_on_the_number_of_threads(
    tmp_path: Path, workers: int | None
) -> None:
    root = make_wide_tree(tmp_path / "t")
    expected = "cb2a4c8b54304a62ead81d5e65fce8b550901d8493fc5baba4bac7ae70d247f6"
    assert hash_tree(root, workers=workers) == expected


def test_a_file_that_vanishes_while_threads_hash_is_an_error(tmp_path: Path) -> None:
    root = make_wide_tree(tmp_path / "t")
    files = [(rel, str(root / rel)) for rel in ("b.js", "css/a.css")] * 100
    files.append(("zz-gone.css", str(root / "gone.css")))
    with pytest.raises(FileNotFoundError, match="gone.css"):
        hash_files(files, workers=2)


def test_default_workers_is_the_usable_cpus_capped() -> None:
    assert 1 <= default_workers() <= 8
    assert default_workers() <= (os.cpu_count() or 1)
