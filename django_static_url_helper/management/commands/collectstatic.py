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

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.contrib.staticfiles.management.commands.collectstatic import (
    Command as StaticCollect,
)
from django.core.files.storage import Storage
from django.core.management.base import CommandError, CommandParser

from ... import content_hash, integrity, integrity_record, release_tree, releases, version
from ...conf import conf
from ...deploy_plan import (
    DEFAULT_LOCK_WAIT,
    Digest,
    Plan,
    describe_change,
    hashing,
    lock_wait_seconds,
    plan,
    stamped,
)
from ...release_folders import HeldLock, LockUnusable
from ...release_publication import PUBLISHED_NAME
from ...releases import CollectBusy


class Command(StaticCollect):
    releasing = False
    sha384: dict[str, bytes]
    """Each source file's SHA-384, filled by the background hashing (the integrity values)."""
    lock: HeldLock = HeldLock(None)
    """The collect lock while held; a dry run holds none and this one stands in."""

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--lock-wait",
            type=lock_wait_seconds,
            default=DEFAULT_LOCK_WAIT,
            metavar="SECONDS",
            help="With release directories: how long to wait for another collectstatic "
            f"of the same release root to finish (default {DEFAULT_LOCK_WAIT:.0f}).",
        )

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
        found = self.found_files()
        sources = {name: os.path.getsize(path) for name, path in found}
        self.sha384 = {}
        with hashing(found, self.sha384) as digest:
            return self.collect_release_locked(plan(digest), digest, sources, options)

    def collect_release_locked(
        self, release: Plan, digest: Digest, sources: dict[str, int], options: dict[str, Any]
    ) -> str | None:
        storage: releases.ReleaseStorageMixin = self.storage
        wait = options.get("lock_wait", DEFAULT_LOCK_WAIT)
        if self.dry_run:  # writes nothing, so takes no lock
            self.releasing = True
            with releases.scope(release.segment):
                return self.collect_release(release, digest, sources, options)
        try:
            with storage.collect_lock(wait, self.waiting_for(wait)) as self.lock:
                if self.lock.waited_for is not None:
                    said = self.lock.waited_for
                    self.log(f"Waited for another collectstatic ({said}) to finish.", 1)
                self.releasing = True
                with releases.scope(release.segment):
                    return self.collect_release(release, digest, sources, options)
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
        record = None
        if releases.is_local(self.storage):
            record = integrity_record.flat_path(source, settings.STATIC_ROOT)
        if options["dry_run"] or (record is None and not stamp):
            return super().handle(**options)
        self.set_options(**options)
        found = self.found_files()
        self.sha384 = {}
        with hashing(found, self.sha384) as hashed:
            result = super().handle(**options)
            digest = hashed()
        segment = version.content_segment(digest) if stamp else conf.static_url.segment
        if record is not None:  # before the stamp: a server booting on it finds its values
            self.write_flat_values(record, segment, found)
        if not stamp or source is None:
            return result
        self.write_stamp(Plan(version.content_segment(digest), source.path), digest)
        published = (
            f"Published version {version.content_segment(digest)} (stamp {source.path}): "
            f"restart the app servers to serve it."
        )
        return self.summary(f"{result or ''}\n{published}")

    def collect_release(
        self, release: Plan, hashed: Digest, sources: dict[str, int], options: dict[str, Any]
    ) -> str | None:
        storage: Any = self.storage
        segment = release.segment
        marker = release_tree.read_marker(storage, segment)
        if marker is not None:
            digest = hashed()
            if marker.get("digest") != digest:
                raise CommandError(
                    f"Version {segment} was already collected from other files "
                    f"({describe_change(marker.get('sources', {}), sources)}). Caches keep "
                    f"a version's files for a year, so they must never change: give this "
                    f"release its own id (a new commit, build number or release variable)."
                )
            gone = release_tree.missing(storage, segment, marker)
            if not gone:
                self.add_values(segment, marker)
                self.publish(release, digest)
                return self.summary(
                    f"Release {segment} is already collected from these {len(sources)} "
                    f"files: nothing copied. Published version {segment}{stamped(release)}."
                )
            self.log(f"Release {segment} lost {len(gone)} file(s), e.g. {gone[0]}: repairing.", 1)
            if not self.dry_run:
                release_tree.delete_marker(storage, segment)
        result = super().handle(**options) or ""
        if self.dry_run:
            return self.summary(f"{result}\nRelease {segment} would be collected.")
        digest = hashed()
        self.lock.check()  # a bucket lease may have been lost while we copied
        rewritten = set(self.post_processed_files)
        release_tree.write_marker(
            storage,
            segment,
            digest,
            sources,
            lambda files: integrity.collected(storage, files, sources, self.sha384, rewritten),
        )
        self.publish(release, digest)
        return self.summary(
            f"{result}\nRelease {segment} is complete. "
            f"Published version {segment}{stamped(release)}."
        )

    def add_values(self, segment: str, marker: dict[str, Any]) -> None:
        """Give a release collected before integrity values were recorded its values.

        How it was post-processed then is not known: every file is read back.
        The marker keeps its completion time, so pruning sees the same age.
        """
        if self.dry_run or integrity.valid(marker.get("integrity")) is not None:
            return
        files = marker["files"]
        with releases.scope(segment):
            marker["integrity"] = integrity.collected(self.storage, files, {}, {}, files)
        self.lock.check()
        release_tree.save_marker(self.storage, segment, marker)
        self.log(f"Recorded the integrity values of release {segment}.", 1)

    def write_flat_values(
        self, record: str, segment: str | None, found: list[tuple[str, str]]
    ) -> None:
        sources = {name: os.path.getsize(path) for name, path in found}
        names = integrity.flat_names(self.storage, sources)
        rewritten = set(self.post_processed_files)
        values = integrity.collected(self.storage, names, sources, self.sha384, rewritten)
        try:
            integrity_record.write_flat(record, segment, values)
        except OSError as error:
            raise CommandError(
                f"Cannot write the integrity values to {record}: {error.strerror}. The files "
                f"are collected; make that folder writable for this user, then run "
                f"collectstatic again."
            ) from None

    def found_files(self) -> list[tuple[str, str]]:
        """``(name, source path)`` of what ``collect()`` copies: the first found wins."""
        found: dict[str, str] = {}
        for finder in get_finders():
            for path, storage in finder.list(self.ignore_patterns):
                prefix = getattr(storage, "prefix", None)
                name = os.path.join(prefix, path) if prefix else path
                found.setdefault(name.replace(os.sep, "/"), storage.path(path))
        return sorted(found.items())

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
        if release.stamp is None or self.dry_run:
            return
        try:
            content_hash.write_stamp(release.stamp, digest)
        except OSError as error:
            raise CommandError(
                f"Cannot write the stamp {release.stamp}: {error.strerror}. The files are "
                f"collected; make the stamp's folder writable for this user (or fix the "
                f"path given to get_static_url_stamp()), then run collectstatic again."
            ) from None

    def summary(self, text: str) -> str | None:
        return text.lstrip("\n") if self.verbosity >= 1 else None
