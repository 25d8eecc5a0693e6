"""Fixtures of the emulator tests: one emulator for the session, reset per test.

pytest-socket runs with `--disable-socket`: these tests talk to the emulator on
loopback only, so each one gets `allow_hosts(["127.0.0.1"])` (not a blanket
`enable_socket`). The fixtures here use the public class, not the `pytest11`
plugin, so they do not clash when the plugin is registered too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from langchain_mashagpt.testing import MashaGPTEmulator
from tests.emulator.helpers import Api


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
