"""The re-collect benchmark runs end to end on a tiny tree (its figures are in bench/README.md)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from . import servers

pytestmark = pytest.mark.server


def test_recollect_benchmark_prints_a_table_of_medians_and_ratios() -> None:
    done = subprocess.run(
        [sys.executable, "bench/recollect.py", "--quick"],
        cwd=servers.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if re.match(r"\| (file system|S3)", line)]
    assert len(rows) == 4, done.stdout
    for row in rows:
        assert len(re.findall(r"\d+\.\dx", row)) == 2, row
