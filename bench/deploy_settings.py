"""Settings of the deploy benchmark's ``collectstatic`` runs, driven by the environment.

BENCH_SOURCE: the tree to collect; BENCH_ROOT: STATIC_ROOT; BENCH_STORAGE: the
staticfiles backend; BENCH_STAMP, when set: the stamp file STATIC_URL is read
from (otherwise STATIC_URL is a plain ``/static/``).
"""

from __future__ import annotations

import os

from django_static_url_helper import url_helper

SECRET_KEY = "bench-not-secret"
DEBUG = False
INSTALLED_APPS = ["django_static_url_helper", "django.contrib.staticfiles"]
USE_TZ = True
STATICFILES_DIRS = [os.environ["BENCH_SOURCE"]]
STATIC_ROOT = os.environ["BENCH_ROOT"]
STORAGES = {"staticfiles": {"BACKEND": os.environ["BENCH_STORAGE"]}}
if "BENCH_STAMP" in os.environ:
    STATIC_URL = url_helper.get_static_url_stamp("/static/", os.environ["BENCH_STAMP"])
else:
    STATIC_URL = "/static/"
