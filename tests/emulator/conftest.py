"""Fixtures of the emulator tests: one emulator for the session, reset per test.

pytest-socket runs with `--disable-socket`: these tests talk to the emulator on
loopback only, so each one gets `allow_hosts(["127.0.0.1"])` (not a blanket
`enable_socket`). The fixtures here use the public class, not the `pytest11`
plugin, so they do not clash when the plugin is registered too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from langchain_mashagpt.testing import MashaGPTEmulator
from langchain_mashagpt.testing.pytest_plugin import uses_pytest_socket
from tests.emulator.helpers import Api

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not uses_pytest_socket(config):
        return
    for item in items:
        if _HERE in item.path.parents and not item.get_closest_marker("allow_hosts"):
            item.add_marker(pytest.mark.allow_hosts(["127.0.0.1"]))


@pytest.fixture(scope="session")
def server() -> Iterator[MashaGPTEmulator]:
    with MashaGPTEmulator() as emulator:
        yield emulator


@pytest.fixture
def emu(server: MashaGPTEmulator) -> Iterator[MashaGPTEmulator]:
    server.reset()
    yield server
    server.reset()


@pytest.fixture
def api(emu: MashaGPTEmulator) -> Api:
    return Api(emu)
