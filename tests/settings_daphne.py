"""The test settings with daphne installed, for runserver composing with it.

RS_DAPHNE picks where daphne goes in INSTALLED_APPS: "after" django_static_url_helper
(the supported order), "before" it (as daphne's docs suggest) or "none".
"""

import os

from tests.settings import *  # noqa: F403

_ORDER = os.environ.get("RS_DAPHNE", "after")
_OTHERS = ["django.contrib.staticfiles"]

if _ORDER == "before":
    INSTALLED_APPS = ["daphne", "django_static_url_helper", *_OTHERS]
elif _ORDER == "none":
    INSTALLED_APPS = ["django_static_url_helper", *_OTHERS]
else:
    INSTALLED_APPS = ["django_static_url_helper", "daphne", *_OTHERS]

ASGI_APPLICATION = "tests.asgi_daphne.application"
