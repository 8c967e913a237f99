"""``manage.py static_url``: show the version, write the content stamp, or collect and stamp."""

from __future__ import annotations

import json
import os
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import content_hash, url_helper
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

        collect = sub.add_parser(
            "collect",
            help="Run collectstatic, then write the stamp, in one process: the whole "
            "deploy step with one Django start instead of two.",
        )
        collect.add_argument("--clear", action="store_true", help="Passed on to collectstatic.")
        collect.add_argument(
            "--output",
            help="Stamp file to write (default: the one STATIC_URL was computed from).",
        )

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

    def handle_collect(
        self, *, clear: bool = False, output: str | None = None, **options: Any
    ) -> None:
        if output is None and _stamp_source() is None:
            # Say so before copying anything: the stamp step would refuse anyway.
            raise CommandError(
                "STATIC_URL does not come from get_static_url_stamp(), so there is no "
                "default stamp file: pass --output PATH, or run collectstatic alone."
            )
        call_command(
            "collectstatic",
            interactive=False,
            clear=clear,
            verbosity=options.get("verbosity", 1),
            stdout=self.stdout,
            stderr=self.stderr,
        )
        self.handle_stamp(output=output)


def _stamp_source() -> url_helper.Source | None:
    source = url_helper.source_of(settings.STATIC_URL or "")
    return source if source is not None and source.kind == "stamp" else None


def _relative_to(path: str, root: str) -> str | None:
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    return None if rel.startswith("..") else rel.replace(os.sep, "/")
