"""The bucket lease when S3 says no: a denied read, a lost lease, a stuck renewal."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from django.contrib.staticfiles.management.commands.collectstatic import Command as Django
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management.base import CommandError

from django_static_url_helper.bucket_lease import Lease
from django_static_url_helper.release_folders import LOCK_NAME, LockLost, LockUnusable
from django_static_url_helper.release_publication import PUBLISHED_NAME, PublishedUnreadable
from django_static_url_helper.releases_s3 import ReleaseS3Storage, S3ReleaseMixin

from .release_support import RELEASE_A, collect
from .test_releases_s3 import Bucket, bucket, moto  # noqa: F401  (fixtures)

pytestmark = pytest.mark.server


def refused(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, operation)


class FakeS3:
    """A stand-in for boto3's client: PUTs answer from ``puts``, GETs from ``gets``."""

    def __init__(self, puts: list[Any], gets: list[Any]) -> None:
        self.puts, self.gets, self.put_count = puts, gets, 0

    @staticmethod
    def _answer(answers: list[Any]) -> Any:
        answer = answers[0] if len(answers) == 1 else answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def put_object(self, **params: Any) -> Any:
        self.put_count += 1
        if self.put_count > 50:  # what a tight loop does: fail, not hang
            raise AssertionError("50 PUTs of the lock")
        return self._answer(self.puts)

    def get_object(self, **params: Any) -> Any:
        return self._answer(self.gets)

    def delete_object(self, **params: Any) -> None:
        pass


def test_a_lock_the_role_may_not_read_is_a_clear_error_not_a_loop() -> None:
    s3 = FakeS3(
        [refused("PreconditionFailed", "PutObject")], [refused("AccessDenied", "GetObject")]
    )
    lease = Lease(s3, "bucket", "static/.collectstatic.lock")
    started = time.monotonic()
    with pytest.raises(LockUnusable) as raised:
        lease.acquire(wait=5, lease=30)
    assert time.monotonic() - started < 1
    assert s3.put_count == 1
    said = str(raised.value)
    assert "s3://bucket/static/.collectstatic.lock" in said
    assert "AccessDenied" in said
    assert "s3:GetObject, s3:PutObject and s3:DeleteObject on s3://bucket/static/*" in said


def test_a_lock_released_between_the_put_and_the_get_is_taken_at_once() -> None:
    s3 = FakeS3(
        [refused("PreconditionFailed", "PutObject"), {"ETag": '"1"'}],
        [refused("NoSuchKey", "GetObject")],
    )
    lease = Lease(s3, "bucket", "static/.collectstatic.lock")
    assert lease.acquire(wait=0, lease=30) is None
    assert s3.put_count == 2
    lease.release()


def test_a_renewal_that_keeps_failing_loses_the_lease_with_its_reason() -> None:
    s3 = FakeS3([{"ETag": '"1"'}, refused("SlowDown", "PutObject")], [{"ETag": '"1"'}])
    lease = Lease(s3, "bucket", "static/.collectstatic.lock", where="static")
    lease.acquire(wait=0, lease=0.3)
    lease.check()
    time.sleep(0.5)
    assert not lease.held()
    with pytest.raises(LockLost, match=r"Lost the collect lock of static: .*SlowDown"):
        lease.check()
    lease.release()


def test_a_lease_taken_over_is_lost_and_says_by_whom(
    bucket: Bucket,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(S3ReleaseMixin, "collect_lock_lease", 0.6)
    bucket.release("r1", RELEASE_A)
    storage: Any = staticfiles_storage
    with storage.collect_lock(0) as lock:
        assert lock.held()
        take_over(bucket)
        time.sleep(0.5)  # past a renewal
        assert not lock.held()
        with pytest.raises(LockLost, match=r"to pid 4242 on web-9, for \d+ s; nothing was"):
            lock.check()
    # Not ours any more: left for its holder.
    assert json.loads(bucket.get(f"static/{LOCK_NAME}")["Body"].read())["owner"] == "x"


def take_over(into: Bucket) -> None:
    """What another collect does once it thinks our lease ran out."""
    lease = {"pid": 4242, "host": "web-9", "since": time.time(), "owner": "x"}
    body = json.dumps({**lease, "expires": time.time() + 60}).encode()
    into.client.put_object(Bucket=into.name, Key=f"static/{LOCK_NAME}", Body=body)


def test_a_collect_that_lost_its_lease_publishes_nothing(
    bucket: Bucket,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(S3ReleaseMixin, "collect_lock_lease", 0.6)
    segment = bucket.release("r1", RELEASE_A)
    copy = Django.collect

    def collect_then_lose_the_lease(command: Django) -> Any:
        found = copy(command)
        take_over(bucket)
        time.sleep(0.5)
        return found

    monkeypatch.setattr(Django, "collect", collect_then_lose_the_lease)
    with pytest.raises(CommandError) as raised:
        collect()
    assert re.fullmatch(
        r"Lost the collect lock of static to pid 4242 on web-9, for \d+ s; nothing was "
        r"published; run collectstatic again\.",
        str(raised.value),
    )
    keys = bucket.list_keys()
    assert f"static/{PUBLISHED_NAME}" not in keys
    assert f"static/{segment}.release.json" not in keys


def test_the_lease_says_since_when_it_is_held_not_since_its_last_renewal(
    bucket: Bucket,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(S3ReleaseMixin, "collect_lock_lease", 0.6)
    bucket.release("r1", RELEASE_A)
    storage: Any = staticfiles_storage
    with storage.collect_lock(0):
        first = bucket.get(f"static/{LOCK_NAME}")
        time.sleep(1.0)  # several renewals
        now = bucket.get(f"static/{LOCK_NAME}")
        assert now["ETag"] != first["ETag"]
        since = json.loads(now["Body"].read())["since"]
        assert since == json.loads(first["Body"].read())["since"]
        assert time.time() - since >= 1.0


def test_a_published_record_the_role_may_not_read_raises_published_unreadable(
    bucket: Bucket,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # S3 answers AccessDenied, not NoSuchKey, for a missing key to a role
    # without s3:ListBucket: absent or unreadable, it cannot tell which.
    denied = refused("AccessDenied", "GetObject")

    class Denying:
        def get_object(self, **params: Any) -> Any:
            raise denied

    monkeypatch.setattr(S3ReleaseMixin, "_release_client", property(lambda self: Denying()))
    with pytest.raises(PublishedUnreadable) as raised:
        ReleaseS3Storage().read_published_if_changed(None)
    said = str(raised.value)
    assert f"s3://{bucket.name}/static/{PUBLISHED_NAME}" in said
    assert "AccessDenied" in said
    assert "s3:ListBucket" in said
    assert raised.value.__cause__ is denied
