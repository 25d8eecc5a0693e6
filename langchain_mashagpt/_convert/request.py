"""Pure conversion of a request: LangChain messages → wire, call parameters → body.

`messages_to_wire` and `build_payload`, shared by the sync and async paths; the
answers' way back is in `_convert.answers`. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_mashagpt._encodable import Messages, plain_number
from langchain_mashagpt._functions.build import build_functions
from langchain_mashagpt._functions.names import author_name, wire_name
from langchain_mashagpt._functions.plan import CallPlan
from langchain_mashagpt._functions.results import tool_result_text
from langchain_mashagpt._json import dumps
from langchain_mashagpt._wire import FunctionCall, Message

__all__ = ["Request", "build_payload", "check_params", "messages_to_wire"]

_ROLES = frozenset({"system", "user", "assistant", "function"})
# Blocks of an AI message that its `tool_calls` already carry, or the model's
# own reasoning, which other providers return and the API has no place for.
_AI_BLOCKS_SKIPPED = frozenset(
    {
        "tool_use",
        "tool_call",
        "function_call",
        "reasoning",  # LangChain's standard block, OpenAI's Responses API
        "reasoning_content",  # DeepSeek and OpenAI-compatible gateways
        "thinking",  # Anthropic
        "redacted_thinking",  # Anthropic
    }
)
_RANGES = {
    "temperature": (0, 2),
    "top_p": (0, 1),
    "presence_penalty": (-2, 2),
    "frequency_penalty": (-2, 2),
}


def check_params(params: Mapping[str, Any]) -> None:
    """Raise `ValueError` for a request parameter the API would refuse."""
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


class Request(NamedTuple):
    """A request body and the plan that reads the function calls of its answer."""

    payload: dict[str, Any]
    plan: CallPlan


def build_payload(
    messages: Sequence[BaseMessage], params: dict[str, Any], *, stream: bool
) -> Request:
    """The request body for `messages` and the merged call parameters, and its `CallPlan`.

    `params` holds the model's fields merged with bound and per-call keyword
    arguments; `None` values are left out, `stream_usage` becomes
    `stream_options`, numpy's numbers become Python's (as the constructor makes
    them), here and in `logit_bias`. Raises `ValueError` before anything is sent.
    """
    payload = {k: plain_number(v) for k, v in params.items() if v is not None}
    if isinstance(bias := payload.get("logit_bias"), Mapping):
        payload["logit_bias"] = {plain_number(k): plain_number(v) for k, v in bias.items()}
    stream_usage = payload.pop("stream_usage", False)
    payload.pop("stream", None)
    if payload.get("stop") == []:
        del payload["stop"]
    check_params(payload)
    plan = build_functions(payload)
    if stream and payload.get("n", 1) > 1:
        raise ValueError(
            "n > 1 cannot be streamed: a stream carries one answer. Use invoke or "
            "generate for several choices, or set n=1."
        )
    payload["messages"] = messages_to_wire(messages)
    if stream:
        payload["stream"] = True
        if stream_usage:
            payload["stream_options"] = {"include_usage": True}
    return Request(payload, plan)


def messages_to_wire(messages: Sequence[BaseMessage]) -> list[Message]:
    """Convert a LangChain history to the API's `messages`.

    An AI message with several tool calls becomes consecutive assistant-call /
    function-result pairs in call order, results matched by `tool_call_id`.
    """
    if not messages:
        raise ValueError("There are no messages to send: pass at least one message.")
    wire = Messages()  # a list that knows which input message each came from
    call_names: dict[str, str] = {}
    i, count = 0, len(messages)
    while i < count:
        message = messages[i]
        origin = i
        i += 1
        calls = _calls_of(message, origin) if isinstance(message, AIMessage) else None
        if calls:
            ids = {call_id for call_id, _, _ in calls if call_id}
            results: dict[str, tuple[ToolMessage, int]] = {}
            while i < count:
                nxt = messages[i]
                if not isinstance(nxt, ToolMessage) or nxt.tool_call_id not in ids:
                    break
                if nxt.tool_call_id in results:
                    break
                results[nxt.tool_call_id] = (nxt, i)
                i += 1
            text = _text(message)
            author = author_name(message.name) if message.name is not None else None
            for k, (call_id, name, arguments) in enumerate(calls):
                call: FunctionCall = {"name": wire_name(name), "arguments": arguments}
                content = text if k == 0 and text else None
                turn: Message = {"role": "assistant", "content": content, "function_call": call}
                if author is not None:  # who made the call, on each of its messages
                    turn["name"] = author
                wire.add(turn, origin)
                if call_id:
                    call_names[call_id] = name
                    if call_id in results:
                        result, at = results.pop(call_id)
                        wire.add(_function_result(result, name), at)
        elif isinstance(message, ToolMessage):
            name = call_names.get(message.tool_call_id) or message.name or ""
            if not name:
                raise ValueError(
                    f"ToolMessage with tool_call_id {message.tool_call_id!r} answers no "
                    "tool call of an earlier AI message: keep the AI message that made "
                    "the call in the history, with the same id, or give the "
                    "ToolMessage the tool's `name`."
                )
            wire.add(_function_result(message, name), origin)
        else:
            wire.add(_plain(message), origin)
    return wire


def _calls_of(message: AIMessage, index: int) -> list[tuple[str | None, str, str]]:
    """`(id, name, JSON arguments)` of every call an AI message made, invalid too.

    Without `tool_calls`, the calls are read from `tool_use` (Anthropic) or
    `tool_call` content blocks, else from a legacy `function_call`. `index` is
    the message's in the history, for the error of arguments JSON cannot take.
    """
    calls: list[tuple[str | None, str, str]] = [
        (c.get("id"), c["name"], _arguments(c["args"], index, c["name"]))
        for c in message.tool_calls
    ]
    legacy = message.additional_kwargs.get("function_call")
    for c in message.invalid_tool_calls:
        name, args = c.get("name") or "", c.get("args") or ""
        # The raw text this package received, not the marked `args` (see _call_output).
        if isinstance(legacy, dict) and legacy.get("name") == name and not calls:
            args = legacy.get("arguments") or args
        calls.append((c.get("id"), name, args))
    if not calls and isinstance(message.content, list):
        calls = [
            (b.get("id"), b.get("name") or "", _arguments(b.get(key) or {}, index, b.get("name")))
            for b in message.content
            if isinstance(b, dict)
            and (key := {"tool_use": "input", "tool_call": "args"}.get(b.get("type", "")))
        ]
    if not calls and isinstance(legacy, dict):
        calls.append((None, legacy.get("name") or "", legacy.get("arguments") or ""))
    return calls


def _arguments(args: Any, index: int, name: Any) -> str:
    """A history tool call's arguments as JSON text; the error names the message and the call."""
    return dumps(
        args, f"message {index} (assistant), the arguments of its tool call {name!r}"
    ).decode()


