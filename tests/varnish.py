"""A private Varnish on 127.0.0.1 that caches like a CDN honouring the origin's headers."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests import servers

VARNISH_MISSING = (
    "varnishd is not installed: install it with 'apt-get install varnish' "
    "(or put a varnishd binary on PATH)."
)

RUNNING: list[Path] = []
"""The logs of the varnishd processes running now: a failing test shows them (conftest)."""

READY_PATH = "/__varnish_ready__"
"""Answered by Varnish itself: its child runs our VCL (a TCP connect alone does
not say so, the manager opens the listening socket before the child starts)."""


def varnish_binary() -> str | None:
    """varnishd on PATH or in /usr/sbin (Debian's place, often off PATH)."""
    found = shutil.which("varnishd")
    if found:
        return found
    return "/usr/sbin/varnishd" if os.access("/usr/sbin/varnishd", os.X_OK) else None


VCL = """vcl 4.1;

import directors;

{backends}

sub vcl_init {{
    new origin = directors.round_robin();
{add_backends}
}}

sub vcl_recv {{
    if (req.url == "{ready}") {{
        return (synth(200, "ready"));
    }}
    set req.backend_hint = origin.backend();
    # Then Varnish's builtin vcl_recv: only GET and HEAD are looked up; a
    # request with Cookie or Authorization is passed to the origin.
}}

sub vcl_hash {{
    # By URL alone, like the nginx variant's proxy_cache_key: the builtin also
    # hashes the Host header.
    hash_data(req.url);
    return (lookup);
}}

sub vcl_backend_response {{
    if (bereq.uncacheable) {{
        return (deliver);
    }}
    # beresp.ttl is already Varnish's reading of s-maxage, max-age and Expires
    # (default_ttl=0 makes a response without any of them 0s). The builtin
    # would ignore Cache-Control when Surrogate-Control is present, and give
    # what it refuses a 120s hit-for-miss; returning here skips it.
    if (beresp.ttl <= 0s
        || beresp.http.Cache-Control ~ "(?i)(no-store|no-cache|private)"
        || beresp.http.Set-Cookie
        || beresp.http.Vary == "*") {{
        # Hit-for-miss: never stored, and for a second later requests of this
        # URL skip the waiting list and go to the origin themselves; the next
        # cacheable response of the URL replaces the marker.
        set beresp.uncacheable = true;
        set beresp.ttl = 1s;
        return (deliver);
    }}
    return (deliver);
}}

sub vcl_deliver {{
    # What tests count: a response from the cache, or one fetched for it.
    if (obj.hits > 0) {{
        set resp.http.X-Cache = "HIT";
    }} else {{
        set resp.http.X-Cache = "MISS";
    }}
}}
"""


def vcl(backends: list[int]) -> str:
    """The CDN-like VCL, round-robin over origins on 127.0.0.1:``backends``."""
    declared = "\n".join(
        f'backend origin{i} {{ .host = "127.0.0.1"; .port = "{port}"; }}'
        for i, port in enumerate(backends)
    )
    added = "\n".join(f"    origin.add_backend(origin{i});" for i in range(len(backends)))
    return VCL.format(backends=declared, add_backends=added, ready=READY_PATH)


def varnishd_args(binary: str, workdir: Path, vcl_file: Path, port: int) -> list[str]:
    return [
        binary,
        "-F",  # in the foreground: our process to stop, its output in our log
        "-a",
        f"127.0.0.1:{port}",
        "-n",
        str(workdir),
        "-f",
        str(vcl_file),
        "-T",
        "none",  # no admin socket: the VCL never changes while it runs
        "-s",
        "malloc,32m",
        # As root, the default "unix" jail runs the compiler and the child as
        # Debian's varnish/vcache users, which may not enter pytest's 0700
        # temporary folders (not even to read the -f file).
        "-j",
        "none",
        # A CDN honouring the origin: no TTL the headers did not give
        # (Varnish's default is 120s) and nothing served stale past max-age
        # unless stale-while-revalidate says so (the default grace is 10s).
        "-p",
        "default_ttl=0",
        "-p",
        "default_grace=0",
        # Two pools of 100 threads by default; a test needs a handful.
        "-p",
        "thread_pools=1",
        "-p",
        "thread_pool_min=10",
    ]


def _ready(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"varnishd exited with {proc.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            if servers.request(port, READY_PATH).status == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"varnishd did not answer on {port} in {timeout}s:\n{log.read_text()}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the manager (it stops its child); then kill whatever is left of the group."""
    servers.stop(proc)
    # The child (and a VCL compiler) share the manager's process group, which
    # start_new_session made ours alone: a crashed manager leaves no child.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def running_varnish(binary: str, folder: Path, backends: list[int]) -> Iterator[int]:
    """Run varnishd in front of ``backends`` (ports on 127.0.0.1) until the block ends.

    Yields the port it listens on. ``folder`` holds its working directory, VCL
    and log; an error raised in the block gets varnishd's output as a note, and
    a test failing while it runs shows it as a report section.
    """
    folder.mkdir(parents=True, exist_ok=True)
    vcl_file = folder / "cdn.vcl"
    vcl_file.write_text(vcl(backends))
    log = folder / "varnishd.log"
    port = servers.free_port()
    args = varnishd_args(binary, folder / "work", vcl_file, port)
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    RUNNING.append(log)
    try:
        _ready(port, proc, log)
        try:
            yield port
        except Exception as error:
            error.add_note(f"varnishd's output ({log}):\n{log.read_text()}")
            raise
    finally:
        RUNNING.remove(log)
        _stop(proc)
