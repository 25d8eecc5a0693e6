"""Answers as bytes → checked JSON: the SSE decoder and the chunk parser. Pure; no I/O.

Follows the SSE parsing rules of the HTML standard: one leading UTF-8 BOM is
skipped; lines end with LF, CRLF or CR (a CRLF split across two reads is still
one line end); a line starting with `:` is a comment (`: keep-alive`); `data:`
lines of one event are joined with a newline; a blank line dispatches the event;
an event with no `data` is not dispatched. Bytes are split before decoding, so a
UTF-8 character cut between two network reads is never damaged.

Linear in the bytes read: each read is scanned once, a line in the making is
kept as a list of pieces, and a line or an event longer than `max_event_bytes`
is refused.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from langchain_mashagpt._http.completion import load_completion, ordered
from langchain_mashagpt._http.failures import error_payload, kept_body, server_text
from langchain_mashagpt._json import loads
from langchain_mashagpt.errors import (
    MAX_KEPT_BODY,
    MAX_SERVER_TEXT,
    APIError,
    APIResponseValidationError,
    IncompleteStreamError,
)

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "ChunkParser",
    "SSEDecoder",
    "ServerSentEvent",
    "parse_completion",
    "plain_json_error",
]

DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024
"""The default cap on one line, and on one event's data, of an event stream."""
_BOM = b"\xef\xbb\xbf"
_LINE_END = re.compile(rb"\r\n|\r|\n")
_HEAD = 64 * 1024
"""How much of a stream's start is kept to recognise a bare JSON body sent instead."""


class ServerSentEvent(NamedTuple):
    """One dispatched event: its `event` name (`""` when unnamed) and raw `data`."""

    event: str
    data: bytes


