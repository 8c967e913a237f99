"""Figure 6, counted: user-space instructions and system calls per request of an nginx block.

The worker CPU time per request that ``serve_nginx.py`` reads from /proc
moves with where the kernel charges the loopback's work, by more than the 3%
a target asks of it. Two counts do not move: the instructions the nginx
worker itself executes per request (valgrind's callgrind), and the system
calls it makes per request (strace). Each block runs alone in an nginx
without a master process (the worker is the process counted), first for a
few requests and then for more, all on one keep-alive connection with a
browser's headers; the difference, divided by the difference in requests,
leaves out start-up and shut-down.

``pcre_jit on`` goes in nginx.conf's main context, not in a block: the
generated block is counted without it (Debian's nginx.conf leaves it off)
and with it.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import benchlib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import servers

PCRE_JIT = "pcre_jit on;"
"""The main-context directive that compiles nginx's regular expressions."""
TARGET = 1.03
"""Worker CPU per request of a generated block, at most this times its plain alias's."""


class Counted(NamedTuple):
    instructions: float
    """User-space instructions of the worker per request."""
    syscalls: float | None
    """System calls of the worker per request; None without strace."""


def requests(port: int, path: str, headers: dict[str, str], count: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(count):
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} under a counting tool")
    connection.close()


def run_counted(
    tool: Sequence[str],
    config: Path,
    port: int,
    path: str,
    count: int,
    headers: dict[str, str],
    main: str,
) -> None:
    binary = servers.nginx_binary()
    assert binary is not None
    prefix = config.parent.parent
    nginx = servers.nginx_args(
        binary, prefix, config, "-g", f"daemon off; master_process off; {main}"
    )
    log = config.parent / f"{tool[0]}.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen([*tool, *nginx], stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        servers.wait_for_port(port, process, log, timeout=60)  # valgrind starts slowly
        requests(port, path, headers, count)
    finally:
        stop(process, int((prefix / "nginx.pid").read_text()), port)
    if process.returncode:
        raise RuntimeError(f"nginx under {tool[0]} failed:\n{log.read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes], pid: int, port: int) -> None:
    """Stop nginx gracefully: its own ``pid`` (under strace, not the process started)."""
    os.kill(pid, signal.SIGQUIT)
    for _ in range(30):
        try:
            process.wait(timeout=2)
            return
        except subprocess.TimeoutExpired:
            # A signal that came just before the worker went back to wait for
            # events is seen at the next event: a connection makes one.
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                pass
    process.kill()
    raise RuntimeError(f"nginx (pid {pid}) did not stop on SIGQUIT")


def instructions(
    config: Path, port: int, path: str, count: int, headers: dict[str, str], main: str
) -> int:
    out = config.parent / "callgrind.out"
    tool = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    run_counted(tool, config, port, path, count, headers, main)
    summary = re.search(r"^summary: (\d+)", out.read_text(), re.MULTILINE)
    if summary is None:
        raise RuntimeError(f"callgrind wrote no summary to {out}")
    return int(summary.group(1))


def syscalls(
    config: Path, port: int, path: str, count: int, headers: dict[str, str], main: str
) -> int:
    out = config.parent / "strace.out"
    run_counted(["strace", "-o", str(out)], config, port, path, count, headers, main)
    return sum(1 for line in out.read_text().splitlines() if "(" in line)


def count(
    http_block: str,
    port: int,
    path: str,
    headers: dict[str, str],
    prefix: Path,
    few: int,
    many: int,
    main: str = "",
) -> Counted:
    """Per-request counts of the server ``http_block`` (listening on ``port``) for ``path``."""
    config = servers.nginx_config(prefix, http_block)
    servers.nginx_check(servers.nginx_binary() or "nginx", prefix, config)
    spent = [instructions(config, port, path, n, headers, main) for n in (few, many)]
    per_request = (spent[1] - spent[0]) / (many - few)
    calls: float | None = None
    if shutil.which("strace"):
        made = [syscalls(config, port, path, n, headers, main) for n in (few, many)]
        calls = (made[1] - made[0]) / (many - few)
    return Counted(per_request, calls)


def report(
    counted: dict[str, Counted],
    plain_of: dict[str, str],
    few: int,
    many: int,
    options: benchlib.Options,
    user_share: float,
) -> list[str]:
    """Print the table of counts; two target lines per generated block.

    ``plain_of``: each generated block's name -> the name of the plain alias
    it is compared with. With the same system calls, a block's extra work is
    its extra user-space instructions: the CPU ratio it implies is
    ``1 + (ratio - 1) * user_share``, the plain alias's share of worker CPU
    spent in user space (an estimate: it takes an instruction of the block
    to cost what an average one of the alias does).
    """
    rows, lines = [], []
    for name, found in counted.items():
        calls = "not counted" if found.syscalls is None else f"{found.syscalls:.2f}"
        plain = plain_of.get(name)
        if plain is None:
            rows.append([name, f"{found.instructions:,.0f}", "", calls, ""])
            continue
        ratio = found.instructions / counted[plain].instructions
        implied = 1 + (ratio - 1) * user_share
        rows.append([name, f"{found.instructions:,.0f}", f"{ratio:.3f}x", calls, f"{implied:.3f}x"])
        text = f"{name}: CPU implied at most {TARGET}x that of the {plain} ({implied:.3f}x)"
        lines.append(benchlib.target(options, text, implied <= TARGET))
        if found.syscalls is not None and counted[plain].syscalls is not None:
            text = f"{name}: the system calls per request of the {plain} ({calls})"
            # epoll_wait returns once or twice per request: compared as whole calls.
            same = round(found.syscalls) == round(counted[plain].syscalls)
            lines.append(benchlib.target(options, text, same))
    title = (
        f"per request, counted (requests {few + 1} to {many} on one connection, "
        f"browser headers): load does not move these"
    )
    header = ["block", "user instructions", "vs plain", "system calls", "CPU implied"]
    print(benchlib.table(title, header, rows))
    print(
        f"CPU implied: 1 + (instructions vs plain - 1) x {user_share:.0%}, the plain alias's "
        f"share of worker CPU in user space over the rounds above (an estimate)"
    )
    if any(found.syscalls is None for found in counted.values()):
        print("strace is not installed (apt-get install strace): system calls not counted")
    return lines
