"""Requests/s under uvicorn (ASGI): ours vs ServeStatic vs plain whitenoise, small and large files.

Three servers run side by side on the same collected files, each one uvicorn
process (one worker, 127.0.0.1, no access log) behind ``SecurityMiddleware``
and ``CommonMiddleware``:

- ours: ``VersionedWhiteNoiseMiddleware``, STATIC_URL ``/static/<segment>/``,
  requesting the current version's URL; under ASGI it streams files from an
  async iterator;
- ServeStatic: ``servestatic.middleware.ServeStaticMiddleware`` (async-only),
  ``servestatic`` in INSTALLED_APPS as its documentation asks, STATIC_URL
  ``/static/``;
- plain whitenoise: ``whitenoise.middleware.WhiteNoiseMiddleware``, STATIC_URL
  ``/static/``. It is sync-only: Django calls it in a thread, then warns that
  the response's file is a sync iterator and reads all of it in a thread
  before sending it. Its server runs with Python's default warning filters, so
  that the warning is logged (once) instead of breaking the response.

The files are collected once with whitenoise's ``CompressedStaticFilesStorage``
(``.gz`` and, with Brotli installed, ``.br`` next to each compressible file),
and every request carries the headers a browser sends (``Accept-Encoding:
gzip, deflate, br`` and a browser's ``Accept`` for the file's type). Rounds are
short; in each, every file is measured on every server, and which server goes
first rotates from round to round, so a burst of other load on the machine
hits all three alike. The figures to quote are the medians of the per-round
ratios ours/ServeStatic and ours/whitenoise, with their spread (min to max).
The CPU time the uvicorn process spent per request (threads included) is
printed too: other load on the machine moves it much less than requests/s.

    python bench/serve_asgi.py            # 15 rounds of 2 s per server and file
    python bench/serve_asgi.py --quick    # a smoke run of a few seconds

The load comes from ``wrk`` when installed (Debian: apt-get install wrk), else
from a bounded Python client (threads of keep-alive-less http.client requests).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import importlib.util
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

import brotli

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from serve_whitenoise import Load, load_average, load_python, load_wrk, measure  # noqa: E402

from tests import servers  # noqa: E402

SEGMENT = "3fa9c1e2b7d4"
OURS, SERVESTATIC, WHITENOISE = "ours (versioned)", "ServeStatic", "plain whitenoise"
OTHERS = (SERVESTATIC, WHITENOISE)


class Setup(NamedTuple):
    middleware: str
    static_url: str
    apps: str
    """Apps listed before the shared ones in INSTALLED_APPS (space-separated)."""


SETUPS = {
    OURS: Setup(
        "django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware",
        f"/static/{SEGMENT}/",
        "",
    ),
    SERVESTATIC: Setup("servestatic.middleware.ServeStaticMiddleware", "/static/", "servestatic"),
    WHITENOISE: Setup("whitenoise.middleware.WhiteNoiseMiddleware", "/static/", ""),
}
# Which setups are expected to log Django's warning about a sync file iterator.
WARNS = {WHITENOISE}

ACCEPT_ENCODING = "gzip, deflate, br"


class File(NamedTuple):
    name: str
    """Path under STATIC_ROOT."""
    accept: str
    """The Accept header a browser sends for it."""
    body: bytes


def css(size: int) -> bytes:
    """Stylesheet rules with random colours: compresses about as well as real CSS."""
    rng = random.Random(10)
    rules = []
    while sum(map(len, rules)) < size:
        rules.append(f".c{len(rules)} {{ color: #{rng.randrange(1 << 24):06x}; margin: 0; }}\n")
    return "".join(rules).encode()[:size]


FILES = {
    "10 KB CSS": File("css/site.css", "text/css,*/*;q=0.1", css(10 * 1024)),
    # Incompressible bytes, as a real JPEG is: whitenoise writes no .gz or .br of it.
    "1 MB JPEG": File(
        "img/hero.jpg",
        "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
        random.Random(11).randbytes(1024 * 1024),
    ),
}

SETTINGS = """\
import os

