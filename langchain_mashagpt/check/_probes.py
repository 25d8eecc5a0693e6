"""Probes: what the API pages do not promise but users ask about. One request each.

Each probe sends one request the package itself never sends — OpenAI's newer
`tools`, a `response_format`, an image part, a reasoning model — straight over
the tapped client, and reports whether the live API *accepted* it (and what
came back) or *refused* it (the status and the error's shape). A probe judges
nothing: either answer is a finding, and neither changes the package's
defaults. They run with `mashagpt-check --probes`.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from langchain_mashagpt._http.tap import Response, TransportError
from langchain_mashagpt.check._context import (
    MAX_TOKENS,
    REASONING_MODEL,
    Context,
    Stopped,
    Unavailable,
)
from langchain_mashagpt.check._shapes import error_message, loads, shape

__all__ = [
    "REASONING_MODEL",
    "Finding",
    "city_tool",
    "image",
    "reasoning",
    "response_format",
    "tools",
]


def city_tool(name: str, description: str, example: str | None = None) -> dict[str, Any]:
    """An OpenAI tool dict of one function that takes a `city` (`example` describes it)."""
    city: dict[str, str] = {"type": "string"}
    if example is not None:
        city["description"] = f"The city, e.g. {example}"
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": {"city": city}, "required": ["city"]},
        },
    }


_WEATHER_TOOL = city_tool("get_weather", "Get the current weather in a city.")
_CITY_SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "city",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
# A 1×1 red PNG.
_RED_PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
    "z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


class Finding(NamedTuple):
    """What a probe found: `accepted` (and what came back) or `refused` (and how)."""

    verdict: Literal["accepted", "refused"]
    detail: str


def _send(ctx: Context, body: dict[str, Any]) -> Response:
    """POST `body` (with the run's model unless it names one) over the tapped client."""
    url = ctx.base_url.rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {ctx.api_key}", "Content-Type": "application/json"}
    payload = {"model": ctx.model, "max_tokens": MAX_TOKENS, **body}
    try:
        response = ctx.http.post(url, json=payload, headers=headers)
    except TransportError as exc:
        raise Unavailable(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code == 401:
        raise Stopped(f"MashaGPT refused the API key: HTTP 401 {response.text[:160]}")
    if response.status_code == 402:
        raise Stopped(f"the account has no energy left: HTTP 402 {response.text[:160]}")
    if response.status_code == 429 or response.status_code >= 500:
        raise Unavailable(f"HTTP {response.status_code} {response.text[:160]}")
    return response


def _error_shape(response: Response) -> str:
    """`HTTP 400, error {type, param, code}: message` — what a refusal looks like."""
    try:
        body = loads(response.content)
    except ValueError:
        kind = response.headers.get("content-type", "no content type")
        return f"HTTP {response.status_code}, a body that is not JSON ({kind})"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        fields = ", ".join(f"{k}={error[k]!r}" for k in ("type", "param", "code") if k in error)
        where = f"error {{{fields}}}"
    else:
        where = f"body {shape(body)}"
    message = error_message(body)
    return f"HTTP {response.status_code}, {where}" + (f": {message[:160]}" if message else "")


def _message(response: Response) -> dict[str, Any]:
    try:
        body = loads(response.content)
        message = body["choices"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        return {}
    return message if isinstance(message, dict) else {}


def _found(response: Response, what: str) -> Finding:
    """Accepted, `what` describing the answer; or refused, with the error's shape."""
    if response.status_code < 300:
        return Finding("accepted", what)
    return Finding("refused", _error_shape(response))


def tools(ctx: Context) -> Finding:
    """OpenAI's `tools` / `tool_choice` instead of `functions`."""
    body = {
        "messages": [{"role": "user", "content": "What is the weather in Paris? Use the tool."}],
        "tools": [_WEATHER_TOOL],
        "tool_choice": "auto",
    }
    response = _send(ctx, body)
    message = _message(response)
    if message.get("tool_calls"):
        what = "answered with message.tool_calls"
    elif message.get("function_call"):
        what = "answered with message.function_call"
    else:
        what = "answered in text, no call"
    return _found(response, what)


def response_format(ctx: Context) -> Finding:
    """A `response_format` JSON schema instead of a forced function."""
    body = {
        "messages": [{"role": "user", "content": "Which city is the capital of France?"}],
        "response_format": _CITY_SCHEMA,
    }
    response = _send(ctx, body)
    content = _message(response).get("content")
    try:
        parsed = loads(content) if isinstance(content, str) else None
    except ValueError:
        parsed = None
    what = "the content is a JSON object" if isinstance(parsed, dict) else "the content is not JSON"
    return _found(response, what)


def image(ctx: Context) -> Finding:
    """An image part (`image_url` with a data URL) in a user message."""
    content = [
        {"type": "text", "text": "What colour is this image? One word."},
        {"type": "image_url", "image_url": {"url": _RED_PIXEL}},
    ]
    response = _send(ctx, {"messages": [{"role": "user", "content": content}]})
    text = _message(response).get("content")
    return _found(response, f"answered {str(text)[:40]!r}")


def reasoning(ctx: Context) -> Finding:
    """A reasoning model: does its answer carry `reasoning_content` (or `reasoning`)?"""
    body = {
        "model": ctx.reasoning_model,
        "messages": [{"role": "user", "content": "What is 17 * 23? Answer with the number."}],
    }
    response = _send(ctx, body)
    message = _message(response)
    key = next((k for k in ("reasoning_content", "reasoning") if message.get(k)), None)
    what = (
        f"{ctx.reasoning_model} returned `{key}`"
        if key
        else f"{ctx.reasoning_model} returned no reasoning_content (fields: {sorted(message)})"
    )
    return _found(response, what)
