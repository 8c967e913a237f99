"""A real collectstatic killed half-way leaves a version that nothing takes for complete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from django_static_url_helper import release_tree, url_helper, version
from django_static_url_helper.releases import ReleaseStaticFilesStorage

from . import servers
from .release_support import KEY, collect, read_tree

pytestmark = [pytest.mark.server, pytest.mark.usefixtures("forget_sources", "clean_argv")]
FILES = 3000


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("big")
    for number in range(FILES):
        folder = source / f"dir{number % 30}"
        folder.mkdir(exist_ok=True)
        (folder / f"file{number}.css").write_bytes(b"%d{}" % number + bytes(4096))
    return source


def kill_half_way(root: Path, source: Path, release_id: str) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.release_settings",
        "RELEASE_STATIC_ROOT": str(root),
        "RELEASE_SOURCE": str(source),
        "RELEASE_ID": release_id,
        "PYTHONUNBUFFERED": "1",
    }
    args = [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v", "2"]
    proc = subprocess.Popen(args, cwd=servers.ROOT, env=env, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    copied = 0
    try:
        for line in proc.stdout:
            copied += line.startswith(b"Copying ")
            if copied == FILES // 10:
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.stdout.close()
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL, f"collectstatic ended first ({copied} copied)"


def test_a_killed_collect_is_incomplete_and_the_next_one_completes_it(
    big_tree: Path, tmp_path: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "static-root"
    kill_half_way(root, big_tree, "big")
    segment = version.split_url(url_helper.get_static_url_release("/static/", "big", KEY)).segment
    assert segment is not None
    assert os.listdir(root) == [segment]  # files, but no marker
    assert 0 < len(read_tree(root / segment)) < FILES
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django_static_url_helper.releases.ReleaseStaticFilesStorage"},
    }
    settings.STATIC_ROOT = root
    settings.STATICFILES_DIRS = [big_tree]
    settings.STATIC_URL = url_helper.get_static_url_release("/static/", "big", KEY)
    storage = ReleaseStaticFilesStorage()
    [found] = release_tree.releases(storage)
    assert found.segment == segment
    assert found.completed is None
    assert release_tree.read_marker(storage, segment) is None

    out = collect()
    assert f"Release {segment} is complete." in out
    assert "unmodified" in out  # what the killed run had fully written is kept
    assert read_tree(root / segment) == read_tree(big_tree)
