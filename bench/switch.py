"""Figure 9: from the publish of a deploy until every worker renders the new version.

Two gunicorn processes, one sync worker each (two processes, so that each
worker can be asked on its own), serve the same STATIC_ROOT: release
directories behind VersionedWhiteNoiseMiddleware, STATIC_URL from the stamp,
STATIC_VERSION_FOLLOW on with an interval of 1 s. A thread per worker asks
for a page rendering ``{% static "release.txt" %}`` every 10 ms, as a busy
site would be asked, so a worker last looked at the published version at any
moment before the publish; each answer's arrival time and version are noted.

Each deploy is the one deploy step, ``collectstatic`` in a fresh process, of
the synthetic tree plus a ``release.txt`` that differs from deploy to deploy:
a new content version, collected into its own directory and published. A
worker's latency runs from the publish (the modification time of
``published.json``) until the arrival of its first answer that renders the
new version. After the switch each worker must serve the new ``release.txt``
under the new version (immutable) and never render the old one again.

    python bench/switch.py [--quick] [--rounds N] [--interval S]
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import benchlib
import serve_whitenoise
import tree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests import servers  # noqa: E402

WORKERS = 2
ROUNDS = 15
POLL = 0.01
SLACK = 1.0
"""The target: every worker renders the new version within the interval plus this."""


class Poller:
    """Asks one worker for the page every POLL seconds; keeps (arrival, version) of each answer."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.answers: list[tuple[float, str]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                answer = servers.request(self.port, "/page/")
            except OSError as error:
                self.errors.append(str(error))
            else:
                arrived = time.time()
                if answer.status != 200:
                    self.errors.append(f"/page/ answered {answer.status}")
                else:
                    url = answer.body.decode().split(" ", 1)[1]
                    self.answers.append((arrived, url.split("/")[2]))
            self._stop.wait(POLL)

    def first(self, segment: str, since: float) -> float | None:
        """When the first answer rendering ``segment`` arrived, if one has (after ``since``)."""
        for arrived, seen in list(self.answers):
            if arrived >= since and seen == segment:
                return arrived
        return None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


@contextlib.contextmanager
def pollers(ports: list[int]) -> Iterator[list[Poller]]:
    found = [Poller(port) for port in ports]
    for poller in found:
        poller.start()
    try:
        yield found
    finally:
        for poller in found:
            poller.stop()


def deploy(env: dict[str, str], extra: Path, number: int) -> tuple[str, float, float]:
    """One deploy: a new release.txt, collectstatic. Returns (version, publish mtime, seconds)."""
    (extra / "release.txt").write_text(f"deploy {number}\n")
    command = [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v0"]
    start = time.monotonic()
    subprocess.run(command, env=env, check=True)
    seconds = time.monotonic() - start
    published = Path(env["BENCH_ROOT"]) / "published.json"
    segment = json.loads(published.read_bytes())["version"]
    return segment, published.stat().st_mtime, seconds


def check_switched(ports: list[int], segment: str, number: int, polled: list[Poller]) -> None:
    """Each worker serves the new file under the new version, and renders no other since."""
    for port in ports:
        answer = servers.request(port, f"/static/{segment}/release.txt")
        immutable = "immutable" in answer.headers.get("Cache-Control", "")
        if answer.status != 200 or not immutable or answer.body != f"deploy {number}\n".encode():
            raise RuntimeError(f"port {port}: /static/{segment}/release.txt answered {answer}")
    for poller in polled:
        switched = poller.first(segment, 0.0)
        later = [seen for arrived, seen in poller.answers if switched and arrived > switched]
        if any(seen != segment for seen in later):
            raise RuntimeError(f"port {poller.port} rendered an older version after {segment}")


def main() -> None:
    parser = benchlib.parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--interval", type=float, default=1.0, help="STATIC_VERSION_FOLLOW_INTERVAL (default 1 s)"
    )
    args = parser.parse_args()
    if args.rounds is None and not args.quick:
        args.rounds = ROUNDS
    options = benchlib.options(args, parser)
    interval = args.interval
    benchlib.header("Figure 9", options, "publish to every worker rendering the new version")
    rows, latencies = [], []
    with benchlib.generated_tree(options) as synthetic, contextlib.ExitStack() as stack:
        work = synthetic.root.parent
        extra = work / "extra"
        extra.mkdir()
        pythonpath = [str(HERE), str(ROOT), os.environ.get("PYTHONPATH", "")]
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, pythonpath)),
            "DJANGO_SETTINGS_MODULE": "site_settings",
            "BENCH_SOURCE": os.pathsep.join([str(synthetic.root), str(extra)]),
            "BENCH_ROOT": str(work / "static-root"),
            "BENCH_STAMP": str(work / "static-version.txt"),
            "BENCH_FOLLOW": "1",
            "BENCH_INTERVAL": str(interval),
        }
        deploy(env, extra, 0)  # the release the servers start with
        ports = []
        for number in range(WORKERS):
            log = work / f"gunicorn-{number}.log"
            port, _pid = stack.enter_context(serve_whitenoise.gunicorn(env, log))
            ports.append(port)
        print(f"{tree.describe(synthetic)} + release.txt; {WORKERS} gunicorn, 1 sync worker each;")
        print(
            f"STATIC_VERSION_FOLLOW_INTERVAL = {interval:g} s; each worker asked every {POLL:g} s"
        )
        print()
        polled = stack.enter_context(pollers(ports))
        time.sleep(2 * interval)  # every worker has looked at least once
        for number in range(1, options.rounds + 1):
            segment, published, seconds = deploy(env, extra, number)
            deadline = time.monotonic() + interval + 10
            firsts: list[float | None] = [None] * WORKERS
            while None in firsts and time.monotonic() < deadline:
                firsts = [poller.first(segment, published) for poller in polled]
                time.sleep(POLL)
            if None in firsts:
                raise RuntimeError(f"deploy {number}: a worker never rendered {segment}")
            lags = [first - published for first in firsts if first is not None]
            time.sleep(3 * POLL)
            check_switched(ports, segment, number, polled)
            latencies.extend(lags)
            rows.append(
                [
                    str(number),
                    segment,
                    f"{seconds:.2f}",
                    *(f"{lag:.3f}" for lag in lags),
                    f"{max(lags):.3f}",
                ]
            )
        errors = [error for poller in polled for error in poller.errors]
        if errors:
            raise RuntimeError(f"{len(errors)} failed page request(s), e.g. {errors[0]}")
    workers = [f"worker {n + 1} s" for n in range(WORKERS)]
    print(
        benchlib.table(
            "seconds from the publish (mtime of published.json) to each worker's first "
            "page with the new version",
            ["deploy", "version", "collect s", *workers, "slowest s"],
            rows,
        )
    )
    limit = interval + SLACK
    print(
        f"latency over {len(latencies)} worker switches: median {statistics.median(latencies):.3f}"
        f" s, min {min(latencies):.3f} s, max {max(latencies):.3f} s"
    )
    text = (
        f"every worker renders the new version within the interval + {SLACK:g} s "
        f"({limit:g} s) of the publish (slowest {max(latencies):.3f} s)"
    )
    print(benchlib.target(options, text, max(latencies) <= limit))
    benchlib.footer()


if __name__ == "__main__":
    main()
