from __future__ import annotations

import os
from collections.abc import Generator

import pluggy
import pytest

from tests import servers, varnish


@pytest.fixture(scope="session")
def nginx_binary() -> str:
    """The nginx binary; skips the test (a failure under CI=true) when there is none."""
    binary = servers.nginx_binary()
    if binary is None:
        pytest.skip(servers.NGINX_MISSING)
    return binary


@pytest.fixture(scope="session")
def varnish_binary() -> str:
    """The varnishd binary; skips the test (a failure under CI=true) when there is none."""
    binary = varnish.varnish_binary()
    if binary is None:
        pytest.skip(varnish.VARNISH_MISSING)
    return binary


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    # A test that fails while a Varnish runs (a module fixture's, say) shows
    # what varnishd said; the test's own exception never passes through it.
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for log in varnish.RUNNING:
            report.sections.append((f"varnishd output ({log})", log.read_text()))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Under CI nothing may be skipped: turn a skip of a server, nginx, varnish
    # or browser test into a failure with the same message.
    if os.environ.get("CI") != "true":
        return
    config.pluginmanager.register(_FailSkips(), "fail-skips-under-ci")


class _FailSkips:
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
        outcome = yield
        report = outcome.get_result()
        if report.skipped and not hasattr(report, "wasxfail"):
            report.outcome = "failed"
            report.longrepr = f"skipped under CI=true, which is a failure: {report.longrepr}"
