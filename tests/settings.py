from pathlib import Path

from django_static_url_helper import url_helper

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "tests-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    # Above staticfiles, so its runserver serves every version safely.
    "django_static_url_helper",
    "django.contrib.staticfiles",
]
ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {"context_processors": []},
    }
]
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True

STATIC_ROOT_URL = "/static/"
STATIC_URL: str = url_helper.get_static_url_fixed(STATIC_ROOT_URL, "3fa9c1e2b7d4")
# Typed as Django takes them: Paths here, while the settings modules that
# star-import this one set str values from environment variables.
STATICFILES_DIRS: list[str | Path] = [BASE_DIR / "static"]
STATIC_ROOT: str | Path | None = BASE_DIR / "static-root-unused"
