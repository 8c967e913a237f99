"""Figure 1: what one ``{% static %}`` tag and one ``staticfiles_storage.url()`` call cost.

Our recommended setup (VersionedStaticFilesStorage, versioned STATIC_URL)
against plain StaticFilesStorage, ManifestStaticFilesStorage and whitenoise's
CompressedManifestStaticFilesStorage, each collected for real from the
synthetic tree, with DEBUG off as in production. A template of 100 tags
naming 100 different files (CSS, JS, images) is compiled once and rendered
over and over; ``url()`` is called through ``staticfiles_storage`` as
templates do.

    python bench/render.py [--quick] [--rounds N]
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

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
    options = benchlib.parse(__doc__.splitlines()[0])
    benchlib.header("Figure 1", options, "per-call cost of {% static %} and url()")
    repeat = 20 if options.quick else 200
    with benchlib.generated_tree(options) as synthetic, tempfile.TemporaryDirectory() as tmp:
        configure(synthetic.root)
        from django.contrib.staticfiles.storage import staticfiles_storage
        from django.core.management import call_command
        from django.template import Context, Template
        from django.test.utils import override_settings

        names = sample_names(synthetic.names, NAMES)
        template = Template("{% load static %}" + "".join(f'{{% static "{n}" %}}\n' for n in names))
        context = Context({})
        overrides = {}
        for number, setup in enumerate(SETUPS):
            root = Path(tmp) / f"static-root-{number}"
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
    plain_url = samples.median(f"url {SETUPS[0].label}")
    plain_tag = samples.median(f"tag {SETUPS[0].label}")
    rows = []
    for setup in SETUPS:
        url = samples.median(f"url {setup.label}")
        tag = samples.median(f"tag {setup.label}")
        rows.append(
            [
                setup.label,
                f"{url * 1e6:.2f}",
                benchlib.ratio(url, plain_url),
                f"{tag * 1e6:.2f}",
                benchlib.ratio(tag, plain_tag),
            ]
        )
    print(
        benchlib.table(
            f"{len(names)} names from {tree.describe(synthetic)}; DEBUG=False",
            ["setup", "url() us", "vs plain", "{% static %} us", "vs plain"],
            rows,
        )
    )
    ours_url = samples.median(f"url {SETUPS[2].label}")
    ours_tag = samples.median(f"tag {SETUPS[2].label}")
    print(
        benchlib.target(options, "url() at least 3x faster than plain", plain_url >= 3 * ours_url)
    )
    print(benchlib.target(options, "{% static %} faster than plain", ours_tag < plain_tag))


if __name__ == "__main__":
    main()
