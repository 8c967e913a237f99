"""Figure 1: what one ``{% static %}`` tag and one ``staticfiles_storage.url()`` call cost.

Our recommended setup (VersionedStaticFilesStorage, versioned STATIC_URL)
against plain StaticFilesStorage, ManifestStaticFilesStorage and whitenoise's
CompressedManifestStaticFilesStorage, each collected for real from the
synthetic tree, with DEBUG off as in production. A template of 100 tags
naming 100 different files (CSS, JS, images) is compiled once and rendered
over and over; ``url()`` is called through ``staticfiles_storage`` as
templates do.

Then the same calls at 1, 4,096, 20,000 and 100,000 distinct names (figure
1b): a site's number of static names is bounded by the files it has, so the
script writes that many files of a few bytes (``tree.generate_small``) and
asks for every one of them in turn, pass after pass, as a site's pages
would. Ours against plain StaticFilesStorage, and ManifestStaticFilesStorage
for reference, its manifest written by the script as collectstatic would
name the files (``name.<12 hex digits of the MD5>.ext``: hashing 100,000
files through collectstatic would dominate the run; ``url()`` never opens
the hashed copies). Every measurement starts with an empty memo and one
untimed pass over the names, so what is timed is what a full memo answers,
or, past its bound, what a thrashing one does. ``{% static %}`` renders
templates of 100 tags each (one template of the same name 100 times for a
single name). The memory of our memo is measured with tracemalloc on a
storage of its own, per name.

    python bench/render.py [--quick] [--rounds N] [--tmp DIR]
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import statistics
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import benchlib
import django
import tree
from django.conf import settings

PLAIN = "django.contrib.staticfiles.storage.StaticFilesStorage"
OURS = "django_static_url_helper.storage.VersionedStaticFilesStorage"
MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
WHITENOISE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
VERSIONED = "/static/3fa9c1e2b7d4/"
NAMES = 100
SIZES = (1, 4_096, 20_000, 100_000)
QUICK_SIZES = (1, 64, 300)
CALLS = 20_000
"""At least this many calls per timed measurement at every size (whole passes)."""
TAGS_PER_TEMPLATE = 100
URL_TARGET = 5.0
TAG_TARGET = 2.0


class Setup(NamedTuple):
    label: str
    backend: str
    static_url: str


SETUPS = [
    Setup("plain StaticFilesStorage", PLAIN, "/static/"),
    Setup("plain StaticFilesStorage, versioned STATIC_URL", PLAIN, VERSIONED),
    Setup("ours: VersionedStaticFilesStorage, versioned STATIC_URL", OURS, VERSIONED),
    Setup("ManifestStaticFilesStorage", MANIFEST, "/static/"),
    Setup("whitenoise CompressedManifestStaticFilesStorage", WHITENOISE, "/static/"),
]
SCALE_PLAIN, SCALE_OURS = SETUPS[0], SETUPS[2]
SCALE_SETUPS = [SCALE_PLAIN, SCALE_OURS, SETUPS[3]]
SHORT = {SCALE_PLAIN: "plain", SCALE_OURS: "ours", SETUPS[3]: "Manifest"}


def configure(source: Path) -> None:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench",
        INSTALLED_APPS=["django_static_url_helper", "django.contrib.staticfiles"],
        STATICFILES_DIRS=[source],
        STATIC_URL="/static/",
        STATIC_ROOT=None,
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}],
        USE_TZ=True,
    )
    django.setup()


def sample_names(names: list[str], count: int) -> list[str]:
    rng = random.Random(7)
    return rng.sample(names, min(count, len(names)))


def main() -> None:
    parser = benchlib.parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--tmp",
        type=Path,
        metavar="DIR",
        help="write the trees below DIR (default: the temporary directory; /dev/shm is a tmpfs)",
    )
    args = parser.parse_args()
    options = benchlib.options(args, parser)
    benchlib.header("Figure 1", options, "per-call cost of {% static %} and url()")
    with (
        benchlib.generated_tree(options, args.tmp) as synthetic,
        tempfile.TemporaryDirectory(prefix="static-url-bench-", dir=args.tmp) as tmp,
    ):
        configure(synthetic.root)
        hundred_names(options, synthetic, Path(tmp))
        at_scale(options, Path(tmp) / "small")
    benchlib.footer()


def hundred_names(options: benchlib.Options, synthetic: tree.Tree, tmp: Path) -> None:
    """Figure 1: 100 names of the synthetic tree, every setup collected for real."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.management import call_command
    from django.template import Context, Template
    from django.test.utils import override_settings

    repeat = 20 if options.quick else 200
    names = sample_names(synthetic.names, NAMES)
    template = Template("{% load static %}" + "".join(f'{{% static "{n}" %}}\n' for n in names))
    context = Context({})
    overrides = {}
    for number, setup in enumerate(SETUPS):
        root = tmp / f"static-root-{number}"
        override = override_settings(
            STORAGES={"staticfiles": {"BACKEND": setup.backend}},
            STATIC_URL=setup.static_url,
            STATIC_ROOT=str(root),
        )
        if setup.backend in (MANIFEST, WHITENOISE):
            with override:
                call_command("collectstatic", interactive=False, verbosity=0)
        overrides[setup.label] = override

    def url_calls() -> None:
        for _ in range(repeat):
            for name in names:
                staticfiles_storage.url(name)

    def renders() -> None:
        for _ in range(repeat):
            template.render(context)

    def measure(setup: Setup, work: Callable[[], None]) -> Callable[[], float]:
        def run() -> float:
            with overrides[setup.label]:
                work()  # warm: the manifest loaded, memos filled
                return benchlib.clock(work) / (repeat * len(names))

        return run

    samples = benchlib.rounds(
        options,
        {f"url {s.label}": measure(s, url_calls) for s in SETUPS}
        | {f"tag {s.label}": measure(s, renders) for s in SETUPS},
    )
    plain = SETUPS[0].label
    rows = []
    for setup in SETUPS:
        url_ratios = samples.ratios(f"url {setup.label}", f"url {plain}")
        tag_ratios = samples.ratios(f"tag {setup.label}", f"tag {plain}")
        rows.append(
            [
                setup.label,
                f"{samples.median(f'url {setup.label}') * 1e6:.2f}",
                benchlib.median_spread(url_ratios),
                f"{samples.median(f'tag {setup.label}') * 1e6:.2f}",
                benchlib.median_spread(tag_ratios),
            ]
        )
    print(
        benchlib.table(
            f"{len(names)} names from {tree.describe(synthetic)}; DEBUG=False",
            ["setup", "url() us", "vs plain (rounds)", "{% static %} us", "vs plain (rounds)"],
            rows,
        )
    )
    print("vs plain: median of the per-round ratios, their range in brackets")
    print()


