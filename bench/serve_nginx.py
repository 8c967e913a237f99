"""Figure 6: the generated nginx block vs a plain alias, per request, as browsers ask.

One ~10 KB CSS file, in two STATIC_ROOTs: one as collectstatic leaves it (no
``.gz`` variants), one with ``site.css.gz`` next to it (written by this
script, as a precompressing storage would). The block ``manage.py static_url
nginx`` would render for each (``gzip_static`` only where the ``.gz`` exists,
as it decides) runs against a plain ``location /static/ { alias ...; }``, with
``gzip_static on`` for the second root. All four run in the same nginx (one
worker), each on its own port, measured by wrk in rounds, the block that goes
first rotating. Every request carries a browser's headers (``Accept-Encoding:
gzip, deflate, br``, the ``Accept`` a browser sends for a stylesheet, a
User-Agent; ``--no-browser-headers`` sends none, as earlier runs did): with
them, a ``gzip_static`` with no ``.gz`` to find costs a failed ``open`` per
request. Before measuring, the script checks every block answers 200 with the
file's bytes, and where the ``.gz`` exists sends it (``Content-Encoding:
gzip``) to a browser.

Prints, per block, the median requests/s with its range and the nginx
worker's CPU time per request (read from /proc: other load on the machine
moves it much less than requests/s), then for each pair the median of the
per-round ratios generated/plain with their range, and the load average at
start and end. Then, unless ``--no-counts``, what load does not move: each
block's user-space instructions and system calls per request, counted alone
(``nginx_counts``), the generated blocks also with ``pcre_jit on``. Needs
nginx, wrk, valgrind and strace (Debian: apt-get install nginx wrk valgrind
strace).

    python bench/serve_nginx.py            # 5 rounds of 5 s per block, then the counts
    python bench/serve_nginx.py --pcre-jit # the timed nginx with pcre_jit on
    python bench/serve_nginx.py --quick    # 1 round of 1 s: a smoke run
"""

from __future__ import annotations

import gzip
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

import benchlib
import nginx_counts

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from django.conf import settings  # noqa: E402

if not settings.configured:
    settings.configure()

from django_static_url_helper import nginx, nginx_values  # noqa: E402
from tests import servers  # noqa: E402

VERSION = "3fa9c1e2b7d4"
IMMUTABLE = "public, max-age=31536000, immutable"
FULL_ROUNDS = 5
TARGET = 1.03
BROWSER = {
    "Accept": "text/css,*/*;q=0.1",
    "Accept-Encoding": "gzip, deflate, br",
    "Accept-Language": "en-GB,en;q=0.9",
    "User-Agent": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36"
    ),
}
GENERATED, PLAIN = "generated block", "plain alias"
GENERATED_GZ, PLAIN_GZ = "generated block, .gz", "plain alias, gzip_static on"
PAIRS = {GENERATED: PLAIN, GENERATED_GZ: PLAIN_GZ}


class Round(NamedTuple):
    requests_per_s: float
    cpu_us_per_request: float
    user_share: float
    """The share of that CPU time spent in user space (the rest in the kernel)."""


class Target(NamedTuple):
    port: int
    path: str
    cache_control: str | None
    body: bytes
    gz: bytes | None
    """What a client that takes gzip gets, with ``Content-Encoding: gzip``; None: the body."""


def css(size: int = 10 * 1024) -> bytes:
    rng = random.Random(4)
    rules: list[str] = []
    while sum(map(len, rules)) < size:
        rules.append(f".c{len(rules)} {{ color: #{rng.randrange(1 << 24):06x}; }}\n")
    return "".join(rules).encode()[:size]


