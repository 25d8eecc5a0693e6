"""Request strictness: every rule of the API page, checked before answering.

`decode_body(raw)` then `parse_request(body, known_models)` turn the body of
`POST /v1/chat/completions` into a `ChatRequest`, or raise `ApiError(400, ...)`
whose `param` names the offending field (`messages[2].content`,
`functions[0].name`, `temperature`, ...); an unknown model is a 404 with
`code: model_not_found`.

Following the Russian source, fields documented as `... | null`
(`temperature`, `top_p`, `n`, `stream`, `stop`, `max_tokens`,
`presence_penalty`, `frequency_penalty`) accept `null`, meaning "default".
Booleans are never numbers, `NaN`/`Infinity` are not JSON, and every unknown
field (top level, message, function) is rejected, so client bugs surface.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from langchain_mashagpt.testing._errors import (
    ApiError,
    fail,
    is_int,
    is_number,
    kind,
    reject_constant,
)
from langchain_mashagpt.testing._messages import (
    validate_function_call,
    validate_functions,
    validate_messages,
)
from langchain_mashagpt.testing._usage import known_base

__all__ = ["MAX_N", "ApiError", "ChatRequest", "check_model", "decode_body", "parse_request"]

#: The largest `n` the emulator accepts.
MAX_N = 10

_NO_SUCH_PARAMETER = {
    "tools": "The MashaGPT API has no `tools` parameter: declare functions in "
    "`functions` (the legacy function-calling protocol).",
    "tool_choice": "The MashaGPT API has no `tool_choice` parameter: use "
    '`function_call` ("none", "auto" or {"name": ...}).',
    "parallel_tool_calls": "The MashaGPT API has no `parallel_tool_calls` "
    "parameter: it makes at most one function call per message (offer a batch "
    "function such as `multi_tool_use_parallel` to get several at once).",
    "response_format": "The MashaGPT API has no `response_format` parameter: "
    'force a function with `function_call: {"name": ...}` to get structured output.',
}
_ALLOWED = frozenset(
    {
        "model",
        "messages",
        "functions",
        "function_call",
        "temperature",
        "top_p",
        "n",
        "stream",
        "stream_options",
        "stop",
        "max_tokens",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "user",
    }
)
_RANGES = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "presence_penalty": (-2.0, 2.0),
    "frequency_penalty": (-2.0, 2.0),
}


@dataclass(frozen=True)
class ChatRequest:
    """A validated request body, with defaults applied."""

    model: str
    messages: list[dict[str, Any]]
    functions: list[dict[str, Any]]
    function_call: str | dict[str, str]
    n: int
    stream: bool
    include_usage: bool
    stop: tuple[str, ...]
    max_tokens: int | None


def decode_body(raw: bytes) -> object:
    """Decode a request body as strict UTF-8 JSON (no `NaN`/`Infinity`)."""
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        fail(None, f"The request body is not valid UTF-8 JSON ({exc}).")


def parse_request(body: object, known_models: Collection[str] | None) -> ChatRequest:
    """Validate a decoded request body; raise `ApiError` on the first problem."""
    if not isinstance(body, dict):
        fail(None, f"The request body must be a JSON object, not {kind(body)}.")
    for key in body:
        if key in _NO_SUCH_PARAMETER:
            fail(key, _NO_SUCH_PARAMETER[key])
        if key not in _ALLOWED:
            fail(key, f"Unrecognized request argument supplied: {key}")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        fail("model", "`model` is required and must be a non-empty string.")
    messages = validate_messages(body.get("messages"))
    functions = validate_functions(body)
    function_call = validate_function_call(body, functions)
    _numbers(body)
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        fail("stream", f"`stream` must be a boolean, not {kind(stream)}.")
    request = ChatRequest(
        model=model,
        messages=messages,
        functions=functions,
        function_call=function_call,
        n=1 if body.get("n") is None else body["n"],
        stream=bool(stream),
        include_usage=_stream_options(body.get("stream_options"), bool(stream)),
        stop=_stop(body.get("stop")),
        max_tokens=body.get("max_tokens"),
    )
    check_model(model, known_models)
    return request


def check_model(model: str, known_models: Collection[str] | None) -> None:
    """Raise a 404 `model_not_found` error unless `model` is known, or a dated variant of one."""
    if known_models is not None and known_base(model, known_models) is None:
        raise ApiError(
            404,
            f"The model `{model}` does not exist or you do not have access to it. "
            f"Known models: {', '.join(sorted(known_models))}.",
            param="model",
            code="model_not_found",
        )


def _numbers(body: dict[str, Any]) -> None:
    for key, (low, high) in _RANGES.items():
        value = body.get(key)
        if value is None:
            continue
        if not is_number(value):
            fail(key, f"`{key}` must be a number, not {kind(value)}.")
        if not low <= value <= high:
            fail(key, f"`{key}` must be between {low:g} and {high:g}; got {value}.")
    n = body.get("n")
    if n is not None and not (is_int(n) and 1 <= n <= MAX_N):
        fail("n", f"`n` must be an integer from 1 to {MAX_N}; got {n!r}.")
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and not (is_int(max_tokens) and max_tokens >= 1):
        fail("max_tokens", f"`max_tokens` must be an integer >= 1; got {max_tokens!r}.")
    if "logit_bias" in body:
        bias = body["logit_bias"]
        if not isinstance(bias, dict):
            fail("logit_bias", "`logit_bias` must be an object mapping token ids to numbers.")
        for token, value in bias.items():
            if not token.isdigit():
                fail("logit_bias", f"`logit_bias` keys must be token ids (digits); got {token!r}.")
            if not (is_number(value) and -100 <= value <= 100):
                fail(
                    "logit_bias",
                    f"`logit_bias` values must be numbers from -100 to 100; got {value!r}.",
                )
    if "user" in body and not isinstance(body["user"], str):
        fail("user", f"`user` must be a string, not {kind(body['user'])}.")


def _stream_options(value: object, stream: bool) -> bool:
    if value is None:
        return False
    if not stream:
        fail("stream_options", "`stream_options` is only allowed when `stream` is true.")
    if not isinstance(value, dict) or not set(value) <= {"include_usage"}:
        fail("stream_options", '`stream_options` must be {"include_usage": <boolean>}.')
    include = value.get("include_usage", False)
    if not isinstance(include, bool):
        fail("stream_options.include_usage", "`stream_options.include_usage` must be a boolean.")
    return include


def _stop(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    stops = [value] if isinstance(value, str) else value
    if not isinstance(stops, list) or not all(isinstance(item, str) and item for item in stops):
        fail("stop", "`stop` must be a non-empty string or an array of non-empty strings.")
    if len(stops) > 4:
        fail("stop", f"`stop` accepts at most 4 sequences; got {len(stops)}.")
    return tuple(stops)
