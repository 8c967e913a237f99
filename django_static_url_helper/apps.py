from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class StaticUrlHelperConfig(AppConfig):
    name = "django_static_url_helper"
    verbose_name = "django-static-url"

    def ready(self) -> None:
        from . import app_order_checks, integrity_checks, middleware_checks, publication_checks
        from . import checks as package_checks

        checks.register(package_checks.check_static_url)
        checks.register(package_checks.check_source)
        checks.register(package_checks.check_folder_names)
        checks.register(app_order_checks.check_app_order)
        checks.register(app_order_checks.check_runserver_order)
        checks.register(middleware_checks.check_middleware)
        checks.register(package_checks.check_mismatch_setting)
        checks.register(app_order_checks.check_release_app_order)
        checks.register(publication_checks.check_release_collected)
        checks.register(publication_checks.check_published, checks.Tags.staticfiles, deploy=True)
        checks.register(publication_checks.check_follow)
        checks.register(package_checks.check_policy_settings)
        checks.register(integrity_checks.check_release_integrity)
        checks.register(integrity_checks.check_cross_origin)
