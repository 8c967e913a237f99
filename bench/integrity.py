"""Figure 11: what Subresource Integrity costs, at render and in the deploy's hashing.

At render: ``integrity_of(name)`` (what ``{% static_integrity %}`` calls)
against the memoized ``url()`` of VersionedStaticFilesStorage, for the same
100 names of the synthetic tree, collected for real, DEBUG off. In the deploy:
the background hashing the collect already does (``content_hash.hash_files``
of the sources), with and without the SHA-384 of each file in the same read;
it overlaps the copy, so this is an upper bound of what the deploy pays.

    python bench/integrity.py [--quick] [--rounds N]
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import benchlib
import django
import tree
from django.conf import settings

OURS = "django_static_url_helper.storage.VersionedStaticFilesStorage"
NAMES = 100
RENDER_TARGET = 1.0


def main() -> None:
    options = benchlib.parse(__doc__.splitlines()[0])
    benchlib.header("Figure 11", options, "integrity values at render and in the deploy")
    repeat = 20 if options.quick else 200
    with benchlib.generated_tree(options) as synthetic, tempfile.TemporaryDirectory() as tmp:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="bench",
            INSTALLED_APPS=["django_static_url_helper", "django.contrib.staticfiles"],
            STATICFILES_DIRS=[synthetic.root],
            STATIC_URL="/static/3fa9c1e2b7d4/",
            STATIC_ROOT=str(Path(tmp) / "static-root"),
            STORAGES={"staticfiles": {"BACKEND": OURS}},
            USE_TZ=True,
        )
        django.setup()
        from django.contrib.staticfiles.storage import staticfiles_storage
        from django.core.management import call_command

        from django_static_url_helper import content_hash
        from django_static_url_helper.integrity_lookup import integrity_of

        call_command("collectstatic", interactive=False, verbosity=0)
        names = random.Random(7).sample(synthetic.names, min(NAMES, len(synthetic.names)))
        found = [(name, os.path.join(synthetic.root, name)) for name in synthetic.names]

        def per_call(work: object) -> float:
            def calls() -> None:
                for _ in range(repeat):
                    for name in names:
                        work(name)  # type: ignore[operator]

            calls()  # warm: memos filled, values read
            return benchlib.clock(calls) / (repeat * len(names))

        samples = benchlib.rounds(
            options,
            {
                "url": lambda: per_call(staticfiles_storage.url),
                "integrity": lambda: per_call(integrity_of),
                "hash": lambda: benchlib.clock(lambda: content_hash.hash_files(found)),
                "hash384": lambda: benchlib.clock(
                    lambda: content_hash.hash_files(found, sha384={})
                ),
            },
        )
    url, value = samples.median("url"), samples.median("integrity")
    plain, both = samples.median("hash"), samples.median("hash384")
    print(
        benchlib.table(
            f"{len(names)} names from {tree.describe(synthetic)}; DEBUG=False",
            ["what", "median", "vs baseline"],
            [
                ["url() (memoized), per call", f"{url * 1e6:.3f} us", "1.00x"],
                ["integrity_of(), per call", f"{value * 1e6:.3f} us", benchlib.ratio(value, url)],
                ["background hashing, SHA-256 only", f"{plain:.3f} s", "1.00x"],
                ["background hashing, + SHA-384", f"{both:.3f} s", benchlib.ratio(both, plain)],
            ],
        )
    )
    text = f"integrity_of() at most {RENDER_TARGET}x url()"
    print(benchlib.target(options, text, value <= RENDER_TARGET * url))
    # The hashing runs beside the copy: what it costs the deploy is judged in
    # figure 2 (deploy.py, its rows without integrity values), not here.
    print("hashing: what SHA-384 adds to the background hashing; its cost to the deploy: figure 2")
    benchlib.footer()


if __name__ == "__main__":
    main()
