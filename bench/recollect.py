"""Re-collecting an unchanged release vs collecting it the first time.

Each collect is a fresh ``collectstatic`` process, as in a deploy. The same
tree goes to a release storage and, for reference, to the storage Django or
django-storages ships (which decides by modification times). On S3 the bucket
is a moto server on 127.0.0.1, started here.

    python bench/recollect.py            # 2000 files of 8 KiB, 3 runs, file system and S3
    python bench/recollect.py --quick    # a smoke run on a tiny tree
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STORAGES = {
    ("fs", "release"): "django_static_url_helper.releases.ReleaseStaticFilesStorage",
    ("fs", "plain"): "django.contrib.staticfiles.storage.StaticFilesStorage",
    ("s3", "release"): "django_static_url_helper.releases_s3.ReleaseS3Storage",
    ("s3", "plain"): "storages.backends.s3.S3StaticStorage",
}
LABELS = {
    ("fs", "release"): ("file system", "ReleaseStaticFilesStorage"),
    ("fs", "plain"): ("file system", "StaticFilesStorage"),
    ("s3", "release"): ("S3 (moto)", "ReleaseS3Storage"),
    ("s3", "plain"): ("S3 (moto)", "S3StaticStorage"),
}


def child(args: argparse.Namespace) -> None:
    """One collectstatic, in this process; prints the seconds the command took."""
    import django
    from django.conf import settings
    from django.core.management import call_command

    from django_static_url_helper import url_helper

    aws = {}
    if args.backend == "s3":
        # django-storages' own settings, as most projects configure it.
        aws = {
            "AWS_STORAGE_BUCKET_NAME": args.bucket,
            "AWS_S3_ENDPOINT_URL": args.endpoint,
            "AWS_S3_ACCESS_KEY_ID": "bench",
            "AWS_S3_SECRET_ACCESS_KEY": "bench",
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_LOCATION": "static",
            "AWS_S3_ADDRESSING_STYLE": "path",
        }
    static_url = url_helper.get_static_url_release("/static/", "bench-1")
    settings.configure(
        SECRET_KEY="bench",
        INSTALLED_APPS=["django_static_url_helper", "django.contrib.staticfiles"],
        STATIC_ROOT=args.root,
        STATICFILES_DIRS=[args.source],
        STATIC_URL=static_url if args.storage == "release" else "/static/",
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": STORAGES[args.backend, args.storage]},
        },
        USE_TZ=True,
        **aws,
    )
    django.setup()
    started = time.perf_counter()
    call_command("collectstatic", "--noinput", verbosity=0)
    print(json.dumps({"seconds": time.perf_counter() - started}))


def make_tree(source: Path, files: int, size: int) -> None:
    for number in range(files):
        folder = source / f"app{number % 20}" / f"part{number % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        body = (b"/* %d */\n" % number) + os.urandom(size // 2).hex().encode()[: size - 12]
        (folder / f"file{number}.css").write_bytes(body)


def collect_once(
    backend: str, storage: str, root: Path, source: Path, bucket: str, endpoint: str
) -> tuple[float, float]:
    """(seconds of the whole process, seconds inside collectstatic)."""
    args = [sys.executable, __file__, "child", backend, storage, str(root), str(source)]
    args += [bucket, endpoint]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AWS_EC2_METADATA_DISABLED": "true"}
    started = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"collectstatic failed:\n{done.stdout}{done.stderr}")
    return wall, json.loads(done.stdout.splitlines()[-1])["seconds"]


@contextlib.contextmanager
def moto_server(log: Path) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def new_bucket(endpoint: str) -> str:
    import boto3

    name = f"bench-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        region_name="us-east-1",
    ).create_bucket(Bucket=name)
    return name


def measure(args: argparse.Namespace, work: Path, endpoint: str) -> list[str]:
    source = work / "source"
    make_tree(source, args.files, args.size)
    combos = [(backend, storage) for backend in args.backends for storage in ("release", "plain")]
    first: dict[tuple[str, str], list[tuple[float, float]]] = {combo: [] for combo in combos}
    again: dict[tuple[str, str], list[tuple[float, float]]] = {combo: [] for combo in combos}
    # Runs interleave the storages, so a load spike on the machine hits them alike.
    for run in range(args.runs):
        for backend, storage in combos:
            root = work / f"root-{backend}-{storage}-{run}"
            bucket = new_bucket(endpoint) if backend == "s3" else "-"
            first[backend, storage].append(
                collect_once(backend, storage, root, source, bucket, endpoint)
            )
            again[backend, storage].append(
                collect_once(backend, storage, root, source, bucket, endpoint)
            )
            shutil.rmtree(root, ignore_errors=True)
            print(f"  run {run + 1}/{args.runs}: {backend} {storage} done", file=sys.stderr)
    rows = []
    for combo in combos:
        where, name = LABELS[combo]
        cells = []
        for pick in (1, 0):  # inside the command, then the whole process
            one = statistics.median(times[pick] for times in first[combo])
            two = statistics.median(times[pick] for times in again[combo])
            cells += [f"{one:8.3f}", f"{two:8.3f}", f"{one / two:6.1f}x"]
        rows.append(f"| {where:<11} | {name:<26} | " + " | ".join(cells) + " |")
    return rows


def main() -> None:
    if sys.argv[1:2] == ["child"]:
        names = ["backend", "storage", "root", "source", "bucket", "endpoint"]
        child(argparse.Namespace(**dict(zip(names, sys.argv[2:], strict=True))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--size", type=int, default=8192, help="bytes per file")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="fs,s3", help="fs, s3 or fs,s3")
    parser.add_argument("--quick", action="store_true", help="20 files, 1 run: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.files, args.size, args.runs = 20, 512, 1
    args.backends = args.backends.split(",")
    print(f"# python {' '.join(sys.argv)}")
    print(f"# {args.files} files of {args.size} B, median of {args.runs} runs")
    print(f"# {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("# seconds: first collect into an empty root, then the same release again")
    print()
    print(
        "|             |                            | in collectstatic           |"
        " whole process              |"
    )
    print(
        "| backend     | storage                    |    first |    again |   ratio |"
        "    first |    again |   ratio |"
    )
    print(
        "|-------------|----------------------------|----------|----------|---------|"
        "----------|----------|---------|"
    )
    with tempfile.TemporaryDirectory(prefix="bench-recollect-") as tmp:
        work = Path(tmp)
        with contextlib.ExitStack() as stack:
            endpoint = "-"
            if "s3" in args.backends:
                endpoint = stack.enter_context(moto_server(work / "moto.log"))
            for row in measure(args, work, endpoint):
                print(row, flush=True)


if __name__ == "__main__":
    main()
