"""Scripted replies: what the emulator answers instead of its model.

`MashaGPTEmulator.enqueue(*replies)` queues `Reply`s; each *valid* request
(authenticated, passing every strictness check) consumes the next one, and
the rule-based model answers once the queue is empty. Invalid requests get
their 4xx and leave the queue alone. Every reply takes `delay=` seconds
before answering (longer than a client's timeout = a read timeout).

Answers, for `stream: false` and `stream: true` alike:
    `Reply.model()`, `Reply.text(content, reasoning=...)`, `Reply.function_call(name, arguments)`
    (`stop`, `max_tokens` and `n` apply as to the model's answers).
Errors and broken bodies:
    `Reply.http_error(status, ...)`, `Reply.rate_limit(...)`, `Reply.raw(status,
    body, content_type)`, `Reply.error_body_200(message)` (a 200 whose JSON is
    `{"error": {...}}`, also sent as plain JSON to a stream request),
    `Reply.close_connection()` (closed without any answer).
Stream faults (`after_chunks` counts `data:` chunks, the first being the role):
    `Reply.stream_cut(n)`: the connection drops after n chunks, no `[DONE]`
    (`clean_end=True`: the HTTP body ends properly, still without `[DONE]`);
    `Reply.stream_error(n, message)`: an `{"error": {...}}` event after n chunks,
    then the body ends without `[DONE]`; `Reply.stream_stall(n)`: n chunks, then
    silence until the client gives up.
    To a `stream: false` request they answer in kind: `stream_cut` sends half of
    the JSON body then closes, `stream_error` is `error_body_200`, and
    `stream_stall` sends the headers and then nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

from langchain_mashagpt.testing._render import FunctionCall, Output

__all__ = ["Reply", "ReplyKind"]

ReplyKind = Literal[
    "model",
    "text",
    "function_call",
    "http_error",
    "raw",
    "error_body_200",
    "close_connection",
    "stream_cut",
    "stream_error",
    "stream_stall",
]

_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    402: ("insufficient_quota", "insufficient_quota"),
    403: ("permission_error", None),
    404: ("not_found_error", None),
    429: ("rate_limit_error", "rate_limit_exceeded"),
}


def _error(
    status: int, message: str | None, type_: str | None, code: str | None, param: str | None
) -> dict[str, Any]:
    default_type, default_code = _ERROR_TYPES.get(
        status, ("server_error", None) if status >= 500 else ("invalid_request_error", None)
    )
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = f"HTTP {status}"
    return {
        "message": message or f"{phrase} (scripted by the MashaGPT emulator).",
        "type": type_ or default_type,
        "param": param,
        "code": code or default_code,
    }


@dataclass(frozen=True)
class Reply:
    """One scripted reply; build it with the class methods, not directly."""

    kind: ReplyKind
    delay: float = 0.0
    content: str | None = None
    call: FunctionCall | None = None
    finish_reason: str | None = None
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    content_type: str = "application/json"
    error: Mapping[str, Any] | None = None
    after_chunks: int = 0
    clean_end: bool = False
    reasoning: str | None = None

    @property
    def output(self) -> Output | None:
        """The scripted answer, or None when the model should provide it."""
        if self.call is not None:
            return Output(None, self.call, self.reasoning)
        return None if self.content is None else Output(self.content, None, self.reasoning)

    @classmethod
    def model(cls, *, delay: float = 0.0) -> Reply:
        """Let the rule-based model answer, after `delay` seconds."""
        return cls("model", delay=delay)

    @classmethod
    def text(
        cls,
        content: str,
        *,
        finish_reason: str | None = None,
        reasoning: str | None = None,
        delay: float = 0.0,
    ) -> Reply:
        """Answer with `content` (every choice); `finish_reason` overrides the computed one.

        `reasoning` goes beside it as `reasoning_content`, as DeepSeek's reasoning models send.
        """
        return cls(
            "text", delay=delay, content=content, finish_reason=finish_reason, reasoning=reasoning
        )

    @classmethod
    def function_call(
        cls, name: str, arguments: str, *, finish_reason: str | None = None, delay: float = 0.0
    ) -> Reply:
        """Answer with a call of `name`; `arguments` is sent verbatim (even invalid JSON)."""
        call = FunctionCall(name, arguments)
        return cls("function_call", delay=delay, call=call, finish_reason=finish_reason)

    @classmethod
    def http_error(
        cls,
        status: int,
        message: str | None = None,
        *,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: str | bytes | None = None,
        content_type: str | None = None,
        delay: float = 0.0,
    ) -> Reply:
        """Answer `status` with an OpenAI-style error body, or with a raw `body`.

        `type` and `code` default by status (429 -> `rate_limit_error`/
        `rate_limit_exceeded`, 5xx -> `server_error`, ...). A `body` (e.g. an
        HTML error page) is sent verbatim as `content_type` (default
        `text/html; charset=utf-8`).
        """
        if body is not None:
            kind = content_type or "text/html; charset=utf-8"
            return cls.raw(status, body, kind, headers=headers, delay=delay)
        return cls(
            "http_error",
            delay=delay,
            status=status,
            headers=dict(headers or {}),
            error=_error(status, message, type, code, param),
        )

    @classmethod
    def rate_limit(
        cls,
        retry_after: float | None = None,
        *,
        retry_after_ms: int | None = None,
        message: str = "Rate limit reached. Please retry later.",
        delay: float = 0.0,
    ) -> Reply:
        """Answer 429, with `Retry-After` and/or `retry-after-ms` when given."""
        headers = {}
        if retry_after is not None:
            headers["Retry-After"] = f"{retry_after:g}"
        if retry_after_ms is not None:
            headers["retry-after-ms"] = str(retry_after_ms)
        return cls.http_error(429, message, headers=headers, delay=delay)

    @classmethod
    def raw(
        cls,
        status: int,
        body: str | bytes,
        content_type: str = "application/json",
        *,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> Reply:
        """Answer `status` with `body` verbatim (e.g. a 200 with truncated JSON)."""
        raw = body.encode() if isinstance(body, str) else body
        return cls(
            "raw",
            delay=delay,
            status=status,
            body=raw,
            content_type=content_type,
            headers=dict(headers or {}),
        )

    @classmethod
    def error_body_200(
        cls,
        message: str = "The upstream model failed (scripted by the MashaGPT emulator).",
        *,
        type: str = "server_error",
        code: str | None = None,
        delay: float = 0.0,
    ) -> Reply:
        """Answer 200 with a JSON body `{"error": {...}}` instead of a completion."""
        return cls("error_body_200", delay=delay, error=_error(200, message, type, code, None))

    @classmethod
    def close_connection(cls, *, delay: float = 0.0) -> Reply:
        """Close the connection without sending any answer."""
        return cls("close_connection", delay=delay)

    @classmethod
    def stream_cut(
        cls,
        after_chunks: int,
        *,
        content: str | None = None,
        clean_end: bool = False,
        delay: float = 0.0,
    ) -> Reply:
        """Stream `after_chunks` chunks (of `content`, else the model's answer), then stop.

        Without `[DONE]`: the connection is dropped mid-body, or with
        `clean_end=True` the chunked body is terminated properly.
        """
        return cls(
            "stream_cut",
            delay=delay,
            content=content,
            after_chunks=after_chunks,
            clean_end=clean_end,
        )

    @classmethod
    def stream_error(
        cls,
        after_chunks: int,
        message: str = "The upstream model failed mid-stream (scripted by the MashaGPT emulator).",
        *,
        type: str = "server_error",
        code: str | None = None,
        content: str | None = None,
        delay: float = 0.0,
    ) -> Reply:
        """Stream `after_chunks` chunks, then a `data: {"error": {...}}` event, no `[DONE]`."""
        return cls(
            "stream_error",
            delay=delay,
            content=content,
            after_chunks=after_chunks,
            error=_error(200, message, type, code, None),
        )

    @classmethod
    def stream_stall(
        cls, after_chunks: int = 0, *, content: str | None = None, delay: float = 0.0
    ) -> Reply:
        """Send the headers and `after_chunks` chunks, then nothing until the client leaves."""
        return cls("stream_stall", delay=delay, content=content, after_chunks=after_chunks)
