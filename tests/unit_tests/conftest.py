"""Fixtures of the unit tests: `server` (a MockTransport server) and `run` (sync | async)."""

from __future__ import annotations

import pytest

from tests.helpers import MockServer


@pytest.fixture
def server() -> MockServer:
    return MockServer()
