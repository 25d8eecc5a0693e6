"""Stopping a stream early closes its connection; nothing leaks, nothing is logged.

The connections are observed where they end: the kernel's socket table for the
emulator's port (an accepted socket leaves ESTABLISHED once the client closes it)
and the client pool's own connections. Each test that counts sockets runs its own
emulator, so no other test's idle keep-alive connection is counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from langchain_mashagpt import ChatMashaGPT, errors
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.helpers import Runner
from tests.reliability.helpers import (
    HAS_PROC_NET,
    await_until,
    busy_connections,
    open_server_sockets,
    pool,
    wait_until,
)

pytestmark = pytest.mark.skipif(not HAS_PROC_NET, reason="reads Linux's /proc/net/tcp")

LONG = " ".join(f"word{i}" for i in range(40))


@pytest.fixture
def own_emulator() -> Iterator[MashaGPTEmulator]:
    with MashaGPTEmulator() as emulator:
        yield emulator


def model_for(emu: MashaGPTEmulator) -> ChatMashaGPT:
    return ChatMashaGPT(api_key=emu.api_key, base_url=emu.base_url, timeout=5.0, max_retries=0)


# The server holds each of these streams open until the client leaves: only the
# client closing its connection frees the server's socket.
def stalled(emu: MashaGPTEmulator) -> None:
    emu.enqueue(Reply.stream_stall(4, content=LONG))


async def test_cancelling_an_astream_task_closes_its_connection(
    own_emulator: MashaGPTEmulator,
) -> None:
    stalled(own_emulator)
    model = model_for(own_emulator)
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in model.astream("Hello"):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 5)
    assert open_server_sockets(own_emulator.port) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await await_until(lambda: open_server_sockets(own_emulator.port) == 0)
    assert busy_connections(pool(is_async=True)) == []


@pytest.mark.parametrize("how", ["break", "raise", "aclose"])
async def test_an_async_consumer_that_stops_early_closes_the_connection(
    own_emulator: MashaGPTEmulator, how: str
) -> None:
    stalled(own_emulator)
    stream = model_for(own_emulator).astream("Hello")
    try:
        async for _ in stream:
            assert open_server_sockets(own_emulator.port) == 1
            if how == "break":
                break
            if how == "raise":
                raise KeyError("the consumer fails")
            await stream.aclose()
    except KeyError:
        pass
    del stream
    assert await await_until(lambda: open_server_sockets(own_emulator.port) == 0)
    assert busy_connections(pool(is_async=True)) == []


@pytest.mark.parametrize("how", ["break", "raise", "close"])
def test_a_sync_consumer_that_stops_early_closes_the_connection(
    own_emulator: MashaGPTEmulator, how: str
) -> None:
    stalled(own_emulator)
    stream = model_for(own_emulator).stream("Hello")
    try:
        for _ in stream:
            assert open_server_sockets(own_emulator.port) == 1
            if how == "break":
                break
            if how == "raise":
                raise KeyError("the consumer fails")
            stream.close()
    except KeyError:
        pass
    del stream
    assert wait_until(lambda: open_server_sockets(own_emulator.port) == 0)
    assert busy_connections(pool(is_async=False)) == []


async def test_finished_streams_reuse_one_connection(
    run: Runner, own_emulator: MashaGPTEmulator
) -> None:
    """The body is read to its end after `[DONE]`, so the connection goes back to the pool."""
    model = model_for(own_emulator)
    for _ in range(5):
        assert "".join(c.text for c in await run.stream(model, "Hello"))
        assert busy_connections(pool(is_async=run.is_async)) == []
        assert open_server_sockets(own_emulator.port) == 1  # the same idle keep-alive one


# ---------------------------------------------------------------- loop teardown

# What each scenario leaves behind when its event loop closes. "held" is the one
# the emulator engineer reported: a test failed (an exception) while a half-read
# stream was still referenced, so asyncio's `shutdown_asyncgens` had to close it
# and logged "an error occurred during closing of asynchronous generator
# Transport.astream ... generator didn't stop after athrow()".


async def _held(model: ChatMashaGPT, emu: MashaGPTEmulator, keep: list[Any]) -> None:
    stream = model.astream("Hello")
    keep.append(stream)  # as a failed test's traceback keeps its frame's locals
    await stream.__anext__()
    raise ValueError("the test fails while the stream is open")


async def _break(model: ChatMashaGPT, emu: MashaGPTEmulator, keep: list[Any]) -> None:
    async for _ in model.astream("Hello"):
        break


async def _raise(model: ChatMashaGPT, emu: MashaGPTEmulator, keep: list[Any]) -> None:
    async for _ in model.astream("Hello"):
        raise ValueError("the consumer fails")


async def _cancel(model: ChatMashaGPT, emu: MashaGPTEmulator, keep: list[Any]) -> None:
    emu.enqueue(Reply.stream_stall(3))
    task = asyncio.create_task(_break(model, emu, keep))
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _cut(model: ChatMashaGPT, emu: MashaGPTEmulator, keep: list[Any]) -> None:
    emu.enqueue(Reply.stream_cut(3))
    async for _ in model.astream("Hello"):
        pass


async def _left_running(model: ChatMashaGPT, emu: MashaGPTEmulator, keep: list[Any]) -> None:
    """A consumer task still reading when the loop is shut down."""
    emu.enqueue(Reply.stream_stall(3, content=LONG))

    async def consume() -> None:
        async for _ in model.astream("Hello"):
            pass

    keep.append(asyncio.create_task(consume()))
    await asyncio.sleep(0.05)


@pytest.mark.parametrize(
    "scenario", [_held, _break, _raise, _cancel, _cut, _left_running], ids=lambda f: f.__name__
)
def test_closing_the_loop_after_a_stream_logs_no_error(
    own_emulator: MashaGPTEmulator, scenario: Any, caplog: pytest.LogCaptureFixture
) -> None:
    model = model_for(own_emulator)
    keep: list[Any] = []
    reported: list[dict[str, Any]] = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _, ctx: reported.append(ctx))
        await scenario(model, own_emulator, keep)

    caplog.set_level(logging.DEBUG, logger="asyncio")
    for _ in range(3):  # the order in which asyncio closes generators varies
        with contextlib.suppress(ValueError, errors.MashaGPTError):
            asyncio.run(main())
        assert reported == [], [ctx.get("message") for ctx in reported]
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        keep.clear()
    assert wait_until(lambda: open_server_sockets(own_emulator.port) == 0)


# ---------------------------------------------------------------- ResourceWarning

_SCRIPT = """
import asyncio, gc
from langchain_mashagpt import ChatMashaGPT, errors
from langchain_mashagpt.testing import MashaGPTEmulator, Reply

