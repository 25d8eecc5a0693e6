"""The fixed script: one function per step, each sending one request.

A step calls `ChatMashaGPT` the way a user would, then checks two things: the
raw answer against the shapes the package assumes (`_shapes`), and what the
package made of it. It returns the differences; an empty list is "ok".
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.runnables import Runnable

from langchain_mashagpt._functions.batch import BATCH_NAME
from langchain_mashagpt._http.failures import status_error
from langchain_mashagpt._http.tap import Exchange, TransportError
from langchain_mashagpt.check import _probes
from langchain_mashagpt.check._context import Context, Stopped, Unavailable
from langchain_mashagpt.check._shapes import (
    Difference,
    completion_differences,
    decode_stream,
    error_differences,
    error_message,
    function_call_stream_differences,
    loads,
    shape,
    stream_differences,
    usage_differences,
)
from langchain_mashagpt.errors import AuthenticationError, BadRequestError, MashaGPTError

__all__ = ["BAD_KEY", "PROBES", "STEPS", "Step", "steps"]

BAD_KEY = "sk-mashagpt-check-deliberately-invalid-key"
"""The key the bad-key step sends: well-formed, and surely not anyone's."""

GET_WEATHER = _probes.city_tool("get_weather", "Get the current weather in a city.", "Paris")
GET_TIME = _probes.city_tool("get_time", "Get the current local time in a city.", "Tokyo")
_CYRILLIC = re.compile("[А-Яа-яЁё]")
_MOJIBAKE = re.compile("[ÐÑ][\u0080-\u00bf]")

Check = Callable[[Context], list[Difference]]
"""A step: the differences from what the package assumes (none: "ok")."""
Probe = Callable[[Context], _probes.Finding]
"""A probe: what the API did with a request the package never sends."""


@dataclass(frozen=True)
class Step:
    """One step of the script (or a probe): its name, what it checks, a rough token budget."""

    name: str
    title: str
    run: Check | Probe
    tokens: int
    expensive: bool = False


def _expect(ok: bool, field: str, expected: str, seen: Any) -> list[Difference]:
    return (
        [] if ok else [Difference(field, expected, seen if isinstance(seen, str) else shape(seen))]
    )


def _energy_surfaced(message: AIMessage | None) -> list[Difference]:
    """The package hands usage and energy on, as `usage_metadata` and `token_usage`."""
    if message is None:
        return []
    usage = message.response_metadata.get("token_usage")
    return _expect(
        message.usage_metadata is not None and isinstance(usage, dict) and "total_energy" in usage,
        "response_metadata.token_usage",
        "usage with total_energy",
        usage,
    )


def _answered(message: AIMessage | None) -> list[Difference]:
    if message is None:
        return []
    return _expect(bool(message.text), "AIMessage.content", "a text answer", message.content)


def plain(ctx: Context) -> list[Difference]:
    """A plain answer, with usage and energy."""
    message, found = ctx.call(lambda: ctx.chat().invoke("Say hello in one short sentence."))
    if message is not None:
        found += completion_differences(ctx.answer())
    return found + _answered(message) + _energy_surfaced(message)


def _stream(
    ctx: Context, model: Runnable[str, Any], prompt: str
) -> tuple[AIMessageChunk | None, list[Difference]]:
    def collect() -> AIMessageChunk | None:
        total: AIMessageChunk | None = None
        for chunk in model.stream(prompt):
            total = chunk if total is None else total + chunk
        return total

    start = len(ctx.tap.exchanges)
    message, found = ctx.call(collect)
    found = _resent(ctx.tap.exchanges[start:]) + found
    if ctx.last.status < 300:
        chunks, done = decode_stream(bytes(ctx.last.body))
        usage = "stream_options" in ctx.request()
        found += stream_differences(chunks, done, usage=usage)
    return message, found


def _resent(exchanges: list[Exchange]) -> list[Difference]:
    """A request refused and sent again changed (the package's `stream_options` fallback)."""
    found = []
    for refused, again in itertools.pairwise(exchanges):
        dropped = sorted(set(loads(refused.request)) - set(loads(again.request)))
        try:
            message = error_message(loads(bytes(refused.body)))
        except ValueError:
            message = bytes(refused.body[:80]).decode("utf-8", "replace")
        seen = f"{refused.status} ({message or 'no message'}), resent without {', '.join(dropped)}"
        found.append(Difference("HTTP status", "200", seen))
    return found


def stream_with_usage(ctx: Context) -> list[Difference]:
    """A stream with `stream_options.include_usage`: usage and energy on the last chunk."""
    message, found = _stream(ctx, ctx.chat(stream_usage=True), "Count from 1 to 5.")
    return found + _answered(message) + _energy_surfaced(message)


