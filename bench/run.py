"""Run every benchmark of ``bench/`` in turn and print their tables (``make bench``).

Figures 1 to 4 (render, deploy, stamp, boot), then every ``serve_*.py``
present (figures 5 to 7, serving), then ``recollect`` (release directories),
``links`` (a release linked from the one before), ``kept`` (figure 10: a
worker's start with kept releases), ``follow`` (figure 8: following the
published version on vs off), ``switch`` (figure 9: from a publish to every
worker rendering it) and ``integrity`` (figure 11: integrity values). Each
script runs in its own process and takes the same ``--quick`` flag: a tiny
input and one round, to check it runs.

    python bench/run.py [--quick] [--only NAME ...] [--list]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import benchlib

HERE = Path(__file__).resolve().parent
FIGURES = ["render", "deploy", "stamp", "boot"]
AFTER_SERVING = ["recollect", "links", "kept", "follow", "switch", "integrity"]


def scripts() -> dict[str, Path]:
    """Benchmark name -> script, in the order they run."""
    found = {name: HERE / f"{name}.py" for name in FIGURES}
    found.update((path.stem, path) for path in sorted(HERE.glob("serve_*.py")))
    for name in AFTER_SERVING:
        found[name] = HERE / f"{name}.py"
    return found


def main(argv: list[str] | None = None) -> int:
    available = scripts()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny inputs, one round")
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", choices=list(available), help="run these only"
    )
    parser.add_argument("--list", action="store_true", help="print the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(available))
        return 0
    chosen = args.only or list(available)
    print(f"# python bench/run.py {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    print(f"# {benchlib.machine()}")
    print()
    failed = []
    for name in chosen:
        command = [sys.executable, str(available[name]), *(["--quick"] if args.quick else [])]
        start = time.monotonic()
        sys.stdout.flush()
        code = subprocess.run(command).returncode
        print(
            f"# {name}: {'ok' if code == 0 else f'FAILED (exit {code})'} "
            f"in {time.monotonic() - start:.0f} s"
        )
        print()
        if code:
            failed.append(name)
    if failed:
        print(f"# failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
