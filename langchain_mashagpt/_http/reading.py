"""Reading a response's body: its raw reads, and whether reading on would wait.

Duck-typed over the responses of httpx and httpx2; decoding and caps are in
`_http.body`, the decisions in `_http.transport`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from typing import Any

from langchain_mashagpt._http import borrowed
from langchain_mashagpt._http.deadline import earlier
from langchain_mashagpt._http.protocols import Response
from langchain_mashagpt._http.sockets import DEADLINE

__all__ = ["araws", "encoding", "raws", "read_now"]


def encoding(response: Response) -> str:
    """The `Content-Encoding` still to undo (none once the client has read the body)."""
    return "" if response.is_stream_consumed else response.headers.get("content-encoding", "")


def raws(response: Response, ends: float | None = None) -> Iterator[bytes]:
    """The raw reads of a body, each ending by `ends` or an earlier deadline in force.

    The deadline is set around each read only (`_http.sockets.DEADLINE`), never
    while the caller runs. A body read already (a mock's) comes in one piece.
    """
    if response.is_stream_consumed:
        yield response.content
        return
    reads = response.iter_raw()
    get, set_, reset = DEADLINE.get, DEADLINE.set, DEADLINE.reset  # once: this runs per read
    while True:
        token = set_(earlier(ends, get()))
        try:
            raw = next(reads, None)
        finally:
            reset(token)
        if raw is None:
            return
        yield raw


async def araws(response: Response, ends: float | None = None) -> AsyncGenerator[bytes, None]:
    """Async twin of `raws`."""
    if response.is_stream_consumed:
        yield response.content
        return
    reads = response.aiter_raw()
    get, set_, reset = DEADLINE.get, DEADLINE.set, DEADLINE.reset
    while True:
        token = set_(earlier(ends, get()))
        try:
            raw = await anext(reads, None)
        finally:
            reset(token)
        if raw is None:
            return
        yield raw


def read_now(response: Any) -> bool:
    """Whether reading on would not wait: bytes in the socket, or the body's end parsed in.

    After `[DONE]` the body normally ends at once; reading it to its end returns
    the connection to the pool. A proxy that keeps the body open must not hold
    the finished answer: then the response is closed instead. What h11 holds
    back is read through `_http.borrowed`; when that cannot tell, the answer is
    "it would wait".
    """
    network = response.extensions.get("network_stream")
    if network is not None and network.get_extra_info("is_readable"):
        return True
    buffered = borrowed.buffered_body(response)
    if buffered is None:  # cannot tell: the safe answer
        return False
    length = response.headers.get("content-length")
    if length is not None and length.isdigit():
        return bool(int(length) - response.num_bytes_downloaded <= len(buffered))
    return buffered.startswith(b"0\r\n") or b"\n0\r\n" in buffered
