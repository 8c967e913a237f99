"""``manage.py static_url``: show the current version, write the content stamp."""

from __future__ import annotations

import json
import os
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import content_hash, nginx, url_helper
from ...conf import conf


class Command(BaseCommand):
    help = "Show the static version, or write the content stamp at deploy time."
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
        stamp = sub.add_parser(
            "stamp",
            help="Hash the collected static files and write the stamp that "
            "get_static_url_stamp() reads. Run it after collectstatic.",
        )
        stamp.add_argument("--root", help="Folder to hash (default: STATIC_ROOT).")
        stamp.add_argument(
            "--output",
            help="Stamp file to write (default: the one STATIC_URL was computed from).",
        )
        self.add_nginx_parser(sub)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"handle_{action}")(**options)

    def handle_show(self, *, as_json: bool = False, **options: Any) -> None:
        source = url_helper.source_of(settings.STATIC_URL or "")
        info = {
            "version": conf.static_url.segment,
            "static_url": settings.STATIC_URL,
            "base": conf.static_url.base,
            "source": source.kind if source else None,
        }
        if as_json:
            self.stdout.write(json.dumps(info, sort_keys=True))
        else:
            for key, value in info.items():
                self.stdout.write(f"{key}: {'' if value is None else value}")

    def handle_stamp(
        self, *, root: str | None = None, output: str | None = None, **options: Any
    ) -> None:
        root = os.fspath(root or settings.STATIC_ROOT or "")
        if not root:
            raise CommandError("STATIC_ROOT is not set: pass --root with the folder to hash.")
        if output is None:
            source = url_helper.source_of(settings.STATIC_URL or "")
            if source is None or source.kind != "stamp":
                raise CommandError(
                    "STATIC_URL does not come from get_static_url_stamp(), so there "
                    "is no default stamp file: pass --output PATH."
                )
            output = source.path
        assert output is not None
        exclude = set()
        relative = _relative_to(output, str(root))
        if relative is not None:
            exclude.add(relative)
        try:
            digest = content_hash.hash_tree(root, exclude=exclude)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        content_hash.write_stamp(output, digest)
        self.stdout.write(f"Wrote {output} ({digest[:16]}...). Restart the app servers to use it.")

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
            block = nginx.block_from_settings(
                origin=origin,
                headers_include=headers_include,
                server=nginx.Server(**given) if server else None,
            )
            text = nginx.render(block)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(text, ending="")


def _relative_to(path: str, root: str) -> str | None:
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    return None if rel.startswith("..") else rel.replace(os.sep, "/")
