"""Release directories in an S3 bucket, with django-storages (``pip install django-storages[s3]``).

The bucket's side of what ``releases.ReleaseStorageMixin`` does on a file
system: list and delete a version's keys, publish with one PUT, read the
published record with a conditional GET, and a collect lock that is a lease.
Kept apart from ``releases`` so that module never needs boto3.
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from storages.backends.s3 import S3StaticStorage  # type: ignore[import-untyped]

from . import release_publication
from .conf import conf
from .release_folders import LOCK_NAME, CollectBusy, FileInfo, describe_holder
from .release_publication import PUBLISHED_NAME
from .releases import ReleaseStorageMixin, in_release_collect

_CONDITION_FAILED = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}


class S3ReleaseMixin(ReleaseStorageMixin):
    """Put first in the bases of django-storages' ``S3Storage`` (or a subclass of it)."""

    connection: Any
    """django-storages' boto3 S3 resource."""
    bucket_name: str
    collect_lock_lease = 30.0
    """Seconds a collect lock lasts without renewal: how long a killed collect blocks the next."""

    @property
    def release_root(self) -> str:
        try:
            return self.__dict__["_release_root"]  # type: ignore[no-any-return]
        except KeyError:
            # django-storages tests hasattr(self, "location") before setting it.
            raise AttributeError("location") from None

    def release_folder(self, segment: str) -> str:
        return posixpath.join(self.release_root, segment)

    @property
    def location(self) -> str:
        if "_connections" not in self.__dict__:
            # django-storages checks the location while it sets up: before it
            # can read the published record, and before any file is named.
            return self.release_root
        return ReleaseStorageMixin.location.fget(self)  # type: ignore[attr-defined,no-any-return]

    @location.setter
    def location(self, value: str) -> None:
        self.__dict__["_release_root"] = value

    def _key(self, name: str) -> str:
        return posixpath.join(self.release_root, name)

    # The client and bucket by name, not django-storages' ``bucket``: that one
    # reads ``location``, which with STATIC_VERSION_FOLLOW reads the published record.
    @property
    def _release_client(self) -> Any:
        return self.connection.meta.client

    @property
    def _release_bucket(self) -> Any:
        return self.connection.Bucket(self.bucket_name)

    def get_object_parameters(self, name: str) -> dict[str, Any]:
        """django-storages' upload parameters: files of a version are immutable."""
        params: dict[str, Any] = super().get_object_parameters(name)  # type: ignore[misc]
        cache = conf.immutable_cache_control if in_release_collect() else None
        params.setdefault("CacheControl", cache or "no-cache")
        return params

    def release_files(self, segment: str) -> dict[str, FileInfo]:
        prefix = self.release_folder(segment) + "/"
        return {
            obj.key[len(prefix) :]: FileInfo(obj.size, obj.last_modified.timestamp())
            for obj in self._release_bucket.objects.filter(Prefix=prefix)
        }

    def remove_release(self, segment: str) -> None:
        self._release_bucket.objects.filter(Prefix=self.release_folder(segment) + "/").delete()

    def read_published_if_changed(self, tag: Any) -> tuple[Any, bytes | None]:
        """One GET, conditional on the ETag seen last: a 304 while nothing changed."""
        client = self._release_client
        extra = {"IfNoneMatch": tag} if tag else {}
        try:
            found = client.get_object(
                Bucket=self.bucket_name, Key=self._key(PUBLISHED_NAME), **extra
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("304", "NotModified"):
                return tag, None
            if code in ("NoSuchKey", "404"):
                return None, None
            raise
        return found["ETag"], found["Body"].read()

    def publish(self, segment: str) -> None:
        self._release_client.put_object(
            Bucket=self.bucket_name,
            Key=self._key(PUBLISHED_NAME),
            Body=release_publication.encode(segment),
            ContentType="application/json",
            CacheControl="no-store",
        )

    @contextlib.contextmanager
    def collect_lock(self, wait: float) -> Iterator[str | None]:
        """A lease object taken with a conditional PUT, renewed while the collect runs.

        A killed collect stops renewing: the next one takes the lock over once
        the lease has run out (``collect_lock_lease`` seconds).
        """
        lease = _Lease(self._release_client, self.bucket_name, self._key(LOCK_NAME))
        holder = lease.acquire(wait, self.collect_lock_lease)
        try:
            yield holder
        finally:
            lease.release()


class _Lease:
    def __init__(self, client: Any, bucket: str, key: str) -> None:
        self.client, self.bucket, self.key = client, bucket, key
        self.owner = uuid.uuid4().hex
        self.etag: str | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _body(self, lease: float) -> bytes:
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
        return json.dumps({**holder, "owner": self.owner, "expires": time.time() + lease}).encode()

    def _put(self, lease: float, **condition: str) -> bool:
        try:
            answer = self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=self._body(lease), **condition
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _CONDITION_FAILED:
                return False
            raise
        self.etag = answer["ETag"]
        return True

    def acquire(self, wait: float, lease: float) -> str | None:
        deadline = time.monotonic() + wait
        holder: str | None = None
        while not self._put(lease, IfNoneMatch="*"):
            try:
                found = self.client.get_object(Bucket=self.bucket, Key=self.key)
            except ClientError:
                continue  # released meanwhile: try again
            body = found["Body"].read()
            expired = _expires(body) < time.time()
            if expired and self._put(lease, IfMatch=found["ETag"]):
                break  # a killed collect's lease ran out: taken over
            holder = describe_holder(body)
            if time.monotonic() >= deadline:
                raise CollectBusy(holder)
            time.sleep(0.2)
        self._renewer = threading.Thread(target=self._renew, args=(lease,), daemon=True)
        self._renewer.start()
        return holder

    def _renew(self, lease: float) -> None:
        while not self._stop.wait(lease / 3):
            if self.etag is None or not self._put(lease, IfMatch=self.etag):
                return

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        with contextlib.suppress(ClientError):
            found = self.client.get_object(Bucket=self.bucket, Key=self.key)
            if found["ETag"] == self.etag:
                self.client.delete_object(Bucket=self.bucket, Key=self.key)


def _expires(body: bytes) -> float:
    try:
        return float(json.loads(body)["expires"])
    except (ValueError, KeyError, TypeError):
        return 0.0  # unreadable: treat as run out


class ReleaseS3Storage(S3ReleaseMixin, S3StaticStorage):  # type: ignore[misc]
    """``S3StaticStorage`` that keeps every release below ``<location>/<version>/``.

    Uploads carry ``Cache-Control: public, max-age=31536000, immutable`` unless
    ``object_parameters`` (``AWS_S3_OBJECT_PARAMETERS``) set their own.
    """
