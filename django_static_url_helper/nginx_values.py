"""Values on their way into nginx config: checked, and quoted where nginx needs it.

A stray ";", "$", "{" or quote in nginx config changes its meaning, so every
value is refused with a precise message unless it is plainly safe.
"""

from __future__ import annotations

import os
import re

from django.core.exceptions import ImproperlyConfigured

# Characters allowed in the location path: they need no quoting in nginx
# config, no percent-decoding, and only "." needs escaping in a regex.
_PATH_RE = re.compile(r"/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*/)*")
_LISTEN_RE = re.compile(r"[A-Za-z0-9_.:\[\]=-]+(?: [A-Za-z0-9_.:=-]+)*")
_SERVER_NAME_RE = re.compile(r"[A-Za-z0-9_.*~-]+(?: [A-Za-z0-9_.*~-]+)*")
_HOST_PORT_RE = re.compile(r"[A-Za-z0-9.-]+:[0-9]{1,5}|\[[0-9A-Fa-f:.]+\]:[0-9]{1,5}")
_SOCKET_RE = re.compile(r"unix:/[A-Za-z0-9_./-]+")


def location_path(path: str, what: str) -> str:
    """``path`` if nginx can match it as a plain prefix, else a precise error."""
    if not _PATH_RE.fullmatch(path):
        raise ImproperlyConfigured(
            f"{what} {path!r} cannot go into an nginx location: it must start and "
            f"end with '/', have no empty, '.' or '..' parts, and use only letters, "
            f"digits and '-', '_', '.', '~', e.g. '/static/'."
        )
    if path == "/":
        raise ImproperlyConfigured(
            f"{what} is '/': the static block would take every URL of the site. "
            f"Give static files a prefix of their own, e.g. '/static/'."
        )
    return path


def quoted_path(path: str, what: str, *, absolute: bool = False, directory: bool = False) -> str:
    """``path`` as a double-quoted nginx string; refuses what nginx would misread."""
    bad = sorted({c for c in path if c in '$"\\' or ord(c) < 32 or ord(c) == 127})
    if not path or bad:
        raise ImproperlyConfigured(
            f"{what} {path!r} cannot go into nginx config"
            + (f": nginx misreads {', '.join(map(repr, bad))} there" if bad else "")
            + ". Use a path without '$', quotes, backslashes or control characters."
        )
    if absolute and not path.startswith("/"):
        raise ImproperlyConfigured(
            f"{what} {path!r} is relative; nginx would resolve it against its own "
            f"prefix. Use an absolute path."
        )
    if directory and not path.endswith("/"):
        path += "/"
    return f'"{path}"'


def server_values(listen: str, name: str, upstream: str) -> dict[str, str]:
    """The listen address, server names and proxy_pass URL of a server block."""
    if not _LISTEN_RE.fullmatch(listen):
        raise ImproperlyConfigured(
            f"--listen {listen!r} is not an nginx listen address: use e.g. "
            f"'80', '127.0.0.1:8080' or '[::]:80'."
        )
    if not _SERVER_NAME_RE.fullmatch(name):
        raise ImproperlyConfigured(
            f"--server-name {name!r} is not a list of host names: use e.g. "
            f"'example.com www.example.com', or '_' for any."
        )
    if not (_HOST_PORT_RE.fullmatch(upstream) or _SOCKET_RE.fullmatch(upstream)):
        raise ImproperlyConfigured(
            f"--upstream {upstream!r} is not an app server address: use "
            f"HOST:PORT (e.g. '127.0.0.1:8000') or unix:/PATH (e.g. "
            f"'unix:/run/gunicorn/app.sock')."
        )
    return {"listen": listen, "name": name, "upstream": f"http://{upstream}"}


def checked_root(root: str, shown: int = 3) -> bool:
    """Refuse a STATIC_ROOT holding a symlink; tell whether it holds ``.gz`` variants.

    nginx would follow a symlink wherever it points. Refusing them at each
    request (``disable_symlinks``) costs nginx about a quarter more CPU time
    per request, so the block leaves that to the server and this check runs
    each time the block is rendered. ``gzip_static`` costs a failed ``open``
    of ``file.gz`` on every request that takes gzip (every browser's), so the
    block turns it on only when the tree holds a ``.gz`` next to its file.
    """
    links: list[str] = []
    precompressed = False
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue  # Nothing collected yet: nothing nginx could follow.
        except OSError as error:
            raise ImproperlyConfigured(
                f"Cannot list {folder} to check STATIC_ROOT for symlinks "
                f"({error.strerror}). Make it readable, then render the block again."
            ) from None
        names = {entry.name for entry in entries}
        for entry in entries:
            if entry.is_symlink():
                links.append(os.path.relpath(entry.path, root))
            elif entry.is_dir(follow_symlinks=False):
                folders.append(entry.path)
            elif entry.name.endswith(".gz") and entry.name[:-3] in names:
                precompressed = True
    if links:
        links.sort()
        more = f" (and {len(links) - shown} more)" if len(links) > shown else ""
        raise ImproperlyConfigured(
            f"STATIC_ROOT {root} holds "
            + ("a symlink" if len(links) == 1 else f"{len(links)} symlinks")
            + f", which nginx would follow: {', '.join(links[:shown])}{more}. nginx "
            f"serves the target of a symlink, inside STATIC_ROOT or not, as a static "
            f"file. Replace each with a copy of its target (collectstatic without "
            f"--link copies), then render the block again."
        )
    return precompressed
