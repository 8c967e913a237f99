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
    for program in ("wrk", "valgrind", "strace"):
        if shutil.which(program) is None:
            pytest.skip(f"{program} is not installed: install it with 'apt-get install {program}'.")
    result = subprocess.run(
        [sys.executable, "bench/serve_nginx.py", "--quick"],
        cwd=servers.ROOT,
        capture_output=True,
        text=True,
        timeout=300,
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
    # Counted per request: each block alone, the generated ones with pcre_jit too.
    for block in (
        "generated block",
        "generated block, pcre_jit on",
        "plain alias",
        "generated block, .gz",
        "plain alias, gzip_static on",
        "generated block, .gz, pcre_jit on",
    ):
        cells = r"\s+([\d,]+)\s+(?:[\d.]+x\s+)?(\d+\.\d\d)(\s+[\d.]+x)?$"
        row = re.search(rf"^{re.escape(block)}{cells}", out, re.M)
        assert row, block
        assert bool(row.group(3)) == block.startswith("generated"), block  # CPU implied
        assert int(row.group(1).replace(",", "")) > 1000, block  # instructions per request
        assert float(row.group(2)) >= 3, block  # read, write (or sendfile), wait, at least
    targets = re.findall(r"^target: .*$", out, re.MULTILINE)
    assert len(targets) == 10
    assert sum("the system calls per request of the plain alias" in t for t in targets) == 4
    assert sum(": CPU implied at most 1.03x that of the plain alias" in t for t in targets) == 4
    assert all(line.endswith(": not judged on a quick run") for line in targets)
    assert re.search(r"^load average at start: ", out, re.MULTILINE)
    assert "load average at end: " in out
