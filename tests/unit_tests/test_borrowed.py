"""What the package borrows from inside the HTTP libraries (`_http.borrowed`).

Each reach is tested twice: on the real objects of httpx and httpx2 (it finds
the thing: a release that renames an attribute fails here), and on a stand-in
without the attribute (it falls back, and never raises).
"""

from __future__ import annotations

import importlib
import importlib.util
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import httpcore
import httpx
import pytest

from langchain_mashagpt._http import borrowed
from langchain_mashagpt._http.reading import read_now

LIBRARIES = [pytest.param(httpx, httpcore, id="httpx")]
if importlib.util.find_spec("httpx2") is not None:  # absent only in `make compat-test`, which
    # tests/test_stack.py checks; `make test` asserts it is there, so both libraries are tested.
    LIBRARIES.append(
        pytest.param(
            importlib.import_module("httpx2"), importlib.import_module("httpcore2"), id="httpx2"
        )
    )


class _Answer(socketserver.StreamRequestHandler):
    """Answers every request with `hello` and its length, in one write."""

    def handle(self) -> None:
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")


@pytest.fixture
def uds(tmp_path: Path) -> Iterator[str]:
    """A Unix socket with an HTTP/1.1 server on it (unit tests may not open TCP sockets)."""
    path = str(tmp_path / "http.sock")
    server = socketserver.ThreadingUnixStreamServer(path, _Answer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(("library", "core"), LIBRARIES)
def test_transports_are_the_direct_one_and_the_mounted_ones(
    library: ModuleType, core: ModuleType
) -> None:
    with library.Client(proxy="http://127.0.0.1:9") as client:
        found = borrowed.transports(client)
        assert found == [client._transport, *client._mounts.values()]
        assert len(found) == 2
    with library.Client(mounts={"http://nowhere.invalid": None}) as client:
        assert borrowed.transports(client) == [client._transport, None]


@pytest.mark.parametrize(("library", "core"), LIBRARIES)
async def test_the_backend_and_its_library_are_found_and_replaced(
    library: ModuleType, core: ModuleType
) -> None:
    for client in (library.Client(), library.AsyncClient()):
        (transport,) = borrowed.transports(client)
        backend = borrowed.network_backend(transport)
        assert backend is transport._pool._network_backend
        assert backend is not None
        assert borrowed.timeout_errors(transport) is core
        replacement = object()
        assert borrowed.set_network_backend(transport, replacement) is True
        assert borrowed.network_backend(transport) is replacement
        if isinstance(client, library.AsyncClient):
            await client.aclose()
        else:
            client.close()


@pytest.mark.parametrize(("library", "core"), LIBRARIES)
def test_the_held_back_bytes_of_a_real_response_are_read(
    library: ModuleType, core: ModuleType, uds: str
) -> None:
    with (
        library.Client(transport=library.HTTPTransport(uds=uds)) as client,
        client.stream("GET", "http://local/") as response,
    ):
        held = borrowed.buffered_body(response)
        assert isinstance(held, bytes)
        assert b"hello".startswith(held)  # the body or its start, unless it came later
        assert response.read() == b"hello"
        assert borrowed.buffered_body(response) == b""


@pytest.mark.parametrize(("library", "core"), LIBRARIES)
async def test_the_held_back_bytes_of_a_real_async_response_are_read(
    library: ModuleType, core: ModuleType, uds: str
) -> None:
    async with (
        library.AsyncClient(transport=library.AsyncHTTPTransport(uds=uds)) as client,
        client.stream("GET", "http://local/") as response,
    ):
        held = borrowed.buffered_body(response)
        assert isinstance(held, bytes)
        assert b"hello".startswith(held)
        assert await response.aread() == b"hello"
        assert borrowed.buffered_body(response) == b""


class _Pool:
    """A pool with no network backend, defined where no timeout errors are."""


STAND_INS: list[Any] = [
    None,
    object(),
    SimpleNamespace(),
    SimpleNamespace(_pool=None),
    SimpleNamespace(_pool=_Pool()),
    SimpleNamespace(_transport=None),
    SimpleNamespace(_transport=SimpleNamespace(), _mounts=None),
]


@pytest.mark.parametrize("stand_in", STAND_INS)
def test_without_the_attributes_each_falls_back(stand_in: Any) -> None:
    assert borrowed.network_backend(stand_in) is None
    assert borrowed.set_network_backend(stand_in, object()) is False
    assert borrowed.timeout_errors(stand_in) is None
    assert borrowed.buffered_body(stand_in) is None


def test_a_client_without_transports_has_none() -> None:
    assert borrowed.transports(object()) == []
    direct = SimpleNamespace()
    assert borrowed.transports(SimpleNamespace(_transport=direct)) == [direct]


def test_a_mock_response_cannot_tell_so_reading_on_would_wait() -> None:
    response = httpx.Response(200, content=b"hello")
    assert borrowed.buffered_body(response) is None
    assert read_now(response) is False  # the safe answer: close rather than drain


@pytest.mark.parametrize(
    "state",
    [SimpleNamespace(), SimpleNamespace(trailing_data=()), SimpleNamespace(trailing_data=("x",))],
)
def test_an_h11_state_without_its_trailing_data_cannot_tell(state: Any) -> None:
    response = SimpleNamespace(stream=SimpleNamespace(_stream=SimpleNamespace(_h11_state=state)))
    assert borrowed.buffered_body(response) is None


def test_a_stand_in_chain_is_walked_to_its_h11_state() -> None:
    h11_state = SimpleNamespace(trailing_data=(b"0\r\n\r\n", False))
    connection = SimpleNamespace(_h11_state=h11_state)
    stream = SimpleNamespace(
        _stream=SimpleNamespace(_httpcore_stream=SimpleNamespace(_connection=connection))
    )
    assert borrowed.buffered_body(SimpleNamespace(stream=stream)) == b"0\r\n\r\n"
