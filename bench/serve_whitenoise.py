"""Requests/s of one ~10 KB CSS file: VersionedWhiteNoiseMiddleware vs plain whitenoise.

Both run behind gunicorn (one sync worker) on 127.0.0.1 with the same collected
files. Plain ``whitenoise.middleware.WhiteNoiseMiddleware`` serves the file
unversioned (STATIC_URL ``/static/``); ours serves it under the current version.
Rounds are short and alternate which server goes first, so a burst of other
load on the machine hits both alike; the table gives medians, and the ratio
ours/plain of each round (its median is the figure to quote).

    python bench/serve_whitenoise.py            # 9 rounds of 3 s per server
    python bench/serve_whitenoise.py --quick    # a smoke run of a few seconds

The load comes from ``wrk`` when installed (Debian: apt-get install wrk), else
from a bounded Python client (threads of keep-alive-less http.client requests).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SEGMENT = "3fa9c1e2b7d4"
CSS_NAME = "css/site.css"

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

VARIANTS = {
    "plain whitenoise": (
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "/static/",
        f"/static/{CSS_NAME}",
    ),
    "versioned (ours)": (
        "django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware",
        f"/static/{SEGMENT}/",
        f"/static/{SEGMENT}/{CSS_NAME}",
    ),
}


def css(size: int = 10 * 1024) -> bytes:
    lines = (
        b".rule-%05d { margin: %dpx; color: #%06x; }\n" % (i, i % 97, i * 7919) for i in range(size)
    )
    return b"".join(lines)[:size]


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def project(folder: Path) -> dict[str, str]:
    """Write settings, urls and one CSS file; collect it. Returns the base environment."""
    (folder / "bench_settings.py").write_text(SETTINGS)
    (folder / "bench_urls.py").write_text("urlpatterns = []\n")
    source = folder / "source"
    (source / "css").mkdir(parents=True)
    (source / CSS_NAME).write_bytes(css())
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "BENCH_SOURCE": str(source),
        "BENCH_STATIC_ROOT": str(folder / "static-root"),
        "BENCH_STATIC_URL": "/static/",
        "BENCH_WHITENOISE": VARIANTS["plain whitenoise"][0],
    }
    subprocess.run(
        [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v0"], env=env, check=True
    )
    return env


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[int]:
    port = free_port()
    args = [str(BIN / "gunicorn"), "django.core.wsgi:get_wsgi_application()", "--workers=1"]
    args += [f"--bind=127.0.0.1:{port}", "--graceful-timeout=5"]
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log.read_text()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def fetch(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def load_wrk(port: int, path: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s*([\d.]+)", out)
    if match is None or "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk run failed or saw errors:\n{out}")
    return float(match.group(1))


def load_python(port: int, path: str, seconds: int, connections: int) -> float:
    """Closed-loop client: ``connections`` threads, one request at a time each."""
    counts = [0] * connections
    errors: list[str] = []
    stop = time.monotonic() + seconds

    def worker(index: int) -> None:
        while time.monotonic() < stop:
            status, _headers, _body = fetch(port, path)
            if status != 200:
                errors.append(f"status {status}")
                return
            counts[index] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 15)
    if errors:
        raise RuntimeError(f"load client saw errors: {errors[:3]}")
    return sum(counts) / (time.monotonic() - started)


def verify(ports: dict[str, int]) -> None:
    """Both servers answer 200 with the same bytes; ours with the immutable header."""
    bodies = set()
    for name, port in ports.items():
        status, headers, body = fetch(port, VARIANTS[name][2])
        if status != 200:
            raise RuntimeError(f"{name}: GET {VARIANTS[name][2]} answered {status}")
        bodies.add(body)
        print(f"  {name:18} {VARIANTS[name][2]:34} Cache-Control: {headers['Cache-Control']}")
    if len(bodies) != 1:
        raise RuntimeError("the two servers served different bytes")
    if "immutable" not in fetch(ports["versioned (ours)"], VARIANTS["versioned (ours)"][2])[1].get(
        "Cache-Control", ""
    ):
        raise RuntimeError("the versioned server did not send the immutable Cache-Control")


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="1 round of 1 s, no warm-up: a smoke run."
    )
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--seconds", type=int, default=3, help="Load per server per round.")
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--json", type=Path, help="Also write the results to this file.")
    args = parser.parse_args(argv)
    rounds, seconds = (1, 1) if args.quick else (args.rounds, args.seconds)
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    load = load_wrk if client == "wrk" else load_python

    with tempfile.TemporaryDirectory(prefix="bench-whitenoise-") as tmp:
        folder = Path(tmp)
        base_env = project(folder)
        with contextlib.ExitStack() as stack:
            ports = {}
            for name, (middleware, static_url, _path) in VARIANTS.items():
                env = {**base_env, "BENCH_WHITENOISE": middleware, "BENCH_STATIC_URL": static_url}
                log = folder / f"gunicorn-{len(ports)}.log"
                ports[name] = stack.enter_context(gunicorn(env, log))
            print(f"client: {client}, {args.connections} connections, gunicorn 1 sync worker")
            print(f"cpus: {os.cpu_count()}, load average at start: {load_average()}")
            verify(ports)
            for name, port in ports.items():
                if not args.quick:  # warm up
                    load(port, VARIANTS[name][2], 1, args.connections)
            results: dict[str, list[float]] = {name: [] for name in VARIANTS}
            names = list(VARIANTS)
            for round_ in range(rounds):
                for name in names if round_ % 2 == 0 else names[::-1]:
                    rps = load(ports[name], VARIANTS[name][2], seconds, args.connections)
                    results[name].append(rps)
    report = table(results, client, rounds, seconds)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return report


def table(
    results: dict[str, list[float]], client: str, rounds: int, seconds: int
) -> dict[str, object]:
    plain, ours = results["plain whitenoise"], results["versioned (ours)"]
    ratios = [o / p for o, p in zip(ours, plain, strict=True)]
    print(f"\n{rounds} round(s) of {seconds:g} s per server, alternating; requests/s")
    print(f"{'server':20} {'median':>9} {'min':>9} {'max':>9}")
    for name, values in results.items():
        print(f"{name:20} {statistics.median(values):9.0f} {min(values):9.0f} {max(values):9.0f}")
    ratio = statistics.median(ours) / statistics.median(plain)
    print(f"\nratio ours/plain, of the medians: {ratio:.3f}")
    print(f"ratio ours/plain, median of the per-round ratios: {statistics.median(ratios):.3f}")
    print("per-round ratios: " + " ".join(f"{r:.3f}" for r in ratios))
    return {
        "client": client,
        "rounds": rounds,
        "seconds": seconds,
        "requests_per_second": results,
        "ratio_of_medians": ratio,
        "median_round_ratio": statistics.median(ratios),
    }


if __name__ == "__main__":
    main()
