"""The serving benchmarks' own helpers and smoke runs (never a timing assertion).

``worker_pid`` of ``bench/serve_whitenoise.py`` is tested here with a stand-in
for gunicorn's master: a process that forks its one child only when told to,
so the test sees the window between "the port answers" and "the worker exists"
every time instead of by luck.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import serve_whitenoise

pytestmark = pytest.mark.server

# Forks (starts) one child when a line arrives on stdin, then waits to be killed.
MASTER = """\
import subprocess, sys, time
sys.stdin.readline()
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(child.pid, flush=True)
time.sleep(60)
"""

needs_proc = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir(), reason="worker_pid reads /proc (Linux)"
)


@pytest.fixture
def master() -> Iterator[subprocess.Popen[str]]:
    args = [sys.executable, "-c", MASTER]
    with subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as proc:
        try:
            yield proc
        finally:
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
            for pid in children.read_text().split() if children.exists() else []:
                with contextlib.suppress(OSError):
                    os.kill(int(pid), signal.SIGKILL)
            proc.kill()


@needs_proc
def test_worker_pid_waits_for_a_worker_forked_after_the_call(
    master: subprocess.Popen[str],
) -> None:
    assert master.stdin is not None
    assert master.stdout is not None
    stdin = master.stdin

    def fork() -> None:
        stdin.write("fork\n")
        stdin.flush()

    # The call starts before the child exists, as when gunicorn has just bound
    # its port: it must wait for the child, not read an empty list.
    timer = threading.Timer(0.3, fork)
    timer.start()
    try:
        pid = serve_whitenoise.worker_pid(master.pid)
    finally:
        timer.cancel()
    assert pid == int(master.stdout.readline())


@needs_proc
def test_worker_pid_fails_clearly_when_no_worker_appears(
    master: subprocess.Popen[str],
) -> None:
    with pytest.raises(RuntimeError, match=rf"pid {master.pid}\) forked no worker within 0.2 s"):
        serve_whitenoise.worker_pid(master.pid, timeout=0.2)
