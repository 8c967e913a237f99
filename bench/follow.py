"""Figure 8: following the published version (STATIC_VERSION_FOLLOW) on vs off.

Release directories in every row: collectstatic (fresh processes, the deploy
step) collects the synthetic tree as release ``a``, then as release ``b``,
which it publishes last. Three setups of the same STATIC_ROOT, each with its
own middleware and storage, DEBUG off:

- follow off: STATIC_URL carries ``b``;
- follow on: STATIC_URL carries ``b``, the published version;
- follow on, switched: STATIC_URL still carries ``a`` (the process started
  before ``b`` was published), so every URL is rewritten to ``b``.

In this process, as in render.py: a template of 100 ``{% static %}`` tags
rendered outside a request (a task, an email: each ``url()`` asks whether the
interval has passed); the same template rendered by a view behind
VersionedWhiteNoiseMiddleware (a page request: the middleware fixes the
request's version once); a 10 KB CSS file answered by the middleware. Each
measurement is short (5 renders, 500 file requests) and there are many
rounds (``--in-process-rounds``, default 300), every setup once per round;
both the wall clock and the thread's CPU time are kept. Over HTTP, as in
serve_whitenoise.py: one gunicorn (one sync worker) per setup, follow off and
on, serving that CSS file to ``wrk`` (``--rounds``, default 30, of
``--seconds`` 2 s per server), the server that goes first alternating.

    python bench/follow.py [--quick] [--rounds N] [--in-process-rounds N] [--seconds S]
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, cast

import benchlib
import serve_whitenoise
import tree
from render import NAMES, sample_names

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests import servers  # noqa: E402

HTTP_ROUNDS = 30
IN_PROCESS_ROUNDS = 300
RENDERS = 5
"""Renders of the template per measurement (tags, pages): about 20 ms, many short rounds."""
FILE_REQUESTS = 500
COUNTED = {"tag": 20, "page": 20, "file": 500}
"""With --instructions: how many of each workload callgrind counts."""
TARGET = 0.99


class Setup(NamedTuple):
    label: str
    follow: bool
    release: str
    """The release id STATIC_URL is computed from."""


OFF = Setup("follow off", False, "b")
ON = Setup("follow on", True, "b")
SWITCHED = Setup("follow on, switched (STATIC_URL of a)", True, "a")
SETUPS = [OFF, ON, SWITCHED]
HTTP_SETUPS = [OFF, ON]


def site_env(source: Path, root: Path) -> dict[str, str]:
    return benchlib.site_env(source, root)


def collect(env: dict[str, str], release: str) -> None:
    """The deploy step: collect release ``release`` into its directory and publish it."""
    command = [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v0"]
    subprocess.run(command, env={**env, "BENCH_RELEASE": release}, check=True)


def css_near_10_kb(synthetic: tree.Tree) -> str:
    return min(synthetic.css, key=lambda name: abs((synthetic.root / name).stat().st_size - 10240))


Work = Callable[[int], None]
"""One workload: ``work(count)`` renders the template, or answers a request, ``count`` times."""


def workloads(names: list[str], css: str) -> dict[str, Work]:
    """The three workloads under the settings in force (one setup), each checked once."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.http import HttpRequest, HttpResponse
    from django.http.response import HttpResponseBase
    from django.template import Context, Template
    from django.test import RequestFactory

    from django_static_url_helper import url_helper, version
    from django_static_url_helper.middleware import VersionedWhiteNoiseMiddleware

    template = Template("{% load static %}" + "".join(f'{{% static "{n}" %}}\n' for n in names))
    context = Context({})
    published = version.split_url(url_helper.get_static_url_release("/static/", "b")).segment
    factory = RequestFactory()
    page_request = factory.get("/page/")
    file_request = factory.get(f"/static/{published}/{css}")

    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(template.render(context))

    middleware = VersionedWhiteNoiseMiddleware(view)

    def call(request: HttpRequest) -> HttpResponseBase:
        return cast(HttpResponseBase, middleware(request))  # WSGI: never awaitable

    if f"/static/{published}/" not in template.render(context):
        raise RuntimeError(f"the page does not render version {published}")
    if f"/static/{published}/" not in (seen := staticfiles_storage.url(names[0])):
        raise RuntimeError(f"url() gave {seen}, not version {published}")
    if f"/static/{published}/" not in call(page_request).content.decode():  # type: ignore[attr-defined]
        raise RuntimeError(f"the page request does not render version {published}")
    answer = call(file_request)
    answer.close()
    if answer.status_code != 200 or "immutable" not in answer["Cache-Control"]:
        raise RuntimeError(f"{css} answered {answer.status_code}")

    def tags(count: int) -> None:
        for _ in range(count):
            template.render(context)

    def pages(count: int) -> None:
        for _ in range(count):
            call(page_request)

    def files(count: int) -> None:
        for _ in range(count):
            call(file_request).close()

    return {"tag": tags, "page": pages, "file": files}


