"""A deterministic synthetic static tree, the same on every machine and every run.

Full size: 3,040 files, 81 MB: 300 CSS files whose ``url()`` references point
at real images (so ManifestStaticFilesStorage has real rewriting to do), 300
JS files and 2,440 images (incompressible bytes, like real PNG/JPEG/WebP).
``--quick`` writes 40 files (about 1 MB) for smoke runs.

    python bench/tree.py DIR [--quick]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path
from typing import NamedTuple

SEED = 20160518
FULL_BYTES = 81_000_000


class Shape(NamedTuple):
    css: int
    js: int
    images: int
    total_bytes: int


FULL = Shape(css=300, js=300, images=2440, total_bytes=FULL_BYTES)
QUICK = Shape(css=6, js=6, images=28, total_bytes=1_000_000)


class Tree(NamedTuple):
    root: Path
    names: list[str]
    """Every file, relative with '/', sorted."""
    total_bytes: int

    @property
    def css(self) -> list[str]:
        return [n for n in self.names if n.endswith(".css")]

    @property
    def js(self) -> list[str]:
        return [n for n in self.names if n.endswith(".js")]

    @property
    def images(self) -> list[str]:
        return [n for n in self.names if not n.endswith((".css", ".js"))]


def _lognormal_sizes(rng: random.Random, count: int, mu: float, sigma: float) -> list[int]:
    return [max(200, int(rng.lognormvariate(mu, sigma))) for _ in range(count)]


def _css(rng: random.Random, size: int, name: str, images: list[str]) -> bytes:
    depth = name.count("/")
    up = "../" * depth
    refs = rng.sample(images, min(len(images), rng.randint(8, 30)))
    parts = [f"/* {name} */\n"]
    length = len(parts[0])
    i = 0
    while True:
        if i < len(refs):
            rule = f'.r{i} {{ background: #fff url("{up}{refs[i]}") no-repeat; }}\n'
        else:
            colour = rng.getrandbits(24)
            rule = f".c{i} > .d{i % 97} {{ color: #{colour:06x}; margin: {i % 13}px; }}\n"
        if length + len(rule) > size:
            break
        parts.append(rule)
        length += len(rule)
        i += 1
    # Whole rules only: a url() cut in half would name a file that does not exist.
    return "".join(parts).encode().ljust(size, b" ")


def _js(rng: random.Random, size: int, name: str) -> bytes:
    parts = [f"// {name}\n"]
    length = len(parts[0])
    i = 0
    while length < size:
        line = f"function f{i}(a, b) {{ return a * {rng.randint(1, 999)} + b - {i}; }}\n"
        parts.append(line)
        length += len(line)
        i += 1
    return "".join(parts).encode()[:size]


def generate(root: str | os.PathLike[str], shape: Shape = FULL, seed: int = SEED) -> Tree:
    """Write the tree below ``root`` (which must not exist yet or be empty)."""
    rng = random.Random(seed)
    base = Path(root)
    extensions = ["png", "png", "jpg", "webp", "gif"]
    images = [
        f"img/g{i % 24:02d}/s{i % 5}/i{i:04d}.{extensions[i % len(extensions)]}"
        for i in range(shape.images)
    ]
    css = [f"css/app{i % 10}/style{i:03d}.css" for i in range(shape.css)]
    js = [f"js/app{i % 10}/mod{i:03d}.js" for i in range(shape.js)]
    css_sizes = _lognormal_sizes(rng, shape.css, 9.6, 0.6)
    js_sizes = _lognormal_sizes(rng, shape.js, 10.3, 0.7)
    raw = _lognormal_sizes(rng, shape.images, 9.8, 0.9)
    budget = max(shape.total_bytes - sum(css_sizes) - sum(js_sizes), 200 * shape.images)
    image_sizes = [max(200, size * budget // sum(raw)) for size in raw]
    pool = rng.randbytes(1 << 23)
    written = 0
    for name, size in zip(images, image_sizes, strict=True):
        start = rng.randrange(len(pool) - size) if size < len(pool) else 0
        header = name.encode() + b"\x00"
        written += _write(base / name, (header + pool[start : start + size])[:size])
    for name, size in zip(css, css_sizes, strict=True):
        written += _write(base / name, _css(rng, size, name, images))
    for name, size in zip(js, js_sizes, strict=True):
        written += _write(base / name, _js(rng, size, name))
    return Tree(base, sorted(images + css + js), written)


def _write(path: Path, data: bytes) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


SMALL_EXTENSIONS = ("css", "js", "png", "svg", "woff2")
SMALL_PER_FOLDER = 1000


def small_names(count: int) -> list[str]:
    """``count`` distinct names shaped like a site's (folders, extensions), in a fixed order."""
    return [
        f"app{i % 50:02d}/d{i // SMALL_PER_FOLDER:03d}/asset{i:06d}."
        f"{SMALL_EXTENSIONS[i % len(SMALL_EXTENSIONS)]}"
        for i in range(count)
    ]


def generate_small(root: str | os.PathLike[str], count: int) -> list[str]:
    """Write ``count`` files of a few bytes below ``root``; return their names.

    For figures that scale with the number of names, not their bytes: each
    file holds its own name (under 40 bytes), so 100,000 of them take one page
    each on a tmpfs (about 400 MB) and a few seconds to write. Plain ``os``
    calls, one open and one write per file, no Path objects.
    """
    base = os.fspath(root)
    names = small_names(count)
    made: set[str] = set()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for name in names:
        folder = name.rpartition("/")[0]
        if folder not in made:
            os.makedirs(os.path.join(base, folder), exist_ok=True)
            made.add(folder)
        descriptor = os.open(os.path.join(base, name), flags, 0o644)
        try:
            os.write(descriptor, name.encode())
        finally:
            os.close(descriptor)
    return names


def describe(tree: Tree) -> str:
    return (
        f"{len(tree.names):,} files, {tree.total_bytes / 1e6:.1f} MB "
        f"({len(tree.css)} CSS, {len(tree.js)} JS, {len(tree.images):,} images)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="folder to create")
    parser.add_argument("--quick", action="store_true", help="a tiny tree for smoke runs")
    args = parser.parse_args(argv)
    if os.path.exists(args.root) and os.listdir(args.root):
        sys.exit(f"{args.root} is not empty: pass a new folder, the tree is written from scratch.")
    tree = generate(args.root, QUICK if args.quick else FULL)
    print(f"{args.root}: {describe(tree)}")


if __name__ == "__main__":
    main()
