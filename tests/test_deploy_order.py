"""A fresh project, deployed in the order platforms use: migrate and check before collectstatic.

Each command runs in its own interpreter, as a deploy runs it: settings are
imported anew, and nothing of a test process leaks in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from django_static_url_helper import stamp_file, version

from .isolated import ROOT

SETTINGS = """
import os
from pathlib import Path
from django_static_url_helper import url_helper

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "django_static_url_helper",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
STATICFILES_DIRS = [BASE_DIR / "assets"]
STATIC_ROOT = BASE_DIR / "static-root"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": os.environ["STATIC_STORAGE"]},
}
if os.environ.get("VERSION_FROM") == "env":
    STATIC_URL = url_helper.get_static_url_env("/static/", "RELEASE_ID")
else:
    STATIC_URL = url_helper.get_static_url_stamp("/static/", BASE_DIR / "static-version.txt")
"""
VERSIONED = "django_static_url_helper.storage.VersionedStaticFilesStorage"
RELEASES = "django_static_url_helper.releases.ReleaseStaticFilesStorage"


class Project:
    def __init__(self, folder: Path, storage: str, **env: str) -> None:
        self.folder = folder
        (folder / "site_settings.py").write_text(SETTINGS)
        (folder / "assets" / "css").mkdir(parents=True)
        (folder / "assets" / "css" / "site.css").write_text("body { color: red }\n")
        self.env = {
            **os.environ,
            "PYTHONPATH": f"{folder}{os.pathsep}{ROOT}",
            "DJANGO_SETTINGS_MODULE": "site_settings",
            "SECRET_KEY": "the-production-secret",
            "STATIC_STORAGE": storage,
            **env,
        }

    def run(
        self, *args: str, code: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "django", *args]
        return subprocess.run(
            command,
            cwd=self.folder,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def ok(self, *args: str, **env: str) -> str:
        done = self.run(*args, **env)
        assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def shown(self, **env: str) -> dict[str, object]:
        return dict(json.loads(self.ok("static_url", "show", "--json", **env)))


@pytest.mark.parametrize("storage", [VERSIONED, RELEASES])
def test_migrate_and_check_work_before_the_first_collectstatic(
    tmp_path: Path, storage: str
) -> None:
    project = Project(tmp_path, storage)
    project.ok("migrate", "--noinput", "-v", "0")
    project.ok("check")
    project.ok(
        "createsuperuser",
        "--noinput",
        DJANGO_SUPERUSER_USERNAME="admin",
        DJANGO_SUPERUSER_PASSWORD="x-Very-long-Pass-1",
        DJANGO_SUPERUSER_EMAIL="admin@example.com",
    )
    assert project.shown()["static_url"] == "/static/unpublished/"
    deploy_check = project.run("check", "--deploy")
    assert deploy_check.returncode != 0
    assert "django_static_url_helper.E005" in deploy_check.stderr
    assert "Run 'python manage.py collectstatic'" in deploy_check.stderr


@pytest.mark.parametrize("storage", [VERSIONED, RELEASES])
def test_rendering_a_static_url_before_the_first_collectstatic_names_it(
    tmp_path: Path, storage: str
) -> None:
    project = Project(tmp_path, storage)
    done = project.run(
        code="import django; django.setup()\n"
        "from django.templatetags.static import static\n"
        "static('css/site.css')"
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "No static version is published yet" in last
    assert "Run 'manage.py collectstatic'" in last


@pytest.mark.parametrize("storage", [VERSIONED, RELEASES])
def test_call_command_from_a_deploy_script_publishes_the_version(
    tmp_path: Path, storage: str
) -> None:
    project = Project(tmp_path, storage)
    done = project.run(
        code="import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('collectstatic', interactive=False, verbosity=0)"
    )
    assert done.returncode == 0, done.stderr
    digest = stamp_file.read_stamp(tmp_path / "static-version.txt")
    segment = version.content_segment(digest)
    assert project.shown()["version"] == segment


@pytest.mark.parametrize(
    "args", [["static_url", "-v", "1", "show"], ["static_url", "show", "-v", "1"]]
)
def test_options_go_before_or_after_the_subcommand(tmp_path: Path, args: list[str]) -> None:
    project = Project(tmp_path, VERSIONED)
    assert "version: \n" in project.ok(*args)  # nothing published yet, and no error


def test_static_url_stamp_with_verbosity_before_the_action(tmp_path: Path) -> None:
    project = Project(tmp_path, VERSIONED)
    project.ok("collectstatic", "--noinput", "-v", "0")
    (tmp_path / "static-version.txt").unlink()
    out = project.ok("static_url", "-v", "1", "stamp")
    assert "Wrote" in out
    assert stamp_file.read_stamp(tmp_path / "static-version.txt")


@pytest.mark.parametrize("version_from", ["stamp", "env"])
def test_a_build_with_a_dummy_secret_and_servers_with_the_real_one_agree(
    tmp_path: Path, version_from: str
) -> None:
    project = Project(tmp_path, RELEASES, VERSION_FROM=version_from, RELEASE_ID="2026.12.1")
    # The image build: no production secret there.
    out = project.ok("collectstatic", "--noinput", SECRET_KEY="dummy-build-key")
    built = project.shown(SECRET_KEY="dummy-build-key")["version"]
    assert f"Published version {built}" in out
    # The servers, with the real key, render and serve the version the build collected.
    served = project.shown(SECRET_KEY="the-real-production-secret")
    assert served["version"] == served["published"] == built
    assert (tmp_path / "static-root" / str(built) / "css" / "site.css").is_file()
