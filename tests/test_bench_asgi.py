"""bench/serve_asgi.py still runs (a smoke run, never a timing assertion), and a
helper of bench/serve_whitenoise.py.

``worker_pid`` of ``bench/serve_whitenoise.py`` is tested here with a stand-in
for gunicorn's master: a process that forks its one child only when told to,
so the test sees the window between "the port answers" and "the worker exists"
every time instead of by luck.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import serve_whitenoise
from tests.servers import ROOT

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


SETUPS = {"ours (versioned)", "ServeStatic", "plain whitenoise"}
RATIOS = {"ours/ServeStatic", "ours/plain whitenoise"}


def test_quick_asgi_run_prints_the_table_and_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    script = ROOT / "bench" / "serve_asgi.py"
    args = [sys.executable, str(script), "--quick", "--client", "python", "--json", str(out)]
    run = subprocess.run(args, capture_output=True, text=True, timeout=180, check=False)
    assert run.returncode == 0, run.stderr
    for setup in SETUPS:
        assert run.stdout.count(f"\n{setup} ") == 2, setup  # one row per file
    for ratio in RATIOS:
        found = re.findall(rf"^{ratio} +median of round ratios \d+\.\d+ ", run.stdout, re.M)
        assert len(found) == 2, ratio
    assert "public, max-age=31536000, immutable" in run.stdout
    assert "load average at start" in run.stdout
    result = json.loads(out.read_text())
    assert set(result["files"]) == {"10 KB CSS", "1 MB JPEG"}
    for figures in result["files"].values():
        assert set(figures["requests_per_second"]) == SETUPS
        assert all(rps > 0 for values in figures["requests_per_second"].values() for rps in values)
        assert set(figures["ratios"]) == RATIOS
        assert all(ratio["median"] > 0 for ratio in figures["ratios"].values())
    # Compressed variants exist and are what a browser gets for the CSS.
    assert result["files"]["10 KB CSS"]["encoding"] == "br"
    assert set(result["load_average"]) == {"start", "end"}
