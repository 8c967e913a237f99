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
import socket
import threading
import time
import uuid
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from .release_folders import CollectBusy, Waiting, describe_holder

_CONDITION_FAILED = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}


class Lease:
    """A lock object in a bucket, taken by a conditional PUT and renewed until released."""

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

    def acquire(self, wait: float, lease: float, waiting: Waiting = None) -> str | None:
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
            first = holder is None
            holder = describe_holder(body)
            if time.monotonic() >= deadline:
                raise CollectBusy(holder)
            if first and waiting is not None:
                waiting(holder)
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
