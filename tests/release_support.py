"""Source trees and settings for the release directory tests."""

from __future__ import annotations

import io
import json
from pathlib import Path

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.core.management import call_command

from django_static_url_helper.releases import ReleaseStorageMixin

RELEASE_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django_static_url_helper.releases.ReleaseStaticFilesStorage"},
}
KEY = "tests-not-secret"

# Two releases of one site: a changed file, a removed one, a new one.
RELEASE_A = {
    "css/site.css": b"body { color: red }\n",
    "js/app.js": b"console.log('a');\n",
    "img/logo.svg": b"<svg>a</svg>",
    "old.txt": b"only in a",
}
RELEASE_B = {
    "css/site.css": b"body { color: blue }\n",
    "js/app.js": b"console.log('a');\n",
    "img/logo.svg": b"<svg>a</svg>",
    "new.txt": b"only in b",
}
# (release attribute of the serving fixture, file name, that release's files):
# every kept release is served with its own bytes, by whitenoise and nginx alike.
KEPT_FILES = [
    ("one", "css/site.css", RELEASE_A),
    ("one", "old.txt", RELEASE_A),
    ("two", "css/site.css", RELEASE_B),
    ("two", "new.txt", RELEASE_B),
]


def make_tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return root


def collect(*args: str) -> str:
    out = io.StringIO()
    call_command("collectstatic", "--noinput", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def static_url(*args: str) -> str:
    out = io.StringIO()
    call_command("static_url", *args, stdout=out)
    return out.getvalue()


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def set_completed(root: Path, segment: str, when: float) -> None:
    """Pretend a release finished at ``when`` (epoch seconds)."""
    marker = root / f"{segment}.release.json"
    data = json.loads(marker.read_text())
    data["completed"] = when
    marker.write_text(json.dumps(data))


# django-stubs: HashedFilesMixin.url takes a str where Storage.url takes str | None;
# the stubs ignore this same error on ManifestStaticFilesStorage itself.
class ReleaseManifestStorage(ReleaseStorageMixin, ManifestStaticFilesStorage):  # type: ignore[misc]
    """Release directories with Django's hashed file names, as a user would combine them."""
