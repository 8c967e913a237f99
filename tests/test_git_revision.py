from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from django_static_url_helper.git_revision import read_revision

from . import isolated

SHA_A = "1" * 40
SHA_B = "2" * 40


def git(cwd: Path, *args: str) -> str:
    if shutil.which("git") is None:
        pytest.skip("git is not installed (Debian: apt-get install git)")
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "HOME": str(cwd),
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def make_repo(path: Path) -> str:
    git(path, "init", "-q", "-b", "main")
    (path / "f.txt").write_text("one")
    git(path, "add", "f.txt")
    git(path, "commit", "-q", "-m", "one")
    return git(path, "rev-parse", "HEAD")


def test_reads_a_loose_branch_ref_like_git_does(tmp_path: Path) -> None:
    sha = make_repo(tmp_path)
    assert read_revision(tmp_path) == sha


def test_reads_from_a_subfolder_of_the_checkout(tmp_path: Path) -> None:
    sha = make_repo(tmp_path)
    sub = tmp_path / "project" / "settings"
    sub.mkdir(parents=True)
    assert read_revision(sub) == sha


def test_reads_packed_refs(tmp_path: Path) -> None:
    sha = make_repo(tmp_path)
    git(tmp_path, "pack-refs", "--all")
    assert not (tmp_path / ".git/refs/heads/main").exists()
    assert read_revision(tmp_path) == sha


def test_reads_a_detached_head(tmp_path: Path) -> None:
    first = make_repo(tmp_path)
    (tmp_path / "f.txt").write_text("two")
    git(tmp_path, "commit", "-qam", "two")
    git(tmp_path, "checkout", "-q", "--detach", first)
    assert read_revision(tmp_path) == first


def test_reads_a_linked_worktree(tmp_path: Path) -> None:
    main = tmp_path / "main"
    main.mkdir()
    make_repo(main)
    git(main, "checkout", "-q", "-b", "feature")
    (main / "f.txt").write_text("feature")
    git(main, "commit", "-qam", "feature")
    feature_sha = git(main, "rev-parse", "HEAD")
    git(main, "checkout", "-q", "main")
    git(main, "worktree", "add", "-q", str(tmp_path / "wt"), "feature")
    assert (tmp_path / "wt" / ".git").is_file()
    assert read_revision(tmp_path / "wt") == feature_sha
    assert read_revision(main) != feature_sha


def fake_git_dir(root: Path, head: str) -> Path:
    git_dir = root / ".git"
    (git_dir / "refs" / "heads").mkdir(parents=True)
    (git_dir / "HEAD").write_text(head + "\n")
    return git_dir


def test_packed_refs_without_git_installed(tmp_path: Path) -> None:
    git_dir = fake_git_dir(tmp_path, "ref: refs/heads/main")
    (git_dir / "packed-refs").write_text(
        f"# pack-refs with: peeled fully-peeled sorted\n{SHA_B} refs/heads/other\n"
        f"{SHA_A} refs/heads/main\n^{SHA_B}\n"
    )
    assert read_revision(tmp_path) == SHA_A


def test_a_branch_with_no_commit_is_a_clear_error(tmp_path: Path) -> None:
    fake_git_dir(tmp_path, "ref: refs/heads/main")
    with pytest.raises(ImproperlyConfigured, match="refs/heads/main, which has no commit"):
        read_revision(tmp_path)


def test_garbage_in_head_is_a_clear_error(tmp_path: Path) -> None:
    fake_git_dir(tmp_path, "not a sha")
    with pytest.raises(ImproperlyConfigured, match="does not hold a commit id"):
        read_revision(tmp_path)


def test_a_symbolic_ref_loop_is_an_error(tmp_path: Path) -> None:
    git_dir = fake_git_dir(tmp_path, "ref: refs/heads/a")
    (git_dir / "refs/heads/a").write_text("ref: refs/heads/b")
    (git_dir / "refs/heads/b").write_text("ref: refs/heads/a")
    with pytest.raises(ImproperlyConfigured, match="loop"):
        read_revision(tmp_path)


def test_a_bad_gitdir_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / ".git").write_text("nonsense")
    with pytest.raises(ImproperlyConfigured, match="not a git link file"):
        read_revision(tmp_path)


def test_a_gitdir_file_pointing_nowhere_is_an_error(tmp_path: Path) -> None:
    (tmp_path / ".git").write_text("gitdir: ../missing")
    with pytest.raises(ImproperlyConfigured, match="Cannot read"):
        read_revision(tmp_path)


def test_not_a_checkout(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="get_static_url_env"):
        read_revision(tmp_path)


