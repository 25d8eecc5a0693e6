"""The `run` fixture (sync | async) of every folder, and loopback for those that talk over sockets.

pytest-socket runs with `--disable-socket`. Tests under `emulator/`,
`reliability/`, `check/` and `frameworks/` talk to the bundled emulator (or sockets
of their own) on 127.0.0.1, so each gets `allow_hosts(["127.0.0.1"])` — loopback only, never a
blanket `enable_socket`. Unit and cassette tests keep sockets disabled.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from langchain_mashagpt.testing.pytest_plugin import uses_pytest_socket
from tests.helpers import Runner

_LOOPBACK_DIRS = tuple(
    Path(__file__).parent / name for name in ("emulator", "reliability", "check", "frameworks")
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not uses_pytest_socket(config):
        return
    for item in items:
        in_loopback_dir = any(d in item.path.parents for d in _LOOPBACK_DIRS)
        if in_loopback_dir and not item.get_closest_marker("allow_hosts"):
            item.add_marker(pytest.mark.allow_hosts(["127.0.0.1"]))


@pytest.fixture(params=["sync", "async"])
def run(request: pytest.FixtureRequest) -> Runner:
    """Runs a runnable the sync or the async way: one test covers both."""
    return Runner(is_async=request.param == "async")
