"""The lock file and the published record when STATIC_ROOT holds something odd."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management.base import CommandError

from django_static_url_helper.release_folders import LOCK_NAME, describe_holder
from django_static_url_helper.release_publication import PublishedUnreadable

from .release_support import collect, static_url
from .test_releases import Site, site  # noqa: F401  (fixture)


def test_a_symlink_planted_as_the_lock_file_is_refused_and_its_target_untouched(
    site: Site,  # noqa: F811
    tmp_path: Path,
) -> None:
    site.release("r1")
    target = tmp_path / "precious.conf"
    target.write_text("keep me\n")
    site.root.mkdir()
    (site.root / LOCK_NAME).symlink_to(target)
    with pytest.raises(CommandError) as raised:
        collect()
    said = str(raised.value)
    assert f"{site.root / LOCK_NAME} is a symbolic link" in said
    assert "remove it" in said
    assert target.read_text() == "keep me\n"
    assert sorted(os.listdir(site.root)) == [LOCK_NAME]


@pytest.mark.parametrize(
    ("make", "kind"), [(os.mkdir, "a directory"), (os.mkfifo, "a named pipe (FIFO)")]
)
def test_a_lock_path_that_is_no_file_is_a_clear_error(
    site: Site,  # noqa: F811
    make: Any,
    kind: str,
) -> None:
    site.release("r1")
    site.root.mkdir()
    make(site.root / LOCK_NAME)

    def prune() -> str:
        return static_url("prune", "--keep", "1", "--keep-for", "0")

    for run in (collect, prune):
        with pytest.raises(CommandError) as raised:
            run()
        said = str(raised.value)
        assert f"{site.root / LOCK_NAME} is {kind}, not a file" in said
        assert "remove it" in said


def test_a_lock_file_this_user_may_not_open_is_a_clear_error(
    site: Site,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site.release("r1")
    real_open = os.open

    def read_only_root(path: Any, flags: int, *args: Any) -> int:
        # As a read-only STATIC_ROOT answers (the tests may run as root, which chmod does not stop).
        if os.fspath(path).endswith(LOCK_NAME):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only_root)
    with pytest.raises(CommandError) as raised:
        collect()
    said = str(raised.value)
    assert f"Cannot open the collect lock {site.root / LOCK_NAME}: Permission denied" in said
    assert f"Make {site.root} writable" in said


def test_a_published_record_that_is_a_directory_is_a_clear_publish_error(
    site: Site,  # noqa: F811
) -> None:
    segment = site.release("r1")
    (site.root / "published.json").mkdir(parents=True)
    with pytest.raises(CommandError) as raised:
        collect()
    said = str(raised.value)
    assert said.startswith(f"Cannot publish version {segment}: {site.root / 'published.json'}")
    assert "Is a directory" in said
    assert (site.root / f"{segment}.release.json").is_file()  # the release itself is complete
    with pytest.raises(PublishedUnreadable, match="is a directory, not a regular file"):
        staticfiles_storage.read_published_if_changed(None)  # type: ignore[attr-defined]


def test_a_published_record_this_user_may_not_read_raises_published_unreadable(
    site: Site,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site.release("r1")
    collect()

    def denied(path: Any, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(os, "stat", denied)
    with pytest.raises(PublishedUnreadable) as raised:
        staticfiles_storage.read_published_if_changed(None)  # type: ignore[attr-defined]
    assert f"{site.root / 'published.json'}: Permission denied" in str(raised.value)


@pytest.mark.parametrize(
    "body",
    [
        b'{"pid": 1e400, "host": "h", "since": 1}',
        b'{"pid": 1, "host": "h", "since": 1e400}',
        b"[1, 2]",
        b'"text"',
        b"\xff\xfe",
    ],
)
def test_describing_an_odd_lock_never_raises(body: bytes) -> None:
    said = describe_holder(body)
    assert said == "another process" or said.startswith("pid 1 on h, for ")
