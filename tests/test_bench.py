"""The benchmarks run and print their tables. Nothing here is timed: figures live in bench/."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bench import tree

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_the_tree_is_the_same_every_time(tmp_path: Path) -> None:
    one = tree.generate(tmp_path / "one", tree.QUICK)
    two = tree.generate(tmp_path / "two", tree.QUICK)
    assert one.names == two.names
    for name in one.names:
        assert (one.root / name).read_bytes() == (two.root / name).read_bytes(), name
    assert len(one.names) == 40
    assert sum((one.root / n).stat().st_size for n in one.names) == one.total_bytes


def test_every_url_in_the_css_names_a_file_of_the_tree(tmp_path: Path) -> None:
    # ManifestStaticFilesStorage refuses a url() to a missing file.
    synthetic = tree.generate(tmp_path / "t", tree.QUICK)
    found = 0
    for name in synthetic.css:
        css = (synthetic.root / name).read_text()
        for ref in re.findall(r'url\("([^"]+)"\)', css):
            found += 1
            assert (synthetic.root / name).parent.joinpath(ref).resolve().is_file(), (name, ref)
    assert found > 0


def test_a_generated_tree_has_the_counts_and_size_of_its_shape(tmp_path: Path) -> None:
    shape = tree.QUICK
    generated = tree.generate(tmp_path / "t", shape)
    on_disk = [path for path in generated.root.rglob("*") if path.is_file()]
    assert (len(generated.css), len(generated.js)) == (shape.css, shape.js)
    assert len(generated.images) == shape.images
    assert len(on_disk) == shape.css + shape.js + shape.images
    assert generated.total_bytes == sum(path.stat().st_size for path in on_disk)
    assert abs(generated.total_bytes - shape.total_bytes) < shape.total_bytes * 0.01


def test_quick_run_prints_every_figure_table() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(BENCH / "run.py"),
            "--quick",
            "--only",
            "render",
            "deploy",
            "stamp",
            "boot",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for figure in ("Figure 1", "Figure 2", "Figure 3", "Figure 4"):
        assert f"# {figure}: " in out
    for row in (
        "ours: VersionedStaticFilesStorage, versioned STATIC_URL",
        "1 name, ours",
        "300 names, plain",
        "300 names, Manifest",
        "hash_tree, 1 thread",
        "plain collectstatic (Django's command)",
        "ours: collectstatic (collect + stamp)",
        "ours: collectstatic, release directories",
        "ours: collect + stamp, no integrity values",
        "ours: release directories, no integrity values",
        "ours: release directories, release id",
        "collectstatic, ManifestStaticFilesStorage",
        "cat of every file",
        "git (10,000 packed refs)",
    ):
        assert re.search(rf"^{re.escape(row)}\s+\d", out, re.MULTILINE), row
    # The deploy step is measured on every file system it was given (one or two here).
    deploy_tables = len(re.findall(r": 40 files, .* into an empty STATIC_ROOT$", out, re.M))
    assert deploy_tables in (1, 2)
    # Both whitenoise rows, with and without Brotli, and what whitenoise detected in each.
    assert (
        "whitenoise CompressedManifest, gzip only: whitenoise.compress.brotli_installed = False"
        in out
    )
    assert re.search(
        r"^collectstatic, whitenoise CompressedManifest, gzip \+ Brotli\s+\d", out, re.M
    )
    targets = re.findall(r"^target: .*$", out, re.MULTILINE)
    # render: url() and {% static %} at each of 3 quick sizes; stamp: 2 and 1 thread; boot: 1;
    # deploy, per table: ours vs plain (3), with vs without integrity values (2), vs Manifest.
    assert len(targets) == 2 * 3 + 2 + 1 + 6 * deploy_tables
    assert all(line.endswith(": not judged on a quick run") for line in targets)
    # Every figure prints the load average at its start and end.
    assert len(re.findall(r"^load average at start: ", out, re.MULTILINE)) == 4
    assert len(re.findall(r"^load average at end: ", out, re.MULTILINE)) == 4
    assert "FAILED" not in out


def test_run_lists_every_benchmark() -> None:
    listed = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--list"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    serving = sorted(path.stem for path in BENCH.glob("serve_*.py"))
    assert serving == ["serve_asgi", "serve_nginx", "serve_whitenoise"]
    assert listed == [
        "render",
        "deploy",
        "stamp",
        "boot",
        *serving,
        "recollect",
        "links",
        "kept",
        "follow",
        "switch",
        "integrity",
    ]
