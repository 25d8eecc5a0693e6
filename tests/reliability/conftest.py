"""Fixtures of the reliability tests: the real emulator over loopback, sync | async.

Every test here talks over real sockets through the real pooled httpx2 clients.
pytest-socket runs with `--disable-socket`: tests in this folder get
`allow_hosts(["127.0.0.1"])` (loopback only), also those that open their own
listening sockets rather than use the emulator fixture.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from langchain_mashagpt.testing.pytest_plugin import uses_pytest_socket
from tests.unit_tests.helpers import Runner

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not uses_pytest_socket(config):
        return
    for item in items:
        if _HERE in item.path.parents and not item.get_closest_marker("allow_hosts"):
            item.add_marker(pytest.mark.allow_hosts(["127.0.0.1"]))


@pytest.fixture(autouse=True)
def _short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Computed backoff of 10 ms (not 0.5 s); a server's Retry-After is still honoured."""
    monkeypatch.setattr("langchain_mashagpt._retry.INITIAL_BACKOFF", 0.01)


@pytest.fixture(params=["sync", "async"])
def run(request: pytest.FixtureRequest) -> Runner:
    return Runner(is_async=request.param == "async")
