"""Pieces of the nginx test sites: a server block around config, the command's output."""

from __future__ import annotations

import io
import textwrap

from django.core.management import call_command
from django.test import override_settings

CURRENT = "3fa9c1e2b7d4"
OTHER = "0123456789ab"
IMMUTABLE = "public, max-age=31536000, immutable"
UNVERSIONED = "public, max-age=60"


def server(port: int, body: str) -> str:
    """A server on 127.0.0.1:``port`` holding ``body`` (nginx config, any indentation)."""
    inner = textwrap.indent(textwrap.dedent(body).strip(), " " * 8)
    return f"    server {{\n        listen 127.0.0.1:{port};\n{inner}\n    }}\n"


def render(*args: str, **settings: object) -> str:
    """``manage.py static_url nginx *args`` under ``settings``."""
    out = io.StringIO()
    with override_settings(**settings):
        call_command("static_url", "nginx", *args, stdout=out)
    return out.getvalue()