def worker_cpu_seconds(master_pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of the nginx workers (children of the master)."""
    user = system = 0
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:  # ppid
            user, system = user + int(fields[11]), system + int(fields[12])  # utime, stime
    return user / tick, system / tick


def wrk(url: str, seconds: float, connections: int, headers: dict[str, str]) -> int:
    """Run wrk against ``url`` with ``headers``; return the number of completed requests."""
    sent = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    result = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", *sent, url],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"(\d+) requests in", result.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if match is None or errors:
        raise RuntimeError(f"wrk failed on {url}:\n{result.stdout}{result.stderr}")
    return int(match.group(1))


def measure(
    url: str, seconds: float, connections: int, master_pid: int, headers: dict[str, str]
) -> Round:
    user, system = worker_cpu_seconds(master_pid)
    requests = wrk(url, seconds, connections, headers)
    user_after, system_after = worker_cpu_seconds(master_pid)
    user, cpu = user_after - user, user_after + system_after - user - system
    return Round(requests / seconds, cpu / requests * 1e6, user / cpu if cpu else 0.0)


def check(name: str, target: Target, headers: dict[str, str]) -> None:
    """The block answers the file, with its Cache-Control, in the encoding a browser should get."""
    response = servers.request(target.port, target.path, headers=headers)
    encoding = response.header("Content-Encoding")
    takes_gzip = "gzip" in headers.get("Accept-Encoding", "")
    expected, body = ("gzip", target.gz) if takes_gzip and target.gz else (None, target.body)
    if (response.status, response.body, encoding) != (200, body, expected):
        raise RuntimeError(
            f"{name}: {target.path} returned {response.status}, Content-Encoding {encoding}, "
            f"{len(response.body)} bytes; expected 200, {expected}, {len(body)} bytes"
        )
    if response.header("Cache-Control") != target.cache_control:
        raise RuntimeError(
            f"{name}: {target.path}: Cache-Control {response.header('Cache-Control')}"
        )


def static_root(folder: Path, body: bytes, precompressed: bool) -> Path:
    (folder / "css").mkdir(parents=True)
    (folder / "css" / "site.css").write_bytes(body)
    if precompressed:
        (folder / "css" / "site.css.gz").write_bytes(gzip.compress(body, 9, mtime=0))
    return folder


def generated_block(root: Path, port: int) -> str:
    """The server of the block the renderer makes for ``root``: gzip_static as it decides."""
    precompressed = nginx_values.checked_root(str(root))
    block = nginx.render(
        nginx.Block(base="/static/", root=str(root), current=VERSION, gzip_static=precompressed)
    )
    if ("gzip_static on;" in block) != precompressed:
        raise RuntimeError(f"the block for {root} does not match its .gz files")
    return f"server {{\n    listen 127.0.0.1:{port};\n{textwrap.indent(block, '    ')}}}\n"


def plain_block(root: Path, port: int, gzip_static: bool) -> str:
    extra = " gzip_static on;" if gzip_static else ""
    return (
        f"server {{\n    listen 127.0.0.1:{port};\n"
        f"    location /static/ {{ alias {root}/;{extra} }}\n}}\n"
    )


def main() -> int:
    parser = benchlib.parser(__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="per block and round")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--pcre-jit",
        action="store_true",
        help="run the timed nginx with 'pcre_jit on' (the counts take both)",
    )
    parser.add_argument(
        "--no-counts",
        action="store_true",
        help="skip the counted instructions and system calls (valgrind, strace)",
    )
    parser.add_argument(
        "--no-browser-headers",
        action="store_true",
        help="send wrk's bare request (no Accept-Encoding), as runs before issue 13 did",
    )
    args = parser.parse_args()
    options = benchlib.options(args, parser, FULL_ROUNDS)
    seconds = 1 if options.quick else args.seconds
    headers = {} if args.no_browser_headers else BROWSER
    binary = servers.nginx_binary()
    if binary is None or shutil.which("wrk") is None:
        print("This benchmark needs nginx and wrk: apt-get install nginx wrk", file=sys.stderr)
        return 2
    if not args.no_counts and shutil.which("valgrind") is None:
        print(
            "The counts need valgrind: apt-get install valgrind strace (or --no-counts)",
            file=sys.stderr,
        )
        return 2
    benchlib.header("Figure 6", options, "the generated nginx block vs a plain alias")

    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as tmp:
        body = css()
        plain_root = static_root(Path(tmp) / "static-root", body, precompressed=False)
        gz_root = static_root(Path(tmp) / "static-root-gz", body, precompressed=True)
        gz = (gz_root / "css" / "site.css.gz").read_bytes()
        ports = {name: servers.free_port() for name in (GENERATED, PLAIN, GENERATED_GZ, PLAIN_GZ)}
        http = textwrap.indent(
            generated_block(plain_root, ports[GENERATED])
            + plain_block(plain_root, ports[PLAIN], gzip_static=False)
            + generated_block(gz_root, ports[GENERATED_GZ])
            + plain_block(gz_root, ports[PLAIN_GZ], gzip_static=True),
            "    ",
        )
        versioned, unversioned = f"/static/{VERSION}/css/site.css", "/static/css/site.css"
        targets = {
            GENERATED: Target(ports[GENERATED], versioned, IMMUTABLE, body, None),
            PLAIN: Target(ports[PLAIN], unversioned, None, body, None),
            GENERATED_GZ: Target(ports[GENERATED_GZ], versioned, IMMUTABLE, body, gz),
            PLAIN_GZ: Target(ports[PLAIN_GZ], unversioned, None, body, gz),
        }
        prefix = Path(tmp) / "nginx"
        main = nginx_counts.PCRE_JIT if args.pcre_jit else ""
        with servers.running_nginx(binary, prefix, http, ports[GENERATED], main):
            master = nginx_master(prefix / "nginx.pid")
            for name, target in targets.items():
                check(name, target, BROWSER)
                check(name, target, {})
            rounds: dict[str, list[Round]] = {name: [] for name in targets}
            order = list(targets)
            for number in range(options.rounds):
                shift = number % len(order)
                for name in order[shift:] + order[:shift]:
                    target = targets[name]
                    url = f"http://127.0.0.1:{target.port}{target.path}"
                    found = measure(url, seconds, args.connections, master, headers)
                    rounds[name].append(found)
        jit = "pcre_jit on" if args.pcre_jit else "pcre_jit off, as in Debian's nginx.conf"
        print(f"timed nginx: {jit}")
        lines = report(options, rounds, args.connections, seconds, len(body), len(gz), headers)
        if not args.no_counts:
            print()
            share = statistics.median(r.user_share for r in rounds[PLAIN])
            lines += counted(options, Path(tmp), targets, http, headers, share)
    print()
    print("\n".join(lines))
    benchlib.footer()
    return 0


def counted(
    options: benchlib.Options,
    tmp: Path,
    targets: dict[str, Target],
    http: str,
    headers: dict[str, str],
    user_share: float,
) -> list[str]:
    """Instructions and system calls per request of each block alone (``nginx_counts``).

    ``user_share``: the plain alias's share of worker CPU in user space, for
    the estimate of what the extra instructions cost (``nginx_counts.report``).
    """
    few, many = (20, 120) if options.quick else (200, 1200)
    found: dict[str, nginx_counts.Counted] = {}
    plain_of: dict[str, str] = {}
    jit = nginx_counts.PCRE_JIT
    for generated, plain in PAIRS.items():
        runs = [(generated, ""), (f"{generated}, {jit.rstrip(';')}", jit), (plain, "")]
        for label, main in runs:
            target = targets[generated if label != plain else plain]
            prefix = tmp / f"counted-{len(found)}"
            found[label] = nginx_counts.count(
                http, target.port, target.path, headers, prefix, few, many, main
            )
            if label != plain:
                plain_of[label] = plain
    return nginx_counts.report(found, plain_of, few, many, options, user_share)


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


def report(
    options: benchlib.Options,
    rounds: dict[str, list[Round]],
    connections: int,
    seconds: int,
    size: int,
    gz_size: int,
    headers: dict[str, str],
) -> list[str]:
    sent = "browser headers" if headers else "no headers"
    print(
        f"nginx, 1 worker; wrk -t1 -c{connections}, {sent}; {options.rounds} round(s) of "
        f"{seconds:g} s per block, rotating; one {size} byte CSS file ({gz_size} bytes as .gz)"
        + (
            f"\nrequest headers: {'; '.join(f'{k}: {v}' for k, v in headers.items())}"
            if headers
            else ""
        )
    )
    print()
    rows = []
    for name, results in rounds.items():
        rps = [result.requests_per_s for result in results]
        cpu = [result.cpu_us_per_request for result in results]
        user = [result.user_share for result in results]
        rows.append(
            [
                name,
                f"{statistics.median(rps):,.0f}",
                f"{min(rps):,.0f}-{max(rps):,.0f}",
                f"{statistics.median(cpu):.1f}",
                f"{min(cpu):.1f}-{max(cpu):.1f}",
                f"{statistics.median(user):.0%} ({min(user):.0%}-{max(user):.0%})",
            ]
        )
    header = ["block", "median req/s", "rounds", "CPU us/req", "rounds", "in user space"]
    print(benchlib.table("per block", header, rows))
    lines = []
    for generated, plain in PAIRS.items():
        gen, base = rounds[generated], rounds[plain]
        rps = [a.requests_per_s / b.requests_per_s for a, b in zip(gen, base, strict=True)]
        cpu = [
            a.cpu_us_per_request / b.cpu_us_per_request if b.cpu_us_per_request else float("inf")
            for a, b in zip(gen, base, strict=True)
        ]
        ratio = statistics.median(r.requests_per_s for r in gen) / statistics.median(
            r.requests_per_s for r in base
        )
        print(f"{generated} / {plain}:")
        print(f"  ratio generated/plain, medians of req/s:        {ratio:.3f}")
        print(f"  ratio generated/plain, per-round req/s:         {benchlib.median_spread(rps, 3)}")
        print(f"  ratio generated/plain, worker CPU per request:  {benchlib.median_spread(cpu, 3)}")
        cpu_ratio = statistics.median(cpu)
        text = (
            f"{generated}: worker CPU per request at most {TARGET}x that of the {plain} "
            f"({cpu_ratio:.3f}x, {sent})"
        )
        lines.append(benchlib.target(options, text, cpu_ratio <= TARGET))
    return lines


if __name__ == "__main__":
    sys.exit(main())
