"""bench/integrity.py runs end to end on a tiny tree (a smoke run: nothing here is timed).

Its figures are in bench/README.md (figure 11).
"""

from __future__ import annotations

import re
import subprocess
import sys

from tests.servers import ROOT


def test_quick_integrity_run_prints_both_rows_and_the_render_target() -> None:
    args = [sys.executable, str(ROOT / "bench" / "integrity.py"), "--quick"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert out.startswith("# Figure 11: ")
    for row in ("url() (memoized), per call", "integrity_of(), per call"):
        assert re.search(rf"^{re.escape(row)}\s+\d+\.\d+ us\s+\d+\.\d\dx$", out, re.M), row
    targets = re.findall(r"^target: .*$", out, re.MULTILINE)
    assert targets == ["target: integrity_of() at most 1.0x url(): not judged on a quick run"]
    assert re.search(r"^load average at start: ", out, re.MULTILINE)
    assert "load average at end: " in out
