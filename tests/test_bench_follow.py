"""bench/follow.py and bench/switch.py still run (smoke runs: nothing here is timed).

Both start gunicorn on release directories with STATIC_VERSION_FOLLOW; their
figures are in bench/README.md (figures 8 and 9).
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.servers import ROOT

pytestmark = pytest.mark.server


def run_quick(script: str, *extra: str) -> str:
    args = [sys.executable, str(ROOT / "bench" / script), "--quick", *extra]
    done = subprocess.run(args, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_quick_follow_run_prints_every_setup_on_and_off() -> None:
    out = run_quick("follow.py", "--client", "python")
    assert out.startswith("# Figure 8: ")
    # Three in-process tables of three setups, one HTTP table of two.
    for setup, rows in (
        ("follow off", 4),
        ("follow on", 4),
        ("follow on, switched (STATIC_URL of a)", 3),
    ):
        found = re.findall(rf"^{re.escape(setup)}\s+\d+(\.\d+)?\s", out, re.MULTILINE)
        assert len(found) == rows, (setup, out)
    assert out.count("public, max-age=31536000, immutable") == 2
    targets = re.findall(r"^target: .*$", out, re.MULTILINE)
    assert len(targets) == 5
    assert all(line.endswith(": not judged on a quick run") for line in targets)
    assert "load average at end: " in out


def test_quick_switch_run_prints_each_workers_latency() -> None:
    out = run_quick("switch.py", "--interval", "0.2")
    assert out.startswith("# Figure 9: ")
    row = re.search(r"^1\s+[0-9a-f]{12}\s+\d+\.\d+\s+(-?\d+\.\d+)\s+(-?\d+\.\d+)\s+\d", out, re.M)
    assert row is not None, out
    assert "latency over 2 worker switches" in out
    assert re.search(r"^target: every worker renders .*: not judged on a quick run$", out, re.M)
