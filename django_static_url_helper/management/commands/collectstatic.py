"""``collectstatic`` that collects a release into its own version directory.

Without a release storage (``django_static_url_helper.releases``) this is
Django's command, unchanged. With one, the version is settled before the
first file is copied, files already there with the same size and bytes are
not copied again, and the completion marker is written last.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.contrib.staticfiles.management.commands.collectstatic import (
    Command as StaticCollect,
)
from django.core.files.storage import Storage
from django.core.management.base import CommandError

from ... import content_hash, release_tree, releases, url_helper, version
from ...conf import conf

_STABLE_SOURCES = (
    "get_static_url_release(), get_static_url_env(), get_static_url_git() or get_static_url_stamp()"
)


class Plan(NamedTuple):
    segment: str
    stamp: str | None
    """The stamp file to write once the release is complete (content versions)."""


def plan(digest: str) -> Plan:
    """The exact segment the app servers' STATIC_URL will carry for this release."""
    static_url = settings.STATIC_URL or ""
    source = url_helper.source_of(static_url)
    if source is not None and source.kind == "stamp":
        # The stamp on disk may be the previous release's: derive the URL the
        # helper will return once the stamp holds this digest, with its own code.
        url = url_helper.stamp_url_for(static_url, digest)
        segment = version.split_url(url or "").segment
        if segment is None:
            raise CommandError(
                f"STATIC_URL {static_url!r} was not computed by get_static_url_stamp() "
                f"in these settings, so the version of this release's content is "
                f"unknown. Assign the helper's result to STATIC_URL unchanged."
            )
        return Plan(segment, source.path)
    if source is not None and source.kind in ("now", "file"):
        raise CommandError(
            f"STATIC_URL comes from get_static_url_{source.kind}(), whose version is "
            f"not known before the collect nor equal on every server, so no server "
            f"would ever render this release. Release directories need {_STABLE_SOURCES}."
        )
    segment = conf.static_url.segment
    if segment is None:
        raise CommandError(
            f"STATIC_URL {static_url!r} carries no version segment, so there is no "
            f"version directory to collect into. Compute STATIC_URL in settings.py "
            f"with {_STABLE_SOURCES}."
        )
    return Plan(segment, None)


def describe_change(before: dict[str, int], after: dict[str, int]) -> str:
    added = sorted(after.keys() - before.keys())
    gone = sorted(before.keys() - after.keys())
    resized = sorted(name for name in after.keys() & before.keys() if before[name] != after[name])
    parts = [
        f"{label}: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}"
        for label, names in (("new", added), ("removed", gone), ("resized", resized))
        if names
    ]
    return "; ".join(parts) or "files of the same names and sizes have other bytes"


class Command(StaticCollect):
    releasing = False
    stamp_follows = False
    """Set by ``static_url collect``, which writes the stamp right after."""

    def handle(self, **options: Any) -> str | None:
        if not releases.configured():
            result = super().handle(**options)
            notice = self.stamp_notice()
            if notice is None:
                return result
            if result:
                return f"{result}\n{notice}"
            self.stdout.write(notice)
            return None
        for flag, why in (
            ("link", "links would follow later edits of the source files"),
            ("clear", "it would empty a version that pages may still use; see 'static_url prune'"),
        ):
            if options[flag]:
                raise CommandError(f"--{flag} does not go with release directories: {why}.")
        self.set_options(**options)
        found = self.found_files()
        sources = {name: os.path.getsize(path) for name, path in found}
        digest = content_hash.hash_files(found)
        release = plan(digest)
        self.releasing = True
        with releases.scope(release.segment):
            return self.collect_release(release, digest, sources, options)

    def collect_release(
        self, release: Plan, digest: str, sources: dict[str, int], options: dict[str, Any]
    ) -> str | None:
        storage: Any = self.storage
        segment = release.segment
        marker = release_tree.read_marker(storage, segment)
        if marker is not None:
            if marker.get("digest") != digest:
                raise CommandError(
                    f"Version {segment} was already collected from other files "
                    f"({describe_change(marker.get('sources', {}), sources)}). Caches keep "
                    f"a version's files for a year, so they must never change: give this "
                    f"release its own id (a new commit, build number or release variable)."
                )
            gone = release_tree.missing(storage, segment, marker)
            if not gone:
                self.write_stamp(release, digest)
                return self.summary(
                    f"Release {segment} is already collected from these {len(sources)} "
                    f"files: nothing copied."
                )
            self.log(f"Release {segment} lost {len(gone)} file(s), e.g. {gone[0]}: repairing.", 1)
            if not self.dry_run:
                release_tree.delete_marker(storage, segment)
        result = super().handle(**options) or ""
        if self.dry_run:
            return self.summary(f"{result}\nRelease {segment} would be collected.")
        release_tree.write_marker(storage, segment, digest, sources)
        self.write_stamp(release, digest)
        return self.summary(f"{result}\nRelease {segment} is complete.")

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

    def write_stamp(self, release: Plan, digest: str) -> None:
        if release.stamp is None or self.dry_run:
            return
        content_hash.write_stamp(release.stamp, digest)
        self.log(f"Wrote {release.stamp}: restart the app servers to serve {release.segment}.", 1)

    def stamp_notice(self) -> str | None:
        """Without release directories, the stamp is not this command's to write.

        Printed even at -v0: a forgotten stamp keeps the previous version's URL
        over the new files, and nothing else would say so.
        """
        source = url_helper.source_of(settings.STATIC_URL or "")
        if source is None or source.kind != "stamp" or self.stamp_follows or self.dry_run:
            return None
        state = (
            "still holds the version of the previous content, so STATIC_URL does not "
            "change for these files"
            if source.path and os.path.exists(source.path)
            else "is not written yet, so the app servers cannot start"
        )
        return (
            f"Notice: the stamp {source.path} {state}. Run 'manage.py "
            f"static_url stamp' now, then restart the app servers (or deploy with "
            f"'manage.py static_url collect', which collects and stamps in one step)."
        )

    def summary(self, text: str) -> str | None:
        return text.lstrip("\n") if self.verbosity >= 1 else None
