"""``collectstatic``: the one deploy step. It collects, completes, then publishes the version.

Without a release storage this is Django's command, and with
``get_static_url_stamp()`` it then writes the stamp, from the digest of the
files it collected. With a release storage (``django_static_url_helper.releases``)
the version is settled before the first file is copied, one collect at a
time holds the release root's lock, files already there with the same size
and bytes are not copied again, the completion marker is written once every
file is there, and the version is published last (``release_publication``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from django.contrib.staticfiles.management.commands.collectstatic import (
    Command as StaticCollect,
)
from django.core.files.storage import Storage
from django.core.management.base import CommandError, CommandParser

from ... import integrity_collect, release_links, release_tree, releases, source_hashes, version
from ...conf import conf
from ...deploy_plan import (
    DEFAULT_LOCK_WAIT,
    Hashing,
    Plan,
    add_release_arguments,
    describe_change,
    hashing,
    named_segment,
    plan,
    stamped,
    write_stamp,
)
from ...release_folders import HeldLock, LockUnusable
from ...release_publication import PUBLISHED_NAME
from ...releases import CollectBusy
from ...source_listing import found_files


class Command(StaticCollect):
    releasing = False
    sha384: dict[str, bytes]
    """SHA-384 of each source file the collect's hashing read (integrity values)."""
    lock: HeldLock = HeldLock(None)
    """The collect lock while held; a dry run holds none and this one stands in."""
    start: release_links.Start | None = None
    """The complete release this collect starts from (``release_links.start``)."""
    linker: release_links.Linker | None = None

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        add_release_arguments(parser)

    def handle(self, **options: Any) -> str | None:
        if not releases.configured():
            return self.collect_flat(options)
        for flag, why in (
            ("link", "links would follow later edits of the source files"),
            ("clear", "it would empty a version that pages may still use; see 'static_url prune'"),
        ):
            if options[flag]:
                raise CommandError(f"--{flag} does not go with release directories: {why}.")
        self.set_options(**options)
        found = found_files(self.ignore_patterns)
        self.start = release_links.start(self.storage, named_segment())
        recorded = None if self.start is None or options["rehash"] else self.start.marker
        known = source_hashes.Known((recorded or {}).get("sources"))
        self.sha384 = {}
        # A content stamp names the release folder: its digest comes before the copy.
        beside_copy = named_segment() is not None
        with hashing(found, known, self.sha384, beside_copy=beside_copy) as hashed:
            return self.collect_release_locked(plan(hashed), hashed, options)

    def collect_release_locked(
        self, release: Plan, digest: Hashing, options: dict[str, Any]
    ) -> str | None:
        storage: releases.ReleaseStorageMixin = self.storage
        wait = options.get("lock_wait", DEFAULT_LOCK_WAIT)
        if self.dry_run:  # writes nothing, so takes no lock
            self.releasing = True
            with releases.scope(release.segment):
                return self.collect_release(release, digest, options)
        try:
            with storage.collect_lock(wait, self.waiting_for(wait)) as self.lock:
                if self.lock.waited_for is not None:
                    said = self.lock.waited_for
                    self.log(f"Waited for another collectstatic ({said}) to finish.", 1)
                self.releasing = True
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

    def collect_flat(self, options: dict[str, Any]) -> str | None:
        """Django's collectstatic, then its integrity values and the stamp (stamp source)."""
        source = conf.source
        stamp = source is not None and source.kind == "stamp" and source.path is not None
        record = integrity_collect.flat_record(self.storage)
        if options["dry_run"] or (record is None and not stamp):
            return super().handle(**options)
        self.set_options(**options)
        found = found_files(self.ignore_patterns)
        self.sha384 = {}
        with hashing(found, source_hashes.Known(None), self.sha384) as hashed:
            result = super().handle(**options)
            digest = hashed()
        if record is not None:  # before the stamp: a server booting on it finds its values
            segment = version.content_segment(digest) if stamp else conf.static_url.segment
            integrity_collect.write_flat_values(self, record, segment, hashed.records())
        if not stamp or source is None:
            return result
        self.write_stamp(Plan(version.content_segment(digest), source.path), digest)
        published = (
            f"Published version {version.content_segment(digest)} (stamp {source.path}): "
            f"restart the app servers to serve it."
        )
        return self.summary(f"{result or ''}\n{published}")

    def collect_release(
        self, release: Plan, hashed: Hashing, options: dict[str, Any]
    ) -> str | None:
        storage: Any = self.storage
        segment = release.segment
        marker = release_links.marker(storage, segment, self.start)
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
                integrity_collect.add_missing_values(self, segment, marker)
                self.publish(release, digest)
                return self.summary(
                    f"Release {segment} is already collected from these {len(sources)} "
                    f"files: nothing copied. Published version {segment}{stamped(release)}."
                )
            self.log(f"Release {segment} lost {len(gone)} file(s), e.g. {gone[0]}: repairing.", 1)
            if not self.dry_run:
                release_tree.delete_marker(storage, segment)
        if not self.dry_run and not options["rehash"]:  # --rehash trusts no earlier bytes
            self.linker = release_links.linker(storage, segment, self.start, hashed.records)
        result = super().handle(**options) or ""
        if self.dry_run:
            return self.summary(f"{result}\nRelease {segment} would be collected.")
        digest = hashed()
        self.lock.check()  # a bucket lease may have been lost while we copied
        records = hashed.records()
        values = integrity_collect.release_values(self, records, self.start)
        release_tree.write_marker(storage, segment, digest, source_hashes.encode(records), values)
        self.publish(release, digest)
        return self.summary(
            f"{result}{release_links.said(self.linker)}\nRelease {segment} is complete. "
            f"Published version {segment}{stamped(release)}."
        )

    def copy_file(self, path: str, prefixed_path: str, source_storage: Storage) -> None:
        # collect() hands each name over once. A link is never made over a file
        # (EEXIST): then Django's copy decides, as for any file already there.
        if self.linker is not None and self.linker.link(prefixed_path):
            self.log(f"Linking '{path}' from release {self.linker.origin}", level=2)
            self.copied_files.append(prefixed_path)
            return
        super().copy_file(path, prefixed_path, source_storage)

    def delete_file(self, path: str, prefixed_path: str, source_storage: Storage) -> bool:
        if not self.releasing:
            return super().delete_file(path, prefixed_path, source_storage)
        if not self.storage.exists(prefixed_path):
            return True
        if release_tree.same_content(self.storage, prefixed_path, source_storage.path(path)):
            self.unmodified_files.append(prefixed_path)
            self.log(f"Skipping '{path}' (same size and content)")
            return False
        # Left by an interrupted collect: never trusted, whatever its time.
        if self.dry_run:
            self.log(f"Pretending to delete '{path}'")
        else:
            self.log(f"Deleting '{path}'")
            self.storage.delete(prefixed_path)
        return True

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

    def write_stamp(self, release: Plan, digest: str) -> None:
        if not self.dry_run:
            write_stamp(release, digest)

    def summary(self, text: str) -> str | None:
        return text.lstrip("\n") if self.verbosity >= 1 else None