def stream_without_usage(ctx: Context) -> list[Difference]:
    """A stream without `stream_options` (the fallback when a service refuses it)."""
    message, found = _stream(ctx, ctx.chat(stream_usage=False), "Count from 1 to 5.")
    if ctx.last.status < 300:
        chunks, _ = decode_stream(bytes(ctx.last.body))
        for chunk in chunks:  # usage sent anyway must still carry energy
            if isinstance(chunk, dict) and chunk.get("usage"):
                found += usage_differences(chunk["usage"], "stream usage")
    return found + _answered(message)


def stop(ctx: Context) -> list[Difference]:
    """`stop` cuts the answer before the sequence, with `finish_reason` "stop"."""
    prompt = "Repeat after me: alpha beta gamma delta"
    message, found = ctx.call(lambda: ctx.chat(stop=["gamma"]).invoke(prompt))
    if message is None:
        return found
    found += completion_differences(ctx.answer())
    found += _expect("gamma" not in message.text, "content", "cut before 'gamma'", message.text)
    reason = message.response_metadata.get("finish_reason")
    return found + _expect(reason == "stop", "finish_reason", "'stop'", reason)


def two_choices(ctx: Context) -> list[Difference]:
    """`n=2`: two choices, usage once."""
    chat = ctx.chat(n=2)
    result, found = ctx.call(lambda: chat.generate([[HumanMessage("Name a colour.")]]))
    if result is None:
        return found
    found += completion_differences(ctx.answer(), choices=2)
    count = len(result.generations[0])
    return found + _expect(count == 2, "generations", "2", f"{count}")


def _one_call(message: AIMessage | None, names: set[str]) -> list[Difference]:
    if message is None:
        return []
    calls = [call["name"] for call in message.tool_calls]
    expected = f"one call of {' or '.join(sorted(names))}"
    found = _expect(len(calls) == 1 and calls[0] in names, "tool_calls", expected, f"{calls}")
    return found + _expect(
        not message.invalid_tool_calls,
        "invalid_tool_calls",
        "none",
        f"{[call.get('error') for call in message.invalid_tool_calls]}",
    )


def _wire_call(ctx: Context, name: str) -> list[Difference]:
    """The answer (already of the documented shape) calls the function `name`."""
    call = ctx.answer()["choices"][0]["message"].get("function_call")
    seen = repr(call.get("name")) if isinstance(call, dict) else "a text answer"
    return _expect(seen == repr(name), "message.function_call.name", repr(name), seen)


def function_auto(ctx: Context) -> list[Difference]:
    """A function call the model chooses (`function_call` "auto")."""
    chat = ctx.chat().bind_tools([GET_WEATHER])
    prompt = "What is the weather in Paris? Use the get_weather tool."
    message, found = ctx.call(lambda: chat.invoke(prompt))
    if message is None:
        return found
    found += completion_differences(ctx.answer()) or _wire_call(ctx, "get_weather")
    return found + _one_call(message, {"get_weather"})


def function_forced(ctx: Context) -> list[Difference]:
    """A forced function, streamed: `delta.function_call` pieces make one call."""
    chat = ctx.chat(stream_usage=False).bind_tools([GET_WEATHER], tool_choice="get_weather")
    message, found = _stream(ctx, chat, "I am going to Paris tomorrow.")
    if ctx.last.status < 300:
        found += function_call_stream_differences(decode_stream(bytes(ctx.last.body))[0])
    return found + _one_call(message, {"get_weather"})


def dispatcher(ctx: Context) -> list[Difference]:
    """`tool_choice="any"` with two tools: one forced `select_tool` call, unwrapped."""
    chat = ctx.chat().bind_tools([GET_WEATHER, GET_TIME], tool_choice="any")
    message, found = ctx.call(lambda: chat.invoke("What time is it in Tokyo?"))
    if message is None:
        return found
    found += completion_differences(ctx.answer()) or _wire_call(ctx, "select_tool")
    return found + _one_call(message, {"get_weather", "get_time"})


def parallel(ctx: Context) -> list[Difference]:
    """`parallel_tool_calls=True`: one `multi_tool_use_parallel` call read back as two calls."""
    chat = ctx.chat().bind_tools([GET_WEATHER], parallel_tool_calls=True)
    prompt = "What is the weather in Moscow and in Paris? Look both up at once."
    message, found = ctx.call(lambda: chat.invoke(prompt))
    if message is None:
        return found
    found += completion_differences(ctx.answer()) or _wire_call(ctx, BATCH_NAME)
    calls = [call["name"] for call in message.tool_calls]
    return found + _expect(
        calls == ["get_weather"] * 2, "tool_calls", "two get_weather calls", f"{calls}"
    )


