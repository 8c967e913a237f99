"""Release directories: an unchanged re-collect, and a deploy that changes 1% of the files.

Each collect is a fresh process, as in a deploy, timed inside ``collectstatic``
(the child measures the command) and for the whole process (interpreter and
Django start included), importing modules compiled once, as a ``pip install``
leaves them (an untimed collect compiles them first). Per folder given with ``--tmp`` (default: the
temporary directory and ``/dev/shm``, a disk and a tmpfs on most Linux
machines), each round measures, in turn:

- re-collect: the first collect of a release into an empty STATIC_ROOT with
  ``ReleaseStaticFilesStorage``, then the same release again (which reads no
  unchanged source and copies nothing);
- links: a release collected (untimed), then 1% of the source files rewritten
  and the next release collected, which hard-links the unchanged files from
  the first; against Django's own ``collectstatic`` of the same tree into an
  empty STATIC_ROOT. "added on disk" is what the second release adds to the
  root: the blocks of the inodes, folders and marker that are new.

    python bench/links.py [--quick] [--rounds N] [--tmp DIR [DIR ...]]
"""

from __future__ import annotations

import filecmp
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import benchlib
import deploy
import tree

HERE = Path(__file__).resolve().parent
RECOLLECT_TARGET = 20.0
LINKS_TARGET = 0.3
ADDED_TARGET = 0.03
CHANGED = 0.01
SETTLE = 2.1
"""Seconds a source must be older than for its collect to record its times (RACY_NS)."""


def child(kind: str, root: str, source: str, release: str) -> None:
    """One collectstatic in this process; prints the seconds the command took."""
    import django
    from django.conf import settings
    from django.core.management import call_command

    apps = ["django.contrib.staticfiles"]
    storage, static_url = "django.contrib.staticfiles.storage.StaticFilesStorage", "/static/"
    if kind == "release":
        from django_static_url_helper import url_helper

        apps.insert(0, "django_static_url_helper")
        storage = "django_static_url_helper.releases.ReleaseStaticFilesStorage"
        static_url = url_helper.get_static_url_release("/static/", release)
    settings.configure(
        SECRET_KEY="bench-not-secret",
        INSTALLED_APPS=apps,
        STATIC_ROOT=root,
        STATICFILES_DIRS=[source],
        STATIC_URL=static_url,
        STORAGES={"staticfiles": {"BACKEND": storage}},
        USE_TZ=True,
    )
    django.setup()
    started = time.perf_counter()
    call_command("collectstatic", "--noinput", verbosity=0)
    print(json.dumps({"seconds": time.perf_counter() - started}))


def collect(kind: str, root: Path, source: Path, release: str) -> tuple[float, float]:
    """(seconds inside collectstatic, seconds of the whole process)."""
    command = [sys.executable, __file__, "child", kind, str(root), str(source), release]
    env = benchlib.compiled_once(dict(os.environ), root.parent / "bytecode")
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    whole = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"collectstatic failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])["seconds"], whole


