"""Which version the middleware serves, and switching to a newly published one (follow).

Mixed in before ``WhiteNoiseMiddleware`` (after ``CheckedFiles``). A ``Serving``
holds all a request needs for one version, read once; with
STATIC_VERSION_FOLLOW a switch reads the kept versions again and swaps the
whole ``Serving`` at once, so a request that read it sees one version from
start to end. The new release's files are looked up on first request
(``kept_release_files``), so a switch costs the same whatever the size of
the release. A request for a version that was completed after this process
last looked (another worker switched first and rendered it) takes that
release in on the spot, rather than answering it with today's bytes.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from . import release_serving, release_tree, version
from .conf import conf
from .releases import ReleaseStorageMixin
from .version_policy import Found, Policy, Serving

logger = logging.getLogger("django_static_url_helper")


class ServedVersions:
    release_storage: ReleaseStorageMixin | None
    following: bool
    releases: release_serving.Kept | None
    state: Serving
    static_prefix: str
    autorefresh: bool
    _indexed: set[str]

    files: dict[str, Any]
    index_file: str | None
    if TYPE_CHECKING:  # the other mixins' and the middleware's own methods

        def forget_looked_up(self, kept: release_serving.Kept) -> None: ...

        def find_static(
            self, segment: str | None, name: str, policy: Policy | None = None
        ) -> Found | None: ...

    def serving(self, segment: str | None, kept: release_serving.Kept | None) -> Serving:
        """Everything a request needs to serve version ``segment``, read once."""
        policy = Policy.from_settings(self.static_prefix, segment, kept)
        header = conf.header
        version_header = (header, segment) if header and segment else None
        return Serving(policy, self._index_current_version(policy), version_header)

    @property
    def policy(self) -> Policy:
        return self.state.policy

    @property
    def segment(self) -> str | None:
        """The version served now."""
        return self.state.policy.segment

    def _index_current_version(self, policy: Policy) -> dict[str, Found]:
        """find_static's answer for every current-version URL, keyed by its path.

        The hot path (a page's own assets) is then one dict lookup, as in plain
        whitenoise. Built from whitenoise's index, so empty with autorefresh.
        """
        segment = policy.segment
        if segment is None or self.autorefresh:
            return {}
        index = {}
        folder = self.static_prefix + (f"{segment}/" if policy.releases else "")
        for url in list(self.files):
            if not url.startswith(folder):
                continue  # WHITENOISE_ROOT files keep whitenoise's own handling
            path = f"{segment}/{url[len(folder) :]}"
            parts = self.split(path)
            found = None if parts is None else self.find_static(parts.segment, parts.name, policy)
            if found is not None:
                index[self.static_prefix + path] = found
        return index

    def split(self, path: str) -> version.StaticPath | None:
        """``version.split_path``, and with WHITENOISE_INDEX_FILE a directory's path too.

        ``'<v>/docs/'`` -> ``StaticPath('<v>', 'docs/')``: whitenoise indexes the
        index file of ``docs/`` under the directory's URL.
        """
        index = self.index_file
        if index is None or (path and not path.endswith("/")):
            return version.split_path(path)
        parts = version.split_path(path + index)
        return None if parts is None else parts._replace(name=parts.name[: -len(index)])

    def complete(self, path: str, size: int) -> bool:
        return self.releases is None or self.releases.as_collected(path, size)

    def remember_current(self, state: Serving, path: str, found: Found) -> None:
        """Keep a looked-up file of the current version in its Serving's index.

        Only for a complete release: an incomplete one's files may still
        change, and are never cached.
        """
        kept = state.policy.releases
        if kept is not None and kept.current in kept.versions and not self.autorefresh:
            state.current_files[path] = found

    def start_following(self) -> None:
        self._switching = threading.Lock()
        self._not_complete: dict[str, float] = {}
        storage = self.release_storage if self.following else None
        self._following = None if storage is None else storage.following()

    def switch_due(self) -> str | None:
        """The live version when it is not the one served: the middleware must switch.

        A clock comparison, and at most once per interval one ``stat``.
        """
        following = self._following
        if following is None or time.monotonic() < following.fresh_until:
            return None
        assert self.release_storage is not None
        published = self.release_storage.published()
        live = None if published is None else published.segment
        return None if live is None or live == self.state.policy.segment else live

    def serving_now(self) -> Serving:
        """The Serving of the live version: the published one when following."""
        live = self.switch_due()
        if live is None:
            return self.state
        try:
            return self.take_in(live, current=live)
        except Exception:  # a folder gone while indexed: keep serving what we served
            logger.exception("Could not switch to the published version %s.", live)
            return self.state

    def newly_complete(self, state: Serving, segment: str) -> Serving | None:
        """A Serving that knows ``segment``, if it was completed since this process looked."""
        kept = state.policy.releases
        if not self.following or kept is None or segment in kept.versions:
            return None
        if not os.path.isfile(os.path.join(kept.root, release_tree.marker_name(segment))):
            return None
        # A marker that does not make the release complete (torn, or its files
        # still on their way) is looked at again only after an interval.
        now = time.monotonic()
        if now - self._not_complete.get(segment, float("-inf")) < conf.follow_interval:
            return None
        assert self.release_storage is not None
        if not self.release_storage.release_complete(segment):
            if len(self._not_complete) > 256:
                self._not_complete.clear()
            self._not_complete[segment] = now
            return None
        return self.take_in(segment, current=state.policy.segment)

    def take_in(self, segment: str, current: str | None) -> Serving:
        with self._switching:
            state = self.state
            if state.policy.segment == current and (
                state.policy.releases is not None and segment in state.policy.releases.versions
            ):
                return state  # another thread did it meanwhile
            releases = release_serving.kept(current)
            if releases is not None and segment not in releases.versions and segment == current:
                # Published but no longer complete (pruned or emptied meanwhile):
                # keep serving what this process served.
                logger.warning("Not switching to %s: it is not a complete release.", segment)
                return self.state
            self.releases = releases
            if releases is not None:
                self._forget_pruned(releases)
                self.forget_looked_up(releases)
            self.state = self.serving(current, releases)
            return self.state

    def _forget_pruned(self, releases: release_serving.Kept) -> None:
        """Drop whitenoise's entries of releases pruned since they were indexed.

        A long-lived process follows many deploys: without this its index
        would keep every release it ever served.
        """
        gone = {segment for segment in self._indexed if segment not in releases.versions}
        if not gone or self.autorefresh:
            return
        prefixes = tuple(f"{self.static_prefix}{segment}/" for segment in gone)
        for url in [url for url in self.files if url.startswith(prefixes)]:
            self.files.pop(url, None)
        self._indexed -= gone
