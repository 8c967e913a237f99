"""Smoke test of an installed wheel: python -I wheel_smoke.py FOLDER.

Writes a small project into FOLDER and runs it with the interpreter this runs
on: the package must come from that interpreter's site-packages, ship its
type information and nginx template, pass ``check``, and serve a collected
file under its version with whitenoise.
"""

from __future__ import annotations

import importlib.resources
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import django_static_url_helper

SETTINGS = """\
from pathlib import Path

from django_static_url_helper import url_helper

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "smoke-test-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = ["django_static_url_helper", "django.contrib.staticfiles"]
MIDDLEWARE = ["django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware"]
ROOT_URLCONF = "smoke_urls"
DATABASES = {}
STATICFILES_DIRS = [BASE_DIR / "assets"]
STATIC_ROOT = BASE_DIR / "static-root"
STATIC_URL = url_helper.get_static_url_release("/static/", "smoke-1")
"""

SERVE = """\
import django
from django.conf import settings
from django.test import Client

django.setup()
url = settings.STATIC_URL + "site.css"
response = Client().get(url)
body = b"".join(response.streaming_content)
assert response.status_code == 200, (url, response.status_code)
assert body == b"h1 { color: green; }\\n", body
assert "immutable" in response["Cache-Control"], response["Cache-Control"]
print("served", url, response["Cache-Control"])
"""


def main(folder: Path) -> None:
    package = Path(django_static_url_helper.__file__).resolve().parent
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    assert package.parent == site, f"imported from {package}, not from {site}"
    files = importlib.resources.files("django_static_url_helper")
    for name in ("py.typed", "nginx.conf.template"):
        assert files.joinpath(name).is_file(), f"the wheel lacks {name}"

    (folder / "assets").mkdir(parents=True)
    (folder / "assets" / "site.css").write_text("h1 { color: green; }\n")
    (folder / "smoke_settings.py").write_text(SETTINGS)
    (folder / "smoke_urls.py").write_text("urlpatterns = []\n")
    (folder / "serve.py").write_text(SERVE)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(folder),
        "DJANGO_SETTINGS_MODULE": "smoke_settings",
    }

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=folder, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}"
        return done.stdout + done.stderr

    checked = run("-m", "django", "check", "--fail-level", "WARNING")
    assert "no issues" in checked, checked
    shown = run("-m", "django", "static_url", "show")
    assert "source: release" in shown, shown
    block = run("-m", "django", "static_url", "nginx")
    assert "location ^~ /static/" in block, block
    run("-m", "django", "collectstatic", "--noinput", "-v0")
    served = run("serve.py")
    print(f"wheel smoke test passed: {package}\n{shown}{served}", end="")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
