"""collectstatic is the one deploy step: without release directories it collects, then stamps."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from django_static_url_helper import content_hash, stamp_file, url_helper, version

if TYPE_CHECKING:
    from pytest_django import Settings


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("static_url", *args, stdout=out)
    return out.getvalue()


def collectstatic(*args: str) -> str:
    out = io.StringIO()
    call_command("collectstatic", "--noinput", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def stamp(settings: Settings, tmp_path: Path) -> Path:
    """Settings as a first deploy has them: STATIC_URL from a stamp not written yet."""
    stamp = tmp_path / "static-version.txt"
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", stamp)
    assert settings.STATIC_URL == "/static/unpublished/"
    return stamp


def test_collectstatic_copies_the_files_and_writes_their_stamp(stamp: Path, tmp_path: Path) -> None:
    out = collectstatic()
    root = tmp_path / "collected"
    assert (root / "css" / "site.css").is_file()
    digest = stamp_file.read_stamp(stamp)
    assert digest == content_hash.hash_tree(root)
    assert "static files copied" in out
    segment = version.content_segment(digest)
    assert f"Published version {segment} (stamp {stamp})" in out.strip().splitlines()[-1]
    assert url_helper.get_static_url_stamp("/static/", stamp) == f"/static/{segment}/"


def test_call_command_from_a_deploy_script_needs_no_options(stamp: Path) -> None:
    call_command("collectstatic", interactive=False, verbosity=0)
    assert stamp_file.read_stamp(stamp)


def test_a_second_deploy_stamps_the_new_content(
    stamp: Path, settings: Settings, tmp_path: Path
) -> None:
    collectstatic("-v0")
    first = stamp_file.read_stamp(stamp)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "new.css").write_text("new")
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, extra]
    collectstatic("-v0")
    assert stamp_file.read_stamp(stamp) not in (first, "")


def test_static_url_collect_is_collectstatic(stamp: Path, tmp_path: Path) -> None:
    out = run("collect")
    assert "static files copied" in out
    assert stamp_file.read_stamp(stamp) == content_hash.hash_tree(tmp_path / "collected")


def test_collectstatic_stamp_equals_a_later_stamp_command(
    stamp: Path, settings: Settings, tmp_path: Path
) -> None:
    collectstatic("-v0")
    settings.STATIC_ROOT = tmp_path / "two-steps"
    call_command("collectstatic", interactive=False, verbosity=0)
    run("stamp", "--output", str(tmp_path / "two.txt"))
    assert stamp_file.read_stamp(tmp_path / "two.txt") == stamp_file.read_stamp(stamp)


def test_collect_clear_removes_files_no_longer_in_the_sources(stamp: Path, tmp_path: Path) -> None:
    stale = tmp_path / "collected" / "removed-since.css"
    stale.parent.mkdir()
    stale.write_text("old")
    run("collect", "--clear")
    assert not stale.exists()
    assert stamp_file.read_stamp(stamp) == content_hash.hash_tree(tmp_path / "collected")


def test_a_dry_run_writes_no_stamp(stamp: Path) -> None:
    assert "Published" not in collectstatic("--dry-run")
    assert not stamp.exists()


def test_without_a_stamp_source_collectstatic_is_djangos(
    settings: Settings, tmp_path: Path
) -> None:
    settings.STATIC_ROOT = tmp_path / "collected"
    out = collectstatic()
    assert "static files copied" in out
    assert "Published" not in out
    assert sorted(path.name for path in tmp_path.iterdir()) == ["collected"]


def test_a_stamp_that_cannot_be_written_is_a_clear_error(
    settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("")
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", tmp_path / "a-file" / "s")
    # The integrity values beside the stamp are written just before it: the first to fail.
    with pytest.raises(
        CommandError, match=r"Cannot write the integrity values .*a-file/s\.integrity\.json: .*"
    ):
        collectstatic("-v0")


def test_static_url_collect_passes_the_lock_wait_on(stamp: Path, settings: Settings) -> None:
    with pytest.raises(CommandError, match="--lock-wait"):
        run("collect", "--lock-wait", "soon")
