"""The deadline and connection reuse over TLS, as the real API is reached (https).

The pooled clients' sockets end by the call's deadline (`_http.sockets`), the TLS
handshake included. The server's certificate is a self-signed one for
127.0.0.1 (`data/loopback-cert.pem`, valid to 2126), trusted through
`SSL_CERT_FILE`; each test uses a timeout of its own, so the shared client it
gets is built while that variable is set.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from langchain_mashagpt import ChatMashaGPT, errors
from langchain_mashagpt._http import drain as _drain
from tests.helpers import Runner
from tests.reliability.helpers import (
    HANG_GUARD,
    MODES,
    answer,
    await_until,
    busy_connections,
    pool,
)
from tests.reliability.hostile import DONE, Connection, Hostile, chunk, completion, event

DATA = Path(__file__).parent / "data"
TIMEOUT = 9.25
"""The read timeout of these tests' models: their own shared clients (see above)."""
Start = Callable[..., Hostile]


@pytest.fixture
def tls(monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """The server's TLS context; the client trusts its certificate."""
    monkeypatch.setenv("SSL_CERT_FILE", str(DATA / "loopback-cert.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(DATA / "loopback-cert.pem", DATA / "loopback-key.pem")
    return context


def model_on(server: Hostile, **kwargs: Any) -> ChatMashaGPT:
    return ChatMashaGPT(
        api_key="sk-hostile-test",
        base_url=server.base_url,
        timeout=TIMEOUT,
        max_retries=2,
        retry_backoff=0.01,
        **kwargs,
    )


RELEASE = threading.Event()
"""Set by a test once its answer is back; a stream's body ends only then."""


def hello(conn: Connection) -> None:
    """Hello world on a kept-alive connection; a stream's body ends once `RELEASE` is set
    (at most `HANG_GUARD` after `[DONE]`)."""
    keep = {"Connection": "keep-alive"}
    if conn.payload.get("stream"):
        conn.stream([event(chunk("Hello")), event(chunk(" world")), DONE], headers=keep)
        if RELEASE.wait(HANG_GUARD) and not conn.stop.is_set():
            conn.end_chunks()
        RELEASE.clear()
    else:
        conn.reply(200, completion(), headers=keep)


@pytest.mark.parametrize("mode", MODES)
async def test_answers_over_tls_reuse_one_connection(
    run: Runner, hostile: Start, tls: ssl.SSLContext, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_drain, "GRACE", HANG_GUARD)  # a slow test cannot outwait the drain
    server = hostile(hello, keep_alive=True, tls=tls)
    model = model_on(server)
    for _ in range(3):
        # The server ends the body only once the answer is back: it did not wait for the end.
        assert await answer(run, model, mode) == "Hello world"
        RELEASE.set()
        assert await await_until(
            lambda: not busy_connections(pool(run.is_async, TIMEOUT)), HANG_GUARD
        )
    assert server.base_url.startswith("https://")
    assert len(server.requests) == 3
    assert server.connections == 1


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_processing_forever_over_tls_is_stopped_by_the_deadline(
    run: Runner, hostile: Start, tls: ssl.SSLContext, mode: str
) -> None:
    def handle(conn: Connection) -> None:
        while not conn.wait(0.1):
            conn.send(b"HTTP/1.1 102 Processing\r\n\r\n")

    started = time.monotonic()
    with pytest.raises(errors.DeadlineExceededError, match=r"deadline of 1 s"):
        await answer(run, model_on(hostile(handle, tls=tls), deadline=1.0), mode)
    # Not before the deadline; the upper bound only guards a hang (the server never answers).
    assert 0.95 < time.monotonic() - started < HANG_GUARD


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_a_tls_handshake_that_never_ends_is_stopped_by_the_deadline(
    run: Runner, hostile: Start, mode: str
) -> None:
    """A server that takes the connection and never answers the client's hello."""
    server = hostile(lambda conn: None)  # plain TCP: the hello is read as a request head
    url = server.base_url.replace("http://", "https://")
    model = ChatMashaGPT(
        api_key="sk-hostile-test", base_url=url, timeout=TIMEOUT, deadline=1.0, retry_backoff=0.01
    )
    started = time.monotonic()
    with pytest.raises(errors.DeadlineExceededError, match=r"deadline of 1 s"):
        await answer(run, model, mode)
    # Not before the deadline; the upper bound only guards a hang (the server never answers).
    assert 0.95 < time.monotonic() - started < HANG_GUARD
