"""A call cut by `max_tokens` or the content filter is never a valid call (issue #20, part 4)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage
from pydantic import BaseModel

from langchain_mashagpt._functions.plan import CallPlan
from tests.helpers import MockServer, Runner, merge
from tests.unit_tests.helpers import sse_call

WEATHER = [{"name": "get_weather", "parameters": {"type": "object", "properties": {}}}]
CUTS = ["length", "content_filter"]
BATCH = "multi_tool_use_parallel"


def cut_answer(arguments: str, finish: str, name: str = "get_weather") -> dict[str, Any]:
    call = {"name": name, "arguments": arguments}
    message = {"role": "assistant", "content": None, "function_call": call}
    return {
        "id": "chatcmpl-cut",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
    }


async def answered(
    server: MockServer, run: Runner, mode: str, arguments: str, finish: str
) -> AIMessage:
    if mode == "invoke":
        server.json(cut_answer(arguments, finish))
    else:
        server.sse(sse_call("get_weather", *([arguments] if arguments else []), finish=finish))
    model = server.model().bind(functions=WEATHER, function_call={"name": "get_weather"})
    if mode == "invoke":
        message: AIMessage = await run.invoke(model, "Погода?")
        return message
    return merge(await run.stream(model, "Погода?"))


@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize("finish", CUTS)
@pytest.mark.parametrize("arguments", ["", "{}", '{"city": "Paris"}', '{"city": "Par'])
async def test_a_cut_call_is_invalid_whatever_its_arguments(
    server: MockServer, run: Runner, mode: str, finish: str, arguments: str
) -> None:
    message = await answered(server, run, mode, arguments, finish)
    assert message.tool_calls == []
    assert [c["name"] for c in message.invalid_tool_calls] == ["get_weather"]
    assert message.response_metadata["finish_reason"] == finish
    if mode == "invoke":
        error = message.invalid_tool_calls[0]["error"] or ""
        assert ("max_tokens" if finish == "length" else "content filter") in error


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_a_finished_call_with_empty_arguments_is_still_valid(
    server: MockServer, run: Runner, mode: str
) -> None:
    message = await answered(server, run, mode, "", "function_call")
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [("get_weather", {})]


@pytest.mark.parametrize("finish", CUTS)
def test_under_a_cut_every_call_of_a_batch_is_invalid(finish: str) -> None:
    payload = {
        "functions": [
            {
                "name": BATCH,
                "parameters": {
                    "type": "object",
                    "properties": {"tool_uses": {"type": "array"}},
                },
            }
        ]
    }
    plan = CallPlan.of(payload)
    raw = json.dumps({"tool_uses": [{"recipient_name": "a", "parameters": {}}]})
    assert all(type(o).__name__ == "InvalidCall" for o in plan.decode(BATCH, raw, finish))


def gateway_sse(finish: str) -> str:
    """Two calls in OpenAI's newer `tool_calls` shape, the second cut."""
    deltas = [
        {"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{}"}}]},
        {"tool_calls": [{"index": 1, "id": "b", "function": {"name": "g", "arguments": ""}}]},
        {"tool_calls": [{"index": 1, "function": {"arguments": '{"x": 1'}}]},
    ]
    events = [{"id": "c", "choices": [{"index": 0, "delta": d}]} for d in deltas]
    events.append({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    return "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"


def gateway_answer(finish: str) -> dict[str, Any]:
    calls = [
        {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}},
        {"id": "b", "type": "function", "function": {"name": "g", "arguments": '{"x": 1'}},
    ]
    body = cut_answer("", finish)
    body["choices"][0]["message"] = {"role": "assistant", "content": None, "tool_calls": calls}
    return body


@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize("finish", CUTS)
async def test_a_gateways_last_call_is_the_cut_one(
    server: MockServer, run: Runner, mode: str, finish: str
) -> None:
    model = server.model()
    if mode == "invoke":
        server.json(gateway_answer(finish))
        message = await run.invoke(model, "x")
    else:
        server.sse(gateway_sse(finish))
        message = merge(await run.stream(model, "x"))
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [("f", {})]
    assert [c["name"] for c in message.invalid_tool_calls] == ["g"]


class Weather(BaseModel):
    """The weather in a city."""

    city: str = "Moscow"


async def structured(
    server: MockServer, run: Runner, mode: str, finish: str, include_raw: bool
) -> Any:
    if mode == "invoke":
        server.json(cut_answer("", finish, name="Weather"))
    else:
        server.sse(sse_call("Weather", finish=finish))
    chain = server.model(streaming=mode == "stream").with_structured_output(
        Weather, include_raw=include_raw
    )
    return await run.invoke(chain, "Погода?")


@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize("finish", CUTS)
async def test_structured_output_on_a_cut_raises_saying_so(
    server: MockServer, run: Runner, mode: str, finish: str
) -> None:
    said = "max_tokens" if finish == "length" else "content filter"
    with pytest.raises(OutputParserException, match=said) as info:
        await structured(server, run, mode, finish, include_raw=False)
    assert f"finish_reason {finish}" in str(info.value)


@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize("finish", CUTS)
async def test_structured_output_on_a_cut_with_raw_gives_the_parsing_error(
    server: MockServer, run: Runner, mode: str, finish: str
) -> None:
    result = await structured(server, run, mode, finish, include_raw=True)
    assert result["parsed"] is None
    said = "max_tokens" if finish == "length" else "content filter"
    assert said in str(result["parsing_error"])
    assert result["raw"].response_metadata["finish_reason"] == finish
