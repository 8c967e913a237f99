"""Sphinx configuration of the django-static-url documentation.

Build with ``sphinx-build -W --keep-going -b html docs docs/_build/html``.
The reference is written by hand, so the build needs neither Django nor
configured settings.
"""

import re
from pathlib import Path

_INIT = Path(__file__).resolve().parent.parent / "django_static_url_helper" / "__init__.py"
_VERSION = re.search(r'^__version__ = "([^"]+)"', _INIT.read_text(), re.MULTILINE)
if _VERSION is None:
    raise RuntimeError(f"No __version__ in {_INIT}")

project = "django-static-url"
author = "Resulto Developpement Web Inc. and the django-static-url contributors"
copyright = "2016-2026, Resulto Developpement Web Inc. and the django-static-url contributors"
release = _VERSION.group(1)
version = release

extensions: list[str] = []
exclude_patterns = ["_build"]
# Every code block names its language; a bare "::" block is plain text.
highlight_language = "none"
nitpicky = True

html_theme = "furo"
html_title = f"django-static-url {release}"
html_static_path: list[str] = []
