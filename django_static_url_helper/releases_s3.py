"""Release directories in an S3 bucket, with django-storages (``pip install django-storages[s3]``).

The bucket's side of what ``releases.ReleaseStorageMixin`` does on a file
system: list and delete a version's keys, publish with one PUT, read the
published record with a conditional GET, and a collect lock that is a lease.
Kept apart from ``releases`` so that module never needs boto3.
"""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]
from django.core.exceptions import ImproperlyConfigured
from storages.backends.s3 import S3StaticStorage  # type: ignore[import-untyped]

from . import release_publication
from .bucket_lease import Lease
from .conf import conf
from .release_folders import LOCK_NAME, FileInfo, HeldLock, Waiting
from .release_publication import PUBLISHED_NAME, PublishedUnreadable
from .releases import ReleaseStorageMixin, in_release_collect


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

    def read_root_file(self, name: str, what: str, fix: str, limit: int) -> bytes | None:
        try:
            found = self._release_client.get_object(Bucket=self.bucket_name, Key=self._key(name))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        if found["ContentLength"] > limit:
            raise ImproperlyConfigured(
                f"{what.capitalize()} {self._key(name)} holds more than {limit} bytes. {fix}"
            )
        return found["Body"].read()  # type: ignore[no-any-return]

    def read_published_if_changed(self, tag: Any) -> tuple[Any, bytes | None]:
        """One GET, conditional on the ETag seen last: a 304 while nothing changed."""
        client = self._release_client
        extra = {"IfNoneMatch": tag} if tag else {}
        try:
            found = client.get_object(
                Bucket=self.bucket_name, Key=self._key(PUBLISHED_NAME), **extra
            )
            return found["ETag"], found["Body"].read()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("304", "NotModified"):
                return tag, None
            if code in ("NoSuchKey", "404"):
                return None, None
            raise self._unreadable(error) from error
        except BotoCoreError as error:  # unreachable, timed out
            raise self._unreadable(error) from error

    def _unreadable(self, error: Exception) -> PublishedUnreadable:
        # A missing key is AccessDenied, not NoSuchKey, to a role without
        # s3:ListBucket: nothing here tells "absent" from "denied", so neither is guessed.
        return PublishedUnreadable(
            f"Cannot read the published record s3://{self.bucket_name}/"
            f"{self._key(PUBLISHED_NAME)}: {error}. Give the role s3:GetObject on "
            f"the prefix and s3:ListBucket on the bucket (without it a missing record "
            f"reads as AccessDenied)."
        )

    def publish(self, segment: str) -> None:
        self._release_client.put_object(
            Bucket=self.bucket_name,
            Key=self._key(PUBLISHED_NAME),
            Body=release_publication.encode(segment),
            ContentType="application/json",
            CacheControl="no-store",
        )

    @contextlib.contextmanager
    def collect_lock(self, wait: float, waiting: Waiting = None) -> Iterator[HeldLock]:
        """A lease object taken with a conditional PUT, renewed while the collect runs.

        A killed collect stops renewing: the next one takes the lock over once
        the lease has run out (``collect_lock_lease`` seconds). It yields the
        lease: ``check()`` raises ``LockLost`` once it no longer holds.
        """
        client, key = self._release_client, self._key(LOCK_NAME)
        lease = Lease(client, self.bucket_name, key, where=self.release_root)
        lease.acquire(wait, self.collect_lock_lease, waiting)
        try:
            yield lease
        finally:
            lease.release()


class ReleaseS3Storage(S3ReleaseMixin, S3StaticStorage):  # type: ignore[misc]
    """``S3StaticStorage`` that keeps every release below ``<location>/<version>/``.

    Uploads carry ``Cache-Control: public, max-age=31536000, immutable`` unless
    ``object_parameters`` (``AWS_S3_OBJECT_PARAMETERS``) set their own.
    """