def on_disk(root: Path) -> int:
    """Bytes the files and folders below ``root`` hold, each inode counted once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for folder, _dirs, files in os.walk(root):
        for path in [folder, *(os.path.join(folder, name) for name in files)]:
            info = os.lstat(path)
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return total


def segment(release: str) -> str:
    from django_static_url_helper import url_helper, version

    return str(version.split_url(url_helper.get_static_url_release("/static/", release)).segment)


def rewrite(synthetic: tree.Tree, rng: random.Random) -> list[str]:
    """Give 1% of the files new bytes of the same size; their names."""
    names = rng.sample(synthetic.names, max(1, round(len(synthetic.names) * CHANGED)))
    for name in names:
        path = synthetic.root / name
        path.write_bytes(rng.randbytes(path.stat().st_size))
    return names


def same_bytes(folder: Path, synthetic: tree.Tree) -> None:
    for name in synthetic.names:
        if not filecmp.cmp(folder / name, synthetic.root / name, shallow=False):
            raise SystemExit(f"{folder / name} differs from its source")


def measure(synthetic: tree.Tree, number: int, samples: benchlib.Samples) -> list[float]:
    """One round in one folder; returns the share of the tree the second release added."""
    work, source = synthetic.root.parent, synthetic.root
    root = work / "root"
    shutil.rmtree(root, ignore_errors=True)
    if not (work / "bytecode").is_dir():  # untimed: every module compiled once
        collect("release", root, source, f"warm-up-{number}")
        shutil.rmtree(root)
    os.sync()  # write back what earlier runs left dirty
    first = collect("release", root, source, f"first-{number}")
    again = collect("release", root, source, f"first-{number}")
    for label, (inside, whole) in (("first", first), ("again", again)):
        samples.add(f"{label} in", inside)
        samples.add(f"{label} whole", whole)
    shutil.rmtree(root)
    collect("release", root, source, f"base-{number}")
    before = on_disk(root)
    rewrite(synthetic, random.Random(number))
    os.sync()
    inside, whole = collect("release", root, source, f"next-{number}")
    added = on_disk(root) - before
    samples.add("links in", inside)
    samples.add("links whole", whole)
    same_bytes(root / segment(f"next-{number}"), synthetic)  # byte-identical, links and all
    plain = work / "plain"
    shutil.rmtree(plain, ignore_errors=True)
    os.sync()
    inside, whole = collect("plain", plain, source, "-")
    samples.add("plain in", inside)
    samples.add("plain whole", whole)
    shutil.rmtree(plain)
    shutil.rmtree(root)
    return [added / synthetic.total_bytes]


def cell(samples: benchlib.Samples, top: str, bottom: str) -> tuple[float, str]:
    ratios = samples.ratios(top, bottom)
    return statistics.median(ratios), benchlib.spread(ratios)


def report(
    options: benchlib.Options, place: Path, synthetic: tree.Tree, samples: benchlib.Samples
) -> list[str]:
    kind = "tmpfs" if benchlib.filesystem(place) == "tmpfs" else "disk"
    median = samples.median
    ratio_in, spread_in = cell(samples, "first in", "again in")
    ratio_whole, spread_whole = cell(samples, "first whole", "again whole")
    rows = [
        ["first collect, empty root", f"{median('first in'):.3f}", f"{median('first whole'):.3f}"],
        ["same release again", f"{median('again in'):.3f}", f"{median('again whole'):.3f}"],
        ["first / again", f"{ratio_in:.1f}x ({spread_in})", f"{ratio_whole:.1f}x ({spread_whole})"],
    ]
    title = f"{deploy.label(place)}: {tree.describe(synthetic)}, re-collect unchanged"
    print(benchlib.table(title, ["", "in collectstatic s", "whole process s"], rows))
    links_in, links_spread = cell(samples, "links in", "plain in")
    whole_in, whole_spread = cell(samples, "links whole", "plain whole")
    added = samples.values["added"]
    rows = [
        [
            "plain collectstatic, empty root",
            f"{median('plain in'):.3f}",
            f"{median('plain whole'):.3f}",
            "100%",
        ],
        [
            "next release, 1% changed (links)",
            f"{median('links in'):.3f}",
            f"{median('links whole'):.3f}",
            f"{statistics.median(added):.2%} ({min(added):.2%}-{max(added):.2%})",
        ],
        [
            "links / plain",
            f"{links_in:.3f}x ({links_spread})",
            f"{whole_in:.3f}x ({whole_spread})",
            "",
        ],
    ]
    title = f"{deploy.label(place)}: a deploy that changes 1% of the files"
    print(
        benchlib.table(title, ["", "in collectstatic s", "whole process s", "added on disk"], rows)
    )
    return [
        benchlib.target(
            options,
            f"unchanged re-collect at least {RECOLLECT_TARGET:.0f}x faster on {kind} "
            f"({ratio_in:.1f}x)",
            ratio_in >= RECOLLECT_TARGET,
        ),
        benchlib.target(
            options,
            f"1%-changed deploy at most {LINKS_TARGET}x plain on {kind} ({links_in:.3f}x)",
            links_in <= LINKS_TARGET,
        ),
        benchlib.target(
            options,
            f"it adds at most {ADDED_TARGET:.0%} of the tree on {kind} "
            f"({statistics.median(added):.2%})",
            statistics.median(added) <= ADDED_TARGET,
        ),
    ]


def main() -> None:
    if sys.argv[1:2] == ["child"]:
        child(*sys.argv[2:6])
        return
    parser = benchlib.parser(__doc__.splitlines()[0])
    benchlib.add_tmp_argument(parser)
    args = parser.parse_args()
    options = benchlib.options(args, parser)
    benchlib.header("Release directories", options, "re-collect and links vs plain collectstatic")
    places = deploy.folders(args.tmp)
    lines: list[str] = []
    for place in places:
        with benchlib.generated_tree(options, place) as synthetic:
            time.sleep(SETTLE)  # files younger than this are hashed again, by design
            samples = benchlib.Samples()
            for number in range(options.rounds):
                for share in measure(synthetic, number, samples):
                    samples.add("added", share)
            lines += report(options, place, synthetic, samples)
    print("ratios: medians of the per-round ratios, (their range); added: median (range)")
    print("\n".join(lines))
    benchlib.footer()


if __name__ == "__main__":
    main()
