"""Figure 2: the deploy step, from sources to a STATIC_ROOT the servers can use.

Each variant runs as the deploy runs it, ``python -m django collectstatic
--noinput`` in a fresh process, into an empty STATIC_ROOT (removed, untimed,
before every run). Ours is the one deploy step, our ``collectstatic`` with
STATIC_URL from ``get_static_url_stamp()``: with VersionedStaticFilesStorage
it collects, then hashes the collected sources and writes the stamp; with
release directories (ReleaseStaticFilesStorage) it takes the lock, collects
into ``STATIC_ROOT/<version>/``, writes the completion marker and the stamp,
then publishes ``published.json``. Release directories run twice: with the
content stamp, whose digest names the folder, so the hashing comes first,
and with a release id, where the hashing runs beside the copy (in a child
process, ``hash_worker``). Every variant runs once untimed first (bytecode
compiled, page cache warm). The baseline is Django's own
``collectstatic`` of the same tree (django_static_url_helper not installed).
whitenoise's CompressedManifest runs twice: as installed (with Brotli when
the Brotli package is there, as the test extra installs it) and without
Brotli, its child given a ``brotli`` module that fails to import, so that
whitenoise's own detection (``whitenoise.compress.brotli_installed``) finds
none; the script asks whitenoise in each setup and checks the ``.br`` files
are there or not. Ours runs twice too: as shipped, recording an integrity
value per file, and without (``BENCH_NO_INTEGRITY``: no SHA-384 beside the
SHA-256 read, no values written), to show what the values cost the deploy.

``--instructions`` also counts, once per variant, the instructions of the
deploy process with valgrind's callgrind: a count load does not move, where
single timed rounds on a shared 2-core machine spread by a third. It leaves
out the kernel's work (the copy's system calls, about a quarter of a plain
collect's CPU time) and the hashing child on the other CPU.

The figure is measured in every folder given with ``--tmp`` (default: the
temporary directory and ``/dev/shm``, a disk and a tmpfs on most Linux
machines; the same file system is measured once). The tree and STATIC_ROOT
live in that folder, so the file system behind it is part of the figure, and
every variant of every folder runs once per round, in turn.

    python bench/deploy.py [--quick] [--rounds N] [--tmp DIR [DIR ...]]
                            [--without-whitenoise] [--instructions]
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import benchlib
import tree

from django_static_url_helper import integrity_record

HERE = Path(__file__).resolve().parent
PLAIN_STORAGE = "django.contrib.staticfiles.storage.StaticFilesStorage"
MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
WHITENOISE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
COLLECTSTATIC = ["collectstatic", "--noinput"]
TARGET = 1.05
MANIFEST_TARGET = 1.8


class Variant(NamedTuple):
    storage: str
    ours: bool
    """django_static_url_helper installed, STATIC_URL from the stamp."""
    releases: bool
    """Release directories: the collect must publish the version."""
    brotli: bool | None = None
    """whitenoise only: False hides Brotli from the child; True: as installed."""
    integrity: bool = True
    """Ours only: False records no integrity values (no SHA-384 read, nothing written)."""
    release_id: bool = False
    """Ours with release directories: STATIC_URL from a release id, not the content stamp."""


NO_BROTLI = "raise ImportError('hidden by bench/deploy.py: whitenoise compresses with gzip only')\n"
DETECT = "import whitenoise.compress as c; print(c.brotli_installed)"


PLAIN = "plain collectstatic (Django's command)"
OURS = "ours: collectstatic (collect + stamp)"
RELEASES = "ours: collectstatic, release directories"
OURS_BARE = "ours: collect + stamp, no integrity values"
RELEASES_BARE = "ours: release directories, no integrity values"
RELEASE_ID = "ours: release directories, release id"
INTEGRITY_TARGET = 1.03
MANIFEST_LABEL = "collectstatic, ManifestStaticFilesStorage"
VARIANTS = {
    PLAIN: Variant(PLAIN_STORAGE, ours=False, releases=False),
    OURS: Variant("django_static_url_helper.storage.VersionedStaticFilesStorage", True, False),
    RELEASES: Variant("django_static_url_helper.releases.ReleaseStaticFilesStorage", True, True),
    OURS_BARE: Variant(
        "django_static_url_helper.storage.VersionedStaticFilesStorage", True, False, integrity=False
    ),
    RELEASES_BARE: Variant(
        "django_static_url_helper.releases.ReleaseStaticFilesStorage", True, True, integrity=False
    ),
    RELEASE_ID: Variant(
        "django_static_url_helper.releases.ReleaseStaticFilesStorage", True, True, release_id=True
    ),
    MANIFEST_LABEL: Variant(MANIFEST, ours=False, releases=False),
    "collectstatic, whitenoise CompressedManifest, gzip + Brotli": Variant(
        WHITENOISE, False, False, brotli=True
    ),
    "collectstatic, whitenoise CompressedManifest, gzip only": Variant(
        WHITENOISE, False, False, brotli=False
    ),
}


def hidden_brotli(work: Path) -> Path:
    """A folder whose ``brotli`` module fails to import, as when Brotli is not installed."""
    folder = work / "no-brotli"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "brotli.py").write_text(NO_BROTLI)
    return folder


def env_of(variant: Variant, work: Path) -> dict[str, str]:
    """A child's environment: the bench folder, the hidden Brotli when asked, and bytecode.

    Every variant imports modules compiled once (``benchlib.compiled_once``).
    """
    paths = [str(HERE), os.environ.get("PYTHONPATH", "")]
    if variant.brotli is False:
        paths.insert(0, str(hidden_brotli(work)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))}
    return benchlib.compiled_once(env, work.parent / "bytecode")


def whitenoise_brotli(variant: Variant, work: Path) -> bool:
    """Whether whitenoise, in that variant's child, compresses with Brotli (its own check)."""
    command = [sys.executable, "-c", DETECT]
    found = subprocess.run(
        command, env=env_of(variant, work), check=True, capture_output=True, text=True
    )
    return found.stdout.strip() == "True"


