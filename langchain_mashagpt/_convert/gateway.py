"""What OpenAI-compatible answers may carry beyond the API's page, kept rather than dropped. Pure.

A gateway in front of MashaGPT may answer in OpenAI's newer shape: `tool_calls`
instead of `function_call` (in an answer or a stream delta), and `refusal`,
`logprobs`, `system_fingerprint`, `service_tier`, each choice's `index` and
`created`; a reasoning model's thinking as `reasoning_content` (DeepSeek's
name) or `reasoning`. The answer converters call these functions; each returns
what LangChain's message should carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.messages.tool import ToolCallChunk, tool_call_chunk

__all__ = ["answer_metadata", "chunk_metadata", "delta_calls", "function_calls", "reasoning_of"]

_ANSWER_FIELDS = ("system_fingerprint", "service_tier")
_CHOICE_FIELDS = ("index", "logprobs")


def reasoning_of(message: Mapping[str, Any]) -> str:
    """A message's or delta's reasoning text: `reasoning_content`, else `reasoning` ("" if none).

    It goes to `additional_kwargs["reasoning_content"]`, from which langchain-core's
    `content_blocks` makes a `reasoning` block; it is never sent back in a history.
    """
    for key in ("reasoning_content", "reasoning"):
        value = message.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def function_calls(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The message's `function_call`, then one per `tool_calls` entry (with its `id`)."""
    calls: list[dict[str, Any]] = []
    if isinstance(call := message.get("function_call"), dict):
        calls.append(call)
    for entry in message.get("tool_calls") or ():
        if isinstance(entry, dict) and isinstance(entry.get("function"), dict):
            calls.append({**entry["function"], "id": entry.get("id")})
    return calls


def delta_calls(delta: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[ToolCallChunk]]:
    """A delta's call pieces: the first call as a `function_call` piece, the others as chunks.

    The API's `function_call` is the piece when the delta has one. Otherwise a
    gateway's `tool_calls` entry of index 0 is; every other `tool_calls` entry
    becomes a tool-call chunk of its own index.
    """
    piece = delta.get("function_call") or None
    others: list[ToolCallChunk] = []
    for entry in delta.get("tool_calls") or ():
        if not isinstance(entry, dict):
            continue
        function: Mapping[str, Any] = (
            entry["function"] if isinstance(entry.get("function"), dict) else {}
        )
        index = entry.get("index") if isinstance(entry.get("index"), int) else 0
        if piece is None and index == 0:
            piece = {
                "name": function.get("name") or "",
                "arguments": function.get("arguments") or "",
            }
        else:
            others.append(
                tool_call_chunk(
                    name=function.get("name"),
                    args=function.get("arguments"),
                    id=entry.get("id"),
                    index=index,
                )
            )
    return piece, others


def answer_metadata(completion: Mapping[str, Any], choice: Mapping[str, Any]) -> dict[str, Any]:
    """`response_metadata` fields of one choice of a completion, when present."""
    found = {k: completion[k] for k in _ANSWER_FIELDS if completion.get(k) is not None}
    found.update({k: choice[k] for k in _CHOICE_FIELDS if choice.get(k) is not None})
    message = choice.get("message")
    if isinstance(message, Mapping) and message.get("refusal") is not None:
        found["refusal"] = message["refusal"]
    return found


def chunk_metadata(data: Mapping[str, Any], first: bool) -> dict[str, Any]:
    """`response_metadata` fields of one stream chunk: `created` and co. on the first only."""
    found: dict[str, Any] = {}
    if first:
        keys = ("created", *_ANSWER_FIELDS)
        found = {k: data[k] for k in keys if data.get(k) is not None}
    choices = data.get("choices") or ()
    choice = choices[0] if choices and isinstance(choices[0], Mapping) else {}
    if choice.get("logprobs") is not None:
        found["logprobs"] = choice["logprobs"]
    delta = choice.get("delta")
    if isinstance(delta, Mapping) and delta.get("refusal"):
        found["refusal"] = delta["refusal"]
    return found
