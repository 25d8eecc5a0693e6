"""Pure conversion between LangChain objects and the API's JSON.

messages → wire (`messages_to_wire`), call parameters → request body
(`build_payload`), `chat.completion` → `ChatResult` (`chat_result`), and
`chat.completion.chunk` → `ChatGenerationChunk` (`StreamConverter`). Shared by the
sync and async paths; no I/O.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from langchain_mashagpt._decode import dumps, loads
from langchain_mashagpt._tools import dispatched_tools, unwrap_call
from langchain_mashagpt._wire import FunctionCall, Message
from langchain_mashagpt.errors import APIResponseValidationError

__all__ = [
    "PROVIDER",
    "StreamConverter",
    "build_payload",
    "chat_result",
    "check_params",
    "messages_to_wire",
    "usage_metadata",
]

PROVIDER = "mashagpt"
_ROLES = frozenset({"system", "user", "assistant", "function"})
_MESSAGE_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
# Blocks of an AI message that its `tool_calls` already carry, or the model's
# own reasoning, which other providers return and the API has no place for.
_AI_BLOCKS_SKIPPED = frozenset({"tool_use", "tool_call", "function_call", "reasoning", "thinking"})
_RANGES = {
    "temperature": (0, 2),
    "top_p": (0, 1),
    "presence_penalty": (-2, 2),
    "frequency_penalty": (-2, 2),
}
_UNSUPPORTED = {
    "tools": "bind tools with model.bind_tools(tools): they are sent as `functions`",
    "tool_choice": "pass tool_choice to model.bind_tools(tools, tool_choice=...)",
    "parallel_tool_calls": "the API makes one function call per message",
    "response_format": "use model.with_structured_output(schema)",
}


# ---------------------------------------------------------------- request


def check_params(params: Mapping[str, Any]) -> None:
    """Raise `ValueError` for a request parameter the API would refuse."""
    for key, hint in _UNSUPPORTED.items():
        if key in params:
            raise ValueError(f"The MashaGPT API has no `{key}` parameter: {hint}.")
    for key, (low, high) in _RANGES.items():
        value = params.get(key)
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not low <= value <= high
        ):
            raise ValueError(f"{key} must be a number from {low} to {high}, got {value!r}.")
    for key in ("n", "max_tokens"):
        value = params.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ValueError(f"{key} must be a whole number of at least 1, got {value!r}.")
    stop = params.get("stop")
    if (
        stop is not None
        and not isinstance(stop, str)
        and (
            not isinstance(stop, (list, tuple))
            or not all(isinstance(s, str) for s in stop)
            or len(stop) > 4
        )
    ):
        raise ValueError(f"stop takes at most 4 strings, got {stop!r}.")
    for token, bias in (params.get("logit_bias") or {}).items():
        if (
            isinstance(bias, bool)
            or not isinstance(bias, (int, float))
            or not (-100 <= bias <= 100)
        ):
            raise ValueError(f"logit_bias[{token!r}] must be from -100 to 100, got {bias!r}.")


def build_payload(
    messages: Sequence[BaseMessage], params: dict[str, Any], *, stream: bool
) -> dict[str, Any]:
    """The request body for `messages` and the merged call parameters.

    `params` holds the model's fields merged with bound and per-call keyword
    arguments; `None` values are left out, `stream_usage` becomes
    `stream_options`. Raises `ValueError` before anything is sent.
    """
    payload = {k: v for k, v in params.items() if v is not None}
    stream_usage = payload.pop("stream_usage", False)
    payload.pop("stream", None)
    if payload.get("stop") == []:
        del payload["stop"]
    check_params(payload)
    payload["messages"] = messages_to_wire(messages)
    if stream:
        payload["stream"] = True
        if stream_usage:
            payload["stream_options"] = {"include_usage": True}
    return payload


def messages_to_wire(messages: Sequence[BaseMessage]) -> list[Message]:
    """Convert a LangChain history to the API's `messages`.

    An AI message with several tool calls becomes consecutive assistant-call /
    function-result pairs in call order, results matched by `tool_call_id`.
    """
    if not messages:
        raise ValueError("There are no messages to send: pass at least one message.")
    wire: list[Message] = []
    call_names: dict[str, str] = {}
    i, count = 0, len(messages)
    while i < count:
        message = messages[i]
        i += 1
        calls = _calls_of(message) if isinstance(message, AIMessage) else None
        if calls:
            ids = {call_id for call_id, _, _ in calls if call_id}
            results: dict[str, ToolMessage] = {}
            while i < count:
                nxt = messages[i]
                if not isinstance(nxt, ToolMessage) or nxt.tool_call_id not in ids:
                    break
                if nxt.tool_call_id in results:
                    break
                results[nxt.tool_call_id] = nxt
                i += 1
            text = _text(message)
            for k, (call_id, name, arguments) in enumerate(calls):
                call: FunctionCall = {"name": name, "arguments": arguments}
                content = text if k == 0 and text else None
                wire.append({"role": "assistant", "content": content, "function_call": call})
                if call_id:
                    call_names[call_id] = name
                    if call_id in results:
                        wire.append(_function_result(results.pop(call_id), name))
        elif isinstance(message, ToolMessage):
            name = call_names.get(message.tool_call_id) or ""
            if not name:
                raise ValueError(
                    f"ToolMessage with tool_call_id {message.tool_call_id!r} answers no "
                    "tool call of an earlier AI message: keep the AI message that made "
                    "the call in the history, with the same id."
                )
            wire.append(_function_result(message, name))
        else:
            wire.append(_plain(message))
    return wire


def _calls_of(message: AIMessage) -> list[tuple[str | None, str, str]]:
    """`(id, name, JSON arguments)` of every call an AI message made, invalid too.

    Without `tool_calls`, the calls are read from `tool_use` (Anthropic) or
    `tool_call` content blocks, else from a legacy `function_call`.
    """
    calls: list[tuple[str | None, str, str]] = [
        (c.get("id"), c["name"], dumps(c["args"]).decode()) for c in message.tool_calls
    ]
    calls += [
        (c.get("id"), c.get("name") or "", c.get("args") or "") for c in message.invalid_tool_calls
    ]
    if not calls and isinstance(message.content, list):
        calls = [
            (b.get("id"), b.get("name") or "", dumps(b.get(key) or {}).decode())
            for b in message.content
            if isinstance(b, dict)
            and (key := {"tool_use": "input", "tool_call": "args"}.get(b.get("type", "")))
        ]
    legacy = message.additional_kwargs.get("function_call")
    if not calls and isinstance(legacy, dict):
        calls.append((None, legacy.get("name") or "", legacy.get("arguments") or ""))
    return calls


def _plain(message: BaseMessage) -> Message:
    if isinstance(message, HumanMessage):
        role = "user"
    elif isinstance(message, AIMessage):
        role = "assistant"
    elif isinstance(message, SystemMessage):
        role = "system"
    elif isinstance(message, FunctionMessage):
        return {"role": "function", "name": _name(message, message.name), "content": _text(message)}
    elif isinstance(message, ChatMessage):
        role = message.role
        if role not in _ROLES:
            raise ValueError(
                f"ChatMessage role {role!r} is not one the MashaGPT API knows "
                f"({', '.join(sorted(_ROLES))}); for tool results use ToolMessage."
            )
    else:
        raise ValueError(
            f"{type(message).__name__} cannot be sent to the MashaGPT API: use System, "
            "Human, AI, Tool, Function or Chat messages."
        )
    wire: Message = {"role": role, "content": _text(message)}  # type: ignore[typeddict-item]
    if message.name is not None:
        wire["name"] = _name(message, message.name)
    return wire


def _function_result(message: ToolMessage, name: str) -> Message:
    content = message.content
    if not isinstance(content, str) and not all(
        isinstance(b, str) or b.get("type") == "text" for b in content
    ):
        text = dumps(content).decode()  # structured results go as JSON text
    else:
        text = _text(message)
    return {"role": "function", "name": _name(message, name), "content": text}


def _name(message: BaseMessage, name: str | None) -> str:
    if name is None or not _MESSAGE_NAME.fullmatch(name):
        raise ValueError(
            f"{type(message).__name__} name {name!r} is not accepted by the MashaGPT "
            "API, which takes 1 to 64 letters A-Z/a-z, digits or '_' as a message or "
            "function-result name: rename it (tools with '-' cannot get results back)."
        )
    return name


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
            continue
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif not (isinstance(message, AIMessage) and kind in _AI_BLOCKS_SKIPPED):
            raise ValueError(
                f"{type(message).__name__} has a {kind!r} content block, but the "
                "MashaGPT API takes text only: send the content as text."
            )
    return "".join(parts)


# ---------------------------------------------------------------- answers


def usage_metadata(usage: Mapping[str, Any]) -> UsageMetadata:
    """LangChain's token counts from the API's `usage` object."""
    prompt = usage.get("prompt_tokens") or 0
    completion = usage.get("completion_tokens") or 0
    return UsageMetadata(
        input_tokens=prompt,
        output_tokens=completion,
        total_tokens=usage.get("total_tokens") or prompt + completion,
    )


def _new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def _parse_call(name: str, raw: str, tools: frozenset[str]) -> tuple[str, Any, str | None]:
    """`(name, args, error)` of a whole function call; see `unwrap_call`."""
    if not name:
        return name, raw, "the function call has no name"
    try:
        args = loads(raw) if raw.strip() else {}
    except ValueError as exc:
        return name, raw, f"arguments are not JSON: {exc}"
    return unwrap_call(name, args, tools)


def _ai_message(message: Mapping[str, Any], tools: frozenset[str], **fields: Any) -> AIMessage:
    call = message.get("function_call")
    calls: list[Any] = []
    invalid: list[Any] = []
    if isinstance(call, dict):
        raw = call.get("arguments") or ""
        if not isinstance(raw, str):  # an object instead of its JSON text
            raw = dumps(raw).decode()
        call_id = _new_call_id()
        name, args, error = _parse_call(call.get("name") or "", raw, tools)
        if error is None:
            calls.append(tool_call(name=name, args=args, id=call_id))
        else:
            invalid.append(invalid_tool_call(name=name, args=raw, id=call_id, error=error))
    return AIMessage(
        content=message.get("content") or "",
        tool_calls=calls,
        invalid_tool_calls=invalid,
        **fields,
    )


def chat_result(completion: dict[str, Any], payload: dict[str, Any]) -> ChatResult:
    """`ChatResult` of a `chat.completion`: one generation per choice.

    Usage goes on the first generation's message only, so that adding up
    messages never counts a request twice; `llm_output` has it too.
    """
    choices = completion["choices"]
    if not choices:
        raise APIResponseValidationError(
            "MashaGPT answered with an empty `choices` list: there is no answer.",
            body=completion,
        )
    usage = completion.get("usage") or None
    tools = dispatched_tools(payload)
    common = {
        "model_name": completion.get("model"),
        "model_provider": PROVIDER,
        "id": completion.get("id"),
        "created": completion.get("created"),
    }
    generations = []
    for k, choice in enumerate(choices):
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            raise APIResponseValidationError(
                f"MashaGPT's choice {k} has no `message` object.", body=completion
            )
        finish = choice.get("finish_reason")
        metadata = {**common, "finish_reason": finish}
        if usage is not None and k == 0:
            metadata["token_usage"] = usage
        ai = _ai_message(
            message,
            tools,
            id=completion.get("id"),
            response_metadata=metadata,
            usage_metadata=usage_metadata(usage) if usage is not None and k == 0 else None,
        )
        generations.append(ChatGeneration(message=ai, generation_info={"finish_reason": finish}))
    llm_output = {"token_usage": usage or {}, "model_name": completion.get("model")}
    return ChatResult(generations=generations, llm_output=llm_output)


class StreamConverter:
    """Turns one stream's chunk dicts into `ChatGenerationChunk`s (one choice).

    `model_name` and `model_provider` ride on the first chunk, `finish_reason` on
    the chunk that ends the choice and usage on the chunk that carries it, so the
    sum of the chunks has each once. A call of the dispatcher is held back and
    sent whole, unwrapped, when the choice finishes (or at `flush`).
    """

    __slots__ = ("_args", "_call_id", "_id", "_name", "_started", "_tools")

    def __init__(self, payload: dict[str, Any]) -> None:
        """Prepare for the stream of the request `payload`."""
        self._tools = dispatched_tools(payload)
        self._call_id: str | None = None
        self._id: str | None = None
        self._started = False
        self._name = ""
        self._args = ""

    def convert(self, data: dict[str, Any]) -> ChatGenerationChunk | None:
        """The chunk for one `chat.completion.chunk`, or `None` if it carries nothing."""
        metadata: dict[str, Any] = {}
        if not self._started:
            self._started = True
            metadata = {"model_name": data.get("model"), "model_provider": PROVIDER}
        content = ""
        tool_chunks = []
        choices = data["choices"]
        if choices:
            choice = choices[0]
            delta = choice.get("delta") or {}
            content = delta.get("content") or ""
            call = delta.get("function_call")
            if call:
                tool_chunks = self._call_piece(call)
            if finish := choice.get("finish_reason"):
                metadata["finish_reason"] = finish
                tool_chunks += self._held_call()
        usage = data.get("usage")
        if usage:
            metadata["token_usage"] = usage
        if not (content or tool_chunks or metadata):
            return None
        # Only the fields a chunk has: langchain-core keeps every chunk of a stream,
        # and each field given costs time and memory (pydantic's fields-set grows).
        # The stream's id is one string shared by all its chunks, not one per chunk.
        if (stream_id := data.get("id")) != self._id:
            self._id = stream_id
        fields: dict[str, Any] = {"content": content, "id": self._id}
        if tool_chunks:
            fields["tool_call_chunks"] = tool_chunks
        if metadata:
            fields["response_metadata"] = metadata
        if usage:
            fields["usage_metadata"] = usage_metadata(usage)
        return ChatGenerationChunk(message=AIMessageChunk(**fields))

    def flush(self) -> ChatGenerationChunk | None:
        """A held dispatcher call the stream never finished, if any."""
        held = self._held_call()
        return (
            ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=held))
            if held
            else None
        )

    def _call_piece(self, call: dict[str, Any]) -> list[Any]:
        """Tool-call chunks for one `delta.function_call` piece.

        The name is held until it is whole — at the first `arguments` piece, or
        when the choice finishes — because LangChain's partial parsers look tools
        up by the name of the first chunk. A dispatcher call is held entirely.
        """
        name, args = call.get("name") or "", call.get("arguments") or ""
        if self._call_id is not None and not self._tools:  # the name went out already
            return [tool_call_chunk(name=name or None, args=args, id=None, index=0)]
        self._name += name
        if self._tools or not args:
            self._args += args
            return []
        self._call_id = _new_call_id()
        return [tool_call_chunk(name=self._name, args=args, id=self._call_id, index=0)]

    def _held_call(self) -> list[Any]:
        """The call still held when the choice finishes: a whole name, or the dispatcher's.

        A dispatcher call is unwrapped; an invalid one keeps the dispatcher's name
        and carries its raw arguments as a JSON string, not an object, so that
        LangChain's sum of the chunks lists it among `invalid_tool_calls` rather
        than as a call of the dispatcher.
        """
        if (self._call_id is not None and not self._tools) or not (self._name or self._args):
            return []
        self._call_id = self._call_id or _new_call_id()
        name, raw = self._name, self._args
        self._name = self._args = ""
        if not self._tools:  # a call without arguments
            return [tool_call_chunk(name=name, args=raw, id=self._call_id, index=0)]
        tool, args, error = _parse_call(name, raw, self._tools)
        text = dumps(raw if error else args).decode()
        return [tool_call_chunk(name=name if error else tool, args=text, id=self._call_id, index=0)]