SECRET_KEY = "bench-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    *os.environ["BENCH_APPS"].split(),
    "django_static_url_helper",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    os.environ["BENCH_MIDDLEWARE"],
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "benchsite.urls"
DATABASES = {}
STATIC_URL = os.environ["BENCH_STATIC_URL"]
STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
STATICFILES_DIRS = [os.environ["BENCH_SOURCE"]]
STORAGES = {"staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}}
"""
ASGI = """\
from django.core.asgi import get_asgi_application

application = get_asgi_application()
"""


def url(setup: str, file: File) -> str:
    return SETUPS[setup].static_url + file.name


def headers(file: File) -> dict[str, str]:
    return {"Accept": file.accept, "Accept-Encoding": ACCEPT_ENCODING}


def project(folder: Path) -> dict[str, str]:
    """Write the Django project and the files; collect them. Returns the environment."""
    site = folder / "benchsite"
    site.mkdir()
    (site / "__init__.py").write_text("")
    (site / "settings.py").write_text(SETTINGS)
    (site / "urls.py").write_text("urlpatterns = []\n")
    (site / "asgi.py").write_text(ASGI)
    for file in FILES.values():
        path = folder / "source" / file.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(file.body)
    env = {
        # The checkout's package, not an installed copy.
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "benchsite.settings",
        "BENCH_SOURCE": str(folder / "source"),
        "BENCH_STATIC_ROOT": str(folder / "static-root"),
        "BENCH_STATIC_URL": "/static/",
        "BENCH_MIDDLEWARE": SETUPS[WHITENOISE].middleware,
        "BENCH_APPS": "",
    }
    collect = [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v0"]
    subprocess.run(collect, env={**os.environ, **env}, cwd=ROOT, check=True)
    return env


@contextlib.contextmanager
def uvicorn(setup: str, env: dict[str, str], log: Path) -> Iterator[tuple[int, int]]:
    """Run one uvicorn for ``setup``; yields its port and pid (one worker: no child)."""
    port = servers.free_port()
    # Default warning filters for all three: plain whitenoise's warning is
    # logged, not raised; a warning in the others' logs fails the run (main).
    args = servers.uvicorn_args(port, "benchsite.asgi:application", 1, warnings=None)
    args.append("--no-access-log")  # writing it would be most of what the server does
    config = SETUPS[setup]
    env = {
        **env,
        "BENCH_MIDDLEWARE": config.middleware,
        "BENCH_STATIC_URL": config.static_url,
        "BENCH_APPS": config.apps,
    }
    with servers.running(args, port, log, env=env) as proc:
        yield port, proc.pid


def decoded(response: servers.Response) -> bytes:
    encoding = response.header("Content-Encoding")
    if encoding == "br":
        return bytes(brotli.decompress(response.body))
    if encoding == "gzip":
        return gzip.decompress(response.body)
    return response.body


def verify(ports: dict[str, int]) -> dict[str, str]:
    """Every server answers every file 200, in the same encoding, with the same bytes.

    Returns the encoding each file is sent in ("identity" for none).
    """
    encodings = {}
    print(f"  {'setup':17} {'URL':38} status  encoding  bytes sent  Cache-Control")
    for label, file in FILES.items():
        seen = set()
        for setup, port in ports.items():
            response = servers.request(port, url(setup, file), headers=headers(file))
            encoding = response.header("Content-Encoding") or "identity"
            print(
                f"  {setup:17} {url(setup, file):38} {response.status:6}  {encoding:8}  "
                f"{len(response.body):10}  {response.header('Cache-Control')}"
            )
            if response.status != 200 or decoded(response) != file.body:
                raise RuntimeError(f"{setup}: GET {url(setup, file)} did not answer the file")
            seen.add(encoding)
            if setup == OURS and "immutable" not in (response.header("Cache-Control") or ""):
                raise RuntimeError(f"{setup}: no immutable Cache-Control on {url(setup, file)}")
        if len(seen) != 1:
            raise RuntimeError(f"{label}: the servers sent different encodings: {sorted(seen)}")
        encodings[label] = seen.pop()
    return encodings


LOGGED = re.compile(r"Warning|Traceback|ERROR")


def logged(log: Path) -> list[str]:
    """The lines of a server's log that report a warning or an error."""
    return [line for line in log.read_text(errors="replace").splitlines() if LOGGED.search(line)]


def uvicorn_flavour() -> str:
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return f"uvicorn {metadata.version('uvicorn')} (http {http}, loop {loop})"


def versions() -> str:
    names = ("django", "whitenoise", "servestatic", "brotli")
    return ", ".join(f"{name} {metadata.version(name)}" for name in names)


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 1 s, no warm-up.")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--seconds", type=int, default=2, help="Load per server, file and round.")
    parser.add_argument(
        "--connections", type=int, default=6, help="Concurrent connections (a browser opens 6)."
    )
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--json", type=Path, help="Also write the results to this file.")
    args = parser.parse_args(argv)
    rounds, seconds = (1, 1) if args.quick else (args.rounds, args.seconds)
    if rounds < 1:
        parser.error("--rounds must be at least 1")
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    load: Load = load_wrk if client == "wrk" else load_python
    rps = {label: {setup: [] for setup in SETUPS} for label in FILES}
    cpu = {label: {setup: [] for setup in SETUPS} for label in FILES}
    names = list(SETUPS)

    print(f"client: {client}, {args.connections} connections; {uvicorn_flavour()}, 1 worker")
    print(f"{versions()}; cpus: {os.cpu_count()}")
    load_start = load_average()
    print(f"load average at start: {load_start}")
    with (
        tempfile.TemporaryDirectory(prefix="bench-asgi-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        env = project(Path(tmp))
        logs = {setup: Path(tmp) / f"{number}.log" for number, setup in enumerate(SETUPS)}
        running = {setup: stack.enter_context(uvicorn(setup, env, logs[setup])) for setup in SETUPS}
        encodings = verify({setup: port for setup, (port, _pid) in running.items()})
        for file in FILES.values():
            for setup, (port, _pid) in running.items():
                if not args.quick:  # warm up
                    load(port, url(setup, file), 1, args.connections, headers(file))
        for number in range(rounds):
            shift = number % len(names)
            for label, file in FILES.items():
                send = partial(load, headers=headers(file))
                for setup in names[shift:] + names[:shift]:
                    port, pid = running[setup]
                    r, c = measure(send, port, pid, url(setup, file), seconds, args.connections)
                    rps[label][setup].append(r)
                    if c is not None:
                        cpu[label][setup].append(c)
        stack.close()  # stop the servers: their logs are complete
        found = {setup: logged(log) for setup, log in logs.items()}
    load_end = load_average()
    report = results(rps, cpu, encodings, found)
    report.update(
        client=client,
        rounds=rounds,
        seconds=seconds,
        connections=args.connections,
        server=uvicorn_flavour(),
        load_average={"start": load_start, "end": load_end},
    )
    print(f"\nload average at start: {load_start}; at end: {load_end}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    unexpected = [setup for setup, lines in found.items() if lines and setup not in WARNS]
    if unexpected:
        raise RuntimeError(f"warnings or errors in the log of {', '.join(unexpected)}")
    return report


def spread(values: list[float]) -> dict[str, object]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "rounds": values,
    }


def results(
    rps: dict[str, dict[str, list[float]]],
    cpu: dict[str, dict[str, list[float]]],
    encodings: dict[str, str],
    found: dict[str, list[str]],
) -> dict[str, object]:
    """Print a table per file, then the ratios to quote; returns them for --json."""
    files: dict[str, object] = {}
    summary = []
    for label, file in FILES.items():
        print(f"\n{label}: {file.name}, {len(file.body)} bytes, sent as {encodings[label]}")
        print(f"{'setup':17} {'req/s median':>12} {'min':>8} {'max':>8} {'CPU µs/req':>11}")
        for setup, values in rps[label].items():
            used = f"{statistics.median(cpu[label][setup]):.0f}" if cpu[label][setup] else "n/a"
            print(
                f"{setup:17} {statistics.median(values):12.0f} {min(values):8.0f} "
                f"{max(values):8.0f} {used:>11}"
            )
        ratios = {}
        for other in OTHERS:
            per_round = [o / b for o, b in zip(rps[label][OURS], rps[label][other], strict=True)]
            ratio = spread(per_round)
            cpu_ratio = None
            if cpu[label][OURS] and cpu[label][other]:
                cpu_ratio = statistics.median(cpu[label][other]) / statistics.median(
                    cpu[label][OURS]
                )
            ratio["cpu"] = cpu_ratio
            ratios[f"ours/{other}"] = ratio
            by_cpu = "n/a" if cpu_ratio is None else f"{cpu_ratio:.2f}"
            print(
                f"ours/{other:16} median of round ratios {ratio['median']:.2f} "
                f"(rounds {ratio['min']:.2f} to {ratio['max']:.2f}); by CPU/request {by_cpu}"
            )
            summary.append((label, other, ratio))
        files[label] = {
            "path": file.name,
            "bytes": len(file.body),
            "encoding": encodings[label],
            "requests_per_second": rps[label],
            "cpu_us_per_request": cpu[label],
            "ratios": ratios,
        }
    print("\nours/other requests/s, median of the per-round ratios (min to max):")
    for label in FILES:
        cells = [
            f"ours/{other} {r['median']:.2f} ({r['min']:.2f} to {r['max']:.2f})"
            for row_label, other, r in summary
            if row_label == label
        ]
        print(f"  {label:10} " + "   ".join(cells))
    print("\nserver logs, warnings and errors:")
    for setup, lines in found.items():
        print(f"  {setup}: {len(lines)} line(s)" + "".join(f"\n    {line}" for line in lines[:3]))
    return {"files": files, "log_warnings": found}


if __name__ == "__main__":
    main()
