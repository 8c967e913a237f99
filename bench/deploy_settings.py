"""Settings of the deploy benchmark's ``collectstatic`` runs, driven by the environment.

BENCH_SOURCE: the tree to collect; BENCH_ROOT: STATIC_ROOT; BENCH_STORAGE: the
staticfiles backend; BENCH_STAMP, when set: the stamp file STATIC_URL is read
from; BENCH_RELEASE, when set instead: the release id STATIC_URL carries
(otherwise STATIC_URL is a plain ``/static/``); BENCH_PLAIN, when set:
django_static_url_helper is neither installed nor imported, so
``collectstatic`` is Django's own command; BENCH_NO_INTEGRITY, when set: the
collect records no integrity values (what the deploy cost before them).
"""

from __future__ import annotations

import os

SECRET_KEY = "bench-not-secret"
DEBUG = False
USE_TZ = True
STATICFILES_DIRS = [os.environ["BENCH_SOURCE"]]
STATIC_ROOT = os.environ["BENCH_ROOT"]
STORAGES = {"staticfiles": {"BACKEND": os.environ["BENCH_STORAGE"]}}
if "BENCH_PLAIN" in os.environ:
    INSTALLED_APPS = ["django.contrib.staticfiles"]
    STATIC_URL = "/static/"
else:
    from django_static_url_helper import url_helper

    INSTALLED_APPS = ["django_static_url_helper", "django.contrib.staticfiles"]
    if "BENCH_STAMP" in os.environ:
        STATIC_URL = url_helper.get_static_url_stamp("/static/", os.environ["BENCH_STAMP"])
    elif "BENCH_RELEASE" in os.environ:
        STATIC_URL = url_helper.get_static_url_release("/static/", os.environ["BENCH_RELEASE"])
    else:
        STATIC_URL = "/static/"

if "BENCH_NO_INTEGRITY" in os.environ:
    # The deploy without integrity values: no SHA-384 beside the SHA-256 read,
    # no values in the marker or record. A measurement knob, not a setting.
    from django_static_url_helper import content_hash, integrity_collect

    _read_files = content_hash.read_files

    def _sha256_only(paths, *, workers=None, sha384=False):  # type: ignore[no-untyped-def]
        return _read_files(paths, workers=workers)

    content_hash.read_files = _sha256_only
    integrity_collect.release_values = lambda command, records, start: None  # type: ignore[assignment]
    integrity_collect.flat_record = lambda storage: None  # type: ignore[assignment]
