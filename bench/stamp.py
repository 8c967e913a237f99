"""Figure 3: the content stamp (``content_hash.hash_tree``) against reading the tree with cat.

Everything reads the same tree from a warm page cache; ``cat`` is the floor
a single reader reaches (``find | xargs cat > /dev/null``).

    python bench/stamp.py [--quick] [--rounds N]
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable

import benchlib
import tree

from django_static_url_helper import content_hash

CAT = "find . -type f -print0 | xargs -0 cat > /dev/null"
SHA256SUM = "find . -type f -print0 | xargs -0 sha256sum > /dev/null"


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
        cat = samples.median("cat of every file")
        rows = [
            [name, f"{samples.median(name) * 1000:.1f}", benchlib.ratio(samples.median(name), cat)]
            for name in variants
        ]
        print(
            benchlib.table(
                f"{tree.describe(synthetic)}",
                ["variant", "median ms", "vs cat"],
                rows,
            )
        )
        stamp = samples.median(f"hash_tree, the stamp (up to {workers} threads)")
        print(benchlib.target(options, "stamp at most 1.10x cat", stamp <= 1.10 * cat))


if __name__ == "__main__":
    main()
