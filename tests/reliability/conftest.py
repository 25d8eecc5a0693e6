"""Fixtures of the reliability tests: the real emulator over loopback, sync | async.

Every test here talks over real sockets through the real pooled httpx2 clients.
pytest-socket runs with `--disable-socket`: tests in this folder get
`allow_hosts(["127.0.0.1"])` (loopback only), also those that open their own
listening sockets rather than use the emulator fixture.
"""

from __future__ import annotations

import pytest

from tests.unit_tests.helpers import Runner


@pytest.fixture(autouse=True)
def _short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Computed backoff of 10 ms (not 0.5 s); a server's Retry-After is still honoured."""
    monkeypatch.setattr("langchain_mashagpt._retry.backoff", lambda attempt, initial: 0.01)


@pytest.fixture(params=["sync", "async"])
def run(request: pytest.FixtureRequest) -> Runner:
    return Runner(is_async=request.param == "async")
