"""The support files whitenoise's Django tests import, written for this project.

whitenoise's sdist on PyPI ships ``tests/test_django_whitenoise.py`` but not
the modules it imports from its own test package (``tests.utils``, the
settings module its conftest loads, the URLconf) nor its ``tests/test_files``.
``complete(tree)`` writes this project's own versions of them into a tree
extracted from the sdist, so the suite runs wherever PyPI is reachable: an
app served over real HTTP under a path prefix, a settings module, and small
static files of the names the tests ask for.
"""

from __future__ import annotations

from pathlib import Path

PREFIX = "subdir"

_UTILS = f'''
import os
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import requests

TEST_FILE_PATH = os.path.join(os.path.dirname(__file__), "test_files")


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class AppServer:
    """A WSGI application behind a real HTTP server, mounted under /PREFIX."""

    PREFIX = {PREFIX!r}

    def __init__(self, application):
        self.application = application
        self.server = make_server("127.0.0.1", 0, self.mounted, handler_class=_Quiet)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def mounted(self, environ, start_response):
        mount = "/" + self.PREFIX
        path = environ.get("PATH_INFO", "")
        if path != mount and not path.startswith(mount + "/"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"outside the mount"]
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + mount
        environ["PATH_INFO"] = path[len(mount):]
        return self.application(environ, start_response)

    def get(self, path, **kwargs):
        host, port = self.server.server_address[:2]
        return requests.get(f"http://{{host}}:{{port}}{{path}}", timeout=10, **kwargs)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Files:
    """Files of test_files/DIRECTORY: NAME_path, NAME_url and NAME_content of each."""

    def __init__(self, directory, **files):
        self.directory = os.path.join(TEST_FILE_PATH, directory)
        for name, path in files.items():
            with open(os.path.join(self.directory, path), "rb") as file:
                setattr(self, name + "_content", file.read())
            setattr(self, name + "_path", path)
            setattr(self, name + "_url", f"/{{AppServer.PREFIX}}/{{path}}")
'''

_SETTINGS = """
import os

from tests.utils import TEST_FILE_PATH, AppServer

SECRET_KEY = "whitenoise-suite-not-secret"
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.staticfiles"]
ROOT_URLCONF = "tests.django_urls"
FORCE_SCRIPT_NAME = "/" + AppServer.PREFIX
STATIC_URL = FORCE_SCRIPT_NAME + "/static/"
STATIC_ROOT = os.path.join(TEST_FILE_PATH, "root")
STORAGES = {
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
USE_TZ = True
MIDDLEWARE = ["whitenoise.middleware.WhiteNoiseMiddleware"]
"""

_CONFTEST = """
import os

import django
import pytest


@pytest.fixture(autouse=True, scope="session")
def django_setup():
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.django_settings"
    django.setup()
"""

# Big and repetitive enough that whitenoise keeps its compressed copies.
_SCRIPT = "".join(f"function f{i}() {{ return {i} * {i}; }}\n" for i in range(200))
_TEST_FILES = {
    "static/app.js": _SCRIPT,
    "static/nonascii\u2713.txt": "not only ASCII \u2713\n",
    "static/with-index/index.html": "<!doctype html><title>index</title>\n",
    "static/directory/file.txt": "a file in a folder\n",
    "root/robots.txt": "User-agent: *\nDisallow:\n",
}

MODULES = {
    "utils.py": _UTILS,
    "django_settings.py": _SETTINGS,
    "django_urls.py": "urlpatterns = []\n",
    "conftest.py": _CONFTEST,
    "__init__.py": "",
}


def complete(tree: Path) -> Path:
    """Write what ``tree/tests`` lacks of the support modules and test files."""
    tests = tree / "tests"
    for name, text in MODULES.items():
        if not (tests / name).exists():
            (tests / name).write_text(text.lstrip("\n"))
    files = tests / "test_files"
    if not files.is_dir():
        for name, text in _TEST_FILES.items():
            (files / name).parent.mkdir(parents=True, exist_ok=True)
            (files / name).write_text(text)
    return tree
