"""A paced MashaGPT on loopback for `capacity.py`: asyncio streams, chunked SSE, one core.

Run as a script: pins itself to `--cpu`, prints its port, serves until its parent
exits. `POST /c{N}p{MS}/v1/chat/completions` answers with an SSE stream of a role
chunk, N text chunks one every MS milliseconds (on an absolute schedule, so a late
write does not push the next ones), a `finish_reason` chunk, a usage chunk with
energy (MashaGPT's shape), then `data: [DONE]`. The text of every timed chunk is
`time.monotonic()` at its write, with six decimals: the system-wide monotonic clock
is shared by every process, so the client takes arrival minus that as the delay.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time

ID, CREATED, MODEL = "chatcmpl-capacity000000000000000000", 1700000000, "gpt-4o-mini"
USAGE = {
    "prompt_tokens": 8,
    "completion_tokens": 200,
    "total_tokens": 208,
    "prompt_energy": 8,
    "completion_energy": 800,
    "total_energy": 808,
}
HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
    b"transfer-encoding: chunked\r\nx-request-id: req-capacity\r\n\r\n"
)
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"


def _event(data: object) -> bytes:
    return b"data: " + json.dumps(data, ensure_ascii=False).encode() + b"\n\n"


def _chunk(choices: list[object], **extra: object) -> bytes:
    head = {"id": ID, "object": "chat.completion.chunk", "created": CREATED, "model": MODEL}
    return _event({**head, "choices": choices, **extra})


ROLE = _chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
TEXT_HEAD, TEXT_TAIL = _chunk(
    [{"index": 0, "delta": {"content": "@@"}, "finish_reason": None}]
).split(b"@@")
END = (
    _chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}])
    + _chunk([], usage=USAGE)
    + b"data: [DONE]\n\n"
)


def _framed(data: bytes) -> bytes:
    """One HTTP/1.1 chunk."""
    return b"%x\r\n%s\r\n" % (len(data), data)


async def _answer(writer: asyncio.StreamWriter, n: int, period: float) -> None:
    writer.write(HEAD + _framed(ROLE))
    start = time.monotonic()
    for i in range(n):
        wait = start + i * period - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        stamp = b"%.6f" % time.monotonic()
        writer.write(_framed(TEXT_HEAD + stamp + TEXT_TAIL))
        await writer.drain()
    writer.write(_framed(END) + b"0\r\n\r\n")
    await writer.drain()


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = (await reader.readuntil(b"\r\n\r\n")).lower()
            size = 0
            if (at := head.find(b"content-length:")) >= 0:
                size = int(head[at + 15 : head.find(b"\r\n", at)])
            await reader.readexactly(size)
            first = head.find(b" ") + 1
            path = head[first : head.find(b"/v1", first)]
            if not path.startswith(b"/c") or b"p" not in path:
                writer.write(NOT_FOUND)
                continue
            n, ms = path[2:].split(b"p")
            await _answer(writer, int(n), int(ms) / 1000)
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def serve() -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    parent = os.getppid()
    while os.getppid() == parent:  # noqa: ASYNC110 - polls the parent: ends with the benchmark
        await asyncio.sleep(1)
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cpu", type=int, default=0)
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(serve())
    sys.exit(0)


if __name__ == "__main__":
    main()
