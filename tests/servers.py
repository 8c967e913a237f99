"""Start real servers (runserver, gunicorn, nginx) on 127.0.0.1 for tests, and talk raw HTTP."""

from __future__ import annotations

import contextlib
import http.client
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Response(NamedTuple):
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def request(
    port: int, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> Response:
    """Send ``path`` exactly as given (no normalising of '..' or '%2e')."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        return Response(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    proc.terminate()
    raise RuntimeError(f"server did not listen on {port} in {timeout}s:\n{log.read_text()}")


@contextlib.contextmanager
def running(
    args: list[str], port: int, log: Path, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``args`` until the block ends; the server must listen on ``port``."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=cwd, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc, log)
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it is still there after 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def gunicorn_args(port: int, app: str = "tests.wsgi:application", workers: int = 1) -> list[str]:
    return [
        str(BIN / "gunicorn"),
        app,
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--access-logfile=-",
        "--graceful-timeout=5",
    ]


def uvicorn_args(
    port: int,
    app: str = "tests.asgi:application",
    workers: int = 1,
    *,
    warnings: str | None = "error",
) -> list[str]:
    """uvicorn with every warning an error: Django's warning for a sync file
    iterator under ASGI then breaks the response instead of going by unseen.

    ``warnings`` is the ``-W`` filter; None runs Python's default filters, which
    print such a warning to the log once and carry on.
    """
    return [
        sys.executable,
        *(["-W", warnings] if warnings else []),
        "-m",
        "uvicorn",
        app,
        "--host=127.0.0.1",
        f"--port={port}",
        f"--workers={workers}",
        "--timeout-graceful-shutdown=5",
    ]


APP_SERVERS = ("gunicorn", "uvicorn")
"""The servers every app-serving test runs behind: WSGI and ASGI."""


def app_server_args(server: str, port: int, project: str = "tests", workers: int = 1) -> list[str]:
    """``server`` (one of APP_SERVERS) running ``project``'s wsgi or asgi module."""
    if server == "uvicorn":
        return uvicorn_args(port, f"{project}.asgi:application", workers)
    return gunicorn_args(port, f"{project}.wsgi:application", workers)


def runserver_args(port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload", *extra]


# --- nginx: a private instance on 127.0.0.1 with its own prefix, pid and temp paths. ---

NGINX_MISSING = (
    "nginx is not installed: install it with 'apt-get install nginx' "
    "(or put an nginx binary on PATH)."
)


def nginx_binary() -> str | None:
    """The nginx binary on PATH or in /usr/sbin (Debian's place, often off PATH)."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def nginx_config(prefix: Path, http: str) -> Path:
    """Write a whole nginx.conf under ``prefix`` around ``http`` (server blocks).

    Files the servers ``include`` by relative path go under ``prefix / 'conf'``.
    """
    conf = prefix / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    temp = prefix / "temp"
    temp.mkdir(exist_ok=True)
    # As root, workers would drop to "nobody" and could not read test folders.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    paths = "\n".join(
        f"    {kind}_temp_path {temp / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    path = conf / "nginx.conf"
    path.write_text(
        f"{user}\n"
        f"worker_processes 1;\n"
        f"pid {prefix / 'nginx.pid'};\n"
        f"error_log stderr notice;\n"
        f"events {{ worker_connections 512; }}\n"
        f"http {{\n"
        f"    access_log off;\n"
        f"    sendfile on;\n"
        f"{paths}\n"
        f"    types {{ text/css css; application/javascript js; image/svg+xml svg;"
        f" image/png png; text/html html; }}\n"
        f"    default_type application/octet-stream;\n"
        f"{http}\n"
        f"}}\n"
    )
    return path


def nginx_args(binary: str, prefix: Path, conf: Path, *extra: str) -> list[str]:
    return [binary, "-p", f"{prefix}/", "-c", str(conf), "-e", "stderr", *extra]


def nginx_check(binary: str, prefix: Path, conf: Path) -> str:
    """Run ``nginx -t`` on ``conf``; raise with nginx's own words if it fails."""
    result = subprocess.run(
        nginx_args(binary, prefix, conf, "-t"), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"nginx -t failed for {conf}:\n{result.stderr}")
    return result.stderr


@contextlib.contextmanager
def running_nginx(
    binary: str, prefix: Path, http: str, port: int, main: str = ""
) -> Iterator[Path]:
    """Check and run nginx with ``http`` until the block ends; yields the config path.

    ``http`` must make nginx listen on 127.0.0.1:``port``; ``main``: directives
    of nginx.conf's main context (such as ``pcre_jit on;``).
    """
    conf = nginx_config(prefix, http)
    nginx_check(binary, prefix, conf)
    args = nginx_args(binary, prefix, conf, "-g", f"daemon off; {main}".strip())
    with running(args, port, prefix / "nginx.log"):
        yield conf


def reload_nginx(binary: str, prefix: Path, http: str) -> None:
    """Rewrite the config of the nginx running under ``prefix`` and reload it gracefully."""
    conf = nginx_config(prefix, http)
    nginx_check(binary, prefix, conf)
    # The config passed "nginx -t"; what is left to fail is the signal to the
    # master (it failed once in a full run, its message not kept): tried a
    # few times, then an error with nginx's own words.
    for attempt in range(3):
        result = subprocess.run(
            nginx_args(binary, prefix, conf, "-s", "reload"),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode == 0:
            return
        time.sleep(0.2 * (attempt + 1))
    raise RuntimeError(f"nginx -s reload failed for {conf}:\n{result.stderr}")
