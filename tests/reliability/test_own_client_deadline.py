"""The deadline holds on a client of your own too, against a server whose every read succeeds.

A sync `http_client` of the user's was used as given, so `102 Processing` every 0.1 s,
or headers dripped a byte at a time, kept its reads within its timeout and the call
ran far past its `deadline`. The send now waits no longer than the deadline (in a
thread of its own; the async twin was already bounded by `wait_for`).
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from langchain_mashagpt import ChatMashaGPT, errors
from langchain_mashagpt._http.own_client import WORKER
from tests.helpers import Runner
from tests.reliability.helpers import answer, busy_connections, wait_until
from tests.reliability.hostile import Connection, Hostile, completion

Start = Callable[..., Hostile]
DRIP_FOR = 20.0
"""How long the server keeps every read succeeding: far beyond the 0.5 s deadline."""


def processing(conn: Connection, ended: threading.Event) -> None:
    for _ in range(int(DRIP_FOR / 0.1)):
        if conn.wait(0.1):
            return
        conn.send(b"HTTP/1.1 102 Processing\r\n\r\n")
    conn.reply(200, completion())
    ended.set()


def dripped_headers(conn: Connection, ended: threading.Event) -> None:
    conn.send(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    for _ in range(int(DRIP_FOR / 0.1)):
        if conn.wait(0.1):
            return
        conn.send(b"a")
    ended.set()


@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize("server_does", [processing, dripped_headers], ids=["102", "drip"])
async def test_your_own_client_is_held_to_the_deadline(
    run: Runner, hostile: Start, mode: str, server_does: Callable[..., None]
) -> None:
    ended = threading.Event()
    server = hostile(lambda conn: server_does(conn, ended))
    own: dict[str, Any] = (
        {"http_async_client": httpx.AsyncClient(timeout=5.0)}
        if run.is_async
        else {"http_client": httpx.Client(timeout=5.0)}
    )
    model = ChatMashaGPT(
        api_key="sk-hostile-test", base_url=server.base_url, max_retries=0, deadline=0.5, **own
    )
    try:
        with pytest.raises(errors.DeadlineExceededError, match=r"deadline of 0\.5 s") as info:
            await answer(run, model, mode)
        # Ended by the deadline, while the server still had every read succeeding.
        assert not ended.is_set()
        if not run.is_async:
            assert "Your own http_client was still waiting for the status line" in str(info.value)
        assert info.value.__cause__ is None
        assert info.value.__context__ is None
    finally:
        client = next(iter(own.values()))
        server.close()  # ends the request left in the background
        if run.is_async:
            await client.aclose()
        else:
            # The request left behind ends with the server, its connection released.
            pool = client._transport._pool
            assert wait_until(lambda: busy_connections(pool) == [])
            client.close()


async def test_your_own_client_within_the_deadline_answers_and_raises_as_before(
    run: Runner, hostile: Start
) -> None:
    def handle(conn: Connection) -> None:
        if len(server.requests) > 1:
            conn.reply(200, completion("Fine"))
        else:
            conn.reply(503, {"error": {"message": "busy"}})

    server = hostile(lambda conn: handle(conn))
    own: dict[str, Any] = (
        {"http_async_client": httpx.AsyncClient(timeout=5.0)}
        if run.is_async
        else {"http_client": httpx.Client(timeout=5.0)}
    )
    model = ChatMashaGPT(
        api_key="sk-hostile-test", base_url=server.base_url, retry_backoff=0, deadline=30, **own
    )
    assert (await run.invoke(model, "Hi")).content == "Fine"
    unlimited = model.model_copy(update={"deadline": None})
    assert (await run.invoke(unlimited, "Hi")).content == "Fine"
    for _ in range(20):  # sender threads are reused, not one started per call
        assert (await run.invoke(model, "Hi")).content == "Fine"
    assert sum(t.name == WORKER for t in threading.enumerate()) <= 8
    refused = ChatMashaGPT(
        api_key="sk-hostile-test",
        base_url="http://127.0.0.1:9/v1",
        max_retries=0,
        deadline=30,
        **own,
    )
    with pytest.raises(errors.APIConnectionError, match="Could not talk to MashaGPT"):
        await run.invoke(refused, "Hi")


def test_a_forked_child_sends_through_threads_of_its_own(hostile: Start) -> None:
    """The parent's idle sender threads do not exist in a forked child: it starts its own."""
    server = hostile(lambda conn: conn.reply(200, completion("Fine")))

    def ask() -> str:
        with httpx.Client(timeout=5.0) as client:
            model = ChatMashaGPT(
                api_key="sk-hostile-test", base_url=server.base_url, http_client=client
            )
            return str(model.invoke("Hi", deadline=5).content)

    assert ask() == "Fine"  # the parent now has an idle sender
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads running
        pid = os.fork()
    if pid == 0:  # the child
        try:
            os.write(write, ask().encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read()
    os.waitpid(pid, 0)
    assert said == b"Fine"
