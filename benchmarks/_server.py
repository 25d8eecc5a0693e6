"""A canned MashaGPT on loopback: asyncio `Protocol`, HTTP/1.1 keep-alive, pre-encoded answers.

Run as a script: prints its port, serves until its parent exits or `--lifetime`
seconds pass, whichever comes first. Routes by the path prefix (the `base_url`):

- `/plain/v1/chat/completions`: a `chat.completion` JSON answer;
- `/s{N}/v1/chat/completions`: an SSE stream of N `chat.completion.chunk` events
  (role, N-3 text pieces, `finish_reason`, a usage chunk), then `data: [DONE]`.

Each answer is built once; a request costs a header scan and one `write`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

ID, CREATED, MODEL = "chatcmpl-bench0000000000000000000000", 1700000000, "gpt-4o-mini"
USAGE = {
    "prompt_tokens": 8,
    "completion_tokens": 9,
    "total_tokens": 17,
    "prompt_energy": 8,
    "completion_energy": 43,
    "total_energy": 51,
}


def _http(body: bytes, content_type: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: "
        + content_type
        + b"\r\ncontent-length: "
        + str(len(body)).encode()
        + b"\r\nx-request-id: req-bench\r\n\r\n"
        + body
    )


def completion() -> bytes:
    body = {
        "id": ID,
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Париж — столица Франции."},
                "finish_reason": "stop",
            }
        ],
        "usage": USAGE,
    }
    return _http(json.dumps(body, ensure_ascii=False).encode(), b"application/json")


def sse(n: int) -> bytes:
    """N events: role, N-3 text pieces, finish_reason, usage; then [DONE]."""

    def chunk(choices: list[object], **extra: object) -> bytes:
        data = {
            "id": ID,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": MODEL,
            "choices": choices,
            **extra,
        }
        return b"data: " + json.dumps(data, ensure_ascii=False).encode() + b"\n\n"

    def choice(delta: dict[str, str], finish: str | None = None) -> list[object]:
        return [{"index": 0, "delta": delta, "finish_reason": finish}]

    events = [chunk(choice({"role": "assistant", "content": ""}))]
    words = ["слово ", "word ", "токен ", "token "]
    events += [chunk(choice({"content": words[i % 4]})) for i in range(max(n - 3, 0))]
    events.append(chunk(choice({}, "stop")))
    events.append(chunk([], usage=USAGE))
    return _http(b"".join(events) + b"data: [DONE]\n\n", b"text/event-stream")


NOT_FOUND = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"


class Canned(asyncio.Protocol):
    def __init__(self, answers: dict[bytes, bytes]) -> None:
        self.answers = answers
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data if self.buf else data
        while (end := buf.find(b"\r\n\r\n")) >= 0:
            head = buf[:end].lower()
            size = 0
            if (at := head.find(b"content-length:")) >= 0:
                stop = head.find(b"\r\n", at)
                size = int(head[at + 15 : stop if stop >= 0 else None])
            if len(buf) < end + 4 + size:
                break
            first = head.find(b" ") + 1
            path = head[first : head.find(b" ", first)]
            prefix = path[: path.find(b"/", 1)]
            self.transport.write(self.answers.get(prefix, NOT_FOUND))  # type: ignore[union-attr]
            buf = buf[end + 4 + size :]
        self.buf = buf


async def serve(sizes: list[int], lifetime: float) -> None:
    answers = {b"/plain": completion(), **{f"/s{n}".encode(): sse(n) for n in sizes}}
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Canned(answers), "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    parent = os.getppid()
    for _ in range(int(lifetime)):  # bounded: stops by itself
        await asyncio.sleep(1)
        if os.getppid() != parent:
            break
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="2000,10000,100000")
    parser.add_argument("--lifetime", type=float, default=900.0)
    args = parser.parse_args()
    asyncio.run(serve([int(s) for s in args.sizes.split(",")], args.lifetime))
    sys.exit(0)


if __name__ == "__main__":
    main()