@pytest.mark.parametrize(
    "packed",
    [
        "{b} refs/heads/xmain\n{a} refs/heads/main\n",
        "# refs/heads/main\n{b} refs/heads/main/sub\n{a} refs/heads/main",
        "{b} refs/tags/t refs/heads/main\r\n{a} refs/heads/main\r\n^{b}\r\n",
        "".join(f"{i:040x} refs/tags/v{i}\n" for i in range(5000)) + "{a} refs/heads/main\n",
    ],
)
def test_packed_refs_find_the_exact_name_only(tmp_path: Path, packed: str) -> None:
    git_dir = fake_git_dir(tmp_path, "ref: refs/heads/main")
    (git_dir / "packed-refs").write_text(packed.replace("{a}", SHA_A).replace("{b}", SHA_B))
    assert read_revision(tmp_path) == SHA_A


def test_a_name_that_only_ends_like_the_branch_is_not_the_branch(tmp_path: Path) -> None:
    git_dir = fake_git_dir(tmp_path, "ref: refs/heads/main")
    (git_dir / "packed-refs").write_text(f"{SHA_B} refs/heads/xmain\n# refs/heads/main\n")
    with pytest.raises(ImproperlyConfigured, match="which has no commit"):
        read_revision(tmp_path)


# --- bad input: a clear error that quotes no file content, never a leak or a hang ---

SECRET = "root:x:0:0:TOP-SECRET-LINE"


def secret_file(path: Path) -> Path:
    path.write_text(SECRET + "\n")
    return path


@pytest.mark.parametrize(
    "head",
    [
        "ref: ../../secret",
        "ref: refs/../../../secret",
        "ref: {secret}",
        "ref: refs\\..\\x",
        "ref: refs/heads/\u202emain",
    ],
)
def test_a_head_ref_git_could_not_have_written_is_refused_unread(tmp_path: Path, head: str) -> None:
    secret = secret_file(tmp_path / "secret")
    (tmp_path / "repo").mkdir()
    fake_git_dir(tmp_path / "repo", head.format(secret=secret))
    with pytest.raises(ImproperlyConfigured, match="HEAD .* not a ref name under refs/") as info:
        read_revision(tmp_path / "repo")
    assert "TOP-SECRET" not in str(info.value)


def test_a_symbolic_ref_leading_outside_the_git_dir_is_refused_unread(tmp_path: Path) -> None:
    secret_file(tmp_path / "secret")
    (tmp_path / "repo").mkdir()
    git_dir = fake_git_dir(tmp_path / "repo", "ref: refs/heads/main")
    (git_dir / "refs/heads/main").write_text("ref: ../../../../secret\n")
    with pytest.raises(ImproperlyConfigured, match="refs/heads/main .* not a ref name") as info:
        read_revision(tmp_path / "repo")
    assert "TOP-SECRET" not in str(info.value)


@pytest.mark.parametrize("where", ["HEAD", "loose ref", "HEAD symlink", "packed-refs"])
def test_no_error_quotes_what_a_git_file_holds(tmp_path: Path, where: str) -> None:
    (tmp_path / "repo").mkdir()
    git_dir = fake_git_dir(tmp_path / "repo", "ref: refs/heads/main")
    if where == "HEAD":
        (git_dir / "HEAD").write_text(SECRET)
    elif where == "loose ref":
        (git_dir / "refs/heads/main").write_text(SECRET)
    elif where == "HEAD symlink":
        (git_dir / "HEAD").unlink()
        (git_dir / "HEAD").symlink_to(secret_file(tmp_path / "secret"))
    else:
        (git_dir / "packed-refs").write_text(f"{SECRET.replace(' ', '')} refs/heads/main\n")
    with pytest.raises(ImproperlyConfigured, match="does not hold a commit id") as info:
        read_revision(tmp_path / "repo")
    assert "TOP-SECRET" not in str(info.value)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("HEAD", b"ref: refs/heads/ma\xffin\n"),
        ("refs/heads/main", b"\xff" * 40 + b"\n"),
        ("packed-refs", b"\xff" * 40 + b" refs/heads/main\n"),
    ],
    ids=["HEAD", "loose ref", "packed-refs"],
)
def test_non_utf8_bytes_in_a_git_file_are_a_clear_error(
    tmp_path: Path, name: str, data: bytes
) -> None:
    git_dir = fake_git_dir(tmp_path, "ref: refs/heads/main")
    (git_dir / name).write_bytes(data)
    with pytest.raises(ImproperlyConfigured, match=f"{name}.*(not UTF-8|not ASCII)"):
        read_revision(tmp_path)


def test_a_non_utf8_gitdir_link_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / ".git").write_bytes(b"gitdir: ../\xff\n")
    with pytest.raises(ImproperlyConfigured, match=r"\.git is not UTF-8 text"):
        read_revision(tmp_path)


