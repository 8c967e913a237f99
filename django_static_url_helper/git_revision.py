"""Read the commit a checkout is on, straight from ``.git``, without running git.

Only ref names git itself could have written are followed (``refs/...``, no
``..``), so nothing outside the git directory is read; errors name the file and
never quote what it holds.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from . import version_files

_SHA_RE = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
# What git's check-ref-format forbids anywhere in a ref name.
_FORBIDDEN_IN_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{")

_WHAT = "the git file"
_FIX = (
    "Repair the checkout ('git status' in it shows what git makes of it), or deploy with "
    "get_static_url_env() fed the CI's commit id."
)


def is_ref_name(ref: str) -> bool:
    """True for a name under ``refs/`` that git could have written, e.g. ``refs/heads/main``.

    Printable too (git would allow other characters): messages quote the name.
    """
    if not ref.startswith("refs/") or _FORBIDDEN_IN_REF.search(ref) or ref.endswith("."):
        return False
    if not ref.isprintable():
        return False
    return all(
        part and not part.startswith(".") and not part.endswith(".lock") for part in ref.split("/")
    )


def _read(path: Path) -> str:
    return version_files.read_text(path, _WHAT, _FIX).strip()


def find_git_dir(start: str | os.PathLike[str]) -> Path:
    """Return the git dir of the checkout containing ``start``.

    Like git, walk up from ``start``; ``.git`` may be a folder or, in a
    worktree or submodule, a file saying ``gitdir: <path>``.
    """
    start_path = Path(start).resolve()
    for folder in (start_path, *start_path.parents):
        dot_git = folder / ".git"
        try:
            mode = os.stat(dot_git).st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            raise ImproperlyConfigured(f"Cannot stat {dot_git}: {exc.strerror}.") from None
        if stat.S_ISDIR(mode):
            return dot_git
        text = version_files.read_text(dot_git, "the git link file", _FIX).strip()
        target = text[len("gitdir:") :].strip()
        # A path only: messages quote it, so no control characters reach a terminal.
        if not text.startswith("gitdir:") or not target or not target.isprintable():
            raise ImproperlyConfigured(
                f"{dot_git} is not a git link file (expected 'gitdir: <path>')."
            )
        return (folder / target).resolve()
    raise ImproperlyConfigured(
        f"{start_path} is not inside a git checkout (no .git in it or any parent). "
        f"Deploys without .git can use get_static_url_env() with the CI's commit "
        f"variable instead."
    )


def _common_dir(git_dir: Path) -> Path:
    # A linked worktree keeps HEAD to itself and shares refs with the main one,
    # whose git dir holds the worktree's: git writes '../..' in commondir.
    commondir = git_dir / "commondir"
    try:
        text = _read(commondir)
    except FileNotFoundError:
        return git_dir
    if not text or not text.isprintable():
        raise ImproperlyConfigured(f"{commondir} does not hold a path. {_FIX}")
    common = (git_dir / text).resolve()
    if common not in git_dir.resolve().parents:
        raise ImproperlyConfigured(
            f"{commondir} points to {common}, which does not contain the worktree's "
            f"git directory {git_dir}, so its refs are not followed. Run 'git "
            f"worktree repair' in the main checkout."
        )
    return common


def _packed_ref(common: Path, ref: str) -> tuple[str, str] | None:
    packed = common / "packed-refs"
    try:
        data = version_files.read_bytes(packed, _WHAT, _FIX, limit=None)
    except FileNotFoundError:
        return None
    # Repositories pack thousands of tags; finding the one line beats splitting them all.
    needle = b" " + ref.encode()
    at = data.find(needle)
    while at != -1:
        end = at + len(needle)
        sha = data[data.rfind(b"\n", 0, at) + 1 : at]
        whole_name = end == len(data) or data[end : end + 1] in (b"\n", b"\r")
        if whole_name and not sha.startswith((b"#", b"^")) and b" " not in sha:
            try:
                return sha.decode("ascii"), f"The entry of {ref} in {packed}"
            except UnicodeDecodeError:
                raise ImproperlyConfigured(
                    f"{packed}: the entry of {ref} is not ASCII, so it holds no commit id. {_FIX}"
                ) from None
        at = data.find(needle, at + 1)
    return None


def _loose_ref(git_dir: Path, common: Path, ref: str) -> tuple[str, str] | None:
    for candidate in dict.fromkeys((git_dir / ref, common / ref)):
        if os.path.isdir(candidate):
            continue  # as in git: the ref is not loose, look in packed-refs
        try:
            return _read(candidate), str(candidate)
        except (FileNotFoundError, NotADirectoryError):
            continue
    return None


def read_revision(start: str | os.PathLike[str]) -> str:
    """Return the full commit id HEAD points to in the checkout at ``start``."""
    git_dir = find_git_dir(start)
    head = git_dir / "HEAD"
    where = str(head)
    try:
        text = _read(head)
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"Cannot read {head}: it does not exist, so {git_dir} is not a git directory. {_FIX}"
        ) from None
    seen = set()
    while text.startswith("ref:"):
        ref = text[len("ref:") :].strip()
        if not is_ref_name(ref):
            raise ImproperlyConfigured(
                f"{where} holds a symbolic ref that is not a ref name under refs/ "
                f"(e.g. 'ref: refs/heads/main'), so it is not followed. Check out a "
                f"branch or a commit again (e.g. 'git checkout main')."
            )
        if ref in seen:
            raise ImproperlyConfigured(f"{where}: symbolic ref loop at {ref}.")
        seen.add(ref)
        common = _common_dir(git_dir)
        found = _loose_ref(git_dir, common, ref) or _packed_ref(common, ref)
        if found is None:
            raise ImproperlyConfigured(
                f"HEAD in {git_dir} points to {ref}, which has no commit yet "
                f"(neither a ref file nor a packed-refs entry). Commit first, "
                f"or deploy a checkout of a commit."
            )
        text, where = found
    if not _SHA_RE.fullmatch(text):
        raise ImproperlyConfigured(
            f"{where} does not hold a commit id (40 or 64 hex digits). {_FIX}"
        )
    return text
