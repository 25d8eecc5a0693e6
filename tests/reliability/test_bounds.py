"""Bounded work and memory, whatever a server on a real socket sends.

Sync and async, a plain request and a stream. The sizes here are scaled down
(the caps lowered to match) to keep `make test` quick; `make stress` runs the
full-size cases (`MASHAGPT_STRESS=1`), and `benchmarks/bounds.py` measures them.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from langchain_mashagpt import ChatMashaGPT, errors
from langchain_mashagpt._http import drain as _drain
from langchain_mashagpt._http.sockets import DEADLINE
from tests.helpers import Runner, record_waits
from tests.reliability.helpers import HANG_GUARD, answer, await_until, busy_connections, pool
from tests.reliability.hostile import (
    DONE,
    Connection,
    Handler,
    Hostile,
    chunk,
    completion,
    event,
    gzip_bomb,
)

BASIC = ["invoke", "stream"]
MB = 1024 * 1024
STRESS = os.environ.get("MASHAGPT_STRESS") == "1"
Start = Callable[..., Hostile]


def model_on(server: Hostile, **kwargs: Any) -> ChatMashaGPT:
    kwargs.setdefault("max_retries", 2)
    kwargs.setdefault("timeout", 5.0)
    kwargs.setdefault("retry_backoff", 0.01)
    return ChatMashaGPT(api_key="sk-hostile-test", base_url=server.base_url, **kwargs)


def answer_with(body: Callable[[Connection], None]) -> Handler:
    """A handler that answers a stream request with events and others with JSON."""

    def handle(conn: Connection) -> None:
        body(conn)

    return handle


def hello(conn: Connection) -> None:
    """Hello world, streamed or not, as the request asked."""
    if conn.payload.get("stream"):
        conn.stream([event(chunk("Hello")), event(chunk(" world")), DONE])
        conn.end_chunks()
    else:
        conn.reply(200, completion())


# ---------------------------------------------------------------- one long line


@pytest.mark.parametrize("size", [200 * MB] if STRESS else [3 * MB])
async def test_a_huge_event_line_is_refused_at_the_cap(
    run: Runner, hostile: Start, size: int
) -> None:
    def handle(conn: Connection) -> None:
        piece = b"x" * MB
        conn.stream([b'data: {"choices": "'] + [piece] * (size // MB))

    server = hostile(handle)
    cap = 100 * MB if STRESS else 1 * MB
    with pytest.raises(
        errors.APIResponseValidationError, match="line longer than the limit"
    ) as info:
        await answer(run, model_on(server, max_event_bytes=cap), "stream")
    assert f"limit of {cap} bytes" in str(info.value)
    assert len(server.requests) == 1  # a 2xx is never sent again


# ---------------------------------------------------------------- body caps


@pytest.mark.parametrize("mode", BASIC)
async def test_a_gzip_bomb_is_refused_at_the_cap_after_decompression(
    run: Runner, hostile: Start, mode: str
) -> None:
    size = 1024 * MB if STRESS else 12 * MB
    bomb = gzip_bomb(size)

    def handle(conn: Connection) -> None:
        kind = "text/event-stream" if conn.payload.get("stream") else "application/json"
        conn.reply(200, bomb, kind, headers={"Content-Encoding": "gzip"})

    server = hostile(handle)
    cap = 64 * MB if STRESS else 2 * MB
    with pytest.raises(errors.APIResponseValidationError, match="larger than the limit"):
        await answer(run, model_on(server, max_response_bytes=cap), mode)
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", BASIC)
async def test_a_gzipped_answer_within_the_cap_is_read(
    run: Runner, hostile: Start, mode: str
) -> None:
    import gzip
    import json

    def handle(conn: Connection) -> None:
        if conn.payload.get("stream"):
            body = event(chunk("Hello")) + event(chunk(" world")) + DONE
            kind = "text/event-stream"
        else:
            body, kind = json.dumps(completion()).encode(), "application/json"
        conn.reply(200, gzip.compress(body), kind, headers={"Content-Encoding": "gzip"})

    assert await answer(run, model_on(hostile(handle)), mode) == "Hello world"


@pytest.mark.parametrize("mode", BASIC)
async def test_endless_keep_alives_are_refused_at_the_cap(
    run: Runner, hostile: Start, mode: str
) -> None:
    def handle(conn: Connection) -> None:
        kind = "text/event-stream" if conn.payload.get("stream") else "application/json"
        conn.send(conn.head_of(200, {"Content-Type": kind, "Transfer-Encoding": "chunked"}))
        ping = b": keep-alive\n" * 4096
        while not conn.stop.is_set():
            conn.send(b"%x\r\n%s\r\n" % (len(ping), ping))

    server = hostile(handle)
    with pytest.raises(errors.APIResponseValidationError, match="larger than the limit"):
        await answer(run, model_on(server, max_response_bytes=MB), mode)


async def test_more_choices_than_asked_for_are_refused(run: Runner, hostile: Start) -> None:
    server = hostile(lambda conn: conn.reply(200, completion(choices=3000)))
    with pytest.raises(errors.APIResponseValidationError, match="3000 choice") as info:
        await answer(run, model_on(server), "invoke")
    assert len(str(info.value.body)) <= 2000


async def test_a_streamed_choice_beyond_n_is_refused(run: Runner, hostile: Start) -> None:
    extra = chunk("B")
    extra["choices"][0]["index"] = 7

    def handle(conn: Connection) -> None:
        conn.stream([event(chunk("A")), event(extra), DONE])
        conn.end_chunks()

    with pytest.raises(errors.APIResponseValidationError, match="choice index beyond the n=1"):
        await answer(run, model_on(hostile(handle)), "stream")


@pytest.mark.parametrize("mode", BASIC)
async def test_a_bad_body_is_kept_only_as_a_bounded_prefix(
    run: Runner, hostile: Start, mode: str
) -> None:
    junk = b"<html>" + b"x" * MB
    server = hostile(lambda conn: conn.reply(200, junk, "text/html"))
    with pytest.raises(errors.APIResponseValidationError) as info:
        await answer(run, model_on(server), mode)
    exc = info.value
    assert len(str(exc.body)) <= 2000
    assert len(str(exc)) <= 3000
    assert exc.__context__ is None
    assert exc.__cause__ is None


@pytest.mark.parametrize("mode", BASIC)
async def test_a_huge_server_message_is_cut_in_the_error_text(
    run: Runner, hostile: Start, mode: str
) -> None:
    message = "Bad request: " + "y" * MB
    server = hostile(lambda conn: conn.reply(400, {"error": {"message": message}}))
    with pytest.raises(errors.BadRequestError) as info:
        await answer(run, model_on(server), mode)
    text = str(info.value)
    assert text.startswith("MashaGPT answered HTTP 400: Bad request: yyy")
    assert len(text) < 3000


# ---------------------------------------------------------------- after [DONE]


def ends_late(seconds: float, after_done: bytes = b"") -> Handler:
    """Streams on a kept-alive connection whose body ends `seconds` after `[DONE]`."""

    def handle(conn: Connection) -> None:
        keep = {"Connection": "keep-alive"}
        conn.stream([event(chunk("Hello")), event(chunk(" world")), DONE], headers=keep)
        if after_done:
            conn.wait(0.05)
            conn.send(b"%x\r\n%s\r\n" % (len(after_done), after_done))
        if not conn.wait(seconds):
            conn.end_chunks()

    return handle


def ends_when(release: threading.Event) -> Handler:
    """Streams on a kept-alive connection whose body ends once the test sets `release`.

    An answer that comes back while the body is still open did not wait for its end: an
    event, not a guess of how long a busy machine takes to read three chunks.
    """

    def handle(conn: Connection) -> None:
        conn.stream([event(chunk("Hello")), event(chunk(" world")), DONE], headers=KEEP)
        if release.wait(HANG_GUARD) and not conn.stop.is_set():
            conn.end_chunks()
        release.clear()

    return handle


KEEP = {"Connection": "keep-alive"}
LONG = 3 * HANG_GUARD
"""A read timeout, or a body's end, that the test must never reach (ruled out by a wait)."""


