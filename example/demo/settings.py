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

STATIC_ROOT_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "demo" / "static"]
STATIC_ROOT = Path(os.environ.get("DEMO_STATIC_ROOT", BASE_DIR / "static-root"))
# The version is a hash of the collected files, written by
# "manage.py static_url stamp" after collectstatic: equal on every server.
STATIC_VERSION_STAMP = Path(os.environ.get("DEMO_STAMP", BASE_DIR / "static-version.txt"))
STATIC_URL = url_helper.get_static_url_stamp(STATIC_ROOT_URL, STATIC_VERSION_STAMP, SECRET_KEY)
