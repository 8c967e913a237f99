"""Hash a directory tree's content, and keep the result in a small stamp file.

Hashing a large STATIC_ROOT takes a noticeable fraction of a second, so it is
done once per deploy (``manage.py static_url stamp``) and every process reads
the stamp at boot instead of walking the tree.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_DIGEST_RE = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


def _files(root: str) -> list[str]:
    """Relative paths (with '/') of every regular file below ``root``, sorted."""
    found: list[str] = []
    stack = [""]
    while stack:
        prefix = stack.pop()
        with os.scandir(os.path.join(root, prefix)) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=True):
                    stack.append(rel + "/")
                elif entry.is_file(follow_symlinks=True):
                    found.append(rel)
    found.sort()
    return found


def hash_tree(root: str | os.PathLike[str], exclude: set[str] | None = None) -> str:
    """Return a sha256 hex digest of every file name and file content below ``root``.

    Equal trees give equal digests on every machine: names are sorted and
    joined with '/', and modification times and permissions play no part.
    """
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise ImproperlyConfigured(
            f"Cannot hash {root}: it is not a directory. Run collectstatic first, "
            f"or pass the folder that holds the static files."
        )
    return hash_files(
        (rel, os.path.join(root, rel)) for rel in _files(root) if not exclude or rel not in exclude
    )


def hash_files(files: Iterable[tuple[str, str]]) -> str:
    """Digest of ``(name, path)`` pairs: ``name`` relative with '/', ``path`` where to read it.

    ``hash_tree(root)`` is this over the files below ``root``, so a tree can be
    hashed before it is collected, from the files the finders list.
    """
    total = hashlib.sha256()
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    for rel, path in sorted(files):
        file_hash = hashlib.sha256()
        with open(path, "rb", buffering=0) as handle:
            while size := handle.readinto(buffer):
                file_hash.update(view[:size])
        total.update(rel.encode("utf-8", "surrogateescape") + b"\x00")
        total.update(file_hash.digest())
    return total.hexdigest()


def write_stamp(stamp_path: str | os.PathLike[str], digest: str) -> None:
    """Write ``digest`` to ``stamp_path`` atomically, so a booting server never reads half."""
    stamp = Path(stamp_path)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=stamp.parent, prefix=f".{stamp.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(digest + "\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, stamp)
    except BaseException:
        os.unlink(tmp)
        raise


def read_stamp(stamp_path: str | os.PathLike[str]) -> str:
    """Return the digest held by ``stamp_path``; raise a helpful error when unusable."""
    try:
        text = Path(stamp_path).read_text().strip()
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"The static version stamp {os.fspath(stamp_path)} does not exist. "
            f"Write it at deploy time, after collectstatic: "
            f"'python manage.py static_url stamp'."
        ) from None
    except OSError as exc:
        raise ImproperlyConfigured(
            f"Cannot read the static version stamp {os.fspath(stamp_path)}: {exc}."
        ) from exc
    if not _DIGEST_RE.fullmatch(text):
        raise ImproperlyConfigured(
            f"{os.fspath(stamp_path)} is not a static version stamp (expected 64 "
            f"hex digits, found {text[:80]!r}). Rewrite it with "
            f"'python manage.py static_url stamp'."
        )
    return text
