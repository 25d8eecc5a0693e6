"""The deadline at the socket (`_http.sockets`): timeouts cut by the running call's deadline.

What a misbehaving server does to a real call is tested in
`tests/reliability/test_bounds.py`; here, the pieces, with no socket.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

import pytest

from langchain_mashagpt._http import pool as _pool
from langchain_mashagpt._http.sockets import DEADLINE, _cut, bound_sockets, within

core = importlib.import_module("httpcore2" if _pool.httpx.__name__ == "httpx2" else "httpcore")
"""The core of the library the pooled clients use (httpx2's, or httpx's in `make compat-test`)."""


def backends(client: Any) -> list[Any]:
    transports = [client._transport, *client._mounts.values()]
    return [t._pool._network_backend for t in transports]


def test_outside_a_call_timeouts_pass_through() -> None:
    assert DEADLINE.get() is None
    assert _cut(5.0, core.ReadTimeout) == 5.0
    assert _cut(None, core.ReadTimeout) is None


def test_within_a_call_a_timeout_is_cut_to_what_is_left() -> None:
    with within(time.monotonic() + 30.0):
        cut = _cut(60.0, core.ReadTimeout)
        assert cut is not None
        assert 20.0 < cut <= 30.0  # what is left (10 s of slack for a busy machine), not 60 s
        no_timeout = _cut(None, core.ReadTimeout)
        assert no_timeout is not None
        assert 20.0 < no_timeout <= 30.0
        assert _cut(0.5, core.ReadTimeout) == 0.5  # a shorter timeout stays
    assert DEADLINE.get() is None  # reset on the way out


def test_a_call_with_no_deadline_cuts_nothing() -> None:
    with within(None):
        assert _cut(60.0, core.ReadTimeout) == 60.0


@pytest.mark.parametrize("error", [core.ReadTimeout, core.ConnectTimeout])
def test_a_passed_deadline_times_out_before_waiting(error: type[Exception]) -> None:
    with within(time.monotonic() - 0.001), pytest.raises(error, match="deadline has passed"):
        _cut(60.0, error)


class Recorder:
    """A network stream or backend that records the timeouts it is given."""

    def __init__(self) -> None:
        self.timeouts: list[float | None] = []

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.timeouts.append(timeout)
        return b"x"

    def connect_tcp(self, host: str, port: int, **kwargs: Any) -> Recorder:
        self.timeouts.append(kwargs["timeout"])
        return self


def test_the_pooled_clients_connect_and_read_by_the_deadline() -> None:
    client = _pool.httpx.Client(timeout=30.0, proxy="http://127.0.0.1:9")
    try:
        bound_sockets(client)
        bound = backends(client)
        assert len(bound) == 2  # the direct transport and the proxy's
        recorder = Recorder()
        bound[0]._backend = recorder
        stream = bound[0].connect_tcp("example.invalid", 443, timeout=30.0)
        assert stream.read(10, timeout=30.0) == b"x"
        with within(time.monotonic() + 1.0):
            stream = bound[0].connect_tcp("example.invalid", 443, timeout=30.0)
            stream.read(10, timeout=30.0)
        assert recorder.timeouts[:2] == [30.0, 30.0]
        assert all(t is not None and 0.9 < t <= 1.0 for t in recorder.timeouts[2:])
        bound_sockets(client)  # twice: wrapped once
        assert backends(client) == bound
    finally:
        client.close()


async def test_the_pooled_async_client_bounds_its_sockets() -> None:
    client = await _pool.shared_async_client(7.0)
    (backend,) = backends(client)
    assert type(backend).__name__ == "_AsyncBackend"
    assert type(backends(_pool.shared_client(7.0))[0]).__name__ == "_Backend"
