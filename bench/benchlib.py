"""What every benchmark script shares: arguments, rounds, medians, the table, the machine.

Each script takes ``--quick`` (a tiny tree, one round: a smoke run whose
figures mean nothing) and ``--rounds N``. A script measures every variant once
per round, in turn, so slow drift of a shared machine hits all variants alike,
and prints medians with ratios taken from the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

import tree

FULL_ROUNDS = 9


class Options(NamedTuple):
    quick: bool
    rounds: int

    @property
    def shape(self) -> tree.Shape:
        return tree.QUICK if self.quick else tree.FULL


def parse(description: str, argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="tiny tree and one round: checks the script runs"
    )
    parser.add_argument(
        "--rounds", type=int, help=f"rounds per variant (default {FULL_ROUNDS}, 1 with --quick)"
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (1 if args.quick else FULL_ROUNDS)
    if rounds < 1:
        parser.error("--rounds must be at least 1")
    return Options(args.quick, rounds)


@contextlib.contextmanager
def generated_tree(options: Options) -> Iterator[tree.Tree]:
    """The synthetic tree in a temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="static-url-bench-") as tmp:
        yield tree.generate(Path(tmp) / "tree", options.shape)


def clock(function: Callable[[], object]) -> float:
    """Seconds one call of ``function`` takes, with the garbage collector held off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        function()
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


class Samples:
    """Per-variant measurements, in the order variants were first measured."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}

    def add(self, variant: str, value: float) -> None:
        self.values.setdefault(variant, []).append(value)

    def median(self, variant: str) -> float:
        return statistics.median(self.values[variant])


def rounds(
    options: Options, variants: dict[str, Callable[[], float]], samples: Samples | None = None
) -> Samples:
    """Measure each variant once per round, rotating who goes first."""
    samples = samples or Samples()
    names = list(variants)
    for number in range(options.rounds):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            samples.add(name, variants[name]())
    return samples


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        return "  ".join(
            [first.ljust(widths[0]), *(c.rjust(w) for c, w in zip(rest, widths[1:], strict=True))]
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([title, "", line(header), rule, *(line(r) for r in rows), ""])


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x"


def target(options: Options, text: str, met: bool) -> str:
    if options.quick:
        return f"target: {text}: not judged on a quick run"
    return f"target: {text}: {'met' if met else 'MISSED'}"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def _cpu() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine() -> str:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    load = f", load {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""
    return (
        f"{_cpu()}, {cpus} cores{load}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, Django {_version('django')}, "
        f"whitenoise {_version('whitenoise')}"
    )


def header(figure: str, options: Options, what: str) -> None:
    mode = "QUICK smoke run, figures mean nothing" if options.quick else "full run"
    print(f"# {figure}: {what}")
    print(f"# {mode}; median of {options.rounds} round(s); {machine()}")
    print()
