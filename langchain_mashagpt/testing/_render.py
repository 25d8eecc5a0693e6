"""Answers on the wire: `chat.completion` bodies and `chat.completion.chunk` streams.

Both the rule-based model and scripted replies produce `Output`s (one per
choice); `finish()` applies `stop` and `max_tokens` to them, then
`completion_body()` or `stream_chunks()` render the JSON.

Streams (per choice, choices interleaved round-robin by `index` when `n > 1`):
a first delta `{"role": "assistant", "content": ""}` (`content: null` for a
function call), a reasoning model's `reasoning_content` one word at a time,
then the content one word at a time, or the function's `name` in two pieces
and its `arguments` in pieces of `ARGUMENT_PIECE` characters, then an empty
delta with the `finish_reason`. The server adds a `: keep-alive` comment after
the first chunk, the usage chunk (`choices: []`) when asked, and
`data: [DONE]`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_mashagpt.testing._usage import count_tokens, truncate_tokens

__all__ = [
    "ARGUMENT_PIECE",
    "Choice",
    "FunctionCall",
    "Output",
    "completion_body",
    "dumps",
    "finish",
    "sse_event",
    "stream_chunks",
    "usage_chunk",
]

#: Characters of function-call `arguments` per streamed chunk.
ARGUMENT_PIECE = 8
_WORD_PIECE = re.compile(r"\s*\S+\s*")


@dataclass(frozen=True)
class FunctionCall:
    """A function call made by the model: `arguments` is a JSON string."""

    name: str
    arguments: str


@dataclass(frozen=True)
class Output:
    """What one choice says: text, or a function call (then `content` is None).

    `reasoning` is a reasoning model's thinking, sent beside the content as
    `reasoning_content` (DeepSeek's name for it).
    """

    content: str | None = None
    function_call: FunctionCall | None = None
    reasoning: str | None = None


@dataclass(frozen=True)
class Choice:
    """An `Output` after `stop`/`max_tokens`, with its `finish_reason`."""

    output: Output
    finish_reason: str

    @property
    def tokens(self) -> int:
        """Completion tokens of this choice."""
        call = self.output.function_call
        thought = count_tokens(self.output.reasoning) if self.output.reasoning else 0
        if call is not None:
            return thought + count_tokens(call.name) + count_tokens(call.arguments)
        return thought + count_tokens(self.output.content or "")


def dumps(value: object) -> str:
    r"""Serialise JSON compactly with real UTF-8 (no `\\u` escapes)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def finish(
    outputs: Sequence[Output],
    stop: Sequence[str],
    max_tokens: int | None,
    finish_reason: str | None = None,
) -> list[Choice]:
    """Cut each output at the first stop sequence or at `max_tokens` tokens.

    A text is cut before the earliest stop sequence (`stop`) or after
    `max_tokens` tokens (`length`), whichever comes first. A function call's
    `arguments` are cut by `max_tokens` too (then they are truncated JSON, as a
    real model does). `finish_reason`, when given, overrides the computed one.
    """
    choices = []
    for output in outputs:
        call = output.function_call
        if call is not None:
            reason = "function_call"
            name_tokens = count_tokens(call.name)
            if max_tokens is not None and name_tokens + count_tokens(call.arguments) > max_tokens:
                cut = truncate_tokens(call.arguments, max(max_tokens - name_tokens, 0))
                call = FunctionCall(call.name, cut if max_tokens > name_tokens else "")
                reason = "length"
            choices.append(Choice(Output(None, call, output.reasoning), finish_reason or reason))
            continue
        text = output.content or ""
        reason = "stop"
        positions = [text.find(sequence) for sequence in stop if sequence in text]
        if positions:
            text = text[: min(positions)]
        if max_tokens is not None and count_tokens(text) > max_tokens:
            text = truncate_tokens(text, max_tokens)
            reason = "length"
        choices.append(Choice(Output(text, None, output.reasoning), finish_reason or reason))
    return choices


def _message(output: Output) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": output.content}
    if output.reasoning is not None:
        message["reasoning_content"] = output.reasoning
    if output.function_call is not None:
        call = output.function_call
        message["function_call"] = {"name": call.name, "arguments": call.arguments}
    return message


def completion_body(
    ident: str, created: int, model: str, choices: Sequence[Choice], usage: dict[str, int]
) -> dict[str, Any]:
    """Render a non-streamed `chat.completion` object."""
    return {
        "id": ident,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": index,
                "message": _message(choice.output),
                "finish_reason": choice.finish_reason,
            }
            for index, choice in enumerate(choices)
        ],
        "usage": usage,
    }


def _deltas(choice: Choice) -> list[dict[str, Any]]:
    call = choice.output.function_call
    thinking = [
        {"content": None, "reasoning_content": piece}
        for piece in _WORD_PIECE.findall(choice.output.reasoning or "")
    ]
    if call is None:
        pieces = _WORD_PIECE.findall(choice.output.content or "")
        first: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        return first + thinking + [{"content": piece} for piece in pieces]
    half = (len(call.name) + 1) // 2
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": None}, *thinking]
    deltas += [
        {"function_call": {"name": part}} for part in (call.name[:half], call.name[half:]) if part
    ]
    deltas += [
        {"function_call": {"arguments": call.arguments[start : start + ARGUMENT_PIECE]}}
        for start in range(0, len(call.arguments), ARGUMENT_PIECE)
    ]
    return deltas


def stream_chunks(
    ident: str, created: int, model: str, choices: Sequence[Choice]
) -> list[dict[str, Any]]:
    """Render the `chat.completion.chunk` objects of a stream (no usage, no `[DONE]`)."""
    per_choice: list[list[dict[str, Any]]] = []
    for index, choice in enumerate(choices):
        entries: list[dict[str, Any]] = [
            {"index": index, "delta": delta, "finish_reason": None} for delta in _deltas(choice)
        ]
        entries.append({"index": index, "delta": {}, "finish_reason": choice.finish_reason})
        per_choice.append(entries)
    chunks: list[dict[str, Any]] = []
    for step in range(max(len(entries) for entries in per_choice)):
        for entries in per_choice:
            if step < len(entries):
                chunks.append(
                    {
                        "id": ident,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": model,
                        "choices": [entries[step]],
                    }
                )
    return chunks


def usage_chunk(ident: str, created: int, model: str, usage: dict[str, int]) -> dict[str, Any]:
    """Render the last chunk of a stream with `stream_options.include_usage`."""
    return {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [],
        "usage": usage,
    }


def sse_event(data: object) -> bytes:
    """Encode one server-sent event `data: <json>` (a `str` is sent verbatim)."""
    text = data if isinstance(data, str) else dumps(data)
    return f"data: {text}\n\n".encode()