@pytest.mark.parametrize("mode", ["stream", "streaming_invoke"])
async def test_a_body_left_open_after_done_does_not_hold_the_answer(
    run: Runner, hostile: Start, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy keeps the body open: the answer is back while it is open, the connection closed
    after the background drain's grace, never held for the read timeout.

    The grace is 2 s here, so the connection is surely still being drained when the answer is
    back, and the read timeout is longer than the wait for the close (`HANG_GUARD`).
    """
    monkeypatch.setattr(_drain, "GRACE", 2.0)
    server = hostile(ends_late(2 * LONG), keep_alive=True)
    assert await answer(run, model_on(server, timeout=LONG), mode) == "Hello world"
    clients = pool(run.is_async, timeout=LONG)
    assert busy_connections(clients)  # still being drained
    assert await await_until(lambda: not busy_connections(clients), HANG_GUARD)


@pytest.mark.parametrize("mode", ["stream", "streaming_invoke"])
async def test_a_body_that_ends_after_done_keeps_its_connection(
    run: Runner, hostile: Start, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The end of the body after `[DONE]` (a proxy's separate write): the answer does not wait
    for it (the server sends it only once the answer is back), and the connection still goes
    back to the pool and serves the next call (the drain's grace is raised past the wait, so a
    slow machine cannot make it give up)."""
    monkeypatch.setattr(_drain, "GRACE", LONG)
    release = threading.Event()
    server = hostile(ends_when(release), keep_alive=True)
    model = model_on(server, timeout=LONG)
    for _ in range(3):
        assert await answer(run, model, mode) == "Hello world"
        release.set()
        clients = pool(run.is_async, timeout=LONG)
        assert await await_until(lambda pooled=clients: not busy_connections(pooled), HANG_GUARD)
    assert len(server.requests) == 3
    assert server.connections == 1


@pytest.mark.parametrize("mode", ["stream", "streaming_invoke"])
async def test_junk_after_done_is_not_read_for_long(
    run: Runner, hostile: Start, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More than the drain reads (64 KiB) after `[DONE]`: it gives up and closes at once, not
    at the end of its grace (raised here past the wait for the close)."""
    monkeypatch.setattr(_drain, "GRACE", LONG)
    junk = b": " + b"x" * 100_000 + b"\n\n"
    server = hostile(ends_late(2 * LONG, after_done=junk), keep_alive=True)
    assert await answer(run, model_on(server, timeout=LONG), mode) == "Hello world"
    clients = pool(run.is_async, timeout=LONG)
    assert await await_until(lambda: not busy_connections(clients), HANG_GUARD)
    assert server.connections == 1


async def test_a_users_own_client_is_closed_at_once_after_done(run: Runner, hostile: Start) -> None:
    """Its sockets do not end by a deadline, so nothing waits in the background for it."""
    server = hostile(ends_late(0.2), keep_alive=True)
    own = (
        {"http_async_client": httpx.AsyncClient()}
        if run.is_async
        else {"http_client": httpx.Client()}
    )
    model = model_on(server, timeout=10, **own)
    try:
        for _ in range(2):
            assert await answer(run, model, "stream") == "Hello world"
    finally:
        client = next(iter(own.values()))
        await client.aclose() if run.is_async else client.close()
    assert server.connections == 2


# ---------------------------------------------------------------- the deadline


@pytest.mark.parametrize("mode", BASIC)
async def test_a_dripping_server_is_stopped_by_the_deadline(
    run: Runner, hostile: Start, mode: str
) -> None:
    def handle(conn: Connection) -> None:
        stream = conn.payload.get("stream")
        kind = "text/event-stream" if stream else "application/json"
        conn.send(conn.head_of(200, {"Content-Type": kind, "Transfer-Encoding": "chunked"}))
        while not conn.wait(0.1):
            conn.send(b"1\r\n:\r\n" if stream else b"1\r\n \r\n")

    started = time.monotonic()
    with pytest.raises(errors.DeadlineExceededError, match=r"deadline of 0\.6 s") as info:
        await answer(run, model_on(hostile(handle), deadline=0.6), mode)
    # Not before the deadline; the upper bound only guards a hang (the server drips forever).
    assert 0.55 < time.monotonic() - started < HANG_GUARD
    assert isinstance(info.value, errors.APITimeoutError)


@pytest.mark.parametrize("mode", BASIC)
async def test_the_deadline_covers_retries_and_waits(
    run: Runner, hostile: Start, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server's wait that would end past the deadline is not slept: the error comes now.

    Two short waits fit the deadline; the third answer's 60 s cannot, whatever the load (the
    deadline is 20 s), so the waits slept are counted, not timed.
    """
    served: list[None] = []

    def handle(conn: Connection) -> None:
        served.append(None)
        wait = "0.05" if len(served) < 3 else "60"
        conn.reply(503, {"error": {"message": "busy"}}, headers={"Retry-After": wait})

    waits = record_waits(monkeypatch)
    server = hostile(handle)
    with pytest.raises(
        errors.InternalServerError, match="more than is left of the call's deadline"
    ) as info:
        await answer(run, model_on(server, max_retries=10, deadline=20.0), mode)
    assert waits == [0.05, 0.05]  # not the 60 s into the end of the deadline
    assert info.value.retry_after == 60
    assert len(server.requests) == 3


async def test_a_per_call_deadline_wins_over_the_field(run: Runner, hostile: Start) -> None:
    """The server answers well after 60 s: only the call's own deadline can raise."""

    def handle(conn: Connection) -> None:
        if not conn.wait(LONG):
            hello(conn)

    model = model_on(hostile(handle), deadline=None, timeout=2 * LONG)
    with pytest.raises(errors.DeadlineExceededError, match=r"deadline of 0\.5 s"):
        await run.invoke(model, "Hi", deadline=0.5)


@pytest.mark.parametrize("mode", BASIC)
async def test_processing_forever_is_stopped_by_the_deadline(
    run: Runner, hostile: Start, mode: str
) -> None:
    """`102 Processing` every 0.1 s: each read succeeds, so only the deadline can end it."""

    def handle(conn: Connection) -> None:
        while not conn.wait(0.1):
            conn.send(b"HTTP/1.1 102 Processing\r\n\r\n")

    server = hostile(handle)
    started = time.monotonic()
    with pytest.raises(errors.DeadlineExceededError, match=r"deadline of 1 s"):
        await answer(run, model_on(server, deadline=1.0), mode)
    # Not before the deadline; the upper bound only guards a hang (the server never ends).
    assert 0.95 < time.monotonic() - started < HANG_GUARD
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", BASIC)
async def test_headers_dripped_forever_are_stopped_by_the_deadline(
    run: Runner, hostile: Start, mode: str
) -> None:
    """A status line, then one header byte every 0.1 s: no read ever times out."""

    def handle(conn: Connection) -> None:
        conn.send(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not conn.wait(0.1):
            conn.send(b"a")

    started = time.monotonic()
    with pytest.raises(errors.DeadlineExceededError, match=r"deadline of 1 s"):
        await answer(run, model_on(hostile(handle), deadline=1.0), mode)
    # Not before the deadline; the upper bound only guards a hang (the server never ends).
    assert 0.95 < time.monotonic() - started < HANG_GUARD


@pytest.mark.parametrize("mode", BASIC)
async def test_a_body_that_stalls_late_ends_at_the_deadline(
    run: Runner, hostile: Start, mode: str
) -> None:
    """Drips until 0.7 s, then silence: the read then under way ends at the deadline (1 s),
    not a read timeout later (here 60 s, past the hang guard)."""

    def handle(conn: Connection) -> None:
        stream = conn.payload.get("stream")
        kind = "text/event-stream" if stream else "application/json"
        conn.send(conn.head_of(200, {"Content-Type": kind, "Transfer-Encoding": "chunked"}))
        for _ in range(7):
            conn.wait(0.1)
            conn.send(b"1\r\n:\r\n" if stream else b"1\r\n \r\n")
        conn.wait(2 * LONG)

    started = time.monotonic()
    with pytest.raises(errors.DeadlineExceededError, match=r"deadline of 1 s"):
        await answer(run, model_on(hostile(handle), deadline=1.0, timeout=LONG), mode)
    # Not before the deadline; the read timeout (60 s) would end past the hang guard.
    assert 0.95 < time.monotonic() - started < HANG_GUARD


@pytest.mark.parametrize("mode", BASIC)
async def test_a_deadline_that_is_not_reached_changes_nothing(
    run: Runner, hostile: Start, mode: str
) -> None:
    assert await answer(run, model_on(hostile(hello), deadline=30), mode) == "Hello world"


async def test_the_deadline_never_reaches_the_code_between_chunks(hostile: Start) -> None:
    """The sockets' deadline is set around each read only, not while the caller runs."""
    model = model_on(hostile(hello), deadline=30)
    seen = [DEADLINE.get() for _ in model.stream("Hi")]
    seen += [DEADLINE.get() async for _ in model.astream("Hi")]
    assert len(seen) >= 4
    assert seen == [None] * len(seen)


def test_a_drain_under_way_when_the_loop_ends_leaves_nothing_behind(
    hostile: Start, caplog: pytest.LogCaptureFixture
) -> None:
    """`asyncio.run` ends while the background drain waits: cancelled and closed, silently."""
    server = hostile(ends_late(5.0), keep_alive=True)

    async def main() -> str:
        model = model_on(server, timeout=10)
        return "".join([c.text async for c in model.astream("Hi")])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert asyncio.run(main()) == "Hello world"
        gc.collect()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
