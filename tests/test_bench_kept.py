"""bench/kept.py runs end to end on a tiny tree (a smoke run: nothing here is timed).

It starts a worker per STATIC_ROOT of 1, 10 and 50 kept releases and checks,
in that worker, that the oldest release is still served; its figures are in
bench/README.md (figure 10).
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.servers import ROOT

pytestmark = pytest.mark.server


def test_quick_kept_run_prints_a_row_per_number_of_releases_and_checks_serving() -> None:
    args = [sys.executable, str(ROOT / "bench" / "kept.py"), "--quick"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert out.startswith("# Figure 10: ")
    for count in (1, 10, 50):
        assert re.search(rf"^{count} kept\s+\d+\.\d\s+\d+\.\d\dx \(", out, re.MULTILINE), out
    assert "serving check: ok " in out
    targets = re.findall(r"^target: .*$", out, re.MULTILINE)
    assert len(targets) == 2
    assert all(line.endswith(": not judged on a quick run") for line in targets)
    assert re.search(r"^load average at start: ", out, re.MULTILINE)
    assert "load average at end: " in out
