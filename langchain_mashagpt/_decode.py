"""Answers as bytes → checked JSON: the SSE decoder and the chunk parser. Pure; no I/O.

Follows the SSE parsing rules of the HTML standard: lines end with LF, CRLF or CR
(a CRLF split across two reads is still one line end); a line starting with `:`
is a comment (`: keep-alive`); `data:` lines of one event are joined with a newline;
a blank line dispatches the event; an event with no `data` is not dispatched.
Bytes are split before decoding, so a UTF-8 character cut between two network
reads is never damaged.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from langchain_mashagpt.errors import (
    APIError,
    APIResponseValidationError,
    IncompleteStreamError,
)

try:
    import orjson
except ModuleNotFoundError:  # pragma: no cover - orjson comes with langsmith on CPython
    orjson = None  # type: ignore[assignment]


def dumps(obj: Any) -> bytes:
    """Serialise `obj` as compact JSON in real UTF-8 (Russian is never escaped)."""
    if orjson is not None:
        return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()  # pragma: no cover


def loads(data: bytes | str) -> Any:
    """Parse JSON; raises `ValueError` on malformed input."""
    if orjson is not None:
        return orjson.loads(data)
    return json.loads(data)  # pragma: no cover


__all__ = [
    "ChunkParser",
    "SSEDecoder",
    "ServerSentEvent",
    "dumps",
    "error_payload",
    "loads",
    "parse_completion",
]


class ServerSentEvent(NamedTuple):
    """One dispatched event: its `event` name (`""` when unnamed) and raw `data`."""

    event: str
    data: bytes


class SSEDecoder:
    """Incremental SSE decoder: `feed` it network reads, then `close` it."""

    __slots__ = ("_data", "_event", "_tail")

    def __init__(self) -> None:
        """Create a decoder with nothing buffered."""
        self._tail = b""
        self._data: list[bytes] = []
        self._event = ""

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Take one read of the byte stream and return the events it completes."""
        buf = self._tail + chunk if self._tail else chunk
        if b"\r" in buf:
            # A CR at the very end may be the first half of a CRLF: keep it back.
            held = b"\r" if buf.endswith(b"\r") else b""
            if held:
                buf = buf[:-1]
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        else:
            held = b""
        lines = buf.split(b"\n")
        self._tail = lines.pop() + held
        return self._lines(lines)

    def close(self) -> list[ServerSentEvent]:
        """End of the stream: return a last event left without its blank line.

        The standard drops such an event; a gateway that ends its body right
        after `data: [DONE]` would then look cut off, so it is dispatched.
        """
        tail, self._tail = self._tail.rstrip(b"\r"), b""
        return self._lines([tail, b""] if tail else [b""])

    def _lines(self, lines: list[bytes]) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        data = self._data
        for line in lines:
            if line[:6] == b"data: ":  # the usual line, first
                data.append(line[6:])
                continue
            if not line:
                if data:
                    events.append(ServerSentEvent(self._event, b"\n".join(data)))
                    data.clear()
                self._event = ""
                continue
            if line[0] == 58:  # b":", a comment
                continue
            name, sep, value = line.partition(b":")
            if sep and value[:1] == b" ":
                value = value[1:]
            if name == b"data":
                data.append(value)
            elif name == b"event":
                self._event = value.decode("utf-8", "replace")
            # `id` and `retry` do not matter for a single POST stream.
        return events


def error_payload(body: Any) -> tuple[str | None, str | None, str | None]:
    """Message, code and type of an OpenAI-style `{"error": ...}` body."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = error.get("message")
        return (
            str(message) if message is not None else None,
            str(error["code"]) if error.get("code") is not None else None,
            str(error["type"]) if error.get("type") is not None else None,
        )
    if isinstance(error, str):
        return error, None, None
    return None, None, None


def parse_completion(content: bytes) -> dict[str, Any]:
    """Decode a 2xx non-streamed body, raising on anything but a completion."""
    try:
        body = loads(content)
    except ValueError:
        raise APIResponseValidationError(
            "MashaGPT answered 2xx with a body that is not JSON: "
            f"{content[:200].decode('utf-8', 'replace')!r}",
            body=content.decode("utf-8", "replace"),
        ) from None
    return _check_event(body, "answer")


def _check_event(body: Any, what: str) -> dict[str, Any]:
    if isinstance(body, dict) and "error" in body:
        message, code, error_type = error_payload(body)
        raise APIError(
            f"MashaGPT reported an error in its {what}: {message or body['error']}",
            body=body,
            code=code,
            error_type=error_type,
        )
    if not isinstance(body, dict) or not isinstance(body.get("choices"), list):
        raise APIResponseValidationError(
            f"MashaGPT's {what} has no `choices` list, unlike the API's documented "
            f"format: {str(body)[:200]}",
            body=body,
        )
    return body


class ChunkParser:
    """SSE bytes → checked `chat.completion.chunk` dicts, until `data: [DONE]`."""

    __slots__ = ("decoder", "done")

    def __init__(self) -> None:
        self.decoder = SSEDecoder()
        self.done = False

    def feed(self, raw: bytes) -> list[dict[str, Any]]:
        return self._parse(self.decoder.feed(raw))

    def close(self) -> list[dict[str, Any]]:
        chunks = self._parse(self.decoder.close())
        if not self.done:
            raise IncompleteStreamError(
                "MashaGPT's stream ended before `data: [DONE]`: the answer was cut "
                "off, so it is not returned as if complete. Try again."
            )
        return chunks

    def _parse(self, events: Any) -> list[dict[str, Any]]:
        chunks = []
        for event in events:
            if self.done:
                break
            if event.data == b"[DONE]":
                self.done = True
                break
            try:
                body = loads(event.data)
            except ValueError:
                raise APIResponseValidationError(
                    f"MashaGPT streamed an event that is not JSON: {event.data[:200]!r}",
                    body=event.data.decode("utf-8", "replace"),
                ) from None
            chunks.append(_check_event(body, "stream"))
        return chunks
