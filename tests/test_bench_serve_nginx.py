"""Smoke run of bench/serve_nginx.py: it measures both blocks and prints its ratios."""

from __future__ import annotations

import re
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
    out = result.stdout
    # Browser headers by default; the .gz variant, served as gzip, against gzip_static on.
    assert "Accept-Encoding: gzip, deflate, br" in out
    for block in (
        "generated block",
        "plain alias",
        "generated block, .gz",
        "plain alias, gzip_static on",
    ):
        assert re.search(rf"^{re.escape(block)}\s+[\d,]+\s+[\d,]+-[\d,]+\s+\d", out, re.M), block
    assert out.count("ratio generated/plain, worker CPU per request:") == 2
    targets = re.findall(r"^target: .*$", out, re.MULTILINE)
    assert len(targets) == 2
    assert all(line.endswith(": not judged on a quick run") for line in targets)
    assert re.search(r"^load average at start: ", out, re.MULTILINE)
    assert "load average at end: " in out
