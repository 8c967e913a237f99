"""Figure 10: a whitenoise worker's start with 1, 10 and 50 kept releases.

Release directories (ReleaseStaticFilesStorage) served by
VersionedWhiteNoiseMiddleware, DEBUG off, as ``site_settings`` sets them up.
``collectstatic`` (a fresh process, the deploy step) collects the synthetic
tree once as the current release and publishes it. Each STATIC_ROOT measured
holds that release and N - 1 older complete releases of the same tree: their
files are hard links to the current release's (as a deploy that links the
unchanged files leaves them), except ``release.txt``, which holds each
release's own bytes, and each has its completion marker, older than the
current one.

A worker starts in a fresh process per STATIC_ROOT and round: ``django.setup()``,
then the WSGI application, which builds the middleware (whitenoise indexes
the files there). The child reports the seconds the middleware took, the
process's RSS after the start and what the start added to it; a second child
per STATIC_ROOT counts with tracemalloc what the middleware keeps. Before it
exits, the first child asks its own application for the current and the
oldest release's ``release.txt`` (200, that release's bytes, ``immutable``)
and for a missing file under the oldest release (404, ``no-store``): a start
that is fast because it broke serving fails the run.

    python bench/kept.py [--quick] [--rounds N] [--tmp DIR]
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import benchlib
import tree

HERE = Path(__file__).resolve().parent
KEPT = (1, 10, 50)
FULL_ROUNDS = 5
TARGET = 1.1
CURRENT = "current"
IMMUTABLE = "immutable"
SEGMENTS_OF = (
    "import json, sys; from django_static_url_helper import version; "
    "print(json.dumps([version.release_segment(r) for r in sys.argv[1:]]))"
)


def site_env(source: Path, root: Path) -> dict[str, str]:
    return benchlib.site_env(source, root, BENCH_RELEASE=CURRENT, BENCH_FOLLOW="0")


def releases(count: int) -> dict[str, str]:
    """Release id -> version segment, as settings compute it (asked of the package, once)."""
    ids = [CURRENT, *(f"old-{number}" for number in range(1, count))]
    command = [sys.executable, "-c", SEGMENTS_OF, *ids]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(zip(ids, json.loads(done.stdout), strict=True))


def collect(source: Path, root: Path, expected: str) -> None:
    """The deploy step: collect the current release into ``root`` and publish it."""
    command = [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v0"]
    subprocess.run(command, env=site_env(source, root), check=True)
    published = json.loads((root / "published.json").read_bytes())["version"]
    if published != expected:
        raise RuntimeError(f"collectstatic published {published}, not {expected}")


def link_release(
    collected: Path, current: str, target: Path, release: str, seg: str, age: float
) -> str:
    """An older complete release of the same tree below ``target``, linked from ``collected``.

    ``release.txt`` gets the release's own bytes; the marker is the current
    one's with this version, its size of release.txt and an older completion.
    """
    source = collected / current
    for folder, _dirs, files in os.walk(source):
        into = target / seg / os.path.relpath(folder, source)
        into.mkdir(parents=True, exist_ok=True)
        for name in files:
            os.link(os.path.join(folder, name), into / name)
    marker = json.loads((collected / f"{current}.release.json").read_bytes())
    if release != CURRENT:
        own = target / seg / "release.txt"
        own.unlink()
        own.write_bytes(f"{release}\n".encode())
        marker.update(version=seg, completed=marker["completed"] - age)
        marker["files"]["release.txt"] = own.stat().st_size
    (target / f"{seg}.release.json").write_text(json.dumps(marker, indent=1, sort_keys=True))
    return seg


def kept_root(collected: Path, segments: dict[str, str], target: Path, count: int) -> str:
    """A STATIC_ROOT with the current release and ``count - 1`` older ones; the oldest's segment."""
    target.mkdir()
    current = segments[CURRENT]
    oldest = link_release(collected, current, target, CURRENT, current, 0)
    for number in range(1, count):
        release = f"old-{number}"
        age = 3600.0 * number
        oldest = link_release(collected, current, target, release, segments[release], age)
    shutil.copyfile(collected / "published.json", target / "published.json")
    return oldest


# --- the worker, in a fresh process ------------------------------------------------------------