KINDS = {"tag": RENDERS, "page": RENDERS, "file": FILE_REQUESTS}
"""Each workload and how many of it one measurement runs."""


def per_call(kind: str, names: list[str]) -> int:
    """What one unit of work is divided into: the tags of a render, else one request."""
    return len(names) if kind == "tag" else 1


def in_process(
    options: benchlib.Options, env: dict[str, str], names: list[str], css: str
) -> tuple[benchlib.Samples, benchlib.Samples]:
    """Per-call seconds of every setup, wall clock and CPU time: tags, pages, files."""
    os.environ.update({**env, "BENCH_RELEASE": OFF.release, "BENCH_FOLLOW": "0"})
    import django

    django.setup()
    from django.test.utils import override_settings

    from django_static_url_helper import url_helper

    overrides: dict[str, Any] = {}
    loads: dict[str, dict[str, Work]] = {}
    for setup in SETUPS:
        static_url = url_helper.get_static_url_release("/static/", setup.release)
        overrides[setup.label] = override_settings(
            STATIC_URL=static_url, STATIC_VERSION_FOLLOW=setup.follow
        )
        with overrides[setup.label]:
            loads[setup.label] = workloads(names, css)

    cpu = benchlib.Samples()

    def measure(key: str, setup: Setup, work: Work, count: int, per: int) -> Callable[[], float]:
        def run() -> float:
            with overrides[setup.label]:
                work(1)  # warm: the published version read, memos filled
                wall, used = benchlib.clock_cpu(lambda: work(count))
            cpu.add(key, used / (count * per))
            return wall / (count * per)

        return run

    variants: dict[str, Callable[[], float]] = {}
    for setup in SETUPS:
        for kind, count in KINDS.items():
            key = f"{kind} {setup.label}"
            work = loads[setup.label][kind]
            variants[key] = measure(key, setup, work, count, per_call(kind, names))
    return benchlib.rounds(options, variants), cpu


def count_child(argv: list[str]) -> None:
    """``follow.py count NAMES CSS KIND CALLS``: run one workload CALLS times, for callgrind.

    The setup comes from the environment (site_settings); the parent counts the
    instructions of this process with CALLS and with 0, and divides the difference.
    """
    names_file, css, kind, calls = argv
    import django

    django.setup()
    work = workloads(Path(names_file).read_text().split(), css)[kind]
    work(20)  # warm
    gc.disable()
    work(int(calls))


def callgrind(env: dict[str, str], child: list[str]) -> int:
    """The instructions ``follow.py count CHILD...`` executes."""
    return benchlib.callgrind([sys.executable, __file__, "count", *child], env)


def instructions(
    env: dict[str, str], names: list[str], css: str, work: Path, kinds: list[str]
) -> dict[str, float]:
    """Instructions per call of every setup and workload, counted by valgrind's callgrind.

    The interval is an hour here, so that no count includes the re-read of
    ``published.json``, which happens once per interval however many
    requests come (valgrind runs the code about 50 times slower).
    """
    names_file = work / "names.txt"
    names_file.write_text("\n".join(names))
    found = {}
    for setup in SETUPS:
        setup_env = {
            **env,
            "BENCH_RELEASE": setup.release,
            "BENCH_FOLLOW": "1" if setup.follow else "0",
            "BENCH_INTERVAL": "3600",
            "PYTHONHASHSEED": "0",
        }
        for kind in kinds:
            calls = COUNTED[kind]
            child = [str(names_file), css, kind]
            total = callgrind(setup_env, [*child, str(calls)]) - callgrind(setup_env, [*child, "0"])
            found[f"{kind} {setup.label}"] = total / (calls * per_call(kind, names))
    return found


class Http(NamedTuple):
    rps: dict[str, list[float]]
    cpu: dict[str, list[float]]
    client: str
    seconds: int


