"""Fixtures of the shared-limits tests: a real redis-server and the emulator, on loopback.

pytest-socket runs with `--disable-socket`; every test here gets
`allow_hosts(["127.0.0.1"])` (loopback only). A machine without `redis-server`
fails these tests, saying how to install it: they are never skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from langchain_mashagpt.testing import MashaGPTEmulator
from tests.limits.redis_server import RedisServer


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = __file__.rsplit("/", 1)[0]
    for item in items:
        if str(item.path).startswith(here) and not item.get_closest_marker("allow_hosts"):
            item.add_marker(pytest.mark.allow_hosts(["127.0.0.1"]))


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    try:
        server = RedisServer().start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    redis_server.flush()
    return redis_server.url


@pytest.fixture(scope="session")
def server() -> Iterator[MashaGPTEmulator]:
    with MashaGPTEmulator() as emulator:
        yield emulator


@pytest.fixture
def emu(server: MashaGPTEmulator) -> Iterator[MashaGPTEmulator]:
    server.reset()
    yield server
    server.reset()
