"""whitenoise's own Django middleware tests, run with VersionedWhiteNoiseMiddleware swapped in.

Nothing of whitenoise's is kept in this project: its tests are copied at test
time into a temporary folder, its settings module gets our middleware (and,
in the second run, a versioned STATIC_URL), and pytest runs them in a
subprocess against the installed whitenoise and this checkout's package.

whitenoise's wheel has no tests, so the source comes from, in order:

1. ``WHITENOISE_SOURCE``: a whitenoise source tree, or its git directory (the
   tag of the installed version is read from it), with its own support files;
2. the installed version's sdist from PyPI. It lacks the support files the
   tests import (``tests/utils.py``, the settings, ``tests/test_files/``):
   ``tests/whitenoise_harness.py`` writes this project's own versions of them.

Without either the tests skip, saying so (a failure under ``CI=true``).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path

import pytest

import django_static_url_helper
from tests import whitenoise_harness

pytestmark = pytest.mark.server

OURS = "django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware"
SUITE = "tests/test_django_whitenoise.py"
NEEDED = (SUITE, "tests/utils.py", "tests/conftest.py", "tests/django_settings.py")
VERSION = metadata.version("whitenoise")
CURRENT = "3fa9c1e2b7d4"
PROJECT = Path(django_static_url_helper.__file__).resolve().parent.parent

# whitenoise's tests that fail under a versioned STATIC_URL, and why: each is a
# documented policy of the middleware (docs/serving-whitenoise.rst), not a bug.
VERSIONED_DIFFERENCES = {
    "test_versioned_file_cached_forever": (
        "a file under the current version gets the version's Cache-Control "
        "(STATIC_VERSION_MAX_AGE, a year), not whitenoise's ten-year one for hashed names"
    ),
    "test_unversioned_file_not_cached_forever": (
        "STATIC_URL + name is a URL under the current version, hence immutable; "
        "whitenoise's max-age applies to URLs without a version"
    ),
}
# Tests of the suite that must have run (a collection error leaves none).
SUITE_NAMES = {"test_get_root_file", "test_index_file_path_redirected[True]"}
OUR_CHECK = f"""
from django.conf import settings


def test_the_middleware_under_test_is_versioned():
    assert settings.MIDDLEWARE == [{OURS!r}]
"""


def _complete(tree: Path) -> bool:
    return all((tree / name).is_file() for name in NEEDED) and (tree / "tests/test_files").is_dir()


def _from_git(git_dir: Path, into: Path) -> Path | None:
    archive = subprocess.run(
        ["git", "--git-dir", str(git_dir), "archive", "--format=tar", VERSION, "tests"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        return None
    into.mkdir()
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def _from_pypi(into: Path) -> Path | None:
    into.mkdir()
    download = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    download += ["--no-binary=:all:", f"whitenoise=={VERSION}", "--dest", str(into)]
    try:
        done = subprocess.run(download, capture_output=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        return None
    sdists = list(into.glob("*.tar.gz"))
    if done.returncode != 0 or not sdists:
        return None
    with tarfile.open(sdists[0]) as sdist:
        sdist.extractall(into, filter="data")
    tree = next((tree for tree in into.iterdir() if tree.is_dir()), None)
    if tree is None or not (tree / SUITE).is_file():
        return None
    return whitenoise_harness.complete(tree)


@pytest.fixture(scope="module")
def whitenoise_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whitenoise source tree holding the tests of the installed version."""
    # What whitenoise's tests need beyond ours (the test extra brings both).
    for module, package in (("requests", "requests"), ("brotli", "Brotli")):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"whitenoise's tests need {package}: pip install {package}")
    tmp = tmp_path_factory.mktemp("whitenoise-source")
    given = os.environ.get("WHITENOISE_SOURCE")
    tried = []
    if given:
        path = Path(given)
        is_git = (path / "HEAD").is_file() and (path / "objects").is_dir()
        found = _from_git(path, tmp / "git") if is_git else path
        if found is not None and _complete(found):
            return found
        tried.append(f"WHITENOISE_SOURCE={given} has no whole test suite of {VERSION}")
    found = _from_pypi(tmp / "sdist")
    if found is not None and _complete(found):
        return found
    tried.append(f"the sdist of whitenoise {VERSION} could not be fetched from PyPI")
    pytest.skip(
        "whitenoise's test suite is not available: "
        + "; ".join(tried)
        + ". Point WHITENOISE_SOURCE at a whitenoise checkout (or its .git directory) "
        f"of version {VERSION}."
    )


def run_suite(source: Path, folder: Path, **settings: str) -> dict[str, str]:
    """Run whitenoise's Django tests with our middleware; the outcome of each test."""
    shutil.copytree(source / "tests", folder / "tests")
    (folder / "pytest.ini").write_text("[pytest]\n")
    (folder / "tests" / "test_zz_middleware_under_test.py").write_text(OUR_CHECK)
    django_settings = folder / "tests" / "django_settings.py"
    text = django_settings.read_text()
    assert "\nMIDDLEWARE = " in text, "whitenoise's settings module changed shape"
    lines = [f"MIDDLEWARE = [{OURS!r}]", *(f"{name} = {value}" for name, value in settings.items())]
    django_settings.write_text(text + "\n" + "\n".join(lines) + "\n")
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(PROJECT)
    report = folder / "report.xml"
    args = [sys.executable, "-m", "pytest", "-p", "no:django", "-p", "no:randomly"]
    args += ["-p", "no:cacheprovider", "-q", f"--junitxml={report}", f"--rootdir={folder}"]
    args += ["-c", str(folder / "pytest.ini"), SUITE, "tests/test_zz_middleware_under_test.py"]
    done = subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert report.is_file(), done.stdout + done.stderr
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        problems = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[case.attrib["name"]] = problems[0] if problems else "passed"
    ours = outcomes.pop("test_the_middleware_under_test_is_versioned", None)
    assert ours == "passed", done.stdout + done.stderr
    assert set(outcomes) >= SUITE_NAMES, done.stdout + done.stderr
    return outcomes


def failed(outcomes: dict[str, str]) -> set[str]:
    return {name for name, outcome in outcomes.items() if outcome != "passed"}


def test_whitenoise_suite_passes_with_our_middleware(
    whitenoise_source: Path, tmp_path: Path
) -> None:
    outcomes = run_suite(whitenoise_source, tmp_path)
    assert len(outcomes) > 20
    assert failed(outcomes) == set()


def test_whitenoise_suite_under_a_versioned_static_url_differs_only_by_policy(
    whitenoise_source: Path, tmp_path: Path
) -> None:
    outcomes = run_suite(
        whitenoise_source, tmp_path, STATIC_URL=f'FORCE_SCRIPT_NAME + "/static/{CURRENT}/"'
    )
    for index_test in (
        "test_index_file_served_at_directory_path",
        "test_index_file_path_redirected",
    ):
        assert outcomes[f"{index_test}[True]"] == outcomes[f"{index_test}[False]"] == "passed"
    assert failed(outcomes) == set(VERSIONED_DIFFERENCES)
