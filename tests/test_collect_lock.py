"""One collectstatic per release root at a time, and no lock outlives its collect."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from .release_support import read_tree
from .test_deploy_order import RELEASES, Project

HOLD_THE_LOCK = """
import django, sys, time
django.setup()
from django.contrib.staticfiles.storage import staticfiles_storage
with staticfiles_storage.collect_lock(0):
    print("held", flush=True)
    time.sleep(120)
"""


def project(folder: Path) -> Project:
    folder.mkdir(exist_ok=True)
    site = Project(folder, RELEASES, VERSION_FROM="env", RELEASE_ID="2026.12.1")
    # Enough files that two collects overlap for real.
    for number in range(300):
        path = folder / "assets" / "js" / f"f{number}.js"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"console.log({number});\n" * 200)
    return site


def holding(site: Project) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK],
        cwd=site.folder,
        env=site.env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    holder.stdout.close()
    return holder


class Done(NamedTuple):
    stdout: str
    stderr: str
    returncode: int


def release_tree(folder: Path) -> dict[str, bytes]:
    root = folder / "static-root"
    (segment,) = [name for name in os.listdir(root) if len(name) == 12]
    return read_tree(root / segment)


def test_two_collects_at_once_leave_one_release_equal_to_a_lone_collect(tmp_path: Path) -> None:
    lone = project(tmp_path / "lone")
    lone.ok("collectstatic", "--noinput", "-v", "0")
    site = project(tmp_path / "shared")
    # Both start while a third holds the lock, so both really contend for it.
    holder = holding(site)
    collects = [
        subprocess.Popen(
            [sys.executable, "-m", "django", "collectstatic", "--noinput"],
            cwd=site.folder,
            env=site.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    said = []
    for collect in collects:
        assert collect.stdout is not None
        said.append(collect.stdout.readline())
    assert all(f"holds the lock (pid {holder.pid} on " in line for line in said), said
    os.killpg(holder.pid, signal.SIGKILL)
    holder.wait()
    runs = [Done(*collect.communicate(timeout=120), collect.returncode) for collect in collects]
    assert [run.returncode for run in runs] == [0, 0], [run.stderr for run in runs]
    assert release_tree(site.folder) == release_tree(lone.folder)
    outputs = sorted((run.stdout for run in runs), key=lambda out: "already collected" in out)
    assert all("Waited for another collectstatic (pid " in out for out in outputs)
    assert re.search(r"[1-9]\d* static files copied", outputs[0])
    assert re.search(r"is already collected from these \d+ files: nothing copied", outputs[1])
    assert all("Published version" in out for out in outputs)
    (segment,) = [name for name in os.listdir(site.folder / "static-root") if len(name) == 12]
    assert sorted(os.listdir(site.folder / "static-root")) == sorted(
        [".collectstatic.lock", segment, f"{segment}.release.json", "published.json"]
    )


def test_a_collect_that_may_not_wait_stops_with_who_holds_the_lock(tmp_path: Path) -> None:
    site = project(tmp_path)
    holder = holding(site)
    try:
        done = site.run("collectstatic", "--noinput", "--lock-wait", "0.5")
    finally:
        os.killpg(holder.pid, signal.SIGTERM)
        holder.wait()
    assert done.returncode == 1
    assert f"Another collectstatic is collecting into {tmp_path / 'static-root'}" in done.stderr
    assert f"(pid {holder.pid} on " in done.stderr
    assert "waited 0.5 s for it. Nothing was collected." in done.stderr
    assert "--lock-wait SECONDS" in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(os.listdir(tmp_path / "static-root")) == [".collectstatic.lock"]


def test_a_collect_killed_while_holding_the_lock_does_not_block_the_next(tmp_path: Path) -> None:
    site = project(tmp_path)
    holder = holding(site)
    os.killpg(holder.pid, signal.SIGKILL)
    holder.wait()
    out = site.ok("collectstatic", "--noinput", "--lock-wait", "2")
    assert "Published version" in out
    assert "Waited" not in out


@pytest.mark.parametrize("wait", ["-1", "soon"])
def test_a_bad_lock_wait_is_a_clear_error(tmp_path: Path, wait: str) -> None:
    site = Project(tmp_path, RELEASES, VERSION_FROM="env", RELEASE_ID="1")
    done = site.run("collectstatic", "--noinput", "--lock-wait", wait)
    assert done.returncode != 0
    assert "--lock-wait" in done.stderr
    assert "Traceback" not in done.stderr
