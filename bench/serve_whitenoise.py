"""Requests/s of one ~10 KB CSS file: VersionedWhiteNoiseMiddleware vs plain whitenoise.

Both run behind gunicorn (one sync worker) on 127.0.0.1 with the same collected
files. Plain ``whitenoise.middleware.WhiteNoiseMiddleware`` serves the file
unversioned (STATIC_URL ``/static/``); ours serves it under the current version.
Rounds are short and alternate which server goes first, so a burst of other
load on the machine hits both alike; the table gives medians, and the ratio
ours/plain of each round (its median is the figure to quote). The CPU time the
gunicorn worker spent per request is printed too: other load on the machine
moves it much less than requests/s.

    python bench/serve_whitenoise.py            # 15 rounds of 2 s per server
    python bench/serve_whitenoise.py --quick    # a smoke run of a few seconds

The load comes from ``wrk`` when installed (Debian: apt-get install wrk), else
from a bounded Python client (threads of keep-alive-less http.client requests).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import servers  # noqa: E402

SEGMENT = "3fa9c1e2b7d4"
PLAIN, OURS = "plain whitenoise", "versioned (ours)"
# name -> (middleware, STATIC_URL, URL requested)
VARIANTS = {
    PLAIN: ("whitenoise.middleware.WhiteNoiseMiddleware", "/static/", "/static/css/site.css"),
    OURS: (
        "django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware",
        f"/static/{SEGMENT}/",
        f"/static/{SEGMENT}/css/site.css",
    ),
}
SETTINGS = """\
import os

