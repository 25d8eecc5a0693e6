"""Starting and stopping, async use, concurrency and thread safety."""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.emulator.helpers import Api, body, parse_sse


def _emulator_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "mashagpt-emulator")


def test_context_manager_starts_and_stops() -> None:
    before = _emulator_threads()
    with MashaGPTEmulator() as emu:
        assert emu.base_url == f"http://127.0.0.1:{emu.port}/v1"
        assert Api(emu).post().status == 200
        assert _emulator_threads() == before + 1
        port = emu.port
    assert _emulator_threads() == before
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.port


def test_explicit_start_and_stop() -> None:
    emu = MashaGPTEmulator()
    assert emu.start() is emu
    try:
        with pytest.raises(RuntimeError, match="already running"):
            emu.start()
        assert Api(emu).post().status == 200
    finally:
        emu.stop()
    emu.stop()  # idempotent
    emu.start()  # restartable
    try:
        assert Api(emu).post().status == 200
    finally:
        emu.stop()


def test_busy_port_raises_oserror(server: MashaGPTEmulator) -> None:
    with pytest.raises(OSError, match="in use"):
        MashaGPTEmulator(port=server.port).start()


def test_stop_with_open_connections() -> None:
    """Stalled streams and idle keep-alive connections do not block stop()."""
    emu = MashaGPTEmulator().start()
    emu.enqueue(Reply.stream_stall(1))
    data = json.dumps(body(stream=True)).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nAuthorization: Bearer {emu.api_key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    ).encode()
    stalled = socket.create_connection((emu.host, emu.port), timeout=10)
    idle = socket.create_connection((emu.host, emu.port), timeout=10)
    try:
        stalled.sendall(head + data)
        assert stalled.recv(12) == b"HTTP/1.1 200"
        emu.stop()
        received = b""
        while piece := stalled.recv(65536):  # the server closed it
            received += piece
        assert idle.recv(10) == b""
    finally:
        stalled.close()
        idle.close()


def test_stop_right_after_connections_arrive() -> None:
    """No socket leaks when stop() races with connections being accepted."""
    for _ in range(10):
        emu = MashaGPTEmulator().start()
        sockets = [socket.create_connection((emu.host, emu.port), timeout=10) for _ in range(3)]
        emu.stop()
        for sock in sockets:
            sock.close()
    gc.collect()  # a leaked transport would warn (ResourceWarning -> error) here


async def test_async_context_manager_and_concurrent_streams() -> None:
    async with MashaGPTEmulator() as emu:
        data = json.dumps(body(stream=True, stream_options={"include_usage": True})).encode()
        head = (
            f"POST /v1/chat/completions HTTP/1.1\r\nAuthorization: Bearer {emu.api_key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()

        async def one() -> bytes:
            reader, writer = await asyncio.open_connection(emu.host, emu.port)
            try:
                writer.write(head + data)
                return await reader.read()
            finally:
                writer.close()
                await writer.wait_closed()

        answers = await asyncio.gather(*(one() for _ in range(200)))
        assert all(a.startswith(b"HTTP/1.1 200 OK") for a in answers)
        assert all(a.endswith(b"data: [DONE]\n\n\r\n0\r\n\r\n") for a in answers)
        assert len(emu.requests) == 200


def test_requests_are_recorded_thread_safely(emu: MashaGPTEmulator, api: Api) -> None:
    def send(index: int) -> str:
        answer = api.post(user=f"user-{index}")
        assert answer.status == 200
        identifier: str = answer.json()["id"]
        return identifier

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(send, range(64)))
    assert len(set(ids)) == 64
    recorded = emu.requests
    assert sorted(r.body["user"] for r in recorded) == sorted(f"user-{i}" for i in range(64))
    assert all(r.method == "POST" and r.path == "/v1/chat/completions" for r in recorded)
    assert all(r.headers["authorization"] == f"Bearer {emu.api_key}" for r in recorded)


def test_recorded_request_fields(emu: MashaGPTEmulator, api: Api) -> None:
    api.request(body(stream=True), headers={"X-Custom": "yes"})
    request = emu.last_request
    assert request.body == body(stream=True)
    assert json.loads(request.raw_body) == request.body
    assert request.headers["x-custom"] == "yes"
    assert request.headers["content-type"] == "application/json"


def test_chunk_delay_streams_slowly_but_completely() -> None:
    with MashaGPTEmulator(chunk_delay=0.001) as emu:
        assert (
            parse_sse(Api(emu).post(stream=True).body).text() == "Hello! How can I help you today?"
        )