def rss_bytes() -> int:
    """This process's resident set size, from /proc (0 where there is none)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def ask(app: Any, path: str) -> tuple[int, str, bytes]:
    """Status, Cache-Control and body of one GET through the WSGI application itself."""
    from wsgiref.util import setup_testing_defaults

    environ: dict[str, Any] = {"PATH_INFO": path, "HTTP_HOST": "127.0.0.1"}
    setup_testing_defaults(environ)
    environ["SERVER_NAME"] = "127.0.0.1"
    answered: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
        answered["status"] = int(status.split()[0])
        answered["headers"] = {name.lower(): value for name, value in headers}

    body = app(environ, start_response)
    try:
        data = b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()
    return answered["status"], answered["headers"].get("cache-control", ""), data


def serving_checks(app: Any, current: str, oldest: str, release: str) -> list[str]:
    """What is wrong with serving the current and the oldest release (nothing: [])."""
    wrong = []
    for seg, body in ((current, f"{CURRENT}\n"), (oldest, f"{release}\n")):
        status, cache, data = ask(app, f"/static/{seg}/release.txt")
        if (status, data) != (200, body.encode()) or IMMUTABLE not in cache:
            wrong.append(f"/static/{seg}/release.txt: {status} {cache!r} {data[:40]!r}")
    status, cache, _ = ask(app, f"/static/{oldest}/no/such/file.css")
    if status != 404 or "no-store" not in cache:
        wrong.append(f"/static/{oldest}/no/such/file.css: {status} {cache!r}")
    return wrong


def child(mode: str, current: str, oldest: str, release: str) -> None:
    import time

    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application

    if mode == "traced":
        import tracemalloc

        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        app = get_wsgi_application()
        kept = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        print(json.dumps({"traced": kept}))
        return
    rss_before = rss_bytes()
    start = time.perf_counter()
    app = get_wsgi_application()
    seconds = time.perf_counter() - start
    rss_after = rss_bytes()
    wrong = serving_checks(app, current, oldest, release)
    print(json.dumps({"seconds": seconds, "rss": rss_after, "grown": rss_after - rss_before,
                      "wrong": wrong}))  # fmt: skip


def run_child(env: dict[str, str], mode: str, current: str, oldest: str, count: int) -> Any:
    release = CURRENT if count == 1 else f"old-{count - 1}"
    command = [sys.executable, str(HERE / "kept.py"), "child", mode, current, oldest, release]
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the parent ----------------------------------------------------------------------------------


def main() -> int:
    parser = benchlib.parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--tmp", type=Path, metavar="DIR", help="write the releases below DIR (default: $TMPDIR)"
    )
    args = parser.parse_args()
    options = benchlib.options(args, parser, FULL_ROUNDS)
    benchlib.header("Figure 10", options, "a whitenoise worker's start with kept releases")
    results: dict[int, list[dict[str, Any]]] = {count: [] for count in KEPT}
    traced: dict[int, int] = {}
    wrong: list[str] = []
    with (
        benchlib.generated_tree(options, args.tmp) as synthetic,
        tempfile.TemporaryDirectory(prefix="static-url-bench-", dir=args.tmp) as tmp,
    ):
        (synthetic.root / "release.txt").write_text(f"{CURRENT}\n")
        collected = Path(tmp) / "collected"
        segments = releases(max(KEPT))
        current = segments[CURRENT]
        collect(synthetic.root, collected, current)
        roots = {}
        for count in KEPT:
            root = Path(tmp) / f"kept-{count}"
            roots[count] = (kept_root(collected, segments, root, count), root)
        files = len(synthetic.names) + 1
        print(f"{files:,} files per release ({tree.describe(synthetic)}, and release.txt)")
        print()
        for number in range(options.rounds):
            shift = number % len(KEPT)
            for count in KEPT[shift:] + KEPT[:shift]:
                oldest, root = roots[count]
                env = site_env(synthetic.root, root)
                found = run_child(env, "time", current, oldest, count)
                wrong += [f"{count} kept: {line}" for line in found.pop("wrong")]
                results[count].append(found)
        for count in KEPT:
            oldest, root = roots[count]
            env = site_env(synthetic.root, root)
            traced[count] = run_child(env, "traced", current, oldest, count)["traced"]
    return report(options, results, traced, wrong)


def report(
    options: benchlib.Options,
    results: dict[int, list[dict[str, Any]]],
    traced: dict[int, int],
    wrong: list[str],
) -> int:
    one = KEPT[0]

    def column(count: int, key: str) -> list[float]:
        return [float(found[key]) for found in results[count]]

    def ratios(count: int, key: str) -> list[float]:
        return [a / b for a, b in zip(column(count, key), column(one, key), strict=True)]

    rows = []
    for count in KEPT:
        rows.append(
            [
                f"{count} kept",
                f"{statistics.median(column(count, 'seconds')) * 1e3:.1f}",
                benchlib.median_spread(ratios(count, "seconds")),
                f"{statistics.median(column(count, 'grown')) / 2**20:.1f}",
                benchlib.median_spread(ratios(count, "grown")),
                f"{statistics.median(column(count, 'rss')) / 2**20:.1f}",
                f"{traced[count] / 2**20:.1f}",
                f"{traced[count] / traced[one]:.2f}x",
            ]
        )
    print(
        benchlib.table(
            "a worker's start, fresh process per round: the middleware (whitenoise's "
            "indexing) and memory",
            [
                "releases",
                "start ms",
                f"vs {one} (rounds)",
                "RSS added MiB",
                f"vs {one} (rounds)",
                "RSS MiB",
                "kept MiB",
                f"vs {one}",
            ],
            rows,
        )
    )
    print(
        "start: building the WSGI application (its middleware) after django.setup(); "
        "RSS added: what that start added to the process's RSS; kept: what tracemalloc "
        "counts the middleware keeping (a child of its own)"
    )
    print()
    if wrong:
        print("serving check: FAILED")
        print("\n".join(f"  {line}" for line in wrong))
    else:
        print(
            "serving check: ok (current and oldest release.txt 200 with their own bytes, "
            "immutable; a miss under the oldest release 404 no-store)"
        )
    most = KEPT[-1]
    time_ratio = statistics.median(ratios(most, "seconds"))
    rss_ratio = statistics.median(ratios(most, "grown"))
    served = not wrong
    print(
        benchlib.target(
            options,
            f"start with {most} kept releases at most {TARGET}x the time of {one}, serving "
            f"intact ({time_ratio:.2f}x)",
            served and time_ratio <= TARGET,
        )
    )
    print(
        benchlib.target(
            options,
            f"memory a start adds with {most} kept releases at most {TARGET}x that of {one}, "
            f"serving intact ({rss_ratio:.2f}x)",
            served and rss_ratio <= TARGET,
        )
    )
    benchlib.footer()
    return 1 if wrong else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(*sys.argv[2:6])
    else:
        sys.exit(main())