class Scale(NamedTuple):
    """The distinct names of one row, and the templates naming them."""

    names: list[str]
    templates: list[Any]
    tags: int
    """Tags over all templates (one pass)."""


def scales(all_names: list[str], sizes: tuple[int, ...]) -> dict[int, Scale]:
    from django.template import Template

    def compiled(names: list[str]) -> Any:
        return Template("{% load static %}" + "".join(f'{{% static "{n}" %}}\n' for n in names))

    found = {}
    for size in sizes:
        names = all_names[:size]
        if size == 1:
            chunks = [names * TAGS_PER_TEMPLATE]
        else:
            step = TAGS_PER_TEMPLATE
            chunks = [names[i : i + step] for i in range(0, size, step)]
        found[size] = Scale(names, [compiled(c) for c in chunks], sum(map(len, chunks)))
    return found


def write_manifest(root: Path, names: list[str]) -> None:
    """staticfiles.json as collectstatic would write it for these files (hashed copies absent)."""
    paths = {}
    for name in names:
        digest = hashlib.md5((root / name).read_bytes(), usedforsecurity=False).hexdigest()[:12]
        stem, dot, extension = name.rpartition(".")
        paths[name] = f"{stem}.{digest}{dot}{extension}"
    body = {"paths": paths, "version": "1.1", "hash": "bench"}
    (root / "staticfiles.json").write_text(json.dumps(body))


def memo_bytes_per_name(root: Path, names: list[str]) -> tuple[float, int]:
    """Bytes tracemalloc sees our memo hold per name once it knows ``names``, and its length."""
    from django_static_url_helper.storage import VersionedStaticFilesStorage

    storage = VersionedStaticFilesStorage(location=root, base_url=VERSIONED)
    storage.url("warm/up.css")  # the first call's one-off costs (conf, the base URL) apart
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for name in names:
            storage.url(name)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return (after - before) / len(names), len(storage._urls) - 1  # not the warm-up name


