"""Symlinks in the static tree: followed only while their target stays in the static folders.

Each tree has a link out of it (to a secret next to it), links that stay
inside, a link loop, a broken link and a FIFO. The middleware (indexed at
start, with autorefresh, from the finders, in a release folder) and the dev
pattern serve the inside links and 404 the rest, and never hang or crash.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command
from django.test import Client

from django_static_url_helper import url_helper, version
from django_static_url_helper.middleware import VersionedWhiteNoiseMiddleware
from tests.collected import CURRENT, IMMUTABLE, OLDER
from tests.collected import body as read

from .release_support import RELEASE_STORAGES, collect, make_tree

if TYPE_CHECKING:
    from pytest_django import Settings

OURS = "django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware"
CSS = b"body { color: red }\n"
SECRET = b"SECRET-OUTSIDE-THE-STATIC-TREE\n"
PLAIN = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LEAKS = ["leak.css", "leakdir/x.css", "css/leak-up.css", "broken.css", "pipe.css"]
INSIDE = ["css/site.css", "alias.css", "aliasdir/site.css"]


def tree(folder: Path, hazards: bool = True) -> Path:
    """``folder`` with a file, links inside and out, a FIFO and (``hazards``) a link
    loop and a broken link. The secret lies next to ``folder``, in ``outside/``.
    """
    outside = folder.parent / "outside"
    make_tree(outside, {"secret.txt": SECRET, "dir/x.css": SECRET, "secret.css.gz": SECRET})
    make_tree(folder, {"css/site.css": CSS})
    links = {
        "leak.css": outside / "secret.txt",
        "leakdir": outside / "dir",
        "css/leak-up.css": Path("../../outside/secret.txt"),
        "css/site.css.gz": outside / "secret.css.gz",
        "alias.css": Path("css/site.css"),
        "aliasdir": Path("css"),
    }
    if hazards:
        links.update({"loop": Path("."), "broken.css": Path("missing.css")})
    for name, target in links.items():
        (folder / name).symlink_to(target)
    os.mkfifo(folder / "pipe.css")
    return folder


def assert_refused(client: Client, url: str) -> None:
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    body = read(response)
    assert response.status_code == 404, url
    assert response.headers["Cache-Control"] == "no-store"
    assert SECRET not in body


def assert_served(client: Client, url: str, cache_control: str | None = IMMUTABLE) -> None:
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert (response.status_code, read(response)) == (200, CSS), url
    assert "Content-Encoding" not in response.headers  # the .gz link leaves the tree
    if cache_control is not None:
        assert response.headers["Cache-Control"] == cache_control


@pytest.fixture
def production(settings: Settings) -> Settings:
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.urls_whitenoise"
    settings.MIDDLEWARE = [OURS]
    settings.STATIC_URL = f"/static/{CURRENT}/"
    return settings


Setup = Callable[["Settings", Path], None]


def in_static_root(settings: Settings, tmp: Path) -> None:
    settings.STATIC_ROOT = str(tree(tmp / "static-root"))


def with_autorefresh(settings: Settings, tmp: Path) -> None:
    in_static_root(settings, tmp)
    settings.WHITENOISE_AUTOREFRESH = True


def from_the_finders(settings: Settings, tmp: Path) -> None:
    # Without autorefresh whitenoise indexes what Django's finders list, which,
    # as for collectstatic, stops at a link loop or a broken link.
    settings.STATIC_ROOT = None
    settings.STATICFILES_DIRS = [str(tree(tmp / "src", hazards=False))]
    settings.WHITENOISE_USE_FINDERS = True


def from_the_finders_with_autorefresh(settings: Settings, tmp: Path) -> None:
    settings.STATIC_ROOT = None
    settings.STATICFILES_DIRS = [str(tree(tmp / "src"))]
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.mark.parametrize(
    "setup", [in_static_root, with_autorefresh, from_the_finders, from_the_finders_with_autorefresh]
)
@pytest.mark.parametrize("prefix", [f"/static/{CURRENT}/", f"/static/{OLDER}/", "/static/"])
def test_the_middleware_never_follows_a_link_out_of_the_static_folders(
    production: Settings, tmp_path: Path, setup: Setup, prefix: str
) -> None:
    setup(production, tmp_path)
    client = Client()
    for name in LEAKS:
        assert_refused(client, prefix + name)
    policy = {f"/static/{CURRENT}/": IMMUTABLE, f"/static/{OLDER}/": "no-store"}.get(prefix)
    for name in INSIDE:
        assert_served(client, prefix + name, policy)


def test_indexing_a_tree_with_a_loop_and_a_fifo_neither_hangs_nor_crashes(
    production: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    in_static_root(production, tmp_path)
    middleware = VersionedWhiteNoiseMiddleware(lambda request: None)
    indexed = {url.removeprefix("/static/") for url in middleware.files}
    assert indexed == {"css/site.css", "alias.css", "aliasdir/site.css"}
    for name, why in [
        ("leak.css", "a link out of the static folders"),
        ("leakdir", "a link out of the static folders"),
        ("loop", "a link loop"),
        ("broken.css", "a broken link"),
        ("pipe.css", "not a regular file"),
    ]:
        assert f"{tmp_path / 'static-root' / name}: {why}." in caplog.text
    assert_refused(Client(), f"/static/{CURRENT}/loop/css/site.css")


def test_collectstatic_link_keeps_serving(production: Settings, tmp_path: Path) -> None:
    # --link fills STATIC_ROOT with links into STATICFILES_DIRS: a static folder.
    production.STORAGES = PLAIN
    production.STATICFILES_DIRS = [str(make_tree(tmp_path / "src", {"css/site.css": CSS}))]
    production.STATIC_ROOT = str(tmp_path / "static-root")
    call_command("collectstatic", "--link", interactive=False, verbosity=0)
    assert (tmp_path / "static-root" / "css" / "site.css").is_symlink()
    assert_served(Client(), f"/static/{CURRENT}/css/site.css")


def test_a_link_out_of_a_release_folder_is_never_served(
    production: Settings, tmp_path: Path
) -> None:
    production.STORAGES = RELEASE_STORAGES
    production.STATIC_ROOT = root = tmp_path / "static-root"
    production.STATICFILES_DIRS = [make_tree(tmp_path / "r1", {"css/site.css": CSS})]
    production.STATIC_URL = url_helper.get_static_url_release("/static/", "r1")
    segment = str(version.split_url(production.STATIC_URL).segment)
    collect()
    make_tree(tmp_path / "outside", {"secret.txt": SECRET})
    (root / segment / "leak.css").symlink_to(tmp_path / "outside" / "secret.txt")
    for prefix in (f"/static/{segment}/", "/static/"):
        assert_refused(Client(), f"{prefix}leak.css")
        assert_served(Client(), f"{prefix}css/site.css", None)


@pytest.fixture
def dev(settings: Settings, tmp_path: Path) -> Client:
    settings.STATICFILES_DIRS = [str(tree(tmp_path / "src"))]
    return Client()


@pytest.mark.parametrize("prefix", [f"/static/{CURRENT}/", f"/static/{OLDER}/", "/static/"])
def test_the_dev_pattern_never_follows_a_link_out_of_the_static_folders(
    dev: Client, prefix: str
) -> None:
    for name in LEAKS:
        assert_refused(dev, prefix + name)
    for name in INSIDE:
        response = dev.get(prefix + name)
        assert (response.status_code, read(response)) == (200, CSS), name