def _plain(message: BaseMessage) -> Message:
    if isinstance(message, HumanMessage):
        role = "user"
    elif isinstance(message, AIMessage):
        role = "assistant"
    elif isinstance(message, SystemMessage):
        role = "system"
    elif isinstance(message, FunctionMessage):
        return {"role": "function", "name": wire_name(message.name), "content": _text(message)}
    elif isinstance(message, ChatMessage):
        role = message.role
        if role not in _ROLES:
            raise ValueError(
                f"ChatMessage role {role!r} is not one the MashaGPT API knows "
                f"({', '.join(sorted(_ROLES))}); for tool results use ToolMessage."
            )
        if role == "function":
            if not message.name:
                raise ValueError(
                    "ChatMessage(role='function') has no `name`: the API needs the name "
                    "of the function whose result it is. Pass name=... or use FunctionMessage."
                )
            return {"role": "function", "name": wire_name(message.name), "content": _text(message)}
    else:
        raise ValueError(
            f"{type(message).__name__} cannot be sent to the MashaGPT API: use System, "
            "Human, AI, Tool, Function or Chat messages."
        )
    wire: Message = {"role": role, "content": _text(message)}  # type: ignore[typeddict-item]
    if message.name is not None and (name := author_name(message.name)) is not None:
        wire["name"] = name
    return wire


def _function_result(message: ToolMessage, name: str) -> Message:
    content = tool_result_text(message.content)  # media blocks become placeholders
    return {"role": "function", "name": wire_name(name), "content": content}


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
