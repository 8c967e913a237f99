"""An app behind nginx with Django's CSRF protection on: the form of tests.urls_csrf."""

from tests.settings import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "tests.urls_csrf"
MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
