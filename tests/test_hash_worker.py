"""The child process that hashes the files to collect beside the copy, and its fallbacks."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import call_command

from django_static_url_helper import (
    content_hash,
    hash_child,
    hash_worker,
    integrity,
    integrity_record,
    stamp_file,
    url_helper,
)

from .release_support import RELEASE_STORAGES, make_tree

if TYPE_CHECKING:
    from pytest_django import Settings

MANY = 80
"""More files than the worker's threshold: a collect of these starts a child."""


def many_files(root: Path, count: int = MANY) -> list[str]:
    paths = []
    for number in range(count):
        path = root / f"d{number % 7}" / f"f{number}.js"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"f{number}();".encode() * (number + 1))
        paths.append(str(path))
    return paths


def many_sources(settings: Settings, tmp_path: Path) -> Path:
    """STATICFILES_DIRS of MANY files; returns where a stamp would go."""
    sources = tmp_path / "sources"
    many_files(sources)
    settings.STATICFILES_DIRS = [sources]
    return tmp_path / "static-version.txt"


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[hash_child.Child]:
    """Every child a Pending or a Stream starts, in order."""
    children: list[hash_child.Child] = []
    start = hash_child.Child.start

    def recording(*args: Any) -> hash_child.Child | None:
        child = start(*args)
        if child is not None:
            children.append(child)
        return child

    monkeypatch.setattr(hash_child.Child, "start", staticmethod(recording))
    return children


@pytest.mark.parametrize("sha384", [False, True])
def test_the_child_gives_what_hashing_in_process_gives(
    tmp_path: Path, sha384: bool, started: list[hash_child.Child]
) -> None:
    paths = many_files(tmp_path)
    found = hash_worker.Pending(paths, sha384=sha384).result()
    assert len(started) == 1
    assert started[0].process.returncode == 0
    assert found == content_hash.read_files(paths, sha384=sha384)
    last = Path(paths[-1]).read_bytes()
    assert found[-1].digest == hashlib.sha256(last).digest()
    assert found[-1].sha384 == (hashlib.sha384(last).digest() if sha384 else None)
    assert found[-1].before.st_ino == os.stat(paths[-1]).st_ino


def test_a_few_files_are_hashed_without_a_child(
    tmp_path: Path, started: list[hash_child.Child]
) -> None:
    paths = many_files(tmp_path, 3)
    assert hash_worker.Pending(paths).result() == content_hash.read_files(paths)
    assert started == []


def test_a_file_gone_before_the_child_read_it_is_the_in_process_error(
    tmp_path: Path, started: list[hash_child.Child]
) -> None:
    paths = many_files(tmp_path)
    os.unlink(paths[40])
    pending = hash_worker.Pending(paths)
    with pytest.raises(FileNotFoundError) as raised:
        pending.result()
    assert raised.value.filename == paths[40]
    assert started[0].process.returncode == 1


@pytest.mark.parametrize("executable", ["", "/nonexistent/python", "/bin/false"])
def test_no_usable_interpreter_hashes_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, executable: str
) -> None:
    paths = many_files(tmp_path)
    monkeypatch.setattr(sys, "executable", executable)
    assert hash_worker.Pending(paths, sha384=True).result() == content_hash.read_files(
        paths, sha384=True
    )


def test_output_cut_short_is_not_trusted(tmp_path: Path) -> None:
    paths = many_files(tmp_path)
    child = hash_child.Child.start(False, paths)
    assert child is not None
    child.process.wait()
    child.output.seek(0)
    whole = child.output.read()
    child.output.seek(0)
    child.output.truncate()
    child.output.write(whole[:-1])
    assert child.collect(len(paths), False) is None


@pytest.mark.parametrize("sha384", [False, True])
def test_a_stream_gives_what_hashing_in_process_gives(
    tmp_path: Path, sha384: bool, started: list[hash_child.Child]
) -> None:
    paths = many_files(tmp_path, 300)
    stream = hash_worker.Stream(sha384=sha384)
    for path in paths:
        stream.add(path)
    assert len(started) == 1  # from the 64th path on
    assert stream.result() == content_hash.read_files(paths, sha384=sha384)
    assert started[0].process.returncode == 0


def test_a_short_stream_is_hashed_without_a_child(
    tmp_path: Path, started: list[hash_child.Child]
) -> None:
    paths = many_files(tmp_path, 10)
    stream = hash_worker.Stream()
    for path in paths:
        stream.add(path)
    assert stream.result() == content_hash.read_files(paths)
    assert started == []


def test_a_stream_whose_child_died_is_hashed_in_process(
    tmp_path: Path, started: list[hash_child.Child]
) -> None:
    paths = many_files(tmp_path, 300)
    stream = hash_worker.Stream(sha384=True)
    for path in paths[:100]:
        stream.add(path)
    started[0].process.kill()
    started[0].process.wait()
    for path in paths[100:]:
        stream.add(path)  # the pipe is broken: nothing raised here
    assert stream.result() == content_hash.read_files(paths, sha384=True)


