"""``manage.py static_url``: show the version, write the stamp of a tree collected
elsewhere, print the nginx block, prune old releases (``collect``: collectstatic).

The stamp and collect actions live in ``management/stamp_actions.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, cast

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError, CommandParser

from ... import nginx, nginx_settings, release_folders, release_prune, releases
from ...conf import conf
from ..stamp_actions import StampActions


class Command(StampActions):
    help = (
        "The versioned STATIC_URL at deploy time: show the version, write the content "
        "stamp of a tree collected elsewhere, print the nginx block, prune old releases."
    )
    # The stamp is written before it exists: the checks would report it missing.
    requires_system_checks = ()

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        show = sub.add_parser("show", help="Print the current version and STATIC_URL.")
        show.add_argument(
            "--json",
            dest="as_json",
            action="store_true",
            help="Print one JSON object (for deploy scripts).",
        )
        self.add_stamp_parsers(sub)
        self.add_nginx_parser(sub)
        self.add_prune_parser(sub)
        for action in sub.choices.values():
            # '-v 1' after the action too ('static_url stamp -v 1'), as before it.
            action.add_argument(
                "-v",
                "--verbosity",
                type=int,
                choices=[0, 1, 2, 3],
                default=argparse.SUPPRESS,
                help="Verbosity level; as before the action.",
            )

    def run_from_argv(self, argv: list[str]) -> None:
        try:
            super().run_from_argv(argv)
            self.stdout.flush()  # a pipe's buffer would otherwise fail at exit, unhandled
        except BrokenPipeError:
            # The reader left ('static_url show | head -1'): stop without a traceback.
            # The rest goes to devnull so that the interpreter's flush at exit succeeds.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            sys.exit(1)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"handle_{action}")(**options)

    def handle_show(self, *, as_json: bool = False, **options: Any) -> None:
        source = conf.source
        storage = cast(releases.ReleaseStorageMixin, staticfiles_storage)
        try:
            published = storage.read_published() if releases.configured() else None
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        info = {
            "version": conf.static_url.segment,
            "static_url": settings.STATIC_URL,
            "base": conf.static_url.base,
            "source": source.kind if source else None,
            "published": published.segment if published else None,
            "follow": conf.follow,
        }
        if as_json:
            self.stdout.write(json.dumps(info, sort_keys=True))
        else:
            for key, value in info.items():
                self.stdout.write(f"{key}: {'' if value is None else value}")

    def add_nginx_parser(self, sub: Any) -> None:
        parser = sub.add_parser(
            "nginx",
            help="Print the nginx block that serves STATIC_ROOT under STATIC_URL, "
            "e.g. 'manage.py static_url nginx > /etc/nginx/snippets/static.conf'.",
        )
        parser.add_argument(
            "--headers-include",
            metavar="FILE",
            help="A file of add_header lines (security headers) your server block "
            "includes; every static location includes it too, since nginx drops "
            "inherited add_header lines in a location that sets its own.",
        )
        parser.add_argument(
            "--origin",
            action="store_true",
            help="STATIC_URL is a CDN's URL and this nginx is the origin it pulls "
            "the same paths from: render the block for STATIC_URL's path.",
        )
        parser.add_argument(
            "--server",
            action="store_true",
            help="Print a complete server block: static files by nginx, the rest "
            "proxied to the app server.",
        )
        parser.add_argument("--listen", help="With --server: listen address (default: 80).")
        parser.add_argument(
            "--server-name", help="With --server: server_name (default: '_', any host)."
        )
        parser.add_argument(
            "--upstream",
            help="With --server: the app server, HOST:PORT or unix:/PATH "
            "(default: 127.0.0.1:8000).",
        )

    def handle_nginx(
        self,
        *,
        headers_include: str | None = None,
        origin: bool = False,
        server: bool = False,
        listen: str | None = None,
        server_name: str | None = None,
        upstream: str | None = None,
        **options: Any,
    ) -> None:
        server_options = {"listen": listen, "name": server_name, "upstream": upstream}
        given = {key: value for key, value in server_options.items() if value is not None}
        if given and not server:
            names = ", ".join(f"--{key.replace('name', 'server-name')}" for key in given)
            raise CommandError(f"Only a server block takes {names}: add --server.")
        try:
            block = nginx_settings.block_from_settings(
                origin=origin,
                headers_include=headers_include,
                server=nginx.Server(**given) if server else None,
            )
            text = nginx.render(block)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(text, ending="")

    def add_prune_parser(self, sub: Any) -> None:
        prune = sub.add_parser(
            "prune",
            help="Delete old release directories. Keeps the published version, the newest "
            "--keep releases and every release younger than --keep-for.",
        )
        prune.add_argument(
            "--keep",
            type=int,
            default=release_prune.DEFAULT_KEEP,
            help=f"How many of the newest releases to keep (default {release_prune.DEFAULT_KEEP}).",
        )
        prune.add_argument(
            "--keep-for",
            default=release_prune.DEFAULT_KEEP_FOR,
            help="Keep every release collected less than this long ago: seconds, or "
            f"e.g. 30m, 12h, 7d (default {release_prune.DEFAULT_KEEP_FOR}).",
        )
        prune.add_argument(
            "--dry-run", action="store_true", help="List what would be deleted; delete nothing."
        )

    def handle_prune(
        self, *, keep: int, keep_for: str, dry_run: bool = False, **options: Any
    ) -> None:
        if not releases.configured():
            raise CommandError(
                "The staticfiles storage keeps no release directories: set "
                "STORAGES['staticfiles'] to a release storage (see "
                "django_static_url_helper.releases) before pruning."
            )
        storage = cast(releases.ReleaseStorageMixin, staticfiles_storage)
        seconds = release_prune.parse_duration(keep_for)
        try:
            # The collect lock: a release being collected (or published again,
            # a rollback) is never deleted under its collect.
            with storage.collect_lock(release_prune.LOCK_WAIT):
                self.prune(storage, keep, seconds, dry_run)
        except releases.CollectBusy as busy:
            raise CommandError(
                f"A collectstatic is collecting into {storage.release_root} ({busy}); "
                f"prune waited {release_prune.LOCK_WAIT:g} s for it and deleted "
                f"nothing. Run prune again once it is done."
            ) from None
        except release_folders.LockUnusable as error:  # a lock file it must not use
            raise CommandError(str(error)) from None

    def prune(
        self, storage: releases.ReleaseStorageMixin, keep: int, seconds: int, dry_run: bool
    ) -> None:
        decisions = release_prune.plan(
            storage, conf.static_url.segment, keep, seconds, following=conf.follow
        )
        for decision in decisions:
            action = "keep"
            if decision.delete:
                action = "would delete" if dry_run else "deleted"
                if not dry_run:
                    release_prune.delete(storage, decision.segment)
            self.stdout.write(f"{action:<12} {decision.segment}  ({decision.reason})")
