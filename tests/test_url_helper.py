from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from django_static_url_helper import helper_inputs, stamp_file, url_helper, version

from . import isolated


def segment_of(url: str) -> str:
    split = version.split_url(url)
    assert split.segment is not None, url
    return split.segment


# --- 0.1.0 calls, exactly as 0.1.0 settings files wrote them ---


def test_now_positional_call_as_in_0_1_0() -> None:
    url = url_helper.get_static_url_now("/static/", True, "secret")
    assert version.split_url(url).base == "/static/"
    assert version.is_segment(segment_of(url))


def test_now_keyword_call_as_in_0_1_0() -> None:
    url = url_helper.get_static_url_now(static_url_base="/static/", hash_url=True, secret_key=None)
    assert version.split_url(url).base == "/static/"


def test_now_is_one_value_per_process_whatever_calls_it() -> None:
    first = url_helper.get_static_url_now("/static/", True, "secret")
    time.sleep(0.01)
    assert url_helper.get_static_url_now("/static/", True, "secret") == first
    assert url_helper.get_static_url_now("/static/", False) == url_helper.get_static_url_now(
        "/static/", False
    )
    # Split settings modules may pass other bases: the version stays the boot's.
    assert segment_of(url_helper.get_static_url_now("/assets/", True, "secret")) == segment_of(
        first
    )


def test_now_changes_at_every_boot() -> None:
    code = (
        "from django_static_url_helper import url_helper\n"
        "print(url_helper.get_static_url_now('/static/', True, 'secret'))"
    )
    urls = {isolated.python(code).stdout for _ in range(2)}
    assert len(urls) == 2, urls


def test_now_without_hash_shows_the_boot_time_in_hex() -> None:
    url = url_helper.get_static_url_now("/static/", False)
    boot = helper_inputs.boot_time_ns() // 10**9
    assert int(segment_of(url), 16) == boot <= int(time.time())


def test_file_positional_call_as_in_0_1_0(tmp_path: Path) -> None:
    deploy = tmp_path / "uwsgi.ini"
    deploy.touch()
    url = url_helper.get_static_url_file("/static/", str(deploy), True, "secret")
    assert version.is_segment(segment_of(url))
    assert url == url_helper.get_static_url_file("/static/", deploy, True, "secret")


def test_file_keyword_call_as_in_0_1_0(tmp_path: Path) -> None:
    deploy = tmp_path / "uwsgi.ini"
    deploy.touch()
    url = url_helper.get_static_url_file(
        static_url_base="/static/", file_path=str(deploy), hash_url=True, secret_key="secret"
    )
    assert url == url_helper.get_static_url_file("/static/", str(deploy), True, "secret")
    plain = url_helper.get_static_url_file(
        static_url_base="/static/", file_path=deploy, hash_url=False
    )
    assert segment_of(plain) == version.plain_segment(int(deploy.stat().st_atime))


