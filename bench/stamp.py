"""Figure 3: the content stamp (``content_hash.hash_tree``) against reading the tree with cat.

Everything reads the same tree from a warm page cache; ``cat`` is the floor
a single reader reaches (``find | xargs cat > /dev/null``). The stamp runs
on up to one thread per CPU (2 on a 2-core machine) and on one thread: the
first figure needs an idle second core, so both are printed with their
targets, and the load average at start and end says how idle the machine was.

    python bench/stamp.py [--quick] [--rounds N]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
from collections.abc import Callable

import benchlib
import tree

from django_static_url_helper import content_hash

CAT = "find . -type f -print0 | xargs -0 cat > /dev/null"
SHA256SUM = "find . -type f -print0 | xargs -0 sha256sum > /dev/null"
TARGET = 1.10


def shell(command: str, cwd: str) -> Callable[[], float]:
    return lambda: benchlib.clock(lambda: subprocess.run(command, shell=True, cwd=cwd, check=True))


def stat_all(root: str) -> None:
    for folder, _dirs, files in os.walk(root):
        for name in files:
            os.stat(os.path.join(folder, name))


def main() -> None:
    options = benchlib.parse(__doc__.splitlines()[0])
    benchlib.header("Figure 3", options, "content stamp vs reading the tree (warm cache)")
    with benchlib.generated_tree(options) as synthetic:
        root = str(synthetic.root)
        workers = content_hash.default_workers()
        variants: dict[str, Callable[[], float]] = {
            "cat of every file": shell(CAT, root),
            f"hash_tree, the stamp (up to {workers} threads)": lambda: benchlib.clock(
                lambda: content_hash.hash_tree(root)
            ),
            "hash_tree, 1 thread": lambda: benchlib.clock(
                lambda: content_hash.hash_tree(root, workers=1)
            ),
            "walk + stat of every file": lambda: benchlib.clock(lambda: stat_all(root)),
        }
        if shutil.which("sha256sum"):
            variants["sha256sum of every file"] = shell(SHA256SUM, root)
        for run in variants.values():  # warm the page cache and the code paths
            run()
        samples = benchlib.rounds(options, variants)
        rows = [
            [
                name,
                f"{samples.median(name) * 1000:.1f}",
                benchlib.median_spread(samples.ratios(name, "cat of every file")),
            ]
            for name in variants
        ]
        print(
            benchlib.table(
                f"{tree.describe(synthetic)}",
                ["variant", "median ms", "vs cat (rounds)"],
                rows,
            )
        )
        print("vs cat: median of the per-round ratios, their range in brackets")
        for name, what in (
            (f"hash_tree, the stamp (up to {workers} threads)", f"up to {workers} threads"),
            ("hash_tree, 1 thread", "1 thread"),
        ):
            ratio = statistics.median(samples.ratios(name, "cat of every file"))
            text = f"stamp on {what} at most {TARGET:.2f}x cat ({ratio:.2f}x)"
            print(benchlib.target(options, text, ratio <= TARGET))
    benchlib.footer()


if __name__ == "__main__":
    main()
