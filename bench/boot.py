"""Figure 4: what computing STATIC_URL in settings.py costs a booting process, per strategy.

Each round starts a fresh interpreter per strategy, imports ``url_helper`` (as
settings.py does, timed apart) and times the first call of the helper: the
cost every worker pays once at boot. No strategy walks the static tree.

    python bench/boot.py [--quick] [--rounds N]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import benchlib

from django_static_url_helper import stamp_file

SECRET = "bench-not-secret"
COMMIT = "3fa9c1e2b7d4" * 3 + "0123"
PACKED_REFS = 10_000

# The call settings.py makes, with {dir} the folder holding the deploy files.
STRATEGIES = {
    "now": "get_static_url_now('/static/', secret_key=SECRET)",
    "file (atime)": "get_static_url_file('/static/', '{dir}/deploy', secret_key=SECRET)",
    "file (mtime)": (
        "get_static_url_file('/static/', '{dir}/deploy', secret_key=SECRET, timestamp='mtime')"
    ),
    "release": "get_static_url_release('/static/', '2026.11.3')",
    "env": "get_static_url_env('/static/', 'GIT_COMMIT')",
    "git (loose ref)": "get_static_url_git('/static/', '{dir}/loose')",
    f"git ({PACKED_REFS:,} packed refs)": "get_static_url_git('/static/', '{dir}/packed')",
    "stamp": "get_static_url_stamp('/static/', '{dir}/static-version.txt')",
    "fixed": "get_static_url_fixed('/static/', '3fa9c1e2b7d4')",
}

PROGRAM = """
import json, sys, time
start = time.perf_counter()
from django_static_url_helper.url_helper import *
imported = time.perf_counter()
SECRET = {secret!r}
first_start = time.perf_counter()
url = {call}
first = time.perf_counter() - first_start
again = []
for _ in range({repeat}):
    t = time.perf_counter()
    {call}
    again.append(time.perf_counter() - t)
again.sort()
assert url.count("/") == 3, url
print(json.dumps([imported - start, first, again[len(again) // 2]]))
"""


def fake_checkout(path: Path, packed: int) -> None:
    """A checkout's .git as git leaves it: HEAD on a branch, loose or packed refs."""
    git = path / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    if not packed:
        (git / "refs" / "heads" / "main").write_text(COMMIT + "\n")
        return
    lines = ["# pack-refs with: peeled fully-peeled sorted"]
    lines += [f"{i:040x} refs/tags/v{i}" for i in range(packed)]
    lines.append(f"{COMMIT} refs/heads/main")  # last: the worst case
    (git / "packed-refs").write_text("\n".join(lines) + "\n")


def deploy_files(folder: Path) -> None:
    (folder / "deploy").write_text("")
    fake_checkout(folder / "loose", 0)
    fake_checkout(folder / "packed", PACKED_REFS)
    stamp_file.write_stamp(folder / "static-version.txt", "d" * 64)


def strategy(folder: Path, call: str, repeat: int) -> Callable[[], list[float]]:
    program = PROGRAM.format(secret=SECRET, call=call.format(dir=folder), repeat=repeat)
    env = {**os.environ, "GIT_COMMIT": COMMIT}

    def run() -> list[float]:
        out = subprocess.run(
            [sys.executable, "-c", program], env=env, check=True, capture_output=True, text=True
        ).stdout
        return [float(value) for value in json.loads(out)]

    return run


def main() -> None:
    options = benchlib.parse(__doc__.splitlines()[0])
    benchlib.header("Figure 4", options, "computing STATIC_URL at process start")
    repeat = 11 if options.quick else 1001
    results: dict[str, list[list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="static-url-bench-") as tmp:
        folder = Path(tmp)
        deploy_files(folder)
        runs = {name: strategy(folder, call, repeat) for name, call in STRATEGIES.items()}
        for number in range(options.rounds):
            names = list(runs)
            shift = number % len(names)
            for name in names[shift:] + names[:shift]:
                results.setdefault(name, []).append(runs[name]())

    def median(name: str, column: int) -> float:
        return statistics.median(sample[column] for sample in results[name])

    def vs_fixed(name: str) -> list[float]:
        pairs = zip(results[name], results["fixed"], strict=True)
        return [sample[1] / fixed[1] for sample, fixed in pairs]

    rows = [
        [
            name,
            f"{median(name, 1) * 1e6:.1f}",
            benchlib.median_spread(vs_fixed(name)),
            f"{median(name, 2) * 1e6:.1f}",
        ]
        for name in STRATEGIES
    ]
    imports = statistics.median(sample[0] for samples in results.values() for sample in samples)
    print(
        benchlib.table(
            "first call in a fresh process (what a worker pays at boot), and later calls",
            ["strategy", "first call us", "vs fixed (rounds)", "later calls us"],
            rows,
        )
    )
    print(f"importing django_static_url_helper.url_helper: {imports * 1e3:.1f} ms")
    slowest = max(median(name, 1) for name in STRATEGIES)
    print("vs fixed: median of the per-round ratios, their range in brackets")
    print(benchlib.target(options, "every strategy under 1 ms at boot", slowest < 1e-3))
    benchlib.footer()


if __name__ == "__main__":
    main()