def test_file_version_follows_the_access_time(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy.stamp"
    deploy.touch()
    os.utime(deploy, (1_000_000_000, 1_000_000_000))
    first = url_helper.get_static_url_file("/static/", deploy)
    os.utime(deploy, (1_000_000_001, 1_000_000_000))
    assert url_helper.get_static_url_file("/static/", deploy) != first
    os.utime(deploy, (1_000_000_001, 1_500_000_000))
    second = url_helper.get_static_url_file("/static/", deploy)
    assert url_helper.get_static_url_file("/static/", deploy) == second


def test_file_version_can_follow_the_modification_time(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy.stamp"
    deploy.touch()
    os.utime(deploy, (1_000_000_000, 1_000_000_000))
    first = url_helper.get_static_url_file("/static/", deploy, timestamp="mtime")
    os.utime(deploy, (1_200_000_000, 1_000_000_000))  # a read moved atime only
    assert url_helper.get_static_url_file("/static/", deploy, timestamp="mtime") == first
    os.utime(deploy, (1_200_000_000, 1_000_000_001))
    assert url_helper.get_static_url_file("/static/", deploy, timestamp="mtime") != first


def test_file_without_hash_shows_the_access_time(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy.stamp"
    deploy.touch()
    os.utime(deploy, (1_480_000_000, 1))
    assert url_helper.get_static_url_file("/static/", deploy, False) == "/static/000058370200/"


def test_missing_deploy_file_says_what_and_how_to_fix(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "deploy.stamp"
    with pytest.raises(ImproperlyConfigured, match="does not exist") as info:
        url_helper.get_static_url_file("/static/", missing)
    assert str(missing) in str(info.value)
    assert f"touch {missing}" in str(info.value)


def test_unreadable_deploy_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").touch()
    with pytest.raises(ImproperlyConfigured, match="Cannot stat"):
        url_helper.get_static_url_file("/static/", tmp_path / "a-file" / "below")


def test_file_rejects_an_unknown_timestamp(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="'atime' or 'mtime'"):
        url_helper.get_static_url_file("/static/", tmp_path, timestamp="ctime")  # type: ignore[arg-type]


# --- sources identical on every server of a release ---


def test_release_is_the_same_for_the_same_id_and_secret() -> None:
    a = url_helper.get_static_url_release("/static/", "v1.2.3")
    assert a == url_helper.get_static_url_release("/static/", "v1.2.3")
    assert a != url_helper.get_static_url_release("/static/", "v1.2.4")
    assert "v1.2.3" not in a
    assert "secret" not in a


@pytest.mark.parametrize("release", ["", "   ", None])
def test_empty_release_is_rejected(release: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="non-empty string"):
        url_helper.get_static_url_release("/static/", release)


@pytest.mark.parametrize(
    ("release", "said"),
    [
        (" v1", "starts with ' '"),
        ("v1\n", "ends with '\\n'"),
        ("\tv1 ", "starts with '\\t' and ends"),
    ],
)
def test_a_release_id_with_whitespace_around_it_is_refused(release: str, said: str) -> None:
    with pytest.raises(
        ImproperlyConfigured, match=f"release.* {re.escape(said)}.*whitespace"
    ) as info:
        url_helper.get_static_url_release("/static/", release)
    assert "v1" not in str(info.value)


def test_an_env_variable_with_whitespace_around_it_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GIT_COMMIT", "a" * 40 + "\n")
    with pytest.raises(ImproperlyConfigured, match=r"variable GIT_COMMIT ends with '\\n'") as info:
        url_helper.get_static_url_env("/static/", "GIT_COMMIT")
    assert "a" * 40 not in str(info.value)


def test_env_reads_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_COMMIT", "a" * 40)
    url = url_helper.get_static_url_env("/static/", "GIT_COMMIT")
    assert url.source == url_helper.Source("env", variable="GIT_COMMIT")
    # The variable's value is the release id: the same URL as naming it directly.
    assert url == url_helper.get_static_url_release("/static/", "a" * 40)
    monkeypatch.setenv("GIT_COMMIT", "b" * 40)
    assert url_helper.get_static_url_env("/static/", "GIT_COMMIT") != url


def test_env_records_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEASE_ID", "42")
    url = url_helper.get_static_url_env("/static/", "RELEASE_ID")
    assert url.source == url_helper.Source("env", variable="RELEASE_ID")


def test_env_missing_variable_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GIT_COMMIT", raising=False)
    with pytest.raises(ImproperlyConfigured, match="GIT_COMMIT .* is not set"):
        url_helper.get_static_url_env("/static/", "GIT_COMMIT")


def test_env_empty_variable_is_an_error_not_a_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_COMMIT", "")
    with pytest.raises(ImproperlyConfigured, match="environment variable GIT_COMMIT is ''"):
        url_helper.get_static_url_env("/static/", "GIT_COMMIT")


def test_git_revision_of_a_real_checkout_matches_the_release(tmp_path: Path) -> None:
    from tests.test_git_revision import make_repo

    sha = make_repo(tmp_path)
    url = url_helper.get_static_url_git("/static/", tmp_path)
    assert url == url_helper.get_static_url_release("/static/", sha)


def test_git_records_the_resolved_checkout(tmp_path: Path) -> None:
    from tests.test_git_revision import make_repo

    (tmp_path / "repo" / "app").mkdir(parents=True)
    make_repo(tmp_path / "repo")
    url = url_helper.get_static_url_git("/static/", tmp_path / "repo" / "app" / "..")
    assert url.source == url_helper.Source("git", str((tmp_path / "repo").resolve()))


def test_git_needs_the_checkout_named() -> None:
    with pytest.raises(TypeError, match="checkout"):
        url_helper.get_static_url_git("/static/")  # type: ignore[call-arg]


def test_git_refuses_a_checkout_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_git_revision import make_repo

    make_repo(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ImproperlyConfigured, match=r"checkout '\.' is relative.*absolute path"):
        url_helper.get_static_url_git("/static/", ".")


def test_git_outside_a_checkout_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="not inside a git checkout"):
        url_helper.get_static_url_git("/static/", tmp_path)


def test_stamp_version_follows_the_content(tmp_path: Path) -> None:
    stamp = tmp_path / "static-version.txt"
    stamp_file.write_stamp(stamp, "a" * 64)
    first = url_helper.get_static_url_stamp("/static/", stamp)
    assert first == url_helper.get_static_url_stamp("/static/", stamp)
    stamp_file.write_stamp(stamp, "b" * 64)
    assert url_helper.get_static_url_stamp("/static/", stamp) != first


@pytest.mark.parametrize(
    "argv", [["manage.py", "migrate"], ["manage.py", "static_url", "-v", "1", "stamp"], []]
)
def test_a_missing_stamp_loads_settings_whatever_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    monkeypatch.setattr("sys.argv", argv)  # nothing looks at it any more
    url = url_helper.get_static_url_stamp("/static/", tmp_path / "static-version.txt")
    assert url == "/static/unpublished/"
    assert version.split_url(url).segment is None
    assert url.source == url_helper.Source("stamp", str(tmp_path / "static-version.txt"))


def test_a_dangling_stamp_link_names_the_command_to_run(tmp_path: Path) -> None:
    stamp = tmp_path / "static-version.txt"
    stamp.symlink_to(tmp_path / "gone")
    with pytest.raises(ImproperlyConfigured, match="manage.py static_url stamp"):
        url_helper.get_static_url_stamp("/static/", stamp)


def test_a_stamp_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    stamp = tmp_path / "static-version.txt"
    stamp.write_bytes(b"\xff" * 64 + b"\n")
    with pytest.raises(ImproperlyConfigured, match=f"stamp {stamp} is not UTF-8 text"):
        url_helper.get_static_url_stamp("/static/", stamp)


def test_a_stamp_that_is_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    stamp = tmp_path / "static-version.txt"
    os.mkfifo(stamp)
    done = isolated.python(
        "from django_static_url_helper import url_helper\n"
        f"url_helper.get_static_url_stamp('/static/', {str(stamp)!r})"
    )
    assert "ImproperlyConfigured" in done.stderr
    assert f"stamp {stamp} is a named pipe (FIFO), not a regular file" in done.stderr


def test_a_stamp_error_never_quotes_the_file(tmp_path: Path) -> None:
    not_a_stamp = tmp_path / ".env"
    not_a_stamp.write_text("DATABASE_PASSWORD=TOP-SECRET\n")
    with pytest.raises(ImproperlyConfigured, match="not a static version stamp") as info:
        url_helper.get_static_url_stamp("/static/", not_a_stamp)
    assert "TOP-SECRET" not in str(info.value)


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_a_deploy_file_that_is_not_a_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    deploy = tmp_path / "deploy"
    if kind == "directory":
        deploy.mkdir()
    else:
        os.mkfifo(deploy)
    with pytest.raises(ImproperlyConfigured, match=f"file {deploy} is an? .*, not a regular"):
        url_helper.get_static_url_file("/static/", deploy)


def test_fixed_version_for_tests() -> None:
    assert url_helper.get_static_url_fixed("/static/") == "/static/000000000000/"
    assert url_helper.get_static_url_fixed("/s/", "3fa9c1e2b7d4") == "/s/3fa9c1e2b7d4/"


def test_fixed_version_must_have_the_segment_shape() -> None:
    with pytest.raises(ImproperlyConfigured, match="12 lowercase hex digits"):
        url_helper.get_static_url_fixed("/static/", "v1")


# --- the base, for every helper ---


def all_helpers(tmp_path: Path) -> dict[str, Callable[[str], str]]:
    deploy = tmp_path / "deploy"
    deploy.touch()
    stamp = tmp_path / "stamp"
    stamp_file.write_stamp(stamp, "c" * 64)
    return {
        "now": lambda base: url_helper.get_static_url_now(base),
        "now-plain": lambda base: url_helper.get_static_url_now(base, False),
        "file": lambda base: url_helper.get_static_url_file(base, deploy),
        "file-plain": lambda base: url_helper.get_static_url_file(base, deploy, False),
        "release": lambda base: url_helper.get_static_url_release(base, "1"),
        "stamp": lambda base: url_helper.get_static_url_stamp(base, stamp),
        "fixed": lambda base: url_helper.get_static_url_fixed(base),
    }


@pytest.mark.parametrize(
    "base", ["/static/", "https://cdn.example.com/static/", "//cdn.example.com/s/", "/st+at(ic)/"]
)
def test_every_helper_appends_a_segment_to_any_base(tmp_path: Path, base: str) -> None:
    for name, helper in all_helpers(tmp_path).items():
        url = helper(base)
        assert version.split_url(url).base == base, name
        assert isinstance(url, url_helper.VersionedStaticURL), name


def test_every_helper_rejects_a_base_without_trailing_slash(tmp_path: Path) -> None:
    for name, helper in all_helpers(tmp_path).items():
        with pytest.raises(ImproperlyConfigured, match="must end with '/'"):  # noqa: PT012
            helper("/static")
            pytest.fail(f"{name} accepted '/static'")


@pytest.mark.parametrize("variable", [None, "", "A=B", 7])
def test_env_helper_needs_a_variable_name(variable: object) -> None:
    with pytest.raises(ImproperlyConfigured, match="takes the name of an environment variable"):
        url_helper.get_static_url_env("/static/", variable)  # type: ignore[arg-type]
