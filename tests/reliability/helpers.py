"""Helpers of the reliability tests: calls in every mode, and views of the connections."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt._http import transport as _transport
from langchain_mashagpt.testing import MashaGPTEmulator
from tests.helpers import Runner

MODES = ["invoke", "stream", "streaming_invoke"]
"""How an answer is asked for: a plain request, `stream`, and `invoke` with `streaming=True`."""


def chat(emu: MashaGPTEmulator, **kwargs: Any) -> ChatMashaGPT:
    """A model on the emulator, with the shared pooled clients (no client of its own)."""
    kwargs.setdefault("max_retries", 2)
    kwargs.setdefault("timeout", 5.0)
    kwargs.setdefault("retry_backoff", 0.01)
    return ChatMashaGPT(api_key=emu.api_key, base_url=emu.base_url, **kwargs)


async def answer(run: Runner, model: ChatMashaGPT, mode: str, prompt: Any = "Hello") -> str:
    """The text of one answer in `mode`; a stream is joined only once it ended well."""
    if mode == "invoke":
        return str((await run.invoke(model, prompt)).content)
    if mode == "stream":
        return "".join(c.text for c in await run.stream(model, prompt))
    return str((await run.invoke(model.model_copy(update={"streaming": True}), prompt)).content)


def is_stream(mode: str) -> bool:
    return mode != "invoke"


def pool(is_async: bool, timeout: float | None = 5.0) -> Any:
    """The connection pool of the shared client of this thread's loop (or the sync one)."""
    if is_async:
        client = _transport._ASYNC_CLIENTS[asyncio.get_running_loop()][timeout][0]
    else:
        client = _transport._SYNC_CLIENTS[timeout]
    return client._transport._pool


def busy_connections(connection_pool: Any) -> list[Any]:
    """Connections of a pool that are neither idle (reusable) nor closed."""
    return [c for c in connection_pool.connections if not (c.is_idle() or c.is_closed())]


_TCP = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
_ESTABLISHED = "01"


def open_server_sockets(port: int) -> int:
    """How many accepted sockets on loopback `port` are still open at both ends (Linux).

    The kernel's view, independent of the client and of the emulator's bookkeeping:
    a socket the client closed leaves ESTABLISHED at once.
    """
    count = 0
    for table in _TCP:
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == _ESTABLISHED:
                count += 1
    return count


HAS_PROC_NET = sys.platform.startswith("linux") and _TCP[0].exists()


HANG_GUARD = 20.0
"""Seconds a test waits for something that must happen (`await_until`, an `Event`).

Only a guard against a hang, never a speed requirement: what it waits for takes well under a
second even at load 8, and each test that uses it sets the wrong outcome it rules out (a read
timeout, a drain's grace) longer than this, so slowness can delay a test but not fail it.
"""


def wait_until(condition: Callable[[], bool], seconds: float = HANG_GUARD) -> bool:
    """Whether `condition` came true within `seconds` (polled every 10 ms): a hang guard."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


async def await_until(condition: Callable[[], bool], seconds: float = HANG_GUARD) -> bool:
    """Async twin of `wait_until`: the loop runs meanwhile."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True
