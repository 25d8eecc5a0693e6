"""pytest plugin: the `mashagpt_emulator` fixture.

Registered through the `pytest11` entry point of `langchain-mashagpt`, so any
test can ask for it:

```python
from langchain_mashagpt.testing import Reply


def test_retry(mashagpt_emulator):
    mashagpt_emulator.enqueue(Reply.rate_limit(retry_after=0))
    ...  # call a client at mashagpt_emulator.base_url with mashagpt_emulator.api_key
    assert len(mashagpt_emulator.requests) == 2
```

One emulator serves the whole session; it is `reset()` before and after each
test (requests and scripted replies forgotten). When pytest-socket is active,
tests using the fixture get `allow_hosts(["127.0.0.1", "::1"])`: loopback only.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from langchain_mashagpt.testing._emulator import MashaGPTEmulator

__all__ = [
    "mashagpt_emulator",
    "mashagpt_emulator_session",
    "pytest_collection_modifyitems",
    "uses_pytest_socket",
]

_FIXTURE = "mashagpt_emulator"
_LOOPBACK = ["127.0.0.1", "::1"]
_SOCKET_MARKERS = ("allow_hosts", "enable_socket", "disable_socket")


@pytest.fixture(scope="session")
def mashagpt_emulator_session() -> Iterator[MashaGPTEmulator]:
    """The session-wide emulator behind `mashagpt_emulator` (not reset)."""
    with MashaGPTEmulator() as emulator:
        yield emulator


@pytest.fixture
def mashagpt_emulator(
    mashagpt_emulator_session: MashaGPTEmulator,
) -> Iterator[MashaGPTEmulator]:
    """A running MashaGPT emulator, with no recorded request and no queued reply."""
    mashagpt_emulator_session.reset()
    yield mashagpt_emulator_session
    mashagpt_emulator_session.reset()


def uses_pytest_socket(config: pytest.Config) -> bool:
    """Tell whether pytest-socket is active (it registers the `allow_hosts` marker)."""
    markers: list[str] = config.getini("markers")
    return any(line.startswith("allow_hosts") for line in markers)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Let tests that use the emulator reach loopback under pytest-socket."""
    if not uses_pytest_socket(config):
        return
    for item in items:
        if _FIXTURE in getattr(item, "fixturenames", ()) and not any(
            item.get_closest_marker(name) for name in _SOCKET_MARKERS
        ):
            item.add_marker(pytest.mark.allow_hosts(_LOOPBACK))
