"""Settings of the site that ``follow.py`` and ``switch.py`` serve, driven by the environment.

Release directories (ReleaseStaticFilesStorage) behind VersionedWhiteNoiseMiddleware,
as in production (DEBUG off). BENCH_SOURCE: the static source folders, separated
by ``os.pathsep``; BENCH_ROOT: STATIC_ROOT; BENCH_RELEASE: the release id
STATIC_URL is computed from (``get_static_url_release``), else BENCH_STAMP: the
stamp file (``get_static_url_stamp``); BENCH_FOLLOW: ``1`` to follow the
published version (STATIC_VERSION_FOLLOW); BENCH_INTERVAL: its interval in
seconds (default 1.0). collectstatic runs with these settings too.
"""

from __future__ import annotations

import os

from django_static_url_helper import url_helper

SECRET_KEY = "bench-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
USE_TZ = True
INSTALLED_APPS = ["django_static_url_helper", "django.contrib.staticfiles"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_static_url_helper.middleware.VersionedWhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "site_urls"
DATABASES: dict[str, object] = {}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates"}]
STATICFILES_DIRS = os.environ["BENCH_SOURCE"].split(os.pathsep)
STATIC_ROOT = os.environ["BENCH_ROOT"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django_static_url_helper.releases.ReleaseStaticFilesStorage"},
}
if "BENCH_RELEASE" in os.environ:
    STATIC_URL = url_helper.get_static_url_release("/static/", os.environ["BENCH_RELEASE"])
else:
    STATIC_URL = url_helper.get_static_url_stamp("/static/", os.environ["BENCH_STAMP"])
STATIC_VERSION_FOLLOW = os.environ.get("BENCH_FOLLOW") == "1"
STATIC_VERSION_FOLLOW_INTERVAL = float(os.environ.get("BENCH_INTERVAL", "1.0"))