class SSEDecoder:
    """Incremental SSE decoder: `feed` it network reads, then `close` it.

    Args:
        max_event_bytes: The longest line, and the most data of one event, in bytes.
    """

    __slots__ = ("_cr", "_data", "_event", "_line", "_line_size", "_size", "_start", "max_bytes")

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.max_bytes = max_event_bytes
        self._line: list[bytes] = []  # the pieces of a line not yet ended
        self._line_size = 0
        self._cr = False  # the last read ended with CR: a LF first in the next one is its pair
        self._start: bytes | None = b""  # the first bytes, until a leading BOM is ruled out
        self._data: list[bytes] = []
        self._size = 0
        self._event = ""

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Take one read of the byte stream and return the events it completes."""
        if self._start is not None:
            chunk = self._start + chunk
            if len(chunk) < len(_BOM) and _BOM.startswith(chunk):
                self._start = chunk
                return []
            self._start = None
            if chunk.startswith(_BOM):
                chunk = chunk[len(_BOM) :]
        if self._cr and chunk[:1] == b"\n":
            chunk = chunk[1:]
        self._cr = False
        if b"\r" not in chunk:
            lines = chunk.split(b"\n")
        else:
            lines = _LINE_END.split(chunk)
            self._cr = chunk.endswith(b"\r")
        if len(lines) == 1:
            self._grow(chunk)
            return []
        last = lines.pop()
        if self._line:
            self._grow(lines[0])
            lines[0] = b"".join(self._line)
            self._line.clear()
            self._line_size = 0
        events = self._lines(lines)
        self._grow(last)
        return events

    def _grow(self, piece: bytes) -> None:
        """Add to the line in the making, refusing one past the cap."""
        if piece:
            self._line_size += len(piece)
            if self._line_size > self.max_bytes:
                raise _too_long("line", self.max_bytes)
            self._line.append(piece)

    def close(self) -> list[ServerSentEvent]:
        """End of the stream: return a last event left without its blank line.

        The standard drops such an event; a gateway that ends its body right
        after `data: [DONE]` would then look cut off, so it is dispatched.
        """
        tail = b"".join(self._line) or (self._start or b"")
        self._line.clear()
        self._line_size = 0
        return self._lines([tail, b""] if tail else [b""])

    def _lines(self, lines: list[bytes]) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        data = self._data
        for line in lines:
            if line[:6] == b"data: ":  # the usual line, first
                self._add(line[6:])
                continue
            if not line:
                if data:
                    events.append(ServerSentEvent(self._event, b"\n".join(data)))
                    data.clear()
                    self._size = 0
                self._event = ""
                continue
            if line[0] == 58:  # b":", a comment
                continue
            name, sep, value = line.partition(b":")
            if sep and value[:1] == b" ":
                value = value[1:]
            if name == b"data":
                self._add(value)
            elif name == b"event":
                self._event = value[:200].decode("utf-8", "replace")
            # `id` and `retry` do not matter for a single POST stream.
        return events

    def _add(self, value: bytes) -> None:
        self._size += len(value) + 1
        if self._size > self.max_bytes:
            raise _too_long("event", self.max_bytes)
        self._data.append(value)


def _too_long(what: str, limit: int) -> APIResponseValidationError:
    return APIResponseValidationError(
        f"MashaGPT streamed a{'n' if what == 'event' else ''} {what} longer than the limit "
        f"of {limit} bytes, so reading stopped. Raise max_event_bytes= if such answers "
        "are expected."
    )


def parse_completion(content: bytes, n: int = 1) -> dict[str, Any]:
    """Decode a 2xx non-streamed body, raising on anything but a completion of `n` choices."""
    try:
        body = load_completion(content[3:] if content.startswith(_BOM) else content, n)
    except ValueError:
        raise APIResponseValidationError(
            "MashaGPT answered 2xx with a body that is not JSON: "
            f"{content[:200].decode('utf-8', 'replace')!r}",
            body=kept_body(content),
        ) from None
    return ordered(_check_event(body, "answer", content, n), content)


def _check_event(body: Any, what: str, raw: bytes, n: int) -> dict[str, Any]:
    """`body` if it is a completion (chunk) of at most `n` choices; else raise.

    An `error` that is `false`, `null` or empty (`{}`, `""`) next to `choices` is
    no error (OpenAI's schema allows `null`; gateways send `false`); any other
    `error` is the server's. An error keeps `body` parsed when `raw` is small,
    else the first characters of `raw`.
    """
    kept = body if len(raw) <= MAX_KEPT_BODY else raw[:MAX_SERVER_TEXT].decode("utf-8", "replace")
    if isinstance(body, dict) and body.get("error") not in (None, False, {}, "", []):
        message, code, error_type = error_payload(body)
        raise APIError(
            f"MashaGPT reported an error in its {what}: "
            f"{server_text(message or str(body['error']))}",
            body=kept,
            code=code,
            error_type=error_type,
        )
    if not isinstance(body, dict) or not isinstance(choices := body.get("choices"), list):
        raise APIResponseValidationError(
            f"MashaGPT's {what} has no `choices` list, unlike the API's documented "
            f"format: {raw[:200].decode('utf-8', 'replace')}",
            body=kept,
        )
    if len(choices) > n or any(
        isinstance(c, dict) and isinstance(c.get("index"), int) and not 0 <= c["index"] < n
        for c in choices
    ):
        raise APIResponseValidationError(
            f"MashaGPT's {what} has {len(choices)} choice(s) or a choice index beyond the "
            f"n={n} asked for: it is not the answer to this request.",
            body=raw[:MAX_SERVER_TEXT].decode("utf-8", "replace"),
        )
    return body


class ChunkParser:
    """SSE bytes → checked `chat.completion.chunk` dicts, until `data: [DONE]`.

    Args:
        n: How many choices were asked for.
        max_event_bytes: The longest line, and the most data of one event.
    """

    __slots__ = ("decoder", "done", "events", "head", "n")

    def __init__(self, n: int = 1, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.decoder = SSEDecoder(max_event_bytes)
        self.done = False
        self.n = n
        self.events = 0
        self.head = b""  # the stream's first bytes, while no event came

    def feed(self, raw: bytes) -> list[dict[str, Any]]:
        """The chunks completed by one read."""
        if not self.events and len(self.head) < _HEAD:
            self.head += raw[: _HEAD - len(self.head)]
        return self._parse(self.decoder.feed(raw))

    def close(self) -> list[dict[str, Any]]:
        """The chunks left at the end of the body; raises if `[DONE]` never came."""
        chunks = self._parse(self.decoder.close())
        if not self.done:
            if not self.events and self.head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
                self._bare_json()
            raise IncompleteStreamError(
                "MashaGPT's stream ended before `data: [DONE]`: the answer was cut "
                "off, so it is not returned as if complete. Try again."
            )
        return chunks

    def _bare_json(self) -> None:
        """A JSON body sent where events were due: raise the server's error in it."""
        try:
            body = loads(self.head.lstrip(b"\xef\xbb\xbf"))
        except ValueError:
            return
        _check_event(body, "answer to a streamed request", self.head, self.n)
        raise APIResponseValidationError(
            "MashaGPT answered a streamed request with a plain JSON completion.",
            body=kept_body(self.head),
        )

    def _parse(self, events: list[ServerSentEvent]) -> list[dict[str, Any]]:
        chunks = []
        for event in events:
            self.events += 1
            if self.done:
                break
            if event.event == "error":  # the server's error, not content
                raise _error_event(event.data)
            if event.data == b"[DONE]":
                self.done = True
                break
            try:
                body = loads(event.data)
            except ValueError:
                raise APIResponseValidationError(
                    f"MashaGPT streamed an event that is not JSON: {event.data[:200]!r}",
                    body=kept_body(event.data),
                ) from None
            chunks.append(_check_event(body, "stream", event.data, self.n))
        return chunks


def _error_event(data: bytes) -> APIError:
    """The `APIError` of an `event: error`: its data is an error object, or text."""
    try:
        body: Any = loads(data)
    except ValueError:
        body = None
    message, code, error_type = error_payload(body)
    if message is None and isinstance(body, dict) and body.get("message") is not None:
        message = str(body["message"])  # the error object itself, not wrapped in `error`
        code = str(body["code"]) if body.get("code") is not None else None
        error_type = str(body["type"]) if body.get("type") is not None else None
    if message is None:
        message = data.decode("utf-8", "replace") if body is None else str(body)
    return APIError(
        f"MashaGPT reported an error in its stream (event: error): {server_text(message)}",
        body=kept_body(data),
        code=code,
        error_type=error_type,
    )


def plain_json_error(content: bytes, n: int) -> APIResponseValidationError:
    """The error for a JSON body (or an HTML page) sent where an event stream was asked for.

    Raises:
        APIError: The body is the server's error (raised here, as `parse_completion` does).
        APIResponseValidationError: The body is malformed.
    """
    parse_completion(content, n)
    return APIResponseValidationError(
        "MashaGPT answered a streamed request with a plain JSON completion.",
        body=kept_body(content),
    )
