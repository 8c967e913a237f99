"""Releases in an S3 bucket: django-storages against a moto S3 server on 127.0.0.1."""

from __future__ import annotations

import json
import re
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
from django_static_url_helper.release_folders import LOCK_NAME
from django_static_url_helper.release_publication import PUBLISHED_NAME as PUBLISHED

from . import servers
from .release_support import RELEASE_A, RELEASE_B, collect, make_tree, static_url

if TYPE_CHECKING:
    from pytest_django import Settings

pytestmark = pytest.mark.server
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
        self.settings.STATIC_URL = url_helper.get_static_url_release(CDN, release_id)
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
        """Uploads of release files and markers (not the lock, not the published record)."""
        return sum(
            1
            for line in self.log.read_text().splitlines()
            if f'"PUT /{self.name}/' in line and LOCK_NAME not in line and PUBLISHED not in line
        )

    def release_keys(self) -> list[str]:
        """The release files and markers in the bucket."""
        return [key for key in self.list_keys() if key != f"static/{PUBLISHED}"]

    def published(self) -> str:
        return str(json.loads(self.get(f"static/{PUBLISHED}")["Body"].read())["version"])


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
        for key in bucket.release_keys()
        if not key.startswith((f"static/{one}/", f"static/{two}/"))
    ]
    assert markers == sorted([f"static/{one}.release.json", f"static/{two}.release.json"])
    assert bucket.published() == two
    assert bucket.get(f"static/{PUBLISHED}")["CacheControl"] == "no-store"


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
    assert len(bucket.release_keys()) == 4 * (len(RELEASE_A) + 2)
    static_url("prune", "--keep", "2", "--keep-for", "4d")
    left = {key.split("/")[1].split(".")[0] for key in bucket.release_keys()}
    assert left == set(segments[2:])
    assert bucket.tree(segments[3]) == {**RELEASE_A, "n.txt": bytes([3])}


def test_prune_refuses_when_the_environment_names_another_version(bucket: Bucket) -> None:
    one = bucket.release("r1", RELEASE_A)
    collect()
    bucket.release("r2", RELEASE_B)  # never collected: a stale or early environment
    with pytest.raises(CommandError, match=f"version published last in static is {one}"):
        static_url("prune", "--keep", "0", "--keep-for", "0")
    assert len(bucket.release_keys()) == len(RELEASE_A) + 1


# --- Publish, follow and lock in a bucket. ---

FOLLOW_INTERVAL = 0.3


def published_gets(bucket: Bucket) -> list[str]:
    """Status codes of the GETs of the published record, as moto logged them (maybe in colour)."""
    found = re.compile(rf'"(?:\x1b\[\d+m)?GET /{bucket.name}/static/{PUBLISHED} [^"]*" (\d+)')
    return found.findall(bucket.log.read_text())


def test_servers_follow_the_published_record_through_the_bucket(bucket: Bucket) -> None:
    one = bucket.release("r1", RELEASE_A)
    collect()
    two = bucket.release("r2", RELEASE_B)
    collect()
    bucket.settings.STATIC_VERSION_FOLLOW = True
    bucket.settings.STATIC_VERSION_FOLLOW_INTERVAL = FOLLOW_INTERVAL
    bucket.settings.STATIC_URL = url_helper.get_static_url_release(CDN, "r1")  # a stale env
    assert staticfiles_storage.url("css/site.css") == f"{CDN}{two}/css/site.css"
    before = len(published_gets(bucket))
    for _ in range(200):
        staticfiles_storage.url("css/site.css")
    assert len(published_gets(bucket)) == before  # none within the interval
    time.sleep(FOLLOW_INTERVAL * 1.5)
    staticfiles_storage.url("css/site.css")
    assert published_gets(bucket)[before:] == ["304"]  # one conditional GET: unchanged
    storage: Any = staticfiles_storage
    storage.publish(one)  # a rollback deploy
    time.sleep(FOLLOW_INTERVAL * 1.5)
    assert staticfiles_storage.url("css/site.css") == f"{CDN}{one}/css/site.css"
    assert published_gets(bucket)[-1] == "200"


def test_a_collect_that_may_not_wait_for_the_bucket_lock_says_who_holds_it(bucket: Bucket) -> None:
    bucket.release("r1", RELEASE_A)
    storage: Any = staticfiles_storage
    with (
        storage.collect_lock(0),
        pytest.raises(
            CommandError, match=r"collecting into static \(pid \d+ on .*\); waited 0.5 s"
        ),
    ):
        collect("--lock-wait", "0.5")
    assert bucket.release_keys() == []


def test_the_lease_of_a_killed_collect_runs_out(bucket: Bucket) -> None:
    segment = bucket.release("r1", RELEASE_A)
    # What a collect killed with SIGKILL leaves: its lease, renewed no more.
    lease = {"pid": 4242, "host": "web-9", "since": time.time(), "owner": "x"}
    body = json.dumps({**lease, "expires": time.time() + 1})
    bucket.client.put_object(Bucket=bucket.name, Key=f"static/{LOCK_NAME}", Body=body.encode())
    out = collect("--lock-wait", "10", "-v", "1")
    assert "Waited for another collectstatic (pid 4242 on web-9" in out
    assert bucket.tree(segment) == RELEASE_A
    assert f"static/{LOCK_NAME}" not in bucket.list_keys()  # let go at the end


def test_a_running_collect_renews_its_lease(
    bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_static_url_helper.releases import CollectBusy
    from django_static_url_helper.releases_s3 import S3ReleaseMixin

    monkeypatch.setattr(S3ReleaseMixin, "collect_lock_lease", 0.6)
    bucket.release("r1", RELEASE_A)
    storage: Any = staticfiles_storage
    with storage.collect_lock(0):
        time.sleep(1.5)  # more than two leases: renewed, never run out
        with pytest.raises(CollectBusy), storage.collect_lock(0):
            pass
