"""Requests/s for one ~10 KB CSS file: the generated nginx block vs a plain alias block.

Both blocks run in the same nginx (one worker), on two ports, measured by wrk
in alternating rounds (ABBA order, so neither always goes first). Prints the
median requests/s of each block, the nginx worker's CPU time per request, and
the same-run ratios. Needs nginx and wrk (Debian: apt-get install nginx wrk).

    python bench/serve_nginx.py            # 5 rounds of 5 s per block
    python bench/serve_nginx.py --quick    # 1 round of 1 s: a smoke run
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from django.conf import settings  # noqa: E402

if not settings.configured:
    settings.configure()

from django_static_url_helper import nginx  # noqa: E402
from tests import servers  # noqa: E402

VERSION = "3fa9c1e2b7d4"
IMMUTABLE = "public, max-age=31536000, immutable"


class Round(NamedTuple):
    requests_per_s: float
    cpu_us_per_request: float


def css(size: int = 10 * 1024) -> bytes:
    rng = random.Random(4)
    rules = []
    while sum(map(len, rules)) < size:
        rules.append(f".c{len(rules)} {{ color: #{rng.randrange(1 << 24):06x}; }}\n")
    return "".join(rules).encode()[:size]


def worker_cpu_seconds(master_pid: int) -> float:
    """User + system CPU time of the nginx workers (children of the master)."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def wrk(url: str, seconds: float, connections: int) -> int:
    """Run wrk against ``url``; return the number of completed requests."""
    result = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"(\d+) requests in", result.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if match is None or errors:
        raise RuntimeError(f"wrk failed on {url}:\n{result.stdout}{result.stderr}")
    return int(match.group(1))


def measure(url: str, seconds: float, connections: int, master_pid: int) -> Round:
    cpu = worker_cpu_seconds(master_pid)
    requests = wrk(url, seconds, connections)
    cpu = worker_cpu_seconds(master_pid) - cpu
    return Round(requests / seconds, cpu / requests * 1e6)


def check(port: int, path: str, body: bytes, cache_control: str | None) -> None:
    response = servers.request(port, path)
    if (response.status, response.body) != (200, body):
        raise RuntimeError(f"{path} on port {port} returned {response.status}, not the file")
    if response.header("Cache-Control") != cache_control:
        raise RuntimeError(
            f"{path} on port {port}: Cache-Control {response.header('Cache-Control')}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 1 s: a smoke run")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5, help="per block and round")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds = 1, 1
    binary = servers.nginx_binary()
    if binary is None or shutil.which("wrk") is None:
        print("This benchmark needs nginx and wrk: apt-get install nginx wrk", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as tmp:
        static_root = Path(tmp) / "static-root"
        (static_root / "css").mkdir(parents=True)
        body = css()
        (static_root / "css" / "site.css").write_bytes(body)
        block = nginx.render(nginx.Block(base="/static/", root=str(static_root), current=VERSION))
        generated, plain = servers.free_port(), servers.free_port()
        http = textwrap.indent(
            f"server {{\n    listen 127.0.0.1:{generated};\n"
            f"{textwrap.indent(block, '    ')}}}\n"
            f"server {{\n    listen 127.0.0.1:{plain};\n"
            f"    location /static/ {{ alias {static_root}/; }}\n}}\n",
            "    ",
        )
        prefix = Path(tmp) / "nginx"
        with servers.running_nginx(binary, prefix, http, generated):
            master = nginx_master(prefix / "nginx.pid")
            urls = {
                "generated block": (generated, f"/static/{VERSION}/css/site.css", IMMUTABLE),
                "plain alias": (plain, "/static/css/site.css", None),
            }
            for port, path, cache_control in urls.values():
                check(port, path, body, cache_control)
            rounds: dict[str, list[Round]] = {name: [] for name in urls}
            order = list(urls)
            for number in range(args.rounds):
                for name in order if number % 2 == 0 else order[::-1]:
                    port, path, _ = urls[name]
                    url = f"http://127.0.0.1:{port}{path}"
                    rounds[name].append(measure(url, args.seconds, args.connections, master))
    report(rounds, args, len(body))
    return 0


def nginx_master(pid_file: Path, timeout: float = 10) -> int:
    """The master's pid: nginx may listen a moment before it has written its pid file."""
    deadline = time.monotonic() + timeout
    while True:
        text = pid_file.read_text().strip() if pid_file.exists() else ""
        if text:
            return int(text)
        if time.monotonic() > deadline:
            raise RuntimeError(f"nginx wrote no pid to {pid_file} in {timeout} s")
        time.sleep(0.02)


def report(rounds: dict[str, list[Round]], args: argparse.Namespace, size: int) -> None:
    print(
        f"nginx, 1 worker; wrk -t1 -c{args.connections}; {args.rounds} rounds of "
        f"{args.seconds:g} s per block, alternating; one {size} byte CSS file\n"
    )
    print(f"{'block':<18}{'median req/s':>14}{'min':>10}{'max':>10}{'CPU us/req':>12}")
    medians = {}
    for name, results in rounds.items():
        rps = [result.requests_per_s for result in results]
        cpu = statistics.median(result.cpu_us_per_request for result in results)
        medians[name] = (statistics.median(rps), cpu)
        print(
            f"{name:<18}{medians[name][0]:>14,.0f}{min(rps):>10,.0f}{max(rps):>10,.0f}{cpu:>12.1f}"
        )
    gen, plain = rounds["generated block"], rounds["plain alias"]
    per_round = statistics.median(
        a.requests_per_s / b.requests_per_s for a, b in zip(gen, plain, strict=True)
    )
    ratio = medians["generated block"][0] / medians["plain alias"][0]
    cpu_ratio = medians["plain alias"][1] / medians["generated block"][1]
    print(f"\nratio generated/plain, medians of req/s:        {ratio:.3f}")
    print(f"ratio generated/plain, median of round ratios:  {per_round:.3f}")
    print(f"ratio generated/plain, by worker CPU/request:   {cpu_ratio:.3f}")


if __name__ == "__main__":
    sys.exit(main())
