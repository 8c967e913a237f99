"""A production-like site with release directories, for real collectstatic and servers."""

import os

from django_static_url_helper import url_helper
from tests.settings import *  # noqa: F403
from tests.settings import BASE_DIR, STATIC_ROOT_URL

DEBUG = False
ROOT_URLCONF = "tests.urls_whitenoise"
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware",
]
STATIC_ROOT = os.environ["RELEASE_STATIC_ROOT"]
STATICFILES_DIRS = [os.environ.get("RELEASE_SOURCE", str(BASE_DIR / "static"))]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django_static_url_helper.releases.ReleaseStaticFilesStorage"},
}
if "RELEASE_STAMP" in os.environ:  # the version is the digest of the files
    STATIC_URL = url_helper.get_static_url_stamp(STATIC_ROOT_URL, os.environ["RELEASE_STAMP"])
else:
    STATIC_URL = url_helper.get_static_url_env(STATIC_ROOT_URL, "RELEASE_ID")
STATIC_VERSION_MISMATCH = os.environ.get("RELEASE_MISMATCH", "no-store")
