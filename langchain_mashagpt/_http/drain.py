"""After `[DONE]`: the body read to its end without keeping the caller, so its connection is reused.

The answer is whole at `[DONE]`, and the caller is not kept waiting for anything
more. But the body's end (the chunked terminator a server or proxy writes a
moment after `[DONE]`) often arrives a little later, and a response closed
before its end closes its connection too, so the next call pays for a new one
(TCP, and TLS). So: what is already there is read at once; if the end is not
there yet, a pooled client's response is handed to a background drain (a
thread, or a task) that reads on for at most `GRACE` seconds and `MAX_BYTES`
bytes (each read cut by `_http.sockets`), then closes it: back into the pool if its
body ended, else with its connection. A user's own client has no sockets that
end by a deadline, so its response is closed at once, as before. Nothing here
raises; the drains keep no reference to the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncGenerator, Iterator

from langchain_mashagpt._http.deadline import ends_after
from langchain_mashagpt._http.protocols import Response
from langchain_mashagpt._http.reading import read_now
from langchain_mashagpt._http.sockets import within

__all__ = ["GRACE", "MAX_BYTES", "afinish", "finish"]

GRACE = 1.0
"""Seconds a background drain waits, in all, for the end of a finished stream's body."""
MAX_BYTES = 64 * 1024
"""Bytes a drain reads at most after `[DONE]` (there should be none but the end)."""
_NOW_READS = 2
"""Reads made at once, each only of bytes already there."""
_DRAINS: set[asyncio.Task[None]] = set()
"""The async drains under way (the loop holds its tasks only weakly)."""


def finish(
    response: Response, reads: Iterator[bytes], background: bool, errors: type[Exception]
) -> bool:
    """Read what is already there of a finished stream; hand the rest to a drain.

    Args:
        response: The response, its stream past `[DONE]`.
        reads: Its raw reads, under way (`_http.reading.raws`).
        background: Whether the rest may be drained in the background.
        errors: The client library's transport error (not raised).

    Returns:
        Whether the response was handed over: the drain closes it; else the
        caller does.
    """
    with contextlib.suppress(errors):
        for _ in range(_NOW_READS):
            if not read_now(response):
                if background:
                    drain = threading.Thread(
                        target=_drain, args=(reads, response), name="langchain-mashagpt-drain"
                    )
                    drain.daemon = True
                    drain.start()
                return background
            if next(reads, None) is None:
                break
    return False


@contextlib.contextmanager
def _grace() -> Iterator[None]:
    """Within the block, reads end by `GRACE`; an error ends the drain, quietly."""
    try:
        with within(ends_after(GRACE)):
            yield
    except Exception:  # noqa: S110 - the answer was whole; the connection is closed
        pass


class _Tally:
    """The bytes a drain has read, until more than `MAX_BYTES`."""

    __slots__ = ("read",)

    def __init__(self) -> None:
        self.read = 0

    def full(self, raw: bytes) -> bool:
        """Count `raw`; whether the drain has read enough now."""
        self.read += len(raw)
        return self.read > MAX_BYTES


def _drain(reads: Iterator[bytes], response: Response) -> None:
    try:
        with _grace():
            tally = _Tally()
            for raw in reads:
                if tally.full(raw):
                    break
    finally:
        with contextlib.suppress(Exception):
            response.close()


async def afinish(
    response: Response,
    reads: AsyncGenerator[bytes, None],
    background: bool,
    errors: type[Exception],
) -> bool:
    """Async twin of `finish`; the drain is a task."""
    with contextlib.suppress(errors):
        for _ in range(_NOW_READS):
            if not read_now(response):
                if background:
                    drain = asyncio.get_running_loop().create_task(_adrain(reads, response))
                    _DRAINS.add(drain)
                    drain.add_done_callback(_DRAINS.discard)
                return background
            if await anext(reads, None) is None:
                break
    return False


async def _adrain(reads: AsyncGenerator[bytes, None], response: Response) -> None:
    try:
        with _grace():
            tally = _Tally()
            async for raw in reads:
                if tally.full(raw):
                    break
    finally:
        with contextlib.suppress(Exception):
            await reads.aclose()
        with contextlib.suppress(Exception):
            await response.aclose()