def deploy(
    source: Path, work: Path, variant: Variant, *, counted: bool = False
) -> Callable[[], float]:
    """One run of the variant: its seconds, or (``counted``) the instructions callgrind counts."""
    root, stamp = work / "static-root", work / "static-version.txt"
    env = {
        **env_of(variant, work),
        "DJANGO_SETTINGS_MODULE": "deploy_settings",
        "BENCH_SOURCE": str(source),
        "BENCH_ROOT": str(root),
        "BENCH_STORAGE": variant.storage,
    }
    if variant.release_id:
        env["BENCH_RELEASE"] = "bench-1"
    elif variant.ours:
        env["BENCH_STAMP"] = str(stamp)
    else:
        env["BENCH_PLAIN"] = "1"
    if not variant.integrity:
        env["BENCH_NO_INTEGRITY"] = "1"

    def run() -> float:
        shutil.rmtree(root, ignore_errors=True)
        stamp.unlink(missing_ok=True)
        # Write back what earlier runs left dirty, so no run pays for another's.
        os.sync()
        command = [sys.executable, "-m", "django", *COLLECTSTATIC]
        if counted:
            found = float(benchlib.callgrind(command, env))
        else:
            found = benchlib.clock(
                lambda: subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
            )
        check(root, stamp, variant)
        return found

    return run


def check(root: Path, stamp: Path, variant: Variant) -> None:
    """The run left what the servers need: the files, and ours the stamp (and the publication)."""
    if not root.is_dir() or not any(root.iterdir()):
        raise RuntimeError(f"collectstatic left nothing in {root}")
    if variant.ours and not variant.release_id and not stamp.is_file():
        raise RuntimeError(f"collectstatic wrote no stamp at {stamp}")
    if variant.releases and not (root / "published.json").is_file():
        raise RuntimeError(f"collectstatic published nothing in {root}")
    if variant.ours and recorded_integrity(root, stamp, variant) != variant.integrity:
        state = "no" if variant.integrity else "some"
        raise RuntimeError(f"collectstatic recorded {state} integrity values in {root}")
    if variant.brotli is not None:
        brotli = any(root.rglob("*.br"))
        if brotli != (variant.brotli and importlib.util.find_spec("brotli") is not None):
            raise RuntimeError(f"whitenoise wrote {'' if brotli else 'no '}.br files in {root}")


def recorded_integrity(root: Path, stamp: Path, variant: Variant) -> bool:
    """Whether the collect recorded integrity values: in the marker, or beside the stamp."""
    if not variant.releases:
        return Path(f"{stamp}{integrity_record.RECORD_SUFFIX}").is_file()
    markers = [json.loads(path.read_bytes()) for path in root.glob("*.release.json")]
    return bool(markers) and all("integrity" in marker for marker in markers)


COUNTED = (PLAIN, OURS, OURS_BARE, RELEASES, RELEASES_BARE, RELEASE_ID, MANIFEST_LABEL)


def instructions(synthetic: tree.Tree, measured: dict[str, Variant]) -> dict[str, float]:
    """Each variant's instructions in one run, counted by callgrind (on the first folder)."""
    counts = {}
    for i, (name, variant) in enumerate(measured.items()):
        if name in COUNTED:
            work = synthetic.root.parent / f"v{i}"
            counts[name] = deploy(synthetic.root, work, variant, counted=True)()
    return counts


def instruction_table(counts: dict[str, float]) -> str:
    """The counts against plain collectstatic's, with the targets judged on them."""
    rows = [
        [name, f"{count / 1e9:.3f}", f"{count / counts[PLAIN]:.3f}x"]
        for name, count in counts.items()
    ]
    lines = [
        benchlib.table(
            "Instructions of the deploy process (callgrind, one run each; the kernel's work and "
            "the hashing child on the other CPU are not counted)",
            ["variant", "G instructions", "vs plain"],
            rows,
        )
    ]
    for name in (OURS, RELEASES, RELEASE_ID):
        ratio = counts[name] / counts[PLAIN]
        lines.append(
            f"instructions: {name} at most {TARGET}x plain ({ratio:.3f}x): "
            f"{'met' if ratio <= TARGET else 'MISSED'}"
        )
    for name, bare in ((OURS, OURS_BARE), (RELEASES, RELEASES_BARE)):
        ratio = counts[name] / counts[bare]
        lines.append(
            f"instructions: {name} with integrity values at most {INTEGRITY_TARGET}x "
            f"without ({ratio:.3f}x): {'met' if ratio <= INTEGRITY_TARGET else 'MISSED'}"
        )
    return "\n".join(lines)


