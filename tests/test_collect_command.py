from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from django_static_url_helper import content_hash, url_helper

if TYPE_CHECKING:
    from pytest_django import Settings

pytestmark = pytest.mark.usefixtures("forget_sources", "clean_argv")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("static_url", *args, stdout=out)
    return out.getvalue()


def stamp_settings(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings as a deploy has them: STATIC_URL from a stamp that does not exist yet."""
    monkeypatch.setattr("sys.argv", ["manage.py", "static_url", "collect"])
    stamp = tmp_path / "static-version.txt"
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", stamp)
    return stamp


def test_collect_copies_the_files_and_writes_their_stamp(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamp = stamp_settings(settings, tmp_path, monkeypatch)
    assert settings.STATIC_URL == "/static/stamp-pending/"  # the first deploy boots
    out = run("collect")
    root = tmp_path / "collected"
    assert (root / "css" / "site.css").is_file()
    assert content_hash.read_stamp(stamp) == content_hash.hash_tree(root)
    assert "static files copied" in out
    assert f"Wrote {stamp}" in out


def test_collect_stamp_equals_collectstatic_then_stamp(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamp = stamp_settings(settings, tmp_path, monkeypatch)
    run("collect")
    one_step = content_hash.read_stamp(stamp)
    settings.STATIC_ROOT = tmp_path / "two-steps"
    call_command("collectstatic", interactive=False, verbosity=0)
    run("stamp", "--output", str(tmp_path / "two.txt"))
    assert content_hash.read_stamp(tmp_path / "two.txt") == one_step


def test_collect_clear_removes_files_no_longer_in_the_sources(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamp = stamp_settings(settings, tmp_path, monkeypatch)
    stale = tmp_path / "collected" / "removed-since.css"
    stale.parent.mkdir()
    stale.write_text("old")
    run("collect", "--clear", "--output", str(stamp))
    assert not stale.exists()
    assert content_hash.read_stamp(stamp) == content_hash.hash_tree(tmp_path / "collected")


def test_collect_without_a_stamp_file_refuses_before_copying(
    settings: Settings, tmp_path: Path
) -> None:
    settings.STATIC_ROOT = tmp_path / "collected"
    with pytest.raises(CommandError, match="pass --output PATH, or run collectstatic alone"):
        run("collect")
    assert not (tmp_path / "collected").exists()


def collectstatic(*args: str) -> str:
    out = io.StringIO()
    call_command("collectstatic", "--noinput", *args, stdout=out)
    return out.getvalue()


def test_collectstatic_alone_says_the_stamp_still_holds_the_old_content(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamp = stamp_settings(settings, tmp_path, monkeypatch)
    monkeypatch.setattr("sys.argv", ["manage.py", "collectstatic"])
    assert f"{stamp} is not written yet" in collectstatic("-v0")  # the first deploy
    content_hash.write_stamp(stamp, "0" * 64)
    out = collectstatic()
    assert "static files copied" in out
    last = out.strip().splitlines()[-1]
    assert f"{stamp} still holds the version of the previous" in last
    assert "'manage.py static_url stamp'" in last
    assert "'manage.py static_url collect'" in last
    assert "still holds" not in collectstatic("--dry-run")


def test_collectstatic_notice_only_for_a_stamp_url(settings: Settings, tmp_path: Path) -> None:
    settings.STATIC_ROOT = tmp_path / "collected"
    out = collectstatic()
    assert "static files copied" in out
    assert "stamp" not in out
    assert "stamp" not in collectstatic("--dry-run")


def test_collect_prints_no_stamp_notice(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamp_settings(settings, tmp_path, monkeypatch)
    assert "still holds" not in run("collect")
