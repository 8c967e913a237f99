"""Production-like settings for the whitenoise middleware behind a real gunicorn.

The tests collect the static files first and pass the folder and the variant
to serve in environment variables.
"""

import os

from tests.settings import *  # noqa: F403
from tests.settings import TEMPLATES

DEBUG = os.environ.get("WN_DEBUG") == "1"
ROOT_URLCONF = "tests.urls_whitenoise"
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
]
TEMPLATES = [
    {
        **TEMPLATES[0],
        "OPTIONS": {
            "context_processors": ["django_static_url_helper.context_processors.static_version"]
        },
    }
]
STATIC_ROOT = os.environ.get("WN_STATIC_ROOT", "")
STATIC_URL = os.environ.get("WN_STATIC_URL", "/static/3fa9c1e2b7d4/")
FORCE_SCRIPT_NAME = os.environ.get("WN_SCRIPT_NAME") or None
STATIC_VERSION_MISMATCH = os.environ.get("WN_MISMATCH", "no-store")
WHITENOISE_INDEX_FILE = os.environ.get("WN_INDEX_FILE") == "1"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