SECRET_KEY = "bench-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["django_static_url_helper", "django.contrib.staticfiles"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    os.environ["BENCH_WHITENOISE"],
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "bench_urls"
DATABASES = {}
STATIC_URL = os.environ["BENCH_STATIC_URL"]
STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
STATICFILES_DIRS = [os.environ["BENCH_SOURCE"]]
"""

Load = Callable[[int, str, int, int], int]
"""(port, path, seconds, connections) -> number of requests answered."""


def load_average() -> str:
    # As benchlib.load_average; not imported from it, since the tests import
    # this module as bench.serve_whitenoise, where benchlib is not on the path.
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def project(folder: Path) -> dict[str, str]:
    """Write settings, urls and a 10 KB CSS file; collect it. Returns the environment."""
    (folder / "bench_settings.py").write_text(SETTINGS)
    (folder / "bench_urls.py").write_text("urlpatterns = []\n")
    (folder / "source" / "css").mkdir(parents=True)
    rules = b"".join(b".rule-%05d { margin: %dpx; }\n" % (i, i % 97) for i in range(500))
    (folder / "source" / "css" / "site.css").write_bytes(rules[: 10 * 1024])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "BENCH_SOURCE": str(folder / "source"),
        "BENCH_STATIC_ROOT": str(folder / "static-root"),
        "BENCH_STATIC_URL": "/static/",
        "BENCH_WHITENOISE": VARIANTS[PLAIN][0],
    }
    collect = [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v0"]
    subprocess.run(collect, env=env, check=True)
    return env


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[tuple[int, int]]:
    """Run one gunicorn; yields its port and the pid of its single worker."""
    port = servers.free_port()
    # No access log: writing it would be most of what the worker does.
    args = [str(servers.BIN / "gunicorn"), "django.core.wsgi:get_wsgi_application()"]
    args += [f"--bind=127.0.0.1:{port}", "--workers=1", "--graceful-timeout=5"]
    with servers.running(args, port, log, env=env) as proc:
        yield port, worker_pid(proc.pid)


def worker_pid(master: int, timeout: float = 10) -> int:
    """The pid of the single worker that gunicorn's ``master`` forks; 0 without /proc.

    gunicorn listens before it forks its worker, so the port can answer while
    the worker does not exist yet: wait for it, at most ``timeout`` seconds.
    Without /proc (not Linux) there is no worker CPU time to read anyway.
    """
    if not Path("/proc/self/task").is_dir():
        return 0
    children = Path(f"/proc/{master}/task/{master}/children")
    deadline = time.monotonic() + timeout
    while True:
        try:
            pids = children.read_text().split()
        except OSError as error:
            message = f"cannot read the children of gunicorn (pid {master}): {error}"
            raise RuntimeError(message) from error
        if pids:
            return int(pids[0])
        if time.monotonic() >= deadline:
            raise RuntimeError(f"gunicorn (pid {master}) forked no worker within {timeout:g} s")
        time.sleep(0.01)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of ``pid`` (Linux), or None where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_wrk(
    port: int, path: str, seconds: int, connections: int, headers: dict[str, str] | None = None
) -> int:
    url = f"http://127.0.0.1:{port}{path}"
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+) requests in", out)
    if match is None or "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk failed or saw errors:\n{out}")
    return int(match.group(1))


def load_python(
    port: int, path: str, seconds: int, connections: int, headers: dict[str, str] | None = None
) -> int:
    """Closed-loop client: ``connections`` threads, one request at a time each."""
    counts = [0] * connections
    errors: list[int] = []
    stop = time.monotonic() + seconds

    def worker(index: int) -> None:
        while time.monotonic() < stop and not errors:
            status = servers.request(port, path, headers=headers).status
            if status != 200:
                errors.append(status)
            counts[index] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 15)
    if errors:
        raise RuntimeError(f"load client got status {errors[0]}")
    return sum(counts)


def verify(ports: dict[str, int]) -> None:
    """Both servers answer 200 with the same bytes; ours with the immutable header."""
    answers = {name: servers.request(port, VARIANTS[name][2]) for name, port in ports.items()}
    for name, (status, headers, _body) in answers.items():
        print(f"  {name:18} {VARIANTS[name][2]:34} {status} {headers.get('Cache-Control')}")
        if status != 200:
            raise RuntimeError(f"{name}: GET {VARIANTS[name][2]} answered {status}")
    if answers[PLAIN][2] != answers[OURS][2]:
        raise RuntimeError("the two servers served different bytes")
    if "immutable" not in answers[OURS][1].get("Cache-Control", ""):
        raise RuntimeError("the versioned server did not send the immutable Cache-Control")


def measure(
    load: Load, port: int, pid: int, path: str, seconds: int, conns: int
) -> tuple[float, float | None]:
    """Requests/s, and the worker's CPU microseconds per request (None off Linux)."""
    cpu, started = cpu_seconds(pid), time.monotonic()
    requests = load(port, path, seconds, conns)
    elapsed, cpu_after = time.monotonic() - started, cpu_seconds(pid)
    per_request = None if cpu is None or cpu_after is None else (cpu_after - cpu) / requests * 1e6
    return requests / elapsed, per_request


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 1 s, no warm-up.")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--seconds", type=int, default=2, help="Load per server per round.")
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--json", type=Path, help="Also write the results to this file.")
    args = parser.parse_args(argv)
    rounds, seconds = (1, 1) if args.quick else (args.rounds, args.seconds)
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    load: Load = load_wrk if client == "wrk" else load_python
    rps: dict[str, list[float]] = {name: [] for name in VARIANTS}
    cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}

    with (
        tempfile.TemporaryDirectory(prefix="bench-whitenoise-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        base_env = project(Path(tmp))
        servers: dict[str, tuple[int, int]] = {}
        for name, (middleware, static_url, _path) in VARIANTS.items():
            env = {**base_env, "BENCH_WHITENOISE": middleware, "BENCH_STATIC_URL": static_url}
            servers[name] = stack.enter_context(gunicorn(env, Path(tmp) / f"{len(servers)}.log"))
        print(f"client: {client}, {args.connections} connections, gunicorn 1 sync worker")
        print(f"cpus: {os.cpu_count()}, load average at start: {load_average()}")
        verify({name: port for name, (port, _pid) in servers.items()})
        for name, (port, _pid) in servers.items():
            if not args.quick:  # warm up
                load(port, VARIANTS[name][2], 1, args.connections)
        for round_ in range(rounds):
            for name in list(VARIANTS) if round_ % 2 == 0 else list(VARIANTS)[::-1]:
                port, pid = servers[name]
                r, c = measure(load, port, pid, VARIANTS[name][2], seconds, args.connections)
                rps[name].append(r)
                if c is not None:
                    cpu[name].append(c)
    report = table(rps, cpu, client, rounds, seconds)
    print(f"load average at end: {load_average()}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return report


def table(
    rps: dict[str, list[float]], cpu: dict[str, list[float]], client: str, rounds: int, seconds: int
) -> dict[str, object]:
    ratios = [o / p for o, p in zip(rps[OURS], rps[PLAIN], strict=True)]
    print(f"\n{rounds} round(s) of {seconds} s per server, alternating")
    print(f"{'server':18} {'req/s median':>12} {'min':>7} {'max':>7} {'CPU µs/req median':>18}")
    for name, values in rps.items():
        worker_cpu = f"{statistics.median(cpu[name]):.0f}" if cpu[name] else "n/a"
        print(
            f"{name:18} {statistics.median(values):12.0f} {min(values):7.0f} "
            f"{max(values):7.0f} {worker_cpu:>18}"
        )
    ratio_of_medians = statistics.median(rps[OURS]) / statistics.median(rps[PLAIN])
    print(
        f"\nours/plain requests/s, median of the per-round ratios: {statistics.median(ratios):.3f}"
    )
    print(f"ours/plain requests/s, ratio of the medians:           {ratio_of_medians:.3f}")
    print("per-round ratios: " + " ".join(f"{r:.3f}" for r in ratios))
    print(
        f"ours/plain requests/s, median (range): {statistics.median(ratios):.3f}x "
        f"({min(ratios):.3f}-{max(ratios):.3f})"
    )
    cpu_ratio = None
    if cpu[PLAIN] and cpu[OURS]:
        cpu_ratio = statistics.median(cpu[PLAIN]) / statistics.median(cpu[OURS])
        print(f"plain/ours worker CPU per request (as a throughput ratio): {cpu_ratio:.3f}")
    return {
        "client": client,
        "rounds": rounds,
        "seconds": seconds,
        "requests_per_second": rps,
        "worker_cpu_us_per_request": cpu,
        "median_round_ratio": statistics.median(ratios),
        "ratio_of_medians": ratio_of_medians,
        "cpu_ratio": cpu_ratio,
    }


if __name__ == "__main__":
    main()
