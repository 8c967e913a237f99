"""A third-party app's runserver, as daphne ships one, for the app-order tests."""

from django.core.management.commands.runserver import Command as CoreRunserver


class Command(CoreRunserver):
    shipped_by = "tests.other_runserver"
