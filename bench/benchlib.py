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
import re
import statistics
import subprocess
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


BENCH = Path(__file__).resolve().parent
REPOSITORY = BENCH.parent


def compiled_once(env: dict[str, str], bytecode: Path) -> dict[str, str]:
    """``env`` for a child that imports modules compiled once, as from a ``pip install``.

    With ``PYTHONDONTWRITEBYTECODE`` set, a package imported from a source
    checkout would compile its modules at every start (inside what is timed),
    and Django's, compiled at install, would not.
    """
    found = {**env, "PYTHONPYCACHEPREFIX": str(bytecode)}
    found.pop("PYTHONDONTWRITEBYTECODE", None)
    return found


def site_env(source: Path, root: Path, **extra: str) -> dict[str, str]:
    """The environment of a child process serving ``site_settings`` on ``root``."""
    pythonpath = [str(BENCH), str(REPOSITORY), os.environ.get("PYTHONPATH", "")]
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, pythonpath)),
        "DJANGO_SETTINGS_MODULE": "site_settings",
        "BENCH_SOURCE": str(source),
        "BENCH_ROOT": str(root),
        **extra,
    }


def add_tmp_argument(parser: argparse.ArgumentParser) -> None:
    """``--tmp DIR ...``: the folders (file systems) a script measures in."""
    parser.add_argument(
        "--tmp",
        type=Path,
        nargs="+",
        metavar="DIR",
        help="measure in these folders (default: the temporary directory and /dev/shm)",
    )


def parser(description: str) -> argparse.ArgumentParser:
    """The arguments every script takes; a script may add its own before parsing."""
    found = argparse.ArgumentParser(description=description)
    found.add_argument(
        "--quick", action="store_true", help="tiny tree and one round: checks the script runs"
    )
    found.add_argument(
        "--rounds", type=int, help=f"rounds per variant (default {FULL_ROUNDS}, 1 with --quick)"
    )
    return found


def options(
    parsed: argparse.Namespace, parser: argparse.ArgumentParser, full_rounds: int = FULL_ROUNDS
) -> Options:
    rounds = parsed.rounds or (1 if parsed.quick else full_rounds)
    if rounds < 1:
        parser.error("--rounds must be at least 1")
    return Options(parsed.quick, rounds)


def parse(description: str, argv: Sequence[str] | None = None) -> Options:
    found = parser(description)
    return options(found.parse_args(argv), found)


@contextlib.contextmanager
def generated_tree(options: Options, folder: Path | None = None) -> Iterator[tree.Tree]:
    """The synthetic tree in a temporary folder (below ``folder``), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="static-url-bench-", dir=folder) as tmp:
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


def clock_cpu(function: Callable[[], object]) -> tuple[float, float]:
    """Seconds one call of ``function`` takes: wall clock, and this thread's CPU time.

    Other jobs on shared cores stretch the wall clock of a CPU-bound call
    (they take turns on the cores); its CPU time moves much less.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        wall, cpu = time.perf_counter(), time.thread_time()
        function()
        return time.perf_counter() - wall, time.thread_time() - cpu
    finally:
        if enabled:
            gc.enable()


def callgrind(command: Sequence[str], env: dict[str, str]) -> int:
    """The user-space instructions ``command`` executes, counted by valgrind's callgrind.

    Load on the machine does not move the count. Children it starts run
    outside valgrind, uncounted; the kernel's work is not counted either.
    """
    args = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    match = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode or match is None:
        raise RuntimeError(f"callgrind failed:\n{done.stderr[-2000:]}")
    return int(match.group(1))


class Samples:
    """Per-variant measurements, in the order variants were first measured."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}

    def add(self, variant: str, value: float) -> None:
        self.values.setdefault(variant, []).append(value)

    def median(self, variant: str) -> float:
        return statistics.median(self.values[variant])

    def ratios(self, variant: str, baseline: str) -> list[float]:
        """``variant / baseline`` of each round: both were measured in it, close in time."""
        return [
            value / base
            for value, base in zip(self.values[variant], self.values[baseline], strict=True)
        ]


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


def spread(ratios: Sequence[float], digits: int = 2) -> str:
    """The range of per-round ratios, ``min-max``."""
    return f"{min(ratios):.{digits}f}-{max(ratios):.{digits}f}"


def median_spread(ratios: Sequence[float], digits: int = 2) -> str:
    """The median of per-round ratios with their range: ``1.23x (1.10-1.40)``.

    A median alone hides how far single rounds wandered on a shared machine;
    the range says whether a margin is wider than the noise.
    """
    return f"{statistics.median(ratios):.{digits}f}x ({spread(ratios, digits)})"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages; other jobs and the benchmark itself count."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except (AttributeError, OSError):
        return "unknown"


def filesystem(path: str | os.PathLike[str]) -> str:
    """The type of the file system holding ``path`` (``ext4``, ``tmpfs``), from /proc/mounts."""
    real = os.path.realpath(path)
    best, kind = "", "unknown"
    with contextlib.suppress(OSError), open("/proc/mounts") as mounts:
        for line in mounts:
            fields = line.split()
            if len(fields) < 3:
                continue
            point = fields[1].replace("\\040", " ")
            inside = real == point or real.startswith(point.rstrip("/") + "/")
            if inside and len(point) >= len(best):
                best, kind = point, fields[2]
    return kind


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
    return (
        f"{_cpu()}, {cpus} cores, load average {load_average()}; "
        f"{platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, Django {_version('django')}, "
        f"whitenoise {_version('whitenoise')}"
    )


def header(figure: str, options: Options, what: str) -> None:
    mode = "QUICK smoke run, figures mean nothing" if options.quick else "full run"
    print(f"# {figure}: {what}")
    print(f"# {mode}; median of {options.rounds} round(s); {machine()}")
    print(f"load average at start: {load_average()}")
    print()


def footer() -> None:
    """The load averages at the end of a run (the header gave the one at its start)."""
    print(f"load average at end: {load_average()}")
