"""Integrity values of releases in an S3 bucket (a moto server): in the marker, read at render."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.template import Context, Template

from django_static_url_helper import integrity

from .release_support import RELEASE_A, RELEASE_B, collect
from .test_releases_s3 import Bucket, moto  # noqa: F401 - the moto server fixture

if TYPE_CHECKING:
    from pytest_django import Settings

pytestmark = pytest.mark.server


@pytest.fixture
def bucket(moto: tuple[int, Path], settings: Settings, tmp_path: Path) -> Bucket:  # noqa: F811
    settings.DEBUG = False
    return Bucket(*moto, settings, tmp_path)


def openssl_sri(body: bytes) -> str:
    digest = subprocess.run(
        ["openssl", "dgst", "-sha384", "-binary"], input=body, check=True, capture_output=True
    ).stdout
    return "sha384-" + base64.b64encode(digest).decode()


def test_the_bucket_marker_carries_the_value_of_each_uploaded_object(bucket: Bucket) -> None:
    segment = bucket.release("r1", RELEASE_A)
    collect()
    marker = json.loads(bucket.get(f"static/{segment}.release.json")["Body"].read())
    uploaded = bucket.tree(segment)
    assert marker["integrity"] == {name: openssl_sri(body) for name, body in uploaded.items()}


def test_a_server_renders_the_values_of_the_release_it_renders(bucket: Bucket) -> None:
    bucket.release("r1", RELEASE_A)
    collect()
    bucket.release("r2", RELEASE_B)
    collect()
    html = Template('{% load static_url %}{% static_stylesheet "css/site.css" %}').render(Context())
    assert f'integrity="{openssl_sri(RELEASE_B["css/site.css"])}"' in html
    assert 'crossorigin="anonymous"' in html  # the CDN's domain


def test_a_recollect_of_the_bucket_release_reads_no_object_back(
    bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    segment = bucket.release("r1", RELEASE_A)
    collect()
    before = bucket.get(f"static/{segment}.release.json")["Body"].read()

    def refused(*args: object) -> str:
        raise AssertionError("an uploaded object was read back")

    monkeypatch.setattr(integrity, "of_stored", refused)
    assert "already collected" in collect()
    assert bucket.get(f"static/{segment}.release.json")["Body"].read() == before