def function_result(ctx: Context) -> list[Difference]:
    """A function result sent back (`role: function`), answered in text."""
    history = [
        HumanMessage("What is the weather in Paris?"),
        AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "c1"}]),
        ToolMessage("Sunny, 22 °C", tool_call_id="c1"),
    ]
    chat = ctx.chat().bind_tools([GET_WEATHER])
    message, found = ctx.call(lambda: chat.invoke(history))
    if message is None:
        return found
    return found + completion_differences(ctx.answer()) + _answered(message)


def russian(ctx: Context) -> list[Difference]:
    """Russian both ways: sent as UTF-8, answered without mojibake."""
    prompt = "Привет! Ответь по-русски одним коротким предложением."
    message, found = ctx.call(lambda: ctx.chat().invoke(prompt))
    found += _expect(prompt.encode() in ctx.last.request, "request", "real UTF-8", "escaped")
    if message is None:
        return found
    found += completion_differences(ctx.answer())
    text = message.text
    found += _expect(not _MOJIBAKE.search(text), "content", "Cyrillic", f"mojibake {text[:40]!r}")
    return found + _expect(bool(_CYRILLIC.search(text)), "content", "a Russian answer", text[:40])


def bad_request(ctx: Context) -> list[Difference]:
    """A request without `messages`: a 400 with the documented error body."""
    url = ctx.base_url.rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {ctx.api_key}", "Content-Type": "application/json"}
    try:
        response = ctx.http.post(url, json={"model": ctx.model}, headers=headers)
    except TransportError as exc:
        raise Unavailable(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code == 401:
        raise Stopped(f"MashaGPT refused the API key: HTTP 401 {response.text[:160]}")
    found = error_differences(response.status_code, response.content, (400, 422))
    error = status_error(response.status_code, response.headers, response.content, attempts=1)
    return found + _expect(
        isinstance(error, BadRequestError), "package error", "BadRequestError", type(error).__name__
    )


def bad_key(ctx: Context) -> list[Difference]:
    """A wrong key: a 401 with the documented error body, `AuthenticationError`."""
    try:
        ctx.chat(api_key=BAD_KEY).invoke("Hello")
    except MashaGPTError as exc:
        raised: Exception | None = exc
    else:
        raised = None
    found = error_differences(ctx.last.status, bytes(ctx.last.body), (401,))
    return found + _expect(
        isinstance(raised, AuthenticationError),
        "package error",
        "AuthenticationError",
        type(raised).__name__ if raised else "an answer",
    )


def too_long(ctx: Context) -> list[Difference]:
    """A prompt beyond any context window: a 400 naming it, not a silent cut."""
    prompt = "word " * 300_000
    message, found = ctx.call(lambda: ctx.chat(max_tokens=1).invoke(prompt))
    if message is not None:
        tokens = message.usage_metadata["input_tokens"] if message.usage_metadata else "?"
        seen = f"200: the prompt was accepted ({tokens} prompt tokens)"
        return [Difference("HTTP status", "400 (context length exceeded)", seen)]
    found = [d for d in found if d.field not in ("HTTP status", "ChatMashaGPT")]
    return found + error_differences(ctx.last.status, bytes(ctx.last.body), (400, 413, 422))


def steps(*, expensive: bool = False, probes: bool = False) -> list[Step]:
    """The script, in order; the too-long prompt only when `expensive`; then `PROBES` if asked."""
    script = [step for step in STEPS if expensive or not step.expensive]
    return script + list(PROBES) if probes else script


STEPS: tuple[Step, ...] = (
    Step("plain", "a plain answer, usage and energy", plain, 80),
    Step("stream", "a stream with stream_options", stream_with_usage, 80),
    Step("stream-plain", "a stream without stream_options", stream_without_usage, 80),
    Step("stop", "stop", stop, 80),
    Step("n2", "n=2", two_choices, 140),
    Step("function-auto", "a function call (auto)", function_auto, 160),
    Step("function-forced", "a forced function, streamed", function_forced, 160),
    Step("dispatcher", "the select_tool dispatcher", dispatcher, 260),
    Step("parallel", "the parallel batch function", parallel, 300),
    Step("function-result", "a function result round trip", function_result, 180),
    Step("russian", "a Russian round trip", russian, 100),
    Step("bad-request", "a bad request (error body)", bad_request, 0),
    Step("bad-key", "a bad key (error body)", bad_key, 0),
    Step("too-long", "a too-long prompt", too_long, 300_000, expensive=True),
)

PROBES: tuple[Step, ...] = (
    Step("probe-tools", "probe: tools (not functions)", _probes.tools, 160),
    Step("probe-response-format", "probe: response_format", _probes.response_format, 120),
    Step("probe-image", "probe: an image part", _probes.image, 200),
    Step("probe-reasoning", "probe: reasoning_content", _probes.reasoning, 120),
)
"""Requests the API pages do not promise, each reported as accepted or refused (`_probes`)."""