def at_scale(options: benchlib.Options, root: Path) -> None:
    """Figure 1b: url() and {% static %} at 1 to 100,000 distinct names that exist."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.files.storage import storages
    from django.template import Context
    from django.test.utils import override_settings

    sizes = QUICK_SIZES if options.quick else SIZES
    calls = 500 if options.quick else CALLS
    all_names = tree.generate_small(root, max(sizes))
    write_manifest(root, all_names)
    rows_of = scales(all_names, sizes)
    context = Context({})
    overrides = {
        setup.label: override_settings(
            STORAGES={"staticfiles": {"BACKEND": setup.backend}},
            STATIC_URL=setup.static_url,
            STATIC_ROOT=str(root),
        )
        for setup in SCALE_SETUPS
    }
    memo_sizes: dict[int, set[int]] = {size: set() for size in sizes}

    def url_pass(scale: Scale) -> None:
        for name in scale.names:
            staticfiles_storage.url(name)  # through the lazy object, as the tag calls it

    def tag_pass(scale: Scale) -> None:
        for template in scale.templates:
            template.render(context)

    def measure(
        setup: Setup, size: int, work: Callable[[Scale], None], per_pass: int
    ) -> Callable[[], float]:
        scale = rows_of[size]
        passes = max(1, math.ceil(calls / per_pass))

        def repeated() -> None:
            for _ in range(passes):
                work(scale)

        def run() -> float:
            with overrides[setup.label]:
                work(scale)  # an empty memo (a new storage) filled by one pass
                seconds = benchlib.clock(repeated) / (passes * per_pass)
                if setup is SCALE_OURS:
                    memo_sizes[size].add(len(storages["staticfiles"]._urls))  # type: ignore[attr-defined]
                return seconds

        return run

    variants: dict[str, Callable[[], float]] = {}
    for size in sizes:
        for setup in SCALE_SETUPS:
            variants[f"url {size} {setup.label}"] = measure(
                setup, size, url_pass, len(rows_of[size].names)
            )
            variants[f"tag {size} {setup.label}"] = measure(
                setup, size, tag_pass, rows_of[size].tags
            )
    samples = benchlib.rounds(options, variants)

    rows, targets = [], []
    for size in sizes:
        for setup in SCALE_SETUPS:
            url_key, tag_key = f"url {size} {setup.label}", f"tag {size} {setup.label}"
            url_vs = samples.ratios(f"url {size} {SCALE_PLAIN.label}", url_key)
            tag_vs = samples.ratios(f"tag {size} {SCALE_PLAIN.label}", tag_key)
            rows.append(
                [
                    f"{size:,} name{'s' if size > 1 else ''}, {SHORT[setup]}",
                    f"{samples.median(url_key) * 1e6:.2f}",
                    benchlib.median_spread(url_vs),
                    f"{samples.median(tag_key) * 1e6:.2f}",
                    benchlib.median_spread(tag_vs),
                ]
            )
            if setup is SCALE_OURS:
                url_faster, tag_faster = statistics.median(url_vs), statistics.median(tag_vs)
                targets.append(
                    benchlib.target(
                        options,
                        f"url() at least {URL_TARGET:g}x faster than plain at {size:,} name(s) "
                        f"({url_faster:.2f}x)",
                        url_faster >= URL_TARGET,
                    )
                )
                targets.append(
                    benchlib.target(
                        options,
                        f"{{% static %}} at least {TAG_TARGET:g}x faster than plain at "
                        f"{size:,} name(s) ({tag_faster:.2f}x)",
                        tag_faster >= TAG_TARGET,
                    )
                )
    print(
        benchlib.table(
            f"Figure 1b: distinct names, each a file of a few bytes; {calls:,}+ calls per "
            f"measurement, after one untimed pass; DEBUG=False",
            [
                "names, setup",
                "url() us",
                "x faster than plain",
                "{% static %} us",
                "x faster than plain",
            ],
            rows,
        )
    )
    print(
        "x faster than plain: median of the per-round ratios plain/setup, range in brackets;"
        f" plain: {SCALE_PLAIN.label}; {SCALE_OURS.label}"
    )
    memory = []
    for size in sizes:
        per_name, held = memo_bytes_per_name(root, rows_of[size].names)
        memory.append(
            [
                f"{size:,}",
                f"{per_name:.0f}",
                f"{per_name * size / 2**20:.2f}",
                f"{held:,}",
                ", ".join(f"{n:,}" for n in sorted(memo_sizes[size])),
            ]
        )
    print()
    print(
        benchlib.table(
            "our url() memo: memory (tracemalloc, a storage of its own, one pass) and names kept",
            ["names", "bytes/name", "MiB", "memo holds", "after a timed pass"],
            memory,
        )
    )
    print("\n".join(targets))


if __name__ == "__main__":
    main()
