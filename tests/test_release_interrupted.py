"""A real collectstatic killed half-way leaves a version that nothing takes for complete.

Release r1 is complete; collecting r2 (a big tree) is killed after a tenth of
its files. gunicorn and uvicorn with the whitenoise middleware then serve both ways round.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pytest
from django.test import override_settings

from django_static_url_helper import release_tree, url_helper, version
from django_static_url_helper.releases import ReleaseStaticFilesStorage

from . import servers
from .release_support import RELEASE_STORAGES, collect, make_tree, read_tree

if TYPE_CHECKING:
    from pytest_django import Settings

pytestmark = pytest.mark.server
FILES = 3000
IMMUTABLE = "public, max-age=31536000, immutable"


def segment(release_id: str) -> str:
    url = url_helper.get_static_url_release("/static/", release_id)
    return str(version.split_url(url).segment)


def env(root: Path, source: Path, release_id: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "tests.release_settings",
        "RELEASE_STATIC_ROOT": str(root),
        "RELEASE_SOURCE": str(source),
        "RELEASE_ID": release_id,
        "PYTHONUNBUFFERED": "1",
    }


def kill_half_way(root: Path, source: Path, release_id: str) -> None:
    args = [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v", "2"]
    full_env = {**os.environ, **env(root, source, release_id)}
    proc = subprocess.Popen(args, cwd=servers.ROOT, env=full_env, stdout=subprocess.PIPE)
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


class Killed(NamedTuple):
    root: Path
    big: Path
    small: Path
    names: list[str]
    """Files the killed collect wrote that r1 has too (with other bytes)."""
    truncated: str
    """A file the killed collect left empty, as a kill in the middle of its write does."""


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory) -> Killed:
    tmp = tmp_path_factory.mktemp("killed")
    big, small = tmp / "big", tmp / "small"
    for number in range(FILES):
        name = f"dir{number % 30}/file{number}.css"
        make_tree(big, {name: b"%d{}" % number + bytes(4096)})
        if number % 10 == 0:
            make_tree(small, {name: b"r1 %d" % number})
    root = tmp / "static-root"
    with override_settings(
        STORAGES=RELEASE_STORAGES,
        STATIC_ROOT=root,
        STATICFILES_DIRS=[small],
        STATIC_URL=url_helper.get_static_url_release("/static/", "r1"),
    ):
        collect()
    kill_half_way(root, big, "r2")
    half = read_tree(root / segment("r2"))
    names = sorted(set(half) & set(read_tree(small)))
    assert len(names) > 1, "the killed collect wrote too few of r1's names"
    truncated = sorted(set(half) - set(names))[0]
    (root / segment("r2") / truncated).write_bytes(b"")
    return Killed(root, big, small, names, truncated)


def app_server(kind: str, killed: Killed, release_id: str, log: Path) -> Iterator[int]:
    port = servers.free_port()
    args = servers.app_server_args(kind, port)
    with servers.running(args, port, log, env(killed.root, killed.big, release_id)):
        yield port


@pytest.fixture(scope="module", params=servers.APP_SERVERS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def on_r1(kind: str, killed: Killed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    yield from app_server(kind, killed, "r1", tmp_path_factory.mktemp("r1") / f"{kind}.log")


@pytest.fixture(scope="module")
def on_r2(kind: str, killed: Killed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    yield from app_server(kind, killed, "r2", tmp_path_factory.mktemp("r2") / f"{kind}.log")


def test_a_killed_collect_leaves_files_but_no_marker(killed: Killed, settings: Settings) -> None:
    two = segment("r2")
    assert 0 < len(read_tree(killed.root / two)) < FILES
    assert not (killed.root / f"{two}.release.json").exists()
    settings.STORAGES = RELEASE_STORAGES
    settings.STATIC_ROOT = killed.root
    storage = ReleaseStaticFilesStorage()
    found = {release.segment: release.completed for release in release_tree.releases(storage)}
    assert found.keys() == {segment("r1"), two}
    assert found[two] is None
    assert release_tree.read_marker(storage, two) is None


def test_a_killed_release_is_not_served_as_kept(killed: Killed, on_r1: int) -> None:
    for name in killed.names[:3]:
        response = servers.request(on_r1, f"/static/{segment('r2')}/{name}")
        assert response.status == 200
        assert response.body == (killed.small / name).read_bytes()  # r1's file
        assert response.header("Cache-Control") == "no-store"
    response = servers.request(on_r1, f"/static/{segment('r1')}/{killed.names[0]}")
    assert response.header("Cache-Control") == IMMUTABLE


def test_a_server_started_on_a_killed_release_never_caches_it(killed: Killed, on_r2: int) -> None:
    name = killed.names[0]
    response = servers.request(on_r2, f"/static/{segment('r2')}/{name}")
    assert response.status == 200
    assert response.header("Cache-Control") == "no-store"
    for path in (f"/static/{segment('r2')}/{killed.truncated}", f"/static/{killed.truncated}"):
        empty = servers.request(on_r2, path)
        assert (empty.status, empty.body) == (200, b"")  # no marker: nothing says it is short
        assert empty.headers.get_all("Cache-Control") == ["no-store"], path
    unversioned = servers.request(on_r2, f"/static/{name}")
    assert unversioned.headers.get_all("Cache-Control") == ["no-store"]
    response = servers.request(on_r2, f"/static/{segment('r1')}/{name}")
    assert response.body == (killed.small / name).read_bytes()
    assert response.header("Cache-Control") == IMMUTABLE


class Completed(NamedTuple):
    root: Path
    out: str
    """What the completing collect printed."""


@pytest.fixture(scope="module")
def completed(killed: Killed, tmp_path_factory: pytest.TempPathFactory) -> Completed:
    root = tmp_path_factory.mktemp("completed") / "static-root"
    shutil.copytree(killed.root, root)
    with override_settings(
        STORAGES=RELEASE_STORAGES,
        STATIC_ROOT=root,
        STATICFILES_DIRS=[killed.big],
        STATIC_URL=url_helper.get_static_url_release("/static/", "r2"),
    ):
        out = collect()
    return Completed(root, out)


def test_the_next_collect_completes_the_killed_release(
    killed: Killed, completed: Completed
) -> None:
    assert f"Release {segment('r2')} is complete." in completed.out
    assert "unmodified" in completed.out  # what the killed run had fully written is kept
    assert read_tree(completed.root / segment("r2")) == read_tree(killed.big)


@pytest.fixture(scope="module")
def on_damaged(
    kind: str, killed: Killed, completed: Completed, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    """r2, complete, with ``killed.names[0]`` cut short after its collect (a full disk)."""
    damaged = tmp_path_factory.mktemp("damaged") / "static-root"
    shutil.copytree(completed.root, damaged)
    (damaged / segment("r2") / killed.names[0]).write_bytes(b"")
    log = tmp_path_factory.mktemp("damaged-log") / f"{kind}.log"
    yield from app_server(kind, killed._replace(root=damaged), "r2", log)


def test_a_file_cut_short_after_its_collect_is_never_served(
    killed: Killed, on_damaged: int
) -> None:
    name = killed.names[0]
    for path in (f"/static/{segment('r2')}/{name}", f"/static/{name}"):
        response = servers.request(on_damaged, path)
        assert response.status == 404, path
        assert response.headers.get_all("Cache-Control") == ["no-store"], path
    other = servers.request(on_damaged, f"/static/{segment('r2')}/{killed.names[1]}")
    assert (other.status, other.header("Cache-Control")) == (200, IMMUTABLE)