def folders(given: list[Path] | None) -> list[Path]:
    """The folders to measure in, one per file system."""
    candidates = given or [Path(tempfile.gettempdir()), Path("/dev/shm")]
    found: dict[int, Path] = {}
    for folder in candidates:
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            if given:
                raise SystemExit(f"--tmp {folder}: not a writable folder")
            continue
        found.setdefault(folder.stat().st_dev, folder)
    return list(found.values())


def label(folder: Path) -> str:
    kind = benchlib.filesystem(folder)
    return f"{'tmpfs' if kind == 'tmpfs' else f'disk ({kind})'}, {folder}"


def main() -> None:
    parser = benchlib.parser(__doc__.splitlines()[0])
    benchlib.add_tmp_argument(parser)
    parser.add_argument(
        "--without-whitenoise",
        action="store_true",
        help="leave out whitenoise's two variants (most of the run's time): more rounds of ours",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each variant's instructions with callgrind, once (whitenoise left out)",
    )
    args = parser.parse_args()
    options = benchlib.options(args, parser)
    benchlib.header("Figure 2", options, "the deploy step (collectstatic) vs plain collectstatic")
    measured = {
        name: variant
        for name, variant in VARIANTS.items()
        if not (args.without_whitenoise and variant.brotli is not None)
    }
    with tempfile.TemporaryDirectory(prefix="static-url-bench-") as probe:
        for name, variant in measured.items():
            if variant.brotli is not None:
                found = whitenoise_brotli(variant, Path(probe))
                print(f"{name}: whitenoise.compress.brotli_installed = {found}")
    if importlib.util.find_spec("brotli") is None:
        print("Brotli is not installed: both whitenoise rows compress with gzip only")
    print()
    places = folders(args.tmp)
    with contextlib.ExitStack() as stack:
        trees = [stack.enter_context(benchlib.generated_tree(options, place)) for place in places]
        variants: dict[str, Callable[[], float]] = {}
        for number, synthetic in enumerate(trees):
            for i, (name, variant) in enumerate(measured.items()):
                work = synthetic.root.parent / f"v{i}"
                variants[f"{number} {name}"] = deploy(synthetic.root, work, variant)
        for run in [] if options.quick else variants.values():
            run()  # untimed: bytecode compiled, page cache warm
        samples = benchlib.rounds(options, variants)
        if args.instructions:
            counts = instructions(trees[0], measured)
    lines = []
    for number, place in enumerate(places):
        rows = []
        for name in measured:
            key = f"{number} {name}"
            vs_plain = samples.ratios(key, f"{number} {PLAIN}")
            vs_manifest = samples.ratios(f"{number} {MANIFEST_LABEL}", key)
            rows.append(
                [
                    name,
                    f"{samples.median(key):.2f}",
                    f"{statistics.median(vs_plain):.3f}x",
                    benchlib.spread(vs_plain, 3),
                    f"{statistics.median(vs_manifest):.2f}x",
                ]
            )
        print(
            benchlib.table(
                f"{label(place)}: {tree.describe(trees[number])} into an empty STATIC_ROOT",
                ["variant", "median s", "vs plain", "rounds", "Manifest is slower by"],
                rows,
            )
        )
        kind = "tmpfs" if benchlib.filesystem(place) == "tmpfs" else "disk"
        for name in (OURS, RELEASES, RELEASE_ID):
            ratio = statistics.median(samples.ratios(f"{number} {name}", f"{number} {PLAIN}"))
            text = f"{name} at most {TARGET}x plain collectstatic on {kind} ({ratio:.3f}x)"
            lines.append(benchlib.target(options, text, ratio <= TARGET))
        for name, bare in ((OURS, OURS_BARE), (RELEASES, RELEASES_BARE)):
            ratio = statistics.median(samples.ratios(f"{number} {name}", f"{number} {bare}"))
            text = (
                f"{name} with integrity values at most {INTEGRITY_TARGET}x without on {kind} "
                f"({ratio:.3f}x)"
            )
            lines.append(benchlib.target(options, text, ratio <= INTEGRITY_TARGET))
        faster = statistics.median(samples.ratios(f"{number} {MANIFEST_LABEL}", f"{number} {OURS}"))
        text = f"ours at least {MANIFEST_TARGET}x faster than Manifest on {kind} ({faster:.2f}x)"
        lines.append(benchlib.target(options, text, faster >= MANIFEST_TARGET))
    print("vs plain, Manifest is slower by: medians of the per-round ratios; rounds: their range")
    print("\n".join(lines))
    if args.instructions:
        print(instruction_table(counts))
    benchlib.footer()


if __name__ == "__main__":
    main()
