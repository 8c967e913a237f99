"""Integrity values: recorded by collectstatic, published with the version, read at render."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from django.contrib.staticfiles.storage import StaticFilesStorage, staticfiles_storage
from django.core.files.base import ContentFile
from django.template import Context, Template
from django.test import Client

from django_static_url_helper import (
    integrity,
    integrity_checks,
    nginx,
    nginx_settings,
    release_tree,
    releases,
    url_helper,
)
from django_static_url_helper.integrity import IntegrityMissing
from django_static_url_helper.integrity_record import RECORD_SUFFIX, ROOT_RECORD
from django_static_url_helper.releases import ReleaseStorageMixin

from .release_support import RELEASE_A, RELEASE_B, RELEASE_STORAGES, collect, make_tree

if TYPE_CHECKING:
    from pytest_django import Settings


def openssl_sri(path: Path) -> str:
    """What ``openssl dgst -sha384 -binary | base64`` says of the file."""
    digest = subprocess.run(
        ["openssl", "dgst", "-sha384", "-binary", str(path)], check=True, capture_output=True
    ).stdout
    return "sha384-" + base64.b64encode(digest).decode()


def render(text: str, **context: Any) -> str:
    return Template("{% load static_url %}" + text).render(Context(context))


class Releases:
    def __init__(self, settings: Settings, tmp_path: Path, files: dict[str, bytes]) -> None:
        self.settings, self.tmp = settings, tmp_path
        self.root = tmp_path / "static-root"
        settings.DEBUG = False
        settings.STORAGES = RELEASE_STORAGES
        settings.STATIC_ROOT = self.root
        self.use(files)

    def use(self, files: dict[str, bytes], where: str = "src") -> None:
        self.settings.STATICFILES_DIRS = [make_tree(self.tmp / where, files)]

    def release(self, release_id: str) -> str:
        self.settings.STATIC_URL = url_helper.get_static_url_release("/static/", release_id)
        return str(self.settings.STATIC_URL).rstrip("/").rpartition("/")[2]

    def marker(self, segment: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.root / f"{segment}.release.json").read_text())
        return data


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> Releases:
    return Releases(settings, tmp_path, RELEASE_A)


def test_each_collected_file_gets_the_value_openssl_computes(site: Releases) -> None:
    segment = site.release("r1")
    collect("-v0")
    recorded = site.marker(segment)["integrity"]
    assert sorted(recorded) == sorted(RELEASE_A)
    for name in RELEASE_A:
        assert recorded[name] == openssl_sri(site.root / segment / name)


def test_static_integrity_renders_the_live_releases_value(site: Releases) -> None:
    segment = site.release("r1")
    collect("-v0")
    expected = openssl_sri(site.root / segment / "js" / "app.js")
    assert render('{% static_integrity "js/app.js" %}') == expected


def test_each_kept_release_keeps_its_own_values(site: Releases, settings: Settings) -> None:
    first = site.release("r1")
    collect("-v0")
    site.use(RELEASE_B, "src-b")
    second = site.release("r2")
    collect("-v0")
    one, two = (site.marker(segment)["integrity"]["css/site.css"] for segment in (first, second))
    assert one != two
    settings.STATIC_VERSION_FOLLOW = True
    with releases.pinned(first):  # a request that started before the publish
        assert render('{% static_integrity "css/site.css" %}') == one
    assert render('{% static_integrity "css/site.css" %}') == two


def test_a_recollect_of_an_unchanged_release_keeps_the_values_without_reading_a_file(
    site: Releases, monkeypatch: pytest.MonkeyPatch
) -> None:
    segment = site.release("r1")
    collect("-v0")
    before = (site.root / f"{segment}.release.json").read_bytes()

    def refused(*args: object) -> str:
        raise AssertionError("a collected file was read again")

    monkeypatch.setattr(integrity, "of_stored", refused)
    out = collect()
    assert "already collected" in out
    assert (site.root / f"{segment}.release.json").read_bytes() == before


def test_a_plain_copy_is_never_read_back(site: Releases, monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []

    def reading(storage: object, name: str) -> str:
        read.append(name)
        return ""

    monkeypatch.setattr(integrity, "of_stored", reading)
    site.release("r1")
    collect("-v0")
    assert read == []


def test_a_release_collected_before_integrity_gets_its_values_on_the_next_collect(
    site: Releases,
) -> None:
    segment = site.release("r1")
    collect("-v0")
    marker = site.marker(segment)
    expected = marker.pop("integrity")
    (site.root / f"{segment}.release.json").write_text(json.dumps(marker))
    with pytest.raises(IntegrityMissing, match=f"collected before integrity.*{segment}"):
        render('{% static_integrity "js/app.js" %}')
    out = collect()
    assert f"Recorded the integrity values of release {segment}" in out
    upgraded = site.marker(segment)
    assert upgraded["integrity"] == expected
    assert upgraded["completed"] == marker["completed"]  # prune sees the same age
    assert render('{% static_integrity "js/app.js" %}') == expected["js/app.js"]


def test_an_unknown_name_is_an_error_naming_the_file_the_release_and_the_fix(
    site: Releases,
) -> None:
    segment = site.release("r1")
    collect("-v0")
    with pytest.raises(IntegrityMissing) as raised:
        render('{% static_script "js/missing.js" %}')
    text = str(raised.value)
    assert "'js/missing.js'" in text
    assert f"release {segment}" in text
    # A complete release never takes other files: the fix is a new release.
    assert "needs a new release" in text
    assert "its own release id" in text


def test_a_manifest_storage_records_the_hashed_files_as_written(
    site: Releases, settings: Settings
) -> None:
    settings.STORAGES = {
        **RELEASE_STORAGES,
        "staticfiles": {"BACKEND": "tests.release_support.ReleaseManifestStorage"},
    }
    site.use(
        {"css/site.css": b'body { background: url("../img/logo.svg") }\n', **_logo()},
        "src-manifest",
    )
    segment = site.release("r1")
    collect("-v0")
    stored = cast(Any, staticfiles_storage).stored_name("css/site.css")
    assert stored != "css/site.css"
    written = site.root / segment / stored
    assert b"logo." in written.read_bytes()
    assert b"logo.svg" not in written.read_bytes()
    assert render('{% static_integrity "css/site.css" %}') == openssl_sri(written)


def _logo() -> dict[str, bytes]:
    return {"img/logo.svg": b"<svg>a</svg>"}


def test_compressed_variants_keep_the_value_of_the_uncompressed_file(
    site: Releases, settings: Settings
) -> None:
    settings.STORAGES = {
        **RELEASE_STORAGES,
        "staticfiles": {"BACKEND": "tests.test_integrity.CompressedReleases"},
    }
    site.use({"css/site.css": b"body { color: red }\n" * 100}, "src-css")
    segment = site.release("r1")
    collect("-v0")
    assert (site.root / segment / "css" / "site.css.gz").is_file()
    recorded = site.marker(segment)["integrity"]
    assert list(recorded) == ["css/site.css"]
    assert recorded["css/site.css"] == openssl_sri(site.root / segment / "css" / "site.css")


def _compressed_releases() -> type:
    from whitenoise.storage import CompressedStaticFilesStorage

    from django_static_url_helper.releases import ReleaseStorageMixin

    return type("CompressedReleases", (ReleaseStorageMixin, CompressedStaticFilesStorage), {})


CompressedReleases = _compressed_releases()


class SwapsCase(StaticFilesStorage):
    """Saves other bytes of the same size than it is given, as a minifier could."""

    def _save(self, name: str, content: Any) -> str:
        if not name.endswith(".json"):  # the release's own records stay as they are
            content = ContentFile(content.read().swapcase())
        saved: str = super()._save(name, content)  # type: ignore[misc]
        return saved


class ReleaseSwapsCase(ReleaseStorageMixin, SwapsCase):
    pass


class SwapsCaseOnSave(StaticFilesStorage):
    """The same, from ``save()`` rather than ``_save()``."""

    def save(self, name: Any, content: Any, max_length: int | None = None) -> str:
        if not str(name).endswith(".json"):
            content = ContentFile(content.read().swapcase())
        return super().save(name, content, max_length)


class ReleaseSwapsCaseOnSave(ReleaseStorageMixin, SwapsCaseOnSave):
    pass


@pytest.mark.parametrize("on_save", [False, True])
@pytest.mark.parametrize("releases", [False, True])
def test_a_storage_that_saves_other_bytes_gets_the_values_of_what_it_wrote(
    settings: Settings, tmp_path: Path, releases: bool, on_save: bool
) -> None:
    settings.DEBUG = False
    settings.STATICFILES_DIRS = [make_tree(tmp_path / "src", RELEASE_A)]
    settings.STATIC_ROOT = root = tmp_path / "collected"
    kind = ("ReleaseSwapsCase" if releases else "SwapsCase") + ("OnSave" if on_save else "")
    settings.STORAGES = {**RELEASE_STORAGES, "staticfiles": {"BACKEND": f"{__name__}.{kind}"}}
    settings.STATIC_URL = url_helper.get_static_url_release("/static/", "r1")
    collect("-v0")
    segment = str(settings.STATIC_URL).split("/")[2]
    css = (root / segment if releases else root) / "css" / "site.css"
    assert css.read_bytes() == RELEASE_A["css/site.css"].swapcase()
    assert render('{% static_integrity "css/site.css" %}') == openssl_sri(css)


# --- Without release directories: a record beside the stamp, or in STATIC_ROOT. ---


def test_a_flat_collect_writes_its_values_beside_the_stamp(
    settings: Settings, tmp_path: Path
) -> None:
    settings.DEBUG = False
    stamp = tmp_path / "static-version.txt"
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", stamp)
    collect("-v0")
    record = json.loads(Path(str(stamp) + RECORD_SUFFIX).read_text())
    settings.STATIC_URL = url_helper.get_static_url_stamp("/static/", stamp)
    assert record["version"] == str(settings.STATIC_URL).split("/")[2]
    css = tmp_path / "collected" / "css" / "site.css"
    assert record["integrity"]["css/site.css"] == openssl_sri(css)
    assert render('{% static_integrity "css/site.css" %}') == openssl_sri(css)


def test_a_flat_collect_without_a_stamp_writes_its_values_in_static_root(
    settings: Settings, tmp_path: Path
) -> None:
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STATIC_URL = url_helper.get_static_url_release("/static/", "r1")
    collect("-v0")
    assert (tmp_path / "collected" / ROOT_RECORD).is_file()
    css = tmp_path / "collected" / "css" / "site.css"
    assert render('{% static_integrity "css/site.css" %}') == openssl_sri(css)


def test_a_flat_record_names_the_collect_that_wrote_it(settings: Settings, tmp_path: Path) -> None:
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STATIC_URL = url_helper.get_static_url_release("/static/", "r1")
    collect("-v0")
    record = json.loads((tmp_path / "collected" / ROOT_RECORD).read_text())
    assert record["version"] == str(settings.STATIC_URL).split("/")[2]


def test_without_a_collect_production_refuses_to_render_a_tag(
    settings: Settings, tmp_path: Path
) -> None:
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "never-collected"
    with pytest.raises(IntegrityMissing, match="does not exist.*collectstatic"):
        render('{% static_stylesheet "css/site.css" %}')


# --- In development: from the finders, recomputed when a file changes. ---


def test_in_debug_the_value_comes_from_the_finders_and_follows_edits(
    settings: Settings, tmp_path: Path
) -> None:
    settings.DEBUG = True
    source = make_tree(tmp_path / "src", {"css/dev.css": b"a { color: red }"})
    settings.STATICFILES_DIRS = [source]
    css = source / "css" / "dev.css"
    assert render('{% static_integrity "css/dev.css" %}') == openssl_sri(css)
    css.write_bytes(b"a { color: blue }")
    later = os.stat(css).st_mtime_ns + 10_000_000
    os.utime(css, ns=(later, later))
    assert render('{% static_integrity "css/dev.css" %}') == openssl_sri(css)


def test_in_debug_a_name_no_finder_knows_is_an_error(settings: Settings) -> None:
    settings.DEBUG = True
    with pytest.raises(IntegrityMissing, match="findstatic nope.css"):
        render('{% static_integrity "nope.css" %}')


def test_the_value_is_sha384_in_base64() -> None:
    body = b"console.log(1)"
    expected = "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()
    assert integrity.value(hashlib.sha384(body).digest()) == expected


@pytest.mark.parametrize(
    "bad", ["sha384-AAAA", "sha384-" + "A" * 63 + "!", "sha256-" + "A" * 64, "sha384-" + "A" * 65]
)
def test_a_recorded_value_that_is_not_a_sha384_is_no_value(bad: str) -> None:
    good = integrity.value(hashlib.sha384(b"x").digest())
    assert integrity.valid({"js/app.js": good}) == {"js/app.js": good}
    assert integrity.valid({"js/app.js": good, "css/site.css": bad}) is None


def test_the_marker_reader_still_takes_a_marker_without_values(site: Releases) -> None:
    segment = site.release("r1")
    collect("-v0")
    marker = site.marker(segment)
    del marker["integrity"]
    (site.root / f"{segment}.release.json").write_text(json.dumps(marker))
    assert release_tree.read_marker(staticfiles_storage, segment) is not None  # type: ignore[arg-type]


# --- The checks. ---


def test_w011_reports_a_live_release_collected_before_integrity(site: Releases) -> None:
    segment = site.release("r1")
    collect("-v0")
    assert integrity_checks.check_release_integrity() == []
    marker = site.marker(segment)
    del marker["integrity"]
    (site.root / f"{segment}.release.json").write_text(json.dumps(marker))
    found = integrity_checks.check_release_integrity()
    assert [message.id for message in found] == ["django_static_url_helper.W011"]
    assert segment in found[0].msg
    collect("-v0")  # the fix the hint names
    assert integrity_checks.check_release_integrity() == []


def test_w012_a_cdn_base_with_whitenoise_sending_no_cors_header(settings: Settings) -> None:
    settings.STATIC_URL = url_helper.get_static_url_fixed(
        "https://cdn.example.com/", "3fa9c1e2b7d4"
    )
    settings.MIDDLEWARE = ["django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware"]
    assert integrity_checks.check_cross_origin() == []
    settings.WHITENOISE_ALLOW_ALL_ORIGINS = False
    found = integrity_checks.check_cross_origin()
    assert [message.id for message in found] == ["django_static_url_helper.W012"]
    settings.STATIC_URL = url_helper.get_static_url_fixed("/static/", "3fa9c1e2b7d4")
    assert integrity_checks.check_cross_origin() == []


# --- Cross-origin: the CORS header the files need. ---


def test_the_nginx_block_allows_every_origin_only_for_a_cdn_base(
    settings: Settings, tmp_path: Path
) -> None:
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STATIC_URL = url_helper.get_static_url_release("/static/", "r1")
    collect("-v0")
    same_origin = nginx.render(nginx_settings.block_from_settings())
    assert "Access-Control-Allow-Origin" not in same_origin
    settings.STATIC_URL = url_helper.get_static_url_release("https://cdn.example.com/static/", "r1")
    block = nginx.render(nginx_settings.block_from_settings(origin=True))
    # The unversioned location, the current version's and the mismatch one,
    # and the Range "if" of the first two (which inherits no add_header).
    assert block.count('add_header Access-Control-Allow-Origin "*";') == 5


def test_the_middleware_sends_cors_on_the_files_of_a_cdn_base(
    settings: Settings, tmp_path: Path
) -> None:
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STATIC_URL = url_helper.get_static_url_fixed(
        "https://cdn.example.com/s/", "3fa9c1e2b7d4"
    )
    settings.MIDDLEWARE = ["django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware"]
    settings.ROOT_URLCONF = "tests.urls_whitenoise"
    collect("-v0")
    for path in ("/s/3fa9c1e2b7d4/css/site.css", "/s/0123456789ab/css/site.css"):
        response = Client().get(path)
        response.close()  # the file whitenoise opened
        assert response.status_code == 200, path
        assert response["Access-Control-Allow-Origin"] == "*", path
