"""Releases in an S3 bucket: django-storages against a moto S3 server on 127.0.0.1."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management.base import CommandError
from django.template import Context, Template

from django_static_url_helper import url_helper, version

from . import servers
from .release_support import KEY, RELEASE_A, RELEASE_B, collect, make_tree, static_url

if TYPE_CHECKING:
    from pytest_django import Settings

pytestmark = [pytest.mark.server, pytest.mark.usefixtures("forget_sources", "clean_argv")]
CDN = "https://cdn.example.com/static/"


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    port = servers.free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    args = [str(servers.BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    with servers.running(args, port, log):
        yield port, log


class Bucket:
    def __init__(self, port: int, log: Path, settings: Settings, tmp_path: Path) -> None:
        self.port, self.log, self.settings, self.tmp = port, log, settings, tmp_path
        self.name = f"static-{uuid.uuid4().hex[:12]}"
        self.endpoint = f"http://127.0.0.1:{port}"
        self.client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        self.client.create_bucket(Bucket=self.name)
        # django-storages' own settings, as most projects configure it.
        settings.STORAGES = {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django_static_url_helper.releases_s3.ReleaseS3Storage"},
        }
        settings.AWS_STORAGE_BUCKET_NAME = self.name
        settings.AWS_S3_ENDPOINT_URL = self.endpoint
        settings.AWS_S3_ACCESS_KEY_ID = "testing"
        settings.AWS_S3_SECRET_ACCESS_KEY = "testing"
        settings.AWS_S3_REGION_NAME = "us-east-1"
        settings.AWS_LOCATION = "static"
        settings.AWS_S3_ADDRESSING_STYLE = "path"
        settings.AWS_S3_CUSTOM_DOMAIN = "cdn.example.com"
        settings.STATIC_ROOT = None

    def release(self, release_id: str, files: dict[str, bytes]) -> str:
        self.settings.STATICFILES_DIRS = [make_tree(self.tmp / release_id, files)]
        self.settings.STATIC_URL = url_helper.get_static_url_release(CDN, release_id, KEY)
        return str(version.split_url(self.settings.STATIC_URL).segment)

    def list_keys(self) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", ()))

    def tree(self, segment: str) -> dict[str, bytes]:
        prefix = f"static/{segment}/"
        return {
            key[len(prefix) :]: self.get(key)["Body"].read()
            for key in self.list_keys()
            if key.startswith(prefix)
        }

    def get(self, key: str) -> Any:
        return self.client.get_object(Bucket=self.name, Key=key)

    def set_completed(self, segment: str, when: float) -> None:
        key = f"static/{segment}.release.json"
        marker = json.loads(self.get(key)["Body"].read())
        marker["completed"] = when
        self.client.put_object(Bucket=self.name, Key=key, Body=json.dumps(marker).encode())

    def puts(self) -> int:
        return self.log.read_text().count(f'"PUT /{self.name}/')


@pytest.fixture
def bucket(moto: tuple[int, Path], settings: Settings, tmp_path: Path) -> Bucket:
    return Bucket(*moto, settings, tmp_path)


def test_two_releases_side_by_side_in_the_bucket(bucket: Bucket) -> None:
    one = bucket.release("2026.1", RELEASE_A)
    assert f"Release {one} is complete." in collect()
    two = bucket.release("2026.2", RELEASE_B)
    collect()
    assert bucket.tree(one) == RELEASE_A
    assert bucket.tree(two) == RELEASE_B
    markers = [
        key
        for key in bucket.list_keys()
        if not key.startswith((f"static/{one}/", f"static/{two}/"))
    ]
    assert markers == sorted([f"static/{one}.release.json", f"static/{two}.release.json"])


def test_uploads_are_cached_forever_and_the_marker_never(bucket: Bucket) -> None:
    segment = bucket.release("r1", RELEASE_A)
    collect()
    css = bucket.get(f"static/{segment}/css/site.css")
    assert css["CacheControl"] == "public, max-age=31536000, immutable"
    assert css["ContentType"] == "text/css"
    assert bucket.get(f"static/{segment}.release.json")["CacheControl"] == "no-cache"


def test_the_bucket_serves_the_release_over_http(bucket: Bucket) -> None:
    segment = bucket.release("r1", RELEASE_A)
    collect()
    # As a CDN fetches from its origin: a signed GET over real HTTP.
    url = bucket.client.generate_presigned_url(
        "get_object", Params={"Bucket": bucket.name, "Key": f"static/{segment}/css/site.css"}
    )
    response = servers.request(bucket.port, url[len(bucket.endpoint) :])
    assert response.status == 200
    assert response.body == RELEASE_A["css/site.css"]
    assert response.header("Cache-Control") == "public, max-age=31536000, immutable"


def test_urls_are_the_cdn_static_url_plus_the_name(bucket: Bucket) -> None:
    segment = bucket.release("r1", RELEASE_A)
    rendered = Template('{% load static %}{% static "css/site.css" %}').render(Context())
    assert rendered == f"{CDN}{segment}/css/site.css"
    assert staticfiles_storage.url("css/site.css") == rendered


def test_recollecting_uploads_nothing(bucket: Bucket) -> None:
    segment = bucket.release("r1", RELEASE_A)
    collect()
    before = bucket.puts()
    assert before >= len(RELEASE_A) + 1
    started = time.monotonic()
    assert "nothing copied" in collect()
    assert time.monotonic() - started < 2
    assert bucket.puts() == before
    assert bucket.tree(segment) == RELEASE_A


def test_a_lost_object_is_uploaded_again(bucket: Bucket) -> None:
    segment = bucket.release("r1", RELEASE_A)
    collect()
    bucket.client.delete_object(Bucket=bucket.name, Key=f"static/{segment}/old.txt")
    before = bucket.puts()
    assert "repairing" in collect("-v", "1")
    assert bucket.tree(segment) == RELEASE_A
    assert bucket.puts() == before + 2  # old.txt, then the marker


def test_prune_in_the_bucket(bucket: Bucket) -> None:
    segments = []
    for number, age in enumerate([9, 7, 5, 3]):
        segments.append(bucket.release(f"r{number}", {**RELEASE_A, "n.txt": bytes([number])}))
        collect()
        bucket.set_completed(segments[-1], time.time() - age * 86400)
    out = static_url("prune", "--keep", "2", "--keep-for", "4d", "--dry-run")
    assert out.count("would delete") == 2
    assert len(bucket.list_keys()) == 4 * (len(RELEASE_A) + 2)
    static_url("prune", "--keep", "2", "--keep-for", "4d")
    left = {key.split("/")[1].split(".")[0] for key in bucket.list_keys()}
    assert left == set(segments[2:])
    assert bucket.tree(segments[3]) == {**RELEASE_A, "n.txt": bytes([3])}


def test_prune_refuses_when_the_bucket_lacks_the_current_version(bucket: Bucket) -> None:
    bucket.release("r1", RELEASE_A)
    collect()
    bucket.release("r2", RELEASE_B)
    with pytest.raises(CommandError, match="not a complete release in static"):
        static_url("prune", "--keep", "0", "--keep-for", "0")
    assert len(bucket.list_keys()) == len(RELEASE_A) + 1
