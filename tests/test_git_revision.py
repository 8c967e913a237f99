from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from django_static_url_helper.git_revision import read_revision

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
