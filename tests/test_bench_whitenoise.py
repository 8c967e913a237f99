"""The whitenoise benchmark script still runs (a smoke run; never a timing assertion)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ROOT

pytestmark = pytest.mark.server


def test_quick_run_prints_the_table_and_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    script = ROOT / "bench" / "serve_whitenoise.py"
    args = [sys.executable, str(script), "--quick", "--client", "python", "--json", str(out)]
    run = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert "200 public, max-age=31536000, immutable" in run.stdout
    assert "ours/plain requests/s" in run.stdout
    result = json.loads(out.read_text())
    assert set(result["requests_per_second"]) == {"plain whitenoise", "versioned (ours)"}
    assert all(rps > 0 for values in result["requests_per_second"].values() for rps in values)
    assert result["median_round_ratio"] > 0