def over_http(
    args: Any, options: benchlib.Options, env: dict[str, str], url: str, work: Path
) -> Http:
    """Requests/s of the CSS file from one gunicorn per setup, rounds alternating."""
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    load = serve_whitenoise.load_wrk if client == "wrk" else serve_whitenoise.load_python
    seconds = 1 if options.quick else args.seconds
    rps: dict[str, list[float]] = {setup.label: [] for setup in HTTP_SETUPS}
    cpu: dict[str, list[float]] = {setup.label: [] for setup in HTTP_SETUPS}
    with contextlib.ExitStack() as stack:
        running = {}
        for number, setup in enumerate(HTTP_SETUPS):
            server_env = {
                **env,
                "BENCH_RELEASE": setup.release,
                "BENCH_FOLLOW": "1" if setup.follow else "0",
            }
            log = work / f"gunicorn-{number}.log"
            running[setup.label] = stack.enter_context(serve_whitenoise.gunicorn(server_env, log))
        bodies = set()
        for label, (port, _pid) in running.items():
            answer = servers.request(port, url)
            print(f"  {label:12} {url} {answer.status} {answer.headers.get('Cache-Control')}")
            if answer.status != 200 or "immutable" not in answer.headers.get("Cache-Control", ""):
                raise RuntimeError(f"{label}: GET {url} answered {answer.status}")
            bodies.add(answer.body)
            if not options.quick:  # warm up
                load(port, url, 1, args.connections)
        if len(bodies) != 1:
            raise RuntimeError("the servers served different bytes")
        for number in range(options.rounds):
            order = HTTP_SETUPS if number % 2 == 0 else HTTP_SETUPS[::-1]
            for setup in order:
                port, pid = running[setup.label]
                got, per_request = serve_whitenoise.measure(
                    load, port, pid, url, seconds, args.connections
                )
                rps[setup.label].append(got)
                if per_request is not None:
                    cpu[setup.label].append(per_request)
    return Http(rps, cpu, client, seconds)


def in_process_tables(
    options: benchlib.Options,
    wall: benchlib.Samples,
    cpu: benchlib.Samples,
    css: str,
    css_bytes: int,
    tags: int,
) -> list[str]:
    """Print the in-process tables; return their target lines (judged by CPU time)."""
    targets = []
    sections = [
        ("tag", "{% static %} outside a request", "us per tag"),
        ("page", f"page request rendering {tags} tags, through the middleware", "us per request"),
        ("file", f"{css} ({css_bytes:,} bytes) answered by the middleware", "us per request"),
    ]
    for kind, title, unit in sections:
        rows = []
        for setup in SETUPS:
            key, off = f"{kind} {setup.label}", f"{kind} {OFF.label}"
            # Throughput on / off: off's time over on's, round by round.
            by_cpu, by_wall = cpu.ratios(off, key), wall.ratios(off, key)
            rows.append(
                [
                    setup.label,
                    f"{cpu.median(key) * 1e6:.2f}",
                    f"{statistics.median(by_cpu):.3f}",
                    benchlib.spread(by_cpu, 3),
                    f"{wall.median(key) * 1e6:.2f}",
                    f"{statistics.median(by_wall):.3f}",
                    benchlib.spread(by_wall, 3),
                ]
            )
            if setup.follow and kind in ("tag", "page"):
                ratio = statistics.median(by_cpu)
                text = (
                    f"{title}, {setup.label}: at least {TARGET} of off by CPU time "
                    f"({ratio:.3f}; wall clock {statistics.median(by_wall):.3f})"
                )
                targets.append(benchlib.target(options, text, ratio >= TARGET))
        header = ["setup", f"CPU {unit}", "vs off", "rounds", f"wall {unit}", "vs off", "rounds"]
        print(benchlib.table(f"in process, {options.rounds} round(s): {title}", header, rows))
    return targets


def instructions_table(counted: dict[str, float], kinds: list[str]) -> None:
    rows = []
    for setup in SETUPS:
        row = [setup.label]
        for kind in kinds:
            value, off = counted[f"{kind} {setup.label}"], counted[f"{kind} {OFF.label}"]
            row += [f"{value:,.0f}", f"{off / value:.3f}"]
        rows.append(row)
    names = {"tag": "per tag", "page": "per page request", "file": "per file request"}
    header = [column for kind in kinds for column in (names[kind], "vs off")]
    print(
        benchlib.table(
            "instructions per call, counted by valgrind's callgrind (interval 1 h)",
            ["setup", *header],
            rows,
        )
    )


def instruction_targets(
    options: benchlib.Options, counted: dict[str, float], kinds: list[str]
) -> list[str]:
    """Follow on at least TARGET of off, by instructions per call, for each workload."""
    lines = []
    for setup in SETUPS:
        if not setup.follow:
            continue
        for kind in kinds:
            ratio = counted[f"{kind} {OFF.label}"] / counted[f"{kind} {setup.label}"]
            text = f"{kind}, {setup.label}: at least {TARGET} of off by instructions ({ratio:.3f})"
            lines.append(benchlib.target(options, text, ratio >= TARGET))
    return lines


