"""The demo site: production-like settings, served by gunicorn and whitenoise."""

import os
from pathlib import Path

from django_static_url_helper import url_helper

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DEMO_SECRET_KEY", "demo-only-not-secret")
DEBUG = os.environ.get("DEMO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django_static_url_helper",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # whitenoise that knows the version: immutable caching for the current one.
    "django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": False,
        "DIRS": [BASE_DIR / "demo" / "templates"],
        "OPTIONS": {
            "context_processors": ["django_static_url_helper.context_processors.static_version"]
        },
    }
]
DATABASES: dict[str, dict[str, str]] = {}

# An absolute base ("http://localhost:8000/static/") puts the files on another
# origin, as a CDN would: the integrity page then loads them with CORS.
STATIC_ROOT_URL = os.environ.get("DEMO_STATIC_BASE", "/static/")
STATICFILES_DIRS = [Path(os.environ.get("DEMO_STATICFILES_DIR", BASE_DIR / "demo" / "static"))]
STATIC_ROOT = Path(os.environ.get("DEMO_STATIC_ROOT", BASE_DIR / "static-root"))
# By default the version is a hash of the collected files, whose stamp
# collectstatic writes: equal on every server.
# DEMO_VERSION_FROM picks another source (the tests compare them).
STATIC_VERSION_STAMP = Path(os.environ.get("DEMO_STAMP", BASE_DIR / "static-version.txt"))
if os.environ.get("DEMO_UNVERSIONED") == "1":
    # What the browser test compares against: far-future caching without a
    # version in the URL, which keeps serving stale files after a deploy.
    STATIC_URL = STATIC_ROOT_URL
    WHITENOISE_MAX_AGE = 31536000
elif os.environ.get("DEMO_VERSION_FROM") == "env":
    STATIC_URL = url_helper.get_static_url_env(STATIC_ROOT_URL, "DEMO_RELEASE")
elif os.environ.get("DEMO_VERSION_FROM") == "git":
    STATIC_URL = url_helper.get_static_url_git(
        STATIC_ROOT_URL, os.environ.get("DEMO_CHECKOUT", BASE_DIR)
    )
elif os.environ.get("DEMO_VERSION_FROM") == "now":
    STATIC_URL = url_helper.get_static_url_now(STATIC_ROOT_URL, True, SECRET_KEY)
else:
    STATIC_URL = url_helper.get_static_url_stamp(STATIC_ROOT_URL, STATIC_VERSION_STAMP)

# "no-store" (default): an older version gets today's file, uncached; "404": a 404.
STATIC_VERSION_MISMATCH = os.environ.get("DEMO_VERSION_MISMATCH", "no-store")

if os.environ.get("DEMO_RELEASE_DIRECTORIES") == "1":
    # Every release in STATIC_ROOT/<version>/: collectstatic completes it and
    # publishes it, and pages rendered before a deploy keep their own files.
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django_static_url_helper.releases.ReleaseStaticFilesStorage"},
    }
# With release directories: serve and render each version collectstatic
# publishes, within DEMO_FOLLOW_INTERVAL seconds, without a restart.
STATIC_VERSION_FOLLOW = os.environ.get("DEMO_FOLLOW") == "1"
STATIC_VERSION_FOLLOW_INTERVAL = float(os.environ.get("DEMO_FOLLOW_INTERVAL", "1.0"))
