"""The test site with DEBUG off, for ``runserver --insecure``."""

from tests.settings import *  # noqa: F403

DEBUG = False
