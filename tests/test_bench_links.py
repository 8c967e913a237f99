"""The links benchmark runs end to end on a tiny tree (its figures are measured elsewhere)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from . import servers

pytestmark = pytest.mark.server


def test_links_benchmark_prints_both_tables_with_spreads_and_load(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "bench/links.py", "--quick", "--tmp", str(tmp_path)],
        cwd=servers.ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "load average" in out.splitlines()[1]
    assert out.rstrip().splitlines()[-1].startswith("load average at end: ")
    for row in ("first / again", "links / plain"):
        line = next(line for line in out.splitlines() if line.startswith(row))
        assert len(re.findall(r"\d+\.\d+x \(\d+\.\d+-\d+\.\d+\)", line)) == 2, line
    assert re.search(r"next release, 1% changed \(links\) .* \d+\.\d+% \(", out), out
    assert out.count("not judged on a quick run") == 3
