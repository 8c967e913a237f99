from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from django_static_url_helper import content_hash, stamp_file, url_helper

from . import isolated

if TYPE_CHECKING:
    from pytest_django import Settings


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("static_url", *args, stdout=out)
    return out.getvalue()


def test_show_prints_version_and_static_url() -> None:
    out = run("show")
    assert "version: 3fa9c1e2b7d4\n" in out
    assert "static_url: /static/3fa9c1e2b7d4/\n" in out
    assert "source: fixed\n" in out


def test_show_json_for_deploy_scripts() -> None:
    assert json.loads(run("show", "--json")) == {
        "base": "/static/",
        "follow": False,
        "published": None,
        "source": "fixed",
        "static_url": "/static/3fa9c1e2b7d4/",
        "version": "3fa9c1e2b7d4",
    }


def test_show_names_the_source_of_a_relative_base(settings: Settings) -> None:
    settings.STATIC_URL = url_helper.get_static_url_fixed("static/", "3fa9c1e2b7d4")
    out = run("show")
    assert "static_url: /static/3fa9c1e2b7d4/\n" in out  # as Django prefixes it
    assert "source: fixed\n" in out


def test_show_without_a_version(settings: Settings) -> None:
    settings.STATIC_URL = "/plain/"
    assert "version: \n" in run("show")


def test_stamp_writes_the_hash_of_static_root(tmp_path: Path) -> None:
    root = tmp_path / "collected"
    root.mkdir()
    (root / "a.css").write_text("a")
    stamp = tmp_path / "static-version.txt"
    out = run("stamp", "--root", str(root), "--output", str(stamp))
    assert stamp_file.read_stamp(stamp) == content_hash.hash_tree(root)
    assert str(stamp) in out


def test_stamp_defaults_to_static_root_and_the_settings_stamp(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.STATIC_ROOT = tmp_path
    (tmp_path / "a.css").write_text("a")
    stamp = tmp_path / "static-version.txt"  # inside the tree: left out of the hash
    settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", stamp)
    assert settings.STATIC_URL == "/static/unpublished/"
    run("stamp")
    assert stamp_file.read_stamp(stamp) == content_hash.hash_tree(tmp_path, {"static-version.txt"})
    run("stamp")  # the stamp itself never changes the hash
    assert stamp_file.read_stamp(stamp) == content_hash.hash_tree(tmp_path, {"static-version.txt"})


def test_stamp_without_a_default_output_says_pass_output(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="pass --output"):
        run("stamp", "--root", str(tmp_path))


def test_stamp_without_static_root(settings: Settings) -> None:
    settings.STATIC_ROOT = None
    with pytest.raises(CommandError, match="STATIC_ROOT is not set"):
        run("stamp")


def test_stamp_of_a_missing_folder_is_a_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Run collectstatic first"):
        run("stamp", "--root", str(tmp_path / "missing"), "--output", str(tmp_path / "s"))


def test_a_stamp_output_that_is_a_directory_is_a_command_error(tmp_path: Path) -> None:
    (tmp_path / "a.css").write_text("a")
    output = tmp_path / "out"
    output.mkdir()
    with pytest.raises(CommandError, match=f"Cannot write the stamp {output}: Is a directory"):
        run("stamp", "--root", str(tmp_path), "--output", str(output))
    assert sorted(os.listdir(tmp_path)) == ["a.css", "out"]  # no temporary file left


def test_an_action_is_required() -> None:
    with pytest.raises(CommandError):
        run()


def test_stamp_leaves_out_a_stamp_whose_name_starts_with_two_dots(tmp_path: Path) -> None:
    (tmp_path / "a.css").write_text("a")
    stamp = tmp_path / "..static-version"
    run("stamp", "--root", str(tmp_path), "--output", str(stamp))
    run("stamp", "--root", str(tmp_path), "--output", str(stamp))  # now the stamp is in the tree
    assert stamp_file.read_stamp(stamp) == content_hash.hash_tree(tmp_path, {"..static-version"})


@pytest.mark.parametrize("unbuffered", ["1", ""], ids=["unbuffered", "buffered"])
@pytest.mark.parametrize("action", ["show", "nginx"])
def test_output_into_a_pipe_whose_reader_left_ends_quietly(action: str, unbuffered: str) -> None:
    # 'manage.py static_url show | head -1': head exits after one line.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "django", "static_url", action],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=isolated.ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                "PYTHONPATH": str(isolated.ROOT),
                "PYTHONUNBUFFERED": unbuffered,
            },
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 1
