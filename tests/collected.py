"""A real collectstatic into a temporary STATIC_ROOT, for the whitenoise tests."""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command
from django.http.response import HttpResponseBase
from django.test import override_settings

TESTS = Path(__file__).resolve().parent
CURRENT = "3fa9c1e2b7d4"
OLDER = "0123456789ab"
IMMUTABLE = "public, max-age=31536000, immutable"

CSS = (TESTS / "static" / "css" / "site.css").read_bytes()
# Big and repetitive enough that whitenoise keeps a .gz of it.
BIG = b"".join(b".rule-%04d { color: rgb(%d, 0, 0); }\n" % (i, i % 256) for i in range(300))
OUTSIDE = b"OUTSIDE-STATIC-ROOT\n"
DOTFILE = b"SECRET=dotfile\n"

COMPRESSED = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MANIFEST = {
    **COMPRESSED,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def collect(folder: Path, storages: dict[str, dict[str, str]] = COMPRESSED) -> Path:
    """Collect ``tests/static`` plus ``css/big.css`` into ``folder/static-root``.

    Next to the root lies a file no request may reach; inside it, a dot-file
    (collectstatic skips those, but a deploy may leave one behind).
    """
    extra = folder / "src"
    (extra / "css").mkdir(parents=True)
    (extra / "css" / "big.css").write_bytes(BIG)
    root = folder / "static-root"
    with override_settings(
        STATIC_ROOT=str(root), STATICFILES_DIRS=[TESTS / "static", extra], STORAGES=storages
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
    (root / ".env").write_bytes(DOTFILE)
    (folder / "outside.txt").write_bytes(OUTSIDE)
    return root


# Paths that must never reach a file: traversal in every spelling, dot-files,
# directories. The collected root lies in "static-root", next to outside.txt.
TRAVERSALS = [
    "/static/../outside.txt",
    f"/static/{CURRENT}/../outside.txt",
    f"/static/{CURRENT}/../../outside.txt",
    "/static/%2e%2e/outside.txt",
    f"/static/{CURRENT}/%2e%2e/outside.txt",
    f"/static/{CURRENT}/css/..%2f..%2f..%2foutside.txt",
    "/static/%252e%252e/outside.txt",
    f"/static/{CURRENT}/..%5coutside.txt",
    f"/static/{CURRENT}/css\\site.css",
    f"/static/{CURRENT}/css/site.css%00",
    f"/static/{CURRENT}/.env",
    "/static/.env",
    f"/static/{OLDER}/.env",
    "/static/css/",
    f"/static/{CURRENT}/css/",
    f"/static/{CURRENT}/",
    f"/static/{CURRENT}//css/site.css",
    f"/static/{CURRENT}/./css/site.css",
]


def body(response: HttpResponseBase) -> bytes:
    """A test client response's body, streamed or not; the response is closed."""
    try:
        if response.streaming:
            return b"".join(response.streaming_content)  # type: ignore[attr-defined]
        return bytes(response.content)  # type: ignore[attr-defined]
    finally:
        response.close()
