"""What the package assumes about the wire, as pure checks. No I/O.

Each function takes JSON the service sent and returns the `Difference`s from
what `langchain_mashagpt` expects (see `docs/check.md` and the API page): an
empty list means the answer has the shape the package was written for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from langchain_mashagpt._convert.usage import ENERGY_KEYS
from langchain_mashagpt._http.sse import SSEDecoder
from langchain_mashagpt._json import is_blank, loads

__all__ = [
    "FINISH_REASONS",
    "TOKEN_FIELDS",
    "Difference",
    "completion_differences",
    "decode_stream",
    "error_differences",
    "error_message",
    "function_call_stream_differences",
    "loads",
    "shape",
    "stream_differences",
    "usage_differences",
]

FINISH_REASONS = frozenset({"stop", "length", "content_filter", "function_call"})
TOKEN_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")
_DELTA_KEYS = frozenset({"role", "content", "function_call"})
_DONE = "[DONE]"


def error_message(body: Any) -> str | None:
    """The `error.message` of an OpenAI-style error body (or a bare `error` string)."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = error.get("message")
        return str(message) if message is not None else None
    return error if isinstance(error, str) else None


class Difference(NamedTuple):
    """One way an answer differs from the package's assumption."""

    field: str
    expected: str
    seen: str

    def __str__(self) -> str:
        return f"{self.field}: expected {self.expected}, seen {self.seen}"


