"""``collectstatic`` with release directories: under the lock, collect, complete, publish.

A release whose version is known before the copy (a release id, a commit)
is collected into its own folder. One whose version is the digest of its
files (a content stamp) is collected, on a file system, into an incoming
folder while a child process hashes the files, then renamed to its version
once the digest is in; in a bucket, where nothing can be renamed, the files
are hashed first. Either way the marker is written once every file is in
its folder, and the version is published last.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandError

from . import integrity_collect, release_links, release_tree, releases, source_hashes, version
from .collect_hashing import Hashing
from .conf import conf
from .deploy_plan import DEFAULT_LOCK_WAIT, Plan, describe_change, stamped
from .release_folders import LockUnusable
from .release_publication import PUBLISHED_NAME
from .releases import CollectBusy


class ReleaseCollect:
    """The release half of ``collectstatic``'s Command (put before Django's command)."""

    storage: Any
    stdout: Any
    dry_run: bool
    releasing: bool
    lock: Any
    start: release_links.Start | None
    linker: release_links.Linker | None
    streamed: Any

    if TYPE_CHECKING:  # the Command's own, and Django's

        def log(self, msg: str, level: int = 2) -> None: ...
        def summary(self, text: str) -> str | None: ...
        def write_stamp(self, release: Plan, digest: str) -> None: ...
        def listed_hashing(
            self, rehash: bool, *, beside_copy: bool = True
        ) -> contextlib.AbstractContextManager[Hashing]: ...

    def collect_release_locked(
        self, release: Plan | None, digest: Hashing, options: dict[str, Any]
    ) -> str | None:
        """Collect ``release`` holding the lock; None: a content version named after the copy."""
        storage: releases.ReleaseStorageMixin = self.storage
        wait = options.get("lock_wait", DEFAULT_LOCK_WAIT)
        if self.dry_run:  # writes nothing, so takes no lock
            assert release is not None
            self.releasing = True
            with releases.scope(release.segment):
                return self.collect_release(release, digest, options)
        try:
            with storage.collect_lock(wait, self.waiting_for(wait)) as self.lock:
                if self.lock.waited_for is not None:
                    said = self.lock.waited_for
                    self.log(f"Waited for another collectstatic ({said}) to finish.", 1)
                self.releasing = True
                if releases.is_local(storage):
                    storage.remove_incoming()
                if release is None:
                    return self.collect_incoming(digest, options)
                with releases.scope(release.segment):
                    return self.collect_release(release, digest, options)
        except CollectBusy as busy:
            raise CommandError(
                f"Another collectstatic is collecting into {storage.release_root} "
                f"({busy}); waited {wait:g} s for it. Nothing was collected. Run this "
                f"again once it is done, or wait longer with --lock-wait SECONDS."
            ) from None
        except LockUnusable as error:  # a lock file we must not use, a lease lost
            raise CommandError(str(error)) from None

    def waiting_for(self, wait: float) -> Callable[[str], None]:
        def say(holder: str) -> None:
            self.log(
                f"Another collectstatic holds the lock ({holder}): waiting up to {wait:g} s.", 1
            )
            self.stdout.flush()

        return say

    def collect_release(
        self, release: Plan, hashed: Hashing, options: dict[str, Any]
    ) -> str | None:
        storage: Any = self.storage
        segment = release.segment
        marker = release_links.marker(storage, segment, self.start)
        if marker is not None and self.streamed is not None:
            # Another collect completed this version since ours began: compare
            # against the files the finders list, not the ones not copied yet.
            with self.listed_hashing(options["rehash"]) as hashed:
                return self.collect_release(release, hashed, options)
        if marker is not None:
            gone = release_tree.missing(storage, segment, marker)  # while the hashes finish
            digest, sources = hashed(), hashed.records()
            if marker.get("digest") != digest:
                raise CommandError(
                    f"Version {segment} was already collected from other files "
                    f"({describe_change(marker.get('sources'), sources)}). Caches keep "
                    f"a version's files for a year, so they must never change: give this "
                    f"release its own id (a new commit, build number or release variable)."
                )
            if not gone:
                return self.already_collected(release, digest, marker, len(sources))
            self.log(f"Release {segment} lost {len(gone)} file(s), e.g. {gone[0]}: repairing.", 1)
            if not self.dry_run:
                release_tree.delete_marker(storage, segment)
        if not self.dry_run and not options["rehash"]:  # --rehash trusts no earlier bytes
            self.linker = release_links.linker(storage, segment, self.start, hashed.records)
        result = super().handle(**options) or ""  # type: ignore[misc]
        if self.dry_run:
            return self.summary(f"{result}\nRelease {segment} would be collected.")
        return self.complete(release, hashed, result)

    def collect_incoming(self, hashed: Hashing, options: dict[str, Any]) -> str | None:
        """Collect a content version into an incoming folder, then name it after its digest."""
        storage: releases.ReleaseStorageMixin = self.storage
        incoming = storage.begin_incoming()
        with releases.scope(incoming):
            if not options["rehash"]:  # --rehash trusts no earlier bytes
                self.linker = release_links.linker(storage, incoming, self.start, hashed.records)
            result = super().handle(**options) or ""  # type: ignore[misc]
        digest = hashed()
        source = conf.source
        release = Plan(version.content_segment(digest), source.path if source else None)
        segment = release.segment
        with releases.scope(segment):
            marker = release_links.marker(storage, segment, self.start)
            same = marker is not None and marker.get("digest") == digest
            if same and marker is not None and not release_tree.missing(storage, segment, marker):
                storage.remove_release(incoming)
                count = len(hashed.records())
                return self.already_collected(release, digest, marker, count)
            if marker is None:  # a folder left without its marker is never served
                storage.name_release(incoming, segment)
            else:
                # Completed by another collect meanwhile, and damaged since: its
                # folder may be live, so only what it lacks is moved in.
                gone = release_tree.missing(storage, segment, marker)
                self.log(f"Release {segment} lost {len(gone)} file(s): repairing.", 1)
                release_tree.delete_marker(storage, segment)
                storage.merge_release(incoming, segment)
            # Django's summary names the folder it copied into.
            said = result.replace(storage.release_folder(incoming), storage.release_folder(segment))
            return self.complete(release, hashed, said)

    def already_collected(
        self, release: Plan, digest: str, marker: dict[str, Any], count: int
    ) -> str | None:
        segment = release.segment
        integrity_collect.add_missing_values(self, segment, marker)
        self.publish(release, digest)
        return self.summary(
            f"Release {segment} is already collected from these {count} "
            f"files: nothing copied. Published version {segment}{stamped(release)}."
        )

    def complete(self, release: Plan, hashed: Hashing, result: str) -> str | None:
        """Every file is in the release's folder: its marker, then the publication."""
        segment, digest = release.segment, hashed()
        self.lock.check()  # a bucket lease may have been lost while we copied
        records = hashed.records()
        values = integrity_collect.release_values(self, records, self.start)
        encoded = source_hashes.encode(records)
        listed = hashed.result().listed
        release_tree.write_marker(self.storage, segment, digest, encoded, values, listed)
        self.publish(release, digest)
        return self.summary(
            f"{result}{release_links.said(self.linker)}\nRelease {segment} is complete. "
            f"Published version {segment}{stamped(release)}."
        )

    def publish(self, release: Plan, digest: str) -> None:
        """Make a complete release live: the stamp (for restarts), then the published record."""
        if self.dry_run:
            return
        self.lock.check()
        self.write_stamp(release, digest)
        try:
            self.storage.publish(release.segment)
        except OSError as error:
            published = os.path.join(self.storage.release_root, PUBLISHED_NAME)
            raise CommandError(
                f"Cannot publish version {release.segment}: {published}: {error.strerror}. "
                f"The release is complete; make {published} a file this user may replace "
                f"(or remove it) in a writable folder, then run collectstatic again."
            ) from None
