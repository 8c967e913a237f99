"""The example site in a temporary deploy: its own static sources, STATIC_ROOT and stamp."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests import servers

EXAMPLE = servers.ROOT / "example"


# What each app server logs when a worker starts and when one has finished.
WORKER_LOG = {
    "gunicorn": ("Booting worker", "Worker exiting"),
    "uvicorn": ("Started server process", "Finished server process"),
}


class Site:
    """One deployed copy of the example site; ``deploy()`` runs the deploy steps.

    ``server`` is the app server, one of ``servers.APP_SERVERS``: gunicorn runs
    its WSGI application, uvicorn its ASGI one.
    """

    def __init__(self, folder: Path, server: str = "gunicorn", **env: str) -> None:
        self.folder = folder
        self.server = server
        self.sources = folder / "src"
        shutil.copytree(EXAMPLE / "demo" / "static", self.sources)
        self.env = {
            "DJANGO_SETTINGS_MODULE": "demo.settings",
            "PYTHONPATH": str(EXAMPLE),
            "DEMO_STATICFILES_DIR": str(self.sources),
            "DEMO_STATIC_ROOT": str(folder / "static-root"),
            "DEMO_STAMP": str(folder / "static-version.txt"),
            **env,
        }
        self.access_log = folder / "access.log"
        self.port = servers.free_port()
        self.app_port = self.port
        self.workers = 2
        self.server_args: list[str] = []
        """More arguments for the app server (``serving``)."""
        self.nginx: str | None = None
        self.server_pid = 0

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, str(EXAMPLE / "manage.py"), *args],
            env={**os.environ, **self.env},
            cwd=EXAMPLE,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done.stdout

    def deploy(self) -> None:
        """collectstatic: it collects, then writes the stamp."""
        self.manage("collectstatic", "--noinput", "-v0")

    def set_heading_colour(self, colour: str) -> None:
        css = self.sources / "css" / "site.css"
        css.write_text(
            re.sub(r"#title \{ color: [^;]+;", f"#title {{ color: {colour};", css.read_text())
        )
        # collectstatic compares modification times in whole seconds: an edit
        # within the second of the last collect looks unchanged.
        later = time.time() + 2
        os.utime(css, (later, later))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def page_version(self) -> str:
        body = servers.request(self.port, "/").body.decode()
        match = re.search(r'<code id="version">([^<]*)</code>', body)
        assert match, body
        return match.group(1)

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        """The app server with the whitenoise integration serves the whole site."""
        if self.server == "uvicorn":
            args = [
                *servers.uvicorn_args(self.app_port, "demo.asgi:application", self.workers),
                f"--log-config={self.uvicorn_log_config()}",
            ]
        else:
            args = [
                *servers.app_server_args("gunicorn", self.app_port, "demo", self.workers),
                f"--access-logfile={self.access_log}",
            ]
        args += self.server_args
        log = self.folder / f"{self.server}.log"
        with servers.running(args, self.app_port, log, env=self.env, cwd=EXAMPLE) as proc:
            self.server_pid = proc.pid
            yield

    def uvicorn_log_config(self) -> Path:
        """uvicorn's logging, with its access log in ``access_log`` as gunicorn's is."""
        formatter = "uvicorn.logging.AccessFormatter"
        config = {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "default": {"()": "uvicorn.logging.DefaultFormatter", "use_colors": False},
                "access": {"()": formatter, "fmt": '"%(request_line)s" %(status_code)s'},
            },
            "handlers": {
                "default": {"class": "logging.StreamHandler", "formatter": "default"},
                "access": {
                    "class": "logging.FileHandler",
                    "formatter": "access",
                    "filename": str(self.access_log),
                },
            },
            "loggers": {
                "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
                "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
            },
        }
        path = self.folder / "uvicorn-logging.json"
        path.write_text(json.dumps(config))
        return path

    def nginx_http(self) -> str:
        """The server block 'static_url nginx --server' prints, logging its requests."""
        block = self.manage(
            "static_url",
            "nginx",
            "--server",
            f"--listen=127.0.0.1:{self.port}",
            f"--upstream=127.0.0.1:{self.app_port}",
        )
        return block.replace("server {\n", f"server {{\n    access_log {self.access_log};\n", 1)

    @contextlib.contextmanager
    def serving_behind_nginx(self, nginx: str) -> Iterator[None]:
        """nginx serves the static files with the generated block; gunicorn the rest."""
        self.nginx, self.app_port = nginx, servers.free_port()
        prefix = self.folder / "nginx"
        with self.serving(), servers.running_nginx(nginx, prefix, self.nginx_http(), self.port):
            yield

    def restart_gracefully(self) -> None:
        """HUP the master, like a deploy does: wait until fresh workers answer."""
        log = self.folder / f"{self.server}.log"
        started, finished = WORKER_LOG[self.server]
        booted = log.read_text().count(started)
        os.kill(self.server_pid, signal.SIGHUP)
        deadline = time.monotonic() + 30
        while log.read_text().count(started) < booted + self.workers:
            assert time.monotonic() < deadline, f"no fresh workers:\n{log.read_text()}"
            time.sleep(0.05)
        # Old workers finish in-flight requests and exit; wait for them to go.
        while log.read_text().count(finished) < booted:
            assert time.monotonic() < deadline, f"old workers stayed:\n{log.read_text()}"
            time.sleep(0.05)
        if self.nginx:
            # The block names the current version: the deploy regenerates it.
            servers.reload_nginx(self.nginx, self.folder / "nginx", self.nginx_http())
            time.sleep(0.3)  # the old nginx worker finishes and exits

    def static_gets(self) -> list[str]:
        """Paths of static GET requests in the access log so far, then forget them."""
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        self.access_log.write_text("")
        return [m.group(1) for line in lines if (m := re.search(r'"GET (/static/\S+)', line))]
