"""Fixtures of the reliability tests: the real emulator over loopback, sync | async.

Every test here talks over real sockets through the real pooled httpx2 clients.
pytest-socket runs with `--disable-socket`: tests in this folder get
`allow_hosts(["127.0.0.1"])` (loopback only), also those that open their own
listening sockets rather than use the emulator fixture. The models of these tests
are built with `retry_backoff=0.01` (a computed wait of 10 ms, not 0.5 s); a
server's `Retry-After` is still honoured.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.reliability.hostile import Handler, Hostile


@pytest.fixture
def hostile() -> Iterator[Callable[..., Hostile]]:
    """Start hostile servers on loopback (`hostile(handler)`); all closed after the test."""
    servers: list[Hostile] = []

    def start(handler: Handler, keep_alive: bool = False, tls: Any = None) -> Hostile:
        servers.append(Hostile(handler, keep_alive, tls))
        return servers[-1]

    yield start
    for server in servers:
        server.close()