def make_unreadable(path: Path, construct: str) -> None:
    if path.exists():
        path.unlink()
    if construct == "chmod 000":
        path.write_text(SHA_A + "\n")
        path.chmod(0)
    elif construct == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()


@pytest.mark.parametrize("construct", ["chmod 000", "fifo"])
@pytest.mark.parametrize("name", ["refs/heads/main", "packed-refs"])
def test_an_unreadable_ref_or_packed_refs_is_a_clear_error(name: str, construct: str) -> None:
    with isolated.world_readable_dir() as root:
        git_dir = fake_git_dir(root, "ref: refs/heads/main")
        make_unreadable(git_dir / name, construct)
        with (
            isolated.unprivileged(),
            pytest.raises(ImproperlyConfigured, match=f"{name}.*(Permission denied|named pipe)"),
        ):
            read_revision(root)


def test_a_packed_refs_that_is_a_directory_is_a_clear_error(tmp_path: Path) -> None:
    git_dir = fake_git_dir(tmp_path, "ref: refs/heads/main")
    make_unreadable(git_dir / "packed-refs", "directory")
    with pytest.raises(ImproperlyConfigured, match="packed-refs is a directory"):
        read_revision(tmp_path)


def test_a_loose_ref_path_that_is_a_directory_falls_back_to_packed_refs_like_git(
    tmp_path: Path,
) -> None:
    git_dir = fake_git_dir(tmp_path, "ref: refs/heads/main")
    (git_dir / "refs/heads/main").mkdir()
    (git_dir / "packed-refs").write_text(f"{SHA_A} refs/heads/main\n")
    assert read_revision(tmp_path) == SHA_A


def test_a_head_that_is_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    git_dir = fake_git_dir(tmp_path, "ref: refs/heads/main")
    make_unreadable(git_dir / "HEAD", "fifo")
    done = isolated.python(
        "from django_static_url_helper.git_revision import read_revision\n"
        f"read_revision({str(tmp_path)!r})"
    )
    assert "ImproperlyConfigured" in done.stderr
    assert "HEAD is a named pipe (FIFO), not a regular file" in done.stderr


def test_a_dot_git_that_is_a_fifo_is_an_error_not_the_parent_checkout(tmp_path: Path) -> None:
    fake_git_dir(tmp_path, SHA_A)
    (tmp_path / "app").mkdir()
    os.mkfifo(tmp_path / "app" / ".git")
    with pytest.raises(ImproperlyConfigured, match=r"app/\.git is a named pipe"):
        read_revision(tmp_path / "app")


def linked_worktree(tmp_path: Path, commondir: str) -> Path:
    """A main git dir with refs/heads/main = SHA_A and a worktree of it; return the worktree."""
    main_git = fake_git_dir(tmp_path / "main", "ref: refs/heads/main")
    (main_git / "refs/heads/main").write_text(SHA_A + "\n")
    admin = main_git / "worktrees" / "wt"
    admin.mkdir(parents=True)
    (admin / "HEAD").write_text("ref: refs/heads/main\n")
    (admin / "commondir").write_text(commondir + "\n")
    (tmp_path / "wt").mkdir()
    (tmp_path / "wt" / ".git").write_text(f"gitdir: {admin}\n")
    return tmp_path / "wt"


def test_a_worktree_reads_the_refs_of_its_common_dir(tmp_path: Path) -> None:
    assert read_revision(linked_worktree(tmp_path, "../..")) == SHA_A


def test_a_commondir_outside_the_repository_is_refused(tmp_path: Path) -> None:
    other = fake_git_dir(tmp_path / "other", "ref: refs/heads/main")
    (other / "refs/heads/main").write_text(SHA_B + "\n")
    worktree = linked_worktree(tmp_path, "../../../../other/.git")
    with pytest.raises(ImproperlyConfigured, match="commondir .* does not contain"):
        read_revision(worktree)


@pytest.mark.parametrize("link", ["gitdir: ../x\x1b[2J", "gitdir: ", "gitdir: a\nb"])
def test_a_gitdir_link_naming_no_printable_path_is_refused_unquoted(
    tmp_path: Path, link: str
) -> None:
    (tmp_path / ".git").write_text(link)
    with pytest.raises(ImproperlyConfigured, match="not a git link file") as info:
        read_revision(tmp_path)
    assert "\x1b" not in str(info.value)


def test_a_commondir_naming_no_printable_path_is_refused_unquoted(tmp_path: Path) -> None:
    worktree = linked_worktree(tmp_path, "../..\x1b[2J")
    with pytest.raises(ImproperlyConfigured, match="commondir does not hold a path") as info:
        read_revision(worktree)
    assert "\x1b" not in str(info.value)
