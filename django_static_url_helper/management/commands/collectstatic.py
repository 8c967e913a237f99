"""``collectstatic``: the one deploy step. It collects, completes, then publishes the version.

Without a release storage this is Django's command, and with
``get_static_url_stamp()`` it then writes the stamp, from the digest of the
files it collected. With a release storage (``django_static_url_helper.releases``)
one collect at a time holds the release root's lock, files already there
with the same size and bytes are not copied again, the completion marker is
written once every file is there, and the version is published last
(``release_collect``, ``release_publication``). The files are hashed in a
child process beside the copy (``hash_worker``).
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib.staticfiles.management.commands.collectstatic import (
    Command as StaticCollect,
)
from django.core.files.storage import Storage
from django.core.management.base import CommandError, CommandParser

from ... import integrity_collect, release_links, release_tree, releases, source_hashes, version
from ...collect_hashing import Hashing, Streamed, hashing, streamed_hashing
from ...conf import conf
from ...deploy_plan import (
    Plan,
    add_release_arguments,
    named_after_digest,
    named_segment,
    plan,
    write_stamp,
)
from ...local_copy import Copier
from ...release_collect import ReleaseCollect
from ...release_folders import HeldLock
from ...source_listing import listing, source_path


class Command(ReleaseCollect, StaticCollect):
    releasing = False
    sha384: dict[str, bytes]
    """SHA-384 of each source file the collect's hashing read (integrity values)."""
    lock: HeldLock = HeldLock(None)
    """The collect lock while held; a dry run holds none and this one stands in."""
    start: release_links.Start | None = None
    """The complete release this collect starts from (``release_links.start``)."""
    linker: release_links.Linker | None = None
    streamed: Streamed | None = None
    """The files a collect into one folder has handed over to its hashing."""
    copier: Copier | None = None

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
        self.start = release_links.start(self.storage, named_segment())
        self.sha384 = {}
        # A content stamp names the release folder after the digest: on a file
        # system the files are collected into an incoming folder meanwhile.
        named = not named_after_digest()
        incoming = not named and releases.is_local(self.storage) and not self.dry_run
        if self.start is None and (named or incoming) and not self.dry_run:
            # A first release reuses nothing: each file is hashed as it is copied.
            with streamed_hashing(self.sha384) as (self.streamed, hashed):
                return self.collect_release_locked(
                    None if incoming else plan(hashed), hashed, options
                )
        # Files an earlier release vouches for are not read again; a content
        # version then waits for the few read, and most files are linked.
        with self.listed_hashing(options["rehash"], beside_copy=named) as hashed:
            return self.collect_release_locked(plan(hashed), hashed, options)

    def listed_hashing(
        self, rehash: bool, *, beside_copy: bool = True
    ) -> contextlib.AbstractContextManager[Hashing]:
        """The hashing of the files the finders list, reusing the start release's records."""
        self.streamed = None
        found = listing(self.ignore_patterns)
        recorded = {} if self.start is None or rehash else self.start.marker
        known = source_hashes.Known(*map(recorded.get, ("sources", "listed", "digest")))
        return hashing(
            found.files, known, self.sha384, beside_copy=beside_copy, entries=found.entries
        )

    def collect_flat(self, options: dict[str, Any]) -> str | None:
        """Django's collectstatic, then its integrity values and the stamp (stamp source)."""
        source = conf.source
        stamp = source is not None and source.kind == "stamp" and source.path is not None
        record = integrity_collect.flat_record(self.storage)
        if options["dry_run"] or (record is None and not stamp):
            return super().handle(**options)
        self.sha384 = {}
        # Each file is hashed by a child as Django's collect hands it over.
        with streamed_hashing(self.sha384) as (self.streamed, hashed):
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

    def copy_file(self, path: str, prefixed_path: str, source_storage: Storage) -> None:
        # collect() hands each name over once. A link is never made over a file
        # (EEXIST): then Django's copy decides, as for any file already there.
        if self.copier is None:
            self.copier = Copier(self.storage)
        local = self.copier.reads(source_storage)
        source = source_path(source_storage, path) if local or self.streamed else ""
        if self.streamed is not None:
            self.streamed.add(prefixed_path, source)
        if self.linker is not None and self.linker.link(prefixed_path):
            self.log(f"Linking '{path}' from release {self.linker.origin}", level=2)
            self.copied_files.append(prefixed_path)
            return
        if self.dry_run or not local:
            return super().copy_file(path, prefixed_path, source_storage)
        # Django's copy_file with the copy itself in local_copy. Its check of
        # copied_files, a scan of a list, is left out: collect() hands each
        # name over once.
        if not self.delete_file(path, prefixed_path, source_storage):
            return
        self.log(f"Copying '{source}'", level=2)
        if not self.copier.copy(prefixed_path, source):
            with source_storage.open(path) as source_file:
                self.storage.save(prefixed_path, source_file)
        self.copied_files.append(prefixed_path)

    def link_file(self, path: str, prefixed_path: str, source_storage: Storage) -> None:
        if self.streamed is not None:  # --link without release directories
            self.streamed.add(prefixed_path, source_path(source_storage, path))
        super().link_file(path, prefixed_path, source_storage)

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

    def write_stamp(self, release: Plan, digest: str) -> None:
        if not self.dry_run:
            write_stamp(release, digest)

    def summary(self, text: str) -> str | None:
        return text.lstrip("\n") if self.verbosity >= 1 else None
