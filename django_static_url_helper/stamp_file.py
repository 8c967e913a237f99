"""The stamp file: the digest of a collected tree, one line, written once per deploy.

Every process reads it at boot (``get_static_url_stamp``) instead of walking
the tree; ``collectstatic`` (or ``static_url stamp``) writes it, atomically.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from . import version_files

_DIGEST_RE = re.compile(r"[0-9a-f]{64}")
_STAMP_FIX = (
    "A stamp is the one-line file 'python manage.py collectstatic' writes once the "
    "files are collected: remove what is there and run collectstatic (or 'python "
    "manage.py static_url stamp' for a tree collected elsewhere)."
)


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
    """Return the digest held by ``stamp_path``; raise a helpful error when unusable.

    Never blocks (a FIFO is refused unopened) and never quotes the file: a
    misconfigured path may name a file that is not meant to be shown.
    """
    path = os.fspath(stamp_path)
    try:
        text = version_files.read_text(path, "the static version stamp", _STAMP_FIX).strip()
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"The static version stamp {path} does not exist. Run 'python manage.py "
            f"collectstatic', which writes it (or 'python manage.py static_url stamp' "
            f"for a tree collected elsewhere)."
        ) from None
    if not _DIGEST_RE.fullmatch(text):
        raise ImproperlyConfigured(
            f"{path} is not a static version stamp (expected 64 hex digits, found "
            f"{len(text)} characters that are not). Remove it and run "
            f"'python manage.py collectstatic', which writes it again."
        )
    return text