with MashaGPTEmulator() as emu:
    model = ChatMashaGPT(
        api_key=emu.api_key, base_url=emu.base_url, max_retries=1, retry_backoff=0.01
    )
    model.invoke("Hello")
    "".join(c.text for c in model.stream("Hello"))
    for _ in model.stream("Hello"):
        break
    emu.enqueue(Reply.stream_cut(2), Reply.http_error(500), Reply.http_error(500))
    for call in (lambda: list(model.stream("Hello")), lambda: model.invoke("Hello")):
        try:
            call()
        except Exception:
            pass

    async def main():
        await model.ainvoke("Hello")
        [c async for c in model.astream("Hello")]
        async for _ in model.astream("Hello"):
            break
        emu.enqueue(Reply.stream_error(2))
        try:
            [c async for c in model.astream("Hello")]
        except Exception:
            pass

    asyncio.run(main())
    gc.collect()
print("done")
"""


def test_no_resource_warning_in_a_whole_program() -> None:
    """Sync and async calls, early stops and errors, then exit: no socket left unclosed.

    Run in a fresh interpreter with `-X dev -W error::ResourceWarning`, because the
    process-wide sync client is only closed at exit (an unclosed socket shows then).
    """
    result = subprocess.run(
        [
            sys.executable,
            "-X",
            "dev",
            "-W",
            "error::ResourceWarning",
            "-c",
            textwrap.dedent(_SCRIPT),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done"
    assert "ResourceWarning" not in result.stderr, result.stderr
    assert "Exception ignored" not in result.stderr, result.stderr


async def test_no_resource_warning_in_this_process(mashagpt_emulator: MashaGPTEmulator) -> None:
    model = model_for(mashagpt_emulator)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        for _ in range(3):
            [c async for c in model.astream("Hello")]
            async for _ in model.astream("Hello"):
                break
        gc.collect()
        assert await await_until(lambda: busy_connections(pool(is_async=True)) == [])