def test_a_stream_file_gone_is_the_in_process_error(tmp_path: Path) -> None:
    paths = many_files(tmp_path)
    os.unlink(paths[70])
    stream = hash_worker.Stream()
    for path in paths:
        stream.add(path)
    with pytest.raises(FileNotFoundError):
        stream.result()


def test_serve_refuses_a_path_cut_short() -> None:
    out = io.BytesIO()
    assert hash_child.serve(io.BytesIO(b"sha256\0/etc/hostname"), out) == 2


def test_serve_refuses_an_unknown_mode() -> None:
    out = io.BytesIO()
    assert hash_child.serve(io.BytesIO(b"md5\0/etc/hostname\0"), out) == 2
    assert out.getvalue() == b""


def test_close_stops_the_child(tmp_path: Path, started: list[hash_child.Child]) -> None:
    pending = hash_worker.Pending(many_files(tmp_path))
    pending.close()
    assert started[0].process.returncode is not None
    assert started[0].output.closed
    pending.close()  # a second close does nothing


@pytest.mark.parametrize("link", [False, True])
def test_a_collect_of_many_files_hashes_them_in_a_child(
    settings: Settings, tmp_path: Path, started: list[hash_child.Child], link: bool
) -> None:
    stamp = many_sources(settings, tmp_path)
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", stamp)
    call_command("collectstatic", interactive=False, verbosity=0, link=link)
    assert len(started) == 1
    assert started[0].process.returncode == 0
    root = tmp_path / "collected"
    assert (root / "d0" / "f0.js").is_symlink() == link
    assert stamp_file.read_stamp(stamp) == content_hash.hash_tree(root)
    values = integrity_record.read_flat(f"{stamp}{integrity_record.RECORD_SUFFIX}").values
    assert values is not None
    assert len(values) == MANY
    for name in ("d0/f0.js", f"d{(MANY - 1) % 7}/f{MANY - 1}.js"):
        digest = hashlib.sha384((root / name).read_bytes()).digest()
        assert values[name] == integrity.value(digest)


@pytest.mark.parametrize("source", ["release", "stamp"])
def test_a_release_collect_hashes_beside_the_copy(
    settings: Settings, tmp_path: Path, started: list[hash_child.Child], source: str
) -> None:
    stamp = many_sources(settings, tmp_path)
    settings.STORAGES = RELEASE_STORAGES
    settings.STATIC_ROOT = tmp_path / "root"
    settings.STATIC_URL = (
        url_helper.get_static_url_release("/static/", "r1")
        if source == "release"
        else url_helper.get_static_url_stamp("/static/", stamp)
    )
    call_command("collectstatic", interactive=False, verbosity=0)
    # A content stamp names the folder: the files went to an incoming folder, renamed since.
    assert len(started) == 1
    assert sorted(path.name for path in (tmp_path / "root").iterdir() if path.is_dir()) == [
        marker.name.removesuffix(".release.json")
        for marker in (tmp_path / "root").glob("*.release.json")
    ]
    (marker,) = (tmp_path / "root").glob("*.release.json")
    folder = tmp_path / "root" / marker.name.removesuffix(".release.json")
    recorded = json.loads(marker.read_bytes())
    assert recorded["digest"] == content_hash.hash_tree(folder)
    name = f"d{(MANY - 1) % 7}/f{MANY - 1}.js"
    digest = hashlib.sha384((folder / name).read_bytes()).digest()
    assert recorded["integrity"][name] == integrity.value(digest)


def test_a_child_that_gives_nothing_is_a_warning_and_hashing_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    paths = many_files(tmp_path)
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with caplog.at_level("WARNING", logger="django_static_url_helper.hash_worker"):
        found = hash_worker.Pending(paths).result()
    assert found == content_hash.read_files(paths)
    assert f"Hashing {MANY} files in this process" in caplog.text
    caplog.clear()
    hash_worker.Pending(paths[:3]).result()  # too few for a child: as intended, said nothing
    assert caplog.text == ""


SITE_SETTINGS = """
SECRET_KEY = "not-secret"
INSTALLED_APPS = ["django_static_url_helper", "django.contrib.staticfiles"]
STATICFILES_DIRS = [{sources!r}]
STATIC_ROOT = {root!r}
STORAGES = {{"staticfiles": {{"BACKEND": {storage!r}}}}}
from django_static_url_helper import url_helper
STATIC_URL = url_helper.get_static_url_stamp("/static/", {stamp!r})
"""