def http_table(options: benchlib.Options, http: Http, css: str) -> list[str]:
    """Print the HTTP table; return its target line (judged by requests/s)."""
    targets = []
    off_rps, off_cpu = http.rps[OFF.label], http.cpu[OFF.label]
    rows = []
    for setup in HTTP_SETUPS:
        values, worker = http.rps[setup.label], http.cpu[setup.label]
        ratios = [on / off for on, off in zip(values, off_rps, strict=True)]
        rows.append(
            [
                setup.label,
                f"{statistics.median(values):.0f}",
                f"{min(values):.0f}",
                f"{max(values):.0f}",
                f"{statistics.median(ratios):.3f}",
                benchlib.spread(ratios, 3),
                f"{statistics.median(worker):.1f}" if worker else "n/a",
            ]
        )
        if setup.follow:
            ratio = statistics.median(ratios)
            by_cpu = ""
            if off_cpu and worker:
                by_cpu = (
                    f"; by worker CPU per request "
                    f"{statistics.median(off_cpu) / statistics.median(worker):.3f}"
                )
            text = (
                f"whitenoise, {css} over HTTP, {setup.label}: req/s at least {TARGET} "
                f"of off ({ratio:.3f}{by_cpu})"
            )
            targets.append(benchlib.target(options, text, ratio >= TARGET))
    print(
        benchlib.table(
            f"over HTTP: {css}, gunicorn (1 sync worker) per setup, {http.client}, "
            f"{options.rounds} round(s) of {http.seconds} s per server, alternating",
            ["setup", "req/s median", "min", "max", "vs off", "rounds", "CPU us/req"],
            rows,
        )
    )
    return targets


def main() -> None:
    parser = benchlib.parser(__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=2, help="HTTP load per server per round")
    parser.add_argument("--connections", type=int, default=2, help="HTTP connections")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--in-process-rounds",
        type=int,
        metavar="N",
        help=f"rounds of the in-process measurements (default {IN_PROCESS_ROUNDS})",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count instructions per call with valgrind (slow: minutes)",
    )
    parser.add_argument(
        "--instructions-only",
        action="store_true",
        help="only count instructions (no timing; the counts do not move with the load)",
    )
    parser.add_argument(
        "--counted",
        nargs="+",
        choices=list(COUNTED),
        default=list(COUNTED),
        metavar="WORKLOAD",
        help="the workloads whose instructions are counted: tag, page, file (default: all)",
    )
    args = parser.parse_args()
    args.instructions = args.instructions or args.instructions_only
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind (Debian: apt-get install valgrind)")
    if args.rounds is None and not args.quick:
        args.rounds = HTTP_ROUNDS
    options = benchlib.options(args, parser)
    short = args.in_process_rounds or (1 if args.quick else IN_PROCESS_ROUNDS)
    in_process_options = options._replace(rounds=short)
    benchlib.header("Figure 8", options, "following the published version: on vs off")
    with benchlib.generated_tree(options) as synthetic:
        work = synthetic.root.parent
        env = site_env(synthetic.root, work / "static-root")
        for release in ("a", "b"):
            collect(env, release)
        css = css_near_10_kb(synthetic)
        css_bytes = (synthetic.root / css).stat().st_size
        names = sample_names(synthetic.names, NAMES)
        print(f"{tree.describe(synthetic)}, collected as releases a and b; b published")
        print()
        from django_static_url_helper import url_helper

        published = url_helper.get_static_url_release("/static/", "b")
        if args.instructions_only:
            counted = instructions(env, names, css, work, args.counted)
            instructions_table(counted, args.counted)
            print("\n".join(instruction_targets(options, counted, args.counted)))
            benchlib.footer()
            return
        http = over_http(args, options, env, f"{published}{css}", work)
        print()
        counted = instructions(env, names, css, work, args.counted) if args.instructions else None
        samples, cpu = in_process(in_process_options, env, names, css)
    targets = in_process_tables(in_process_options, samples, cpu, css, css_bytes, len(names))
    if counted is not None:
        instructions_table(counted, args.counted)
        targets += instruction_targets(options, counted, args.counted)
    targets += http_table(options, http, css)
    print(
        "vs off: median of the per-round ratios of throughput (1/time, req/s); rounds: their"
        " range; CPU: this thread's CPU time (in process), the worker's (over HTTP)"
    )
    print("\n".join(targets))
    benchlib.footer()


if __name__ == "__main__":
    if sys.argv[1:2] == ["count"]:
        count_child(sys.argv[2:])
    else:
        main()
