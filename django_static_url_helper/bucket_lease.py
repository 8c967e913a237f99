"""The collect lock in a bucket: a lease object, taken and renewed with conditional PUTs.

S3 has no lock that ends with the process that took it, so the lock is a
lease: it says until when it holds, its holder renews it while the collect
runs, and once a killed collect's lease has run out the next collect takes it
over with a PUT conditional on the ETag it saw (no two can take it over).
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
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from .release_folders import (
    CollectBusy,
    HeldLock,
    LockLost,
    LockUnusable,
    Waiting,
    describe_holder,
)

_CONDITION_FAILED = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code"))


class Lease(HeldLock):
    """A lock object in a bucket, taken by a conditional PUT and renewed until released.

    ``held()`` and ``check()`` say whether it still holds: a renewal can find
    it taken over (our lease ran out while we were stalled) or keep failing.
    """

    def __init__(self, client: Any, bucket: str, key: str, where: str = "") -> None:
        self.client, self.bucket, self.key = client, bucket, key
        self.where = where or posixpath.dirname(key)
        self.owner = uuid.uuid4().hex
        self.etag: str | None = None
        self._since: float | None = None
        self._valid_until = float("-inf")  # monotonic
        self._taken_by: str | None = None
        self._failure: str | None = None  # the last renewal's error
        self.waited_for: str | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _url(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def _unusable(self, error: Exception) -> LockUnusable:
        prefix = posixpath.dirname(self.key)
        return LockUnusable(
            f"Cannot use the collect lock {self._url(self.key)}: {error}. The role "
            f"collectstatic runs as needs s3:GetObject, s3:PutObject and s3:DeleteObject "
            f"on {self._url(prefix + '/*' if prefix else '*')}."
        )

    def _put(self, lease: float, **condition: str) -> bool:
        # The first since stays: the holder text says how long the lock is held.
        since = time.time() if self._since is None else self._since
        body = {"pid": os.getpid(), "host": socket.gethostname(), "since": since}
        body.update(owner=self.owner, expires=time.time() + lease)
        sent = time.monotonic()
        try:
            answer = self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=json.dumps(body).encode(), **condition
            )
        except ClientError as error:
            if _code(error) in _CONDITION_FAILED:
                return False
            raise
        self.etag, self._since = answer["ETag"], since
        # Counted from before the PUT went out: never later than S3's own view.
        self._valid_until = sent + lease
        return True

    def acquire(self, wait: float, lease: float, waiting: Waiting = None) -> str | None:
        try:
            return self._acquire(wait, lease, waiting)
        except (ClientError, BotoCoreError) as error:
            raise self._unusable(error) from error

    def _acquire(self, wait: float, lease: float, waiting: Waiting) -> str | None:
        deadline = time.monotonic() + wait
        holder: str | None = None
        while not self._put(lease, IfNoneMatch="*"):
            try:
                found = self.client.get_object(Bucket=self.bucket, Key=self.key)
            except ClientError as error:
                if _code(error) in ("NoSuchKey", "404"):
                    continue  # released since our PUT: try again at once
                raise  # denied or failing: retrying would only spin
            body = found["Body"].read()
            expired = _expires(body) < time.time()
            if expired and self._put(lease, IfMatch=found["ETag"]):
                break  # a killed collect's lease ran out: taken over
            first = holder is None
            holder = describe_holder(body)
            if time.monotonic() >= deadline:
                raise CollectBusy(holder)
            if first and waiting is not None:
                waiting(holder)
            time.sleep(0.2)
        self._renewer = threading.Thread(target=self._renew, args=(lease,), daemon=True)
        self._renewer.start()
        self.waited_for = holder
        return holder

    def _renew(self, lease: float) -> None:
        while not self._stop.wait(lease / 3):
            try:
                if not self._put(lease, IfMatch=str(self.etag)):
                    self._taken_by = self._holder()
                    return
            except Exception as error:
                self._failure = str(error)
                if time.monotonic() >= self._valid_until:
                    return
            else:
                self._failure = None

    def _holder(self) -> str:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self.key)
            return describe_holder(found["Body"].read())
        except Exception:
            return "another process"

    def held(self) -> bool:
        """True while the lease is ours and has not run out."""
        return self._taken_by is None and time.monotonic() < self._valid_until

    def check(self) -> None:
        """Raise ``LockLost`` unless the lease still holds: called right before publishing.

        S3 cannot fence a PUT on a lease, so a tiny window stays between this
        check and the publish; the lease (30 s) is far longer than that.
        """
        if self.held():
            return
        if self._taken_by is not None:
            how = f" to {self._taken_by}"
        elif self._failure is not None:
            how = f": renewing it failed ({self._failure})"
        else:
            how = ": its lease ran out before it was renewed"
        raise LockLost(
            f"Lost the collect lock of {self.where}{how}; nothing was published; "
            f"run collectstatic again."
        )

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        with contextlib.suppress(ClientError, BotoCoreError):
            found = self.client.get_object(Bucket=self.bucket, Key=self.key)
            if found["ETag"] == self.etag:
                self.client.delete_object(Bucket=self.bucket, Key=self.key)


def _expires(body: bytes) -> float:
    try:
        return float(json.loads(body)["expires"])
    except (ValueError, KeyError, TypeError):
        return 0.0  # unreadable: treat as run out
