"""The ``stamp`` and ``collect`` actions of ``manage.py static_url``.

``stamp`` hashes a tree collected elsewhere (another tool, another machine)
and writes the stamp that ``get_static_url_stamp()`` reads; ``collect`` is
collectstatic itself, which writes the stamp of what it collects.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from .. import content_hash, releases, stamp_file
from ..conf import conf
from ..version_source import Source


class StampActions(BaseCommand):
    """The base of the ``static_url`` command: its stamp and collect actions."""

    def add_stamp_parsers(self, sub: Any) -> None:
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
            help="The same as 'collectstatic --noinput', which collects, writes the "
            "stamp and publishes the version: kept for deploy scripts written for it.",
        )
        collect.add_argument("--clear", action="store_true", help="Passed on to collectstatic.")
        collect.add_argument("--lock-wait", metavar="SECONDS", help="Passed on to collectstatic.")

    def handle_stamp(
        self, *, root: str | None = None, output: str | None = None, **options: Any
    ) -> None:
        if root is None and releases.configured():
            raise CommandError(
                "STORAGES['staticfiles'] is a release storage: collectstatic writes "
                "the stamp and publishes the version once the release is complete. "
                "Run collectstatic."
            )
        root = os.fspath(root or settings.STATIC_ROOT or "")
        if not root:
            raise CommandError("STATIC_ROOT is not set: pass --root with the folder to hash.")
        if output is None:
            source = _stamp_source()
            if source is None:
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
        try:
            stamp_file.write_stamp(output, digest)
        except OSError as exc:
            raise CommandError(
                f"Cannot write the stamp {output}: {exc.strerror}. Pass --output the path "
                f"of a file (not a folder) in a folder this user may write to."
            ) from None
        self.stdout.write(f"Wrote {output} ({digest[:16]}...). Restart the app servers to use it.")

    def handle_collect(
        self, *, clear: bool = False, lock_wait: str | None = None, **options: Any
    ) -> None:
        more = [] if lock_wait is None else ["--lock-wait", lock_wait]
        call_command(
            "collectstatic",
            *more,
            interactive=False,
            clear=clear,
            verbosity=options.get("verbosity", 1),
            stdout=self.stdout,
            stderr=self.stderr,
        )


def _stamp_source() -> Source | None:
    source = conf.source
    return source if source is not None and source.kind == "stamp" else None


def _relative_to(path: str, root: str) -> str | None:
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    outside = rel == os.pardir or rel.startswith(os.pardir + os.sep)
    return None if outside else rel.replace(os.sep, "/")
