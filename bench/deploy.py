"""Figure 2: the deploy step, from sources to a STATIC_ROOT the servers can use.

Each variant runs as the deploy runs it, ``python -m django ...`` in fresh
processes, into an empty STATIC_ROOT (removed, untimed, before every run).
Ours is collectstatic with VersionedStaticFilesStorage plus the content stamp:
either ``static_url collect`` (one process) or ``collectstatic`` then
``static_url stamp`` (two). The folders live in the temporary directory
(``TMPDIR``), so the disk behind it is part of the figure.

    python bench/deploy.py [--quick] [--rounds N]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import benchlib
import tree

HERE = Path(__file__).resolve().parent
PLAIN = "django.contrib.staticfiles.storage.StaticFilesStorage"
OURS = "django_static_url_helper.storage.VersionedStaticFilesStorage"
MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
WHITENOISE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
COLLECTSTATIC = ["collectstatic", "--noinput"]

OURS_ONE = "ours: static_url collect (one process)"
OURS_TWO = "ours: collectstatic + static_url stamp"
VARIANTS: dict[str, tuple[str, list[list[str]], bool]] = {
    # label: (storage, commands, STATIC_URL from the stamp)
    "plain collectstatic": (PLAIN, [COLLECTSTATIC], False),
    OURS_ONE: (OURS, [["static_url", "collect"]], True),
    OURS_TWO: (OURS, [COLLECTSTATIC, ["static_url", "stamp"]], True),
    "collectstatic, ManifestStaticFilesStorage": (MANIFEST, [COLLECTSTATIC], False),
    "collectstatic, whitenoise CompressedManifest": (WHITENOISE, [COLLECTSTATIC], False),
}


def deploy(
    source: Path, work: Path, storage: str, commands: list[list[str]], stamped: bool
) -> Callable[[], float]:
    root, stamp = work / "static-root", work / "static-version.txt"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
        "DJANGO_SETTINGS_MODULE": "deploy_settings",
        "BENCH_SOURCE": str(source),
        "BENCH_ROOT": str(root),
        "BENCH_STORAGE": storage,
    }
    if stamped:
        env["BENCH_STAMP"] = str(stamp)

    def run() -> float:
        shutil.rmtree(root, ignore_errors=True)
        stamp.unlink(missing_ok=True)
        # Write back what earlier runs left dirty, so no run pays for another's.
        os.sync()

        def steps() -> None:
            for command in commands:
                subprocess.run(
                    [sys.executable, "-m", "django", *command],
                    env=env,
                    check=True,
                    stdout=subprocess.DEVNULL,
                )

        seconds = benchlib.clock(steps)
        if stamped and not stamp.is_file():
            raise RuntimeError(f"{commands} wrote no stamp at {stamp}")
        return seconds

    return run


def main() -> None:
    options = benchlib.parse(__doc__.splitlines()[0])
    benchlib.header("Figure 2", options, "deploy step (collect + stamp) vs the alternatives")
    with benchlib.generated_tree(options) as synthetic:
        work = synthetic.root.parent
        variants: dict[str, Callable[[], float]] = {
            label: deploy(synthetic.root, work / f"v{i}", storage, commands, stamped)
            for i, (label, (storage, commands, stamped)) in enumerate(VARIANTS.items())
        }
        samples = benchlib.rounds(options, variants)
        for i in range(len(variants)):
            shutil.rmtree(work / f"v{i}", ignore_errors=True)
    plain = samples.median("plain collectstatic")
    manifest = samples.median("collectstatic, ManifestStaticFilesStorage")
    rows = [
        [
            label,
            f"{samples.median(label):.2f}",
            benchlib.ratio(samples.median(label), plain),
            benchlib.ratio(manifest, samples.median(label)),
        ]
        for label in variants
    ]
    print(
        benchlib.table(
            f"{tree.describe(synthetic)} into an empty STATIC_ROOT",
            ["variant", "median s", "vs plain", "Manifest is slower by"],
            rows,
        )
    )
    ours = samples.median(OURS_ONE)
    print(benchlib.target(options, "ours at most 1.15x plain collectstatic", ours <= 1.15 * plain))
    print(
        benchlib.target(options, "ours at least 1.8x faster than Manifest", manifest >= 1.8 * ours)
    )


if __name__ == "__main__":
    main()
