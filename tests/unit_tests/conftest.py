"""Fixtures of the unit tests: `server` (a MockTransport server) and `run` (sync | async)."""

from __future__ import annotations

import pytest

from tests.unit_tests.helpers import MockServer


@pytest.fixture
def server() -> MockServer:
    return MockServer()


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry waits of zero: the policy is tested on `_retry_delay` itself."""
    monkeypatch.setattr("langchain_mashagpt._retry.backoff", lambda *_: 0.0)
