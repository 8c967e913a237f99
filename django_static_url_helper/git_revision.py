"""Read the commit a checkout is on, straight from ``.git``, without running git."""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_SHA_RE = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")


def find_git_dir(start: str | os.PathLike[str]) -> Path:
    """Return the git dir of the checkout containing ``start``.

    Like git, walk up from ``start``; ``.git`` may be a folder or, in a
    worktree or submodule, a file saying ``gitdir: <path>``.
    """
    start_path = Path(start).resolve()
    for folder in (start_path, *start_path.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():
            text = dot_git.read_text().strip()
            if not text.startswith("gitdir:"):
                raise ImproperlyConfigured(
                    f"{dot_git} is not a git link file (expected 'gitdir: <path>')."
                )
            return (folder / text[len("gitdir:") :].strip()).resolve()
    raise ImproperlyConfigured(
        f"{start_path} is not inside a git checkout (no .git in it or any parent). "
        f"Deploys without .git can use get_static_url_env() with the CI's commit "
        f"variable instead."
    )


def _common_dir(git_dir: Path) -> Path:
    # A linked worktree keeps HEAD to itself and shares refs with the main one.
    commondir = git_dir / "commondir"
    if commondir.is_file():
        return (git_dir / commondir.read_text().strip()).resolve()
    return git_dir


def _packed_ref(common: Path, ref: str) -> str | None:
    packed = common / "packed-refs"
    if not packed.is_file():
        return None
    data = packed.read_bytes()
    # Repositories pack thousands of tags; finding the one line beats splitting them all.
    needle = b" " + ref.encode()
    at = data.find(needle)
    while at != -1:
        end = at + len(needle)
        sha = data[data.rfind(b"\n", 0, at) + 1 : at]
        whole_name = end == len(data) or data[end : end + 1] in (b"\n", b"\r")
        if whole_name and not sha.startswith((b"#", b"^")) and b" " not in sha:
            return sha.decode("ascii", "replace")
        at = data.find(needle, at + 1)
    return None


def read_revision(start: str | os.PathLike[str]) -> str:
    """Return the full commit id HEAD points to in the checkout at ``start``."""
    git_dir = find_git_dir(start)
    head_file = git_dir / "HEAD"
    try:
        head = head_file.read_text().strip()
    except OSError as exc:
        raise ImproperlyConfigured(f"Cannot read {head_file}: {exc}.") from exc
    seen = set()
    while head.startswith("ref:"):
        ref = head[len("ref:") :].strip()
        if ref in seen:
            raise ImproperlyConfigured(f"{head_file}: symbolic ref loop at {ref}.")
        seen.add(ref)
        common = _common_dir(git_dir)
        for candidate in (git_dir / ref, common / ref):
            if candidate.is_file():
                head = candidate.read_text().strip()
                break
        else:
            packed = _packed_ref(common, ref)
            if packed is None:
                raise ImproperlyConfigured(
                    f"HEAD in {git_dir} points to {ref}, which has no commit yet "
                    f"(neither a ref file nor a packed-refs entry). Commit first, "
                    f"or deploy a checkout of a commit."
                )
            head = packed
    if not _SHA_RE.fullmatch(head):
        raise ImproperlyConfigured(f"{head_file} does not hold a commit id: {head!r}.")
    return head
