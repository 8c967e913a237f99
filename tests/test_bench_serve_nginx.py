"""Smoke run of bench/serve_nginx.py: it measures both blocks and prints its ratios."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests import servers

pytestmark = [pytest.mark.nginx, pytest.mark.server]


def test_serve_nginx_benchmark_runs_quick(nginx_binary: str) -> None:
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed: install it with 'apt-get install wrk'.")
    result = subprocess.run(
        [sys.executable, "bench/serve_nginx.py", "--quick"],
        cwd=servers.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "generated block" in result.stdout
    assert "plain alias" in result.stdout
    assert "ratio generated/plain, medians of req/s:" in result.stdout