def shape(value: Any, limit: int = 60) -> str:
    """A short description of a JSON value: its type and, for small ones, the value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, dict):
        keys = ", ".join(sorted(map(str, value)))
        return f"object {{{keys}}}" if len(keys) <= limit else f"object of {len(value)} keys"
    if isinstance(value, list):
        return f"list of {len(value)}"
    text = repr(value)
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"{type(value).__name__} {text}"


def usage_differences(usage: Any, where: str = "usage") -> list[Difference]:
    """Usage must carry the three token counts and the three energy counts as integers."""
    if not isinstance(usage, dict):
        return [Difference(where, "an object with tokens and energy", shape(usage))]
    if not any(name in usage for name in ENERGY_KEYS):
        found = [Difference(f"{where} energy", "/".join(ENERGY_KEYS), "none")]
        return found + usage_differences({**usage, **dict.fromkeys(ENERGY_KEYS, 0)}, where)
    return [
        Difference(f"{where}.{name}", "an integer", "absent" if name not in usage else shape(value))
        for name in TOKEN_FIELDS + ENERGY_KEYS
        if not _is_int(value := usage.get(name))
    ]


def completion_differences(body: Any, *, choices: int = 1) -> list[Difference]:
    """A non-streamed answer: a `chat.completion` with `choices` choices and usage."""
    if not isinstance(body, dict):
        return [Difference("body", "a chat.completion object", shape(body))]
    found = _header_differences(body, "chat.completion")
    listed = body.get("choices")
    if not isinstance(listed, list) or len(listed) != choices:
        return [*found, Difference("choices", f"list of {choices}", shape(listed))]
    for k, choice in enumerate(listed):
        found += _choice_differences(choice, k)
    return found + usage_differences(body.get("usage"))


def _header_differences(body: dict[str, Any], kind: str) -> list[Difference]:
    found = []
    if body.get("object") != kind:
        found.append(Difference("object", repr(kind), shape(body.get("object"))))
    if not isinstance(body.get("id"), str):
        found.append(Difference("id", "a string", shape(body.get("id"))))
    if not _is_int(body.get("created")):
        found.append(Difference("created", "unix seconds", shape(body.get("created"))))
    return found


def _choice_differences(choice: Any, k: int) -> list[Difference]:
    where = f"choices[{k}]"
    if not isinstance(choice, dict):
        return [Difference(where, "an object", shape(choice))]
    found = []
    if choice.get("index") != k:
        found.append(Difference(f"{where}.index", str(k), shape(choice.get("index"))))
    if choice.get("finish_reason") not in FINISH_REASONS:
        expected = " | ".join(sorted(FINISH_REASONS))
        found.append(
            Difference(f"{where}.finish_reason", expected, shape(choice.get("finish_reason")))
        )
    message = choice.get("message")
    if not isinstance(message, dict):
        return [*found, Difference(f"{where}.message", "an object", shape(message))]
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        found.append(Difference(f"{where}.message.content", "string or null", shape(content)))
    if message.get("tool_calls"):
        found.append(
            Difference(f"{where}.message.tool_calls", "absent (functions protocol)", "present")
        )
    call = message.get("function_call")
    if call is not None:
        found += _call_differences(call, f"{where}.message.function_call")
    return found


def _call_differences(call: Any, where: str) -> list[Difference]:
    if not isinstance(call, dict):
        return [Difference(where, "{name, arguments}", shape(call))]
    found = []
    if not isinstance(call.get("name"), str) or not call["name"]:
        found.append(Difference(f"{where}.name", "a function name", shape(call.get("name"))))
    if not isinstance(call.get("arguments"), str):
        found.append(
            Difference(f"{where}.arguments", "a JSON string", shape(call.get("arguments")))
        )
    return found


def decode_stream(body: bytes) -> tuple[list[Any], bool]:
    """The JSON of each `data:` event of an SSE body, and whether `[DONE]` ended it.

    An event whose data is not JSON is kept as its text.
    """
    decoder = SSEDecoder()
    events = decoder.feed(body) + decoder.close()
    chunks: list[Any] = []
    for event in events:
        text = event.data.decode("utf-8", "replace")
        if text == _DONE:
            return chunks, True
        try:
            chunks.append(loads(event.data))
        except ValueError:
            chunks.append(text)
    return chunks, False


def stream_differences(chunks: Sequence[Any], done: bool, *, usage: bool) -> list[Difference]:
    """A stream: chunks of one id, deltas of the functions protocol, `[DONE]` at the end.

    With `usage` (the request asked `stream_options.include_usage`) the usage
    comes once, on a last chunk whose `choices` is `[]`, with energy.
    """
    found = []
    if not done:
        found.append(Difference("stream end", "data: [DONE]", "none"))
    if not chunks:
        return [*found, Difference("stream", "chat.completion.chunk events", "no event")]
    ids = {chunk.get("id") for chunk in chunks if isinstance(chunk, dict)}
    if len(ids) != 1:
        found.append(Difference("chunk ids", "one id for the stream", f"{len(ids)} ids"))
    for k, chunk in enumerate(chunks):
        found += _chunk_differences(chunk, f"chunk {k + 1}")
    if usage:
        found += _usage_place_differences(chunks)
    return _first_of_each_field(found)


def _chunk_differences(chunk: Any, where: str) -> list[Difference]:
    if not isinstance(chunk, dict):
        return [Difference(where, "a chat.completion.chunk", shape(chunk))]
    if "error" in chunk:
        return [Difference(where, "a chat.completion.chunk", f"an error event {shape(chunk)}")]
    if chunk.get("object") != "chat.completion.chunk":
        return [
            Difference(f"{where}.object", "'chat.completion.chunk'", shape(chunk.get("object")))
        ]
    found = []
    for choice in chunk.get("choices") or []:
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if not isinstance(delta, dict):
            found.append(Difference("delta", "an object", shape(delta)))
            continue
        for key in sorted(set(delta) - _DELTA_KEYS):
            if delta[key] is not None:
                expected = "only role/content/function_call"
                found.append(Difference(f"delta.{key}", expected, shape(delta[key])))
        if delta.get("function_call") is not None:
            call = delta["function_call"]
            if not isinstance(call, dict) or set(call) - {"name", "arguments"}:
                found.append(Difference("delta.function_call", "{name?, arguments?}", shape(call)))
    return found


def _usage_place_differences(chunks: Sequence[Any]) -> list[Difference]:
    places = [k for k, chunk in enumerate(chunks) if isinstance(chunk, dict) and chunk.get("usage")]
    if not places:
        return [Difference("usage chunk", "a last chunk with choices [] and usage", "no usage")]
    found = []
    last = chunks[-1]
    if places[-1] != len(chunks) - 1 or last.get("choices") != []:
        where = places[-1] + 1
        choices = chunks[where - 1].get("choices")
        count = len(choices) if isinstance(choices, list) else shape(choices)
        seen = f"usage on chunk {where} of {len(chunks)}, with {count} choice(s)"
        found.append(Difference("usage chunk", "the last chunk, with choices []", seen))
    return found + usage_differences(chunks[places[-1]]["usage"], "stream usage")


def function_call_stream_differences(chunks: Sequence[Any]) -> list[Difference]:
    """A streamed function call: `delta.function_call` pieces whose parts join to a call."""
    name, arguments = "", ""
    for chunk in chunks:
        for choice in chunk.get("choices") or [] if isinstance(chunk, dict) else []:
            call = (choice.get("delta") or {}).get("function_call")
            if isinstance(call, dict):
                name += call.get("name") or ""
                arguments += call.get("arguments") or ""
    if not name:
        return [Difference("delta.function_call", "pieces of {name, arguments}", "none")]
    try:
        parsed = {} if is_blank(arguments) else loads(arguments)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        seen = shape(arguments) if parsed is None else shape(parsed)
        return [Difference("function_call.arguments", "pieces joining to a JSON object", seen)]
    return []


def error_differences(status: int, content: bytes, statuses: Sequence[int]) -> list[Difference]:
    """An error answer: one of `statuses`, body `{"error": {message, type, param, code}}`."""
    found = []
    if status not in statuses:
        found.append(Difference("status", " or ".join(map(str, statuses)), str(status)))
    try:
        body = loads(content)
    except ValueError:
        return [*found, Difference("error body", "JSON", repr(content[:60]))]
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        expected = '{"error": {message, type, param, code}}'
        return [*found, Difference("error body", expected, shape(body))]
    if not isinstance(error.get("message"), str) or not error["message"]:
        found.append(Difference("error.message", "a string", shape(error.get("message"))))
    for key in ("type", "param", "code"):
        if key not in error:
            found.append(Difference(f"error.{key}", "present (string or null)", "absent"))
    return found


def _first_of_each_field(found: list[Difference]) -> list[Difference]:
    """One difference per field: a deviation repeated on every chunk is said once."""
    seen: dict[str, Difference] = {}
    for difference in found:
        seen.setdefault(difference.field, difference)
    return list(seen.values())


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
