"""The HTTP/1.1 side: one asyncio coroutine per connection, no framework.

`serve_connection(state, reader, writer)` reads requests in a keep-alive loop
(`Content-Length` or chunked bodies, `Expect: 100-continue`), records each one,
routes it (only `POST /v1/chat/completions`: 404 elsewhere, 405 for other
methods), checks `Authorization: Bearer <key>` (401), validates the body (400,
404 `model_not_found`), then answers with the next scripted `Reply` or the
rule-based model: JSON with `Content-Length`, or SSE with
`Transfer-Encoding: chunked`. A client that disconnects is let go quietly.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus

from langchain_mashagpt.testing._model import answer
from langchain_mashagpt.testing._render import (
    completion_body,
    dumps,
    finish,
    sse_event,
    stream_chunks,
    usage_chunk,
)
from langchain_mashagpt.testing._script import Reply
from langchain_mashagpt.testing._state import RecordedRequest, State
from langchain_mashagpt.testing._usage import make_usage, prompt_tokens
from langchain_mashagpt.testing._validate import ApiError, ChatRequest, decode_body, parse_request

__all__ = ["CHAT_PATH", "serve_connection"]

#: The only route of the API.
CHAT_PATH = "/v1/chat/completions"
_MAX_BODY = 32 * 1024 * 1024
_KEEP_ALIVE = b": keep-alive\n\n"
_DONE = b"data: [DONE]\n\n"


class _BadHttp(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class _Exchange:
    """One request being answered on a connection."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    request_id: str
    keep_alive: bool

    def head(self, status: int, headers: Mapping[str, str]) -> bytes:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        lines = [f"HTTP/1.1 {status} {phrase}", "Server: mashagpt-emulator"]
        lines.append(f"x-request-id: {self.request_id}")
        lines.append(f"Connection: {'keep-alive' if self.keep_alive else 'close'}")
        lines += [f"{name}: {value}" for name, value in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def send(
        self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> None:
        fields = {"Content-Type": content_type, "Content-Length": str(len(body)), **(headers or {})}
        self.writer.write(self.head(status, fields) + body)
        await self.writer.drain()

    async def send_json(
        self, status: int, value: object, headers: Mapping[str, str] | None = None
    ) -> None:
        await self.send(status, dumps(value).encode(), "application/json", headers)

    async def chunk(self, data: bytes, delay: float = 0.0) -> None:
        if delay:
            await asyncio.sleep(delay)
        self.writer.write(b"%x\r\n%s\r\n" % (len(data), data))
        await self.writer.drain()

    async def wait_for_client_to_leave(self) -> None:
        while await self.reader.read(65536):
            pass


async def serve_connection(
    state: State, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Serve one connection until either side closes it."""
    try:
        while True:
            try:
                request = await _read_request(reader, writer)
            except _BadHttp as exc:
                error = ApiError(exc.status, str(exc))
                exchange = _Exchange(reader, writer, "req_emu_bad", keep_alive=False)
                await exchange.send_json(exc.status, error.body())
                break
            if request is None or not await _respond(state, reader, writer, *request):
                break
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def _read_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> tuple[str, str, dict[str, str], bytes, bool] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise _BadHttp(400, "Incomplete HTTP request head.") from exc
        return None
    except asyncio.LimitOverrunError as exc:
        raise _BadHttp(431, "Request header fields too large.") from exc
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = request_line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadHttp(400, f"Malformed HTTP request line: {request_line!r}.")
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in filter(None, header_lines):
        name, colon, value = line.partition(":")
        if not colon:
            raise _BadHttp(400, f"Malformed HTTP header line: {line!r}.")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    connection = headers.get("connection", "").lower()
    keep_alive = "close" not in connection and (version == "HTTP/1.1" or "keep-alive" in connection)
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = await _read_body(reader, headers)
    return method, target, headers, body, keep_alive


async def _read_body(reader: asyncio.StreamReader, headers: Mapping[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        parts: list[bytes] = []
        total = 0
        while True:
            size_line = await reader.readuntil(b"\r\n")
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError as exc:
                raise _BadHttp(400, "Malformed chunked request body.") from exc
            total += size
            if total > _MAX_BODY:
                raise _BadHttp(413, "Request body too large.")
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return b"".join(parts)
            parts.append((await reader.readexactly(size + 2))[:-2])
    length = headers.get("content-length", "0")
    if not length.isdigit():
        raise _BadHttp(400, f"Malformed Content-Length: {length!r}.")
    if int(length) > _MAX_BODY:
        raise _BadHttp(413, "Request body too large.")
    return await reader.readexactly(int(length))


def _check_auth(headers: Mapping[str, str], api_key: str) -> None:
    value = headers.get("authorization")
    if value is None:
        raise ApiError(
            401,
            "You didn't provide an API key. Send it in an Authorization "
            "header using Bearer auth (Authorization: Bearer YOUR_KEY).",
            code="invalid_api_key",
        )
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or " " in token.strip():
        raise ApiError(
            401,
            "Malformed Authorization header: expected `Bearer <API key>`.",
            code="invalid_api_key",
        )
    token = token.strip()
    if token != api_key:
        masked = f"{token[:3]}***{token[-2:]}" if len(token) > 8 else "***"
        raise ApiError(
            401,
            f"Incorrect API key provided: {masked}.",
            code="invalid_api_key",
        )


async def _respond(
    state: State,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    method: str,
    target: str,
    headers: dict[str, str],
    raw: bytes,
    keep_alive: bool,
) -> bool:
    try:
        body, decode_error = decode_body(raw), None
    except ApiError as exc:
        body, decode_error = None, exc
    seq = state.record(RecordedRequest(method, target, headers, body, raw))
    exchange = _Exchange(reader, writer, f"req_emu_{seq}", keep_alive)
    try:
        if target.split("?", 1)[0] != CHAT_PATH:
            raise ApiError(
                404,
                f"Unknown URL {method} {target}: the MashaGPT API serves only POST {CHAT_PATH}.",
                code="unknown_url",
            )
        if method != "POST":
            raise ApiError(
                405,
                f"Method {method} is not allowed on {CHAT_PATH}: use POST.",
                code="method_not_allowed",
            )
        _check_auth(headers, state.api_key)
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            raise ApiError(
                400, "The request body must be JSON sent with `Content-Type: application/json`."
            )
        if decode_error is not None:
            raise decode_error
        chat = parse_request(body, state.known_models)
        state.deviations.check_request(body)
    except ApiError as exc:
        extra = {"Allow": "POST"} if exc.status == 405 else None
        await exchange.send_json(exc.status, state.deviations.error_body(exc), extra)
        return keep_alive
    reply = state.next_reply()
    if reply.delay:
        await asyncio.sleep(reply.delay)
    return await _answer(state, exchange, chat, reply, f"chatcmpl-emu{seq:020d}")


async def _answer(
    state: State, exchange: _Exchange, chat: ChatRequest, reply: Reply, ident: str
) -> bool:
    if reply.kind == "close_connection":
        return False
    if reply.kind in ("http_error", "error_body_200"):
        await exchange.send_json(reply.status, {"error": dict(reply.error or {})}, reply.headers)
        return exchange.keep_alive
    if reply.kind == "raw":
        await exchange.send(reply.status, reply.body or b"", reply.content_type, reply.headers)
        return exchange.keep_alive
    if reply.kind == "stream_error" and not chat.stream:
        await exchange.send_json(200, {"error": dict(reply.error or {})})
        return exchange.keep_alive
    output = reply.output
    outputs = answer(chat) if output is None else [output] * chat.n
    choices = finish(outputs, chat.stop, chat.max_tokens, reply.finish_reason)
    completion = sum(choice.tokens for choice in choices)
    usage = make_usage(chat.model, prompt_tokens(chat.messages, chat.functions), completion)
    created = int(time.time())
    if not chat.stream:
        body = dumps(completion_body(ident, created, chat.model, choices, usage)).encode()
        if reply.kind not in ("stream_cut", "stream_stall"):
            await exchange.send(200, body, "application/json")
            return exchange.keep_alive
        fields = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        partial = body[: len(body) // 2] if reply.kind == "stream_cut" else b""
        exchange.writer.write(exchange.head(200, fields) + partial)
        await exchange.writer.drain()
        if reply.kind == "stream_stall":
            await exchange.wait_for_client_to_leave()
        return False
    chunks = stream_chunks(ident, created, chat.model, choices)
    if chat.include_usage:
        chunks.append(usage_chunk(ident, created, chat.model, usage))
    events = [sse_event(chunk) for chunk in state.deviations.stream(chunks)]
    return await _stream(state, exchange, reply, events)


async def _stream(state: State, exchange: _Exchange, reply: Reply, events: list[bytes]) -> bool:
    fields = {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache",
        "Transfer-Encoding": "chunked",
    }
    exchange.writer.write(exchange.head(200, fields))
    faulty = reply.kind in ("stream_cut", "stream_error", "stream_stall")
    # `[DONE]` goes out in one write with the body's end, as a server that ends its
    # handler right after it does: the client then finds the end already readable
    # and returns the connection to its pool.
    ending = b"0\r\n\r\n"
    if faulty:
        events = events[: max(reply.after_chunks, 0)]
    else:
        ending = b"%x\r\n%s\r\n" % (len(_DONE), _DONE) + ending
    for index, event in enumerate(events):
        await exchange.chunk(event, state.chunk_delay if index else 0.0)
        if index == 0:
            await exchange.chunk(_KEEP_ALIVE)
    if reply.kind == "stream_error":
        await exchange.chunk(sse_event({"error": dict(reply.error or {})}))
    elif reply.kind == "stream_stall":
        await exchange.writer.drain()
        await exchange.wait_for_client_to_leave()
        return False
    elif reply.kind == "stream_cut" and not reply.clean_end:
        await exchange.writer.drain()
        return False
    if not faulty and state.chunk_delay:
        await asyncio.sleep(state.chunk_delay)
    exchange.writer.write(ending)
    await exchange.writer.drain()
    return exchange.keep_alive