@pytest.mark.parametrize(
    "storage",
    [
        "django_static_url_helper.storage.VersionedStaticFilesStorage",
        "django_static_url_helper.releases.ReleaseStaticFilesStorage",
    ],
)
def test_a_deploy_from_its_own_folder_hashes_in_the_child(tmp_path: Path, storage: str) -> None:
    # The package comes from wherever it is installed (an editable install's
    # import hook, or site-packages), not from a path the project gives.
    site = tmp_path / "site"
    site.mkdir()
    sources, root, stamp = tmp_path / "sources", tmp_path / "root", tmp_path / "stamp.txt"
    many_files(sources)
    settings_text = SITE_SETTINGS.format(
        sources=str(sources), root=str(root), storage=storage, stamp=str(stamp)
    )
    (site / "site_settings.py").write_text(settings_text)
    env = {
        key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")
    }
    env.update(DJANGO_SETTINGS_MODULE="site_settings", PYTHONPATH=str(site))
    done = subprocess.run(
        [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v", "0"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "in this process" not in done.stderr
    assert len(stamp_file.read_stamp(stamp)) == 64


CHILD_CHECK = """
import sys
from django_static_url_helper import hash_worker
paths = sys.argv[1:]
pending = hash_worker.Pending(paths)
child = pending.child
pending.result()
print(child is not None and child.process.returncode)
"""


def test_the_child_finds_the_package_where_the_parent_did(tmp_path: Path) -> None:
    paths = many_files(tmp_path / "files")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD_CHECK, *paths],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "0", done.stderr


@pytest.mark.parametrize(("files", "said"), [(None, "already collected"), ({"x.js": b"x"}, None)])
def test_a_release_another_collect_completed_meanwhile_is_compared_with_the_listed_files(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, bytes] | None,
    said: str | None,
) -> None:
    from django.core.management.base import CommandError

    from django_static_url_helper import release_links

    sources = tmp_path / "sources"
    many_files(sources)
    settings.STORAGES = RELEASE_STORAGES
    settings.STATICFILES_DIRS = [sources]
    settings.STATIC_ROOT = tmp_path / "root"
    settings.STATIC_URL = url_helper.get_static_url_release("/static/", "r1")
    call_command("collectstatic", interactive=False, verbosity=0)
    # The next collect looked before the first was complete: it saw no release then.
    monkeypatch.setattr(release_links, "start", lambda storage, segment: None)
    if files is not None:
        settings.STATICFILES_DIRS = [sources, make_tree(tmp_path / "more", files)]
    out = io.StringIO()
    if said is not None:
        call_command("collectstatic", interactive=False, stdout=out)
        assert said in out.getvalue()
    else:
        with pytest.raises(CommandError, match="already collected from other files"):
            call_command("collectstatic", interactive=False, stdout=out)


def test_no_writable_temporary_folder_hashes_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    paths = many_files(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    assert hash_worker.Pending(paths).result() == content_hash.read_files(paths)
    stream = hash_worker.Stream()
    for path in paths:
        stream.add(path)
    assert stream.result() == content_hash.read_files(paths)


def test_serve_writes_one_record_per_path(tmp_path: Path) -> None:
    paths = many_files(tmp_path, 3)
    given = b"sha256+sha384\0" + b"".join(os.fsencode(path) + b"\0" for path in paths)
    out = io.BytesIO()
    assert hash_child.serve(io.BytesIO(given), out) == 0
    records = list(hash_child.RECORD.iter_unpack(out.getvalue()))
    assert len(records) == 3
    body = Path(paths[2]).read_bytes()
    size, ino, _mtime, _ctime, st_size, digest, integrity_digest = records[2]
    assert (size, st_size, ino) == (len(body), len(body), os.stat(paths[2]).st_ino)
    assert digest == hashlib.sha256(body).digest()
    assert integrity_digest == hashlib.sha384(body).digest()


@pytest.mark.parametrize("damaged", [False, True])
def test_a_content_version_completed_meanwhile_is_kept_in_its_live_folder(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damaged: bool
) -> None:
    from django_static_url_helper import release_links

    stamp = many_sources(settings, tmp_path)
    settings.STORAGES = RELEASE_STORAGES
    settings.STATIC_ROOT = root = tmp_path / "root"
    settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", stamp)
    call_command("collectstatic", interactive=False, verbosity=0)
    (folder,) = [path for path in root.iterdir() if path.is_dir()]
    kept = folder / "d1" / "f1.js"
    before = (folder.stat().st_ino, kept.stat().st_ino)
    if damaged:
        (folder / "d0" / "f0.js").unlink()
    # The next collect looked before the first was complete: it saw no release then.
    monkeypatch.setattr(release_links, "start", lambda storage, segment: None)
    out = io.StringIO()
    call_command("collectstatic", interactive=False, stdout=out)
    assert [path for path in root.iterdir() if path.is_dir()] == [folder]  # no incoming left
    assert (folder.stat().st_ino, kept.stat().st_ino) == before  # the live folder stayed
    assert (folder / "d0" / "f0.js").read_bytes() == (tmp_path / "sources/d0/f0.js").read_bytes()
    said = "lost 1 file(s): repairing" if damaged else "is already collected"
    assert said in out.getvalue()
