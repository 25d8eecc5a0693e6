"""`response_format`: a schema function whose call is the answer's text; create_agent's strategies."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from langchain.agents import create_agent
from langchain.agents.structured_output import ProviderStrategy, ToolStrategy
from langchain_core.tools import tool
from pydantic import BaseModel
from typing_extensions import TypedDict

from langchain_mashagpt._functions.schemas import DISPATCHER_NAME
from tests.helpers import MockServer, Runner, completion, merge
from tests.unit_tests.helpers import answer, sse_call

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "degrees": {"type": "integer"}},
    "required": ["city", "degrees"],
}
JSON_SCHEMA = {"type": "json_schema", "json_schema": {"name": "Weather", "schema": SCHEMA}}
ARGS = '{"city": "Paris", "degrees": 5}'


class Weather(BaseModel):
    """The weather in a city."""

    city: str
    degrees: int


class WeatherDict(TypedDict):
    """The weather in a city."""

    city: str
    degrees: int


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"+5 in {city}"


def as_sse(body: dict[str, Any]) -> httpx.Response:
    message = body["choices"][0]["message"]
    if message.get("function_call"):
        call = message["function_call"]
        text = sse_call(call["name"], call["arguments"][:9], call["arguments"][9:])
    else:
        events = [
            {
                "id": "x",
                "model": "m",
                "choices": [{"index": 0, "delta": {"content": message["content"]}}],
            },
            {"id": "x", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        ]
        text = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    return httpx.Response(200, content=text.encode(), headers={"content-type": "text/event-stream"})


def either(body: dict[str, Any]) -> Any:
    """Reply with `body`, streamed when the request asks for a stream."""

    def reply(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content).get("stream"):
            return as_sse(body)
        return httpx.Response(200, json=body)

    return reply


@pytest.mark.parametrize(
    ("response_format", "name"),
    [
        (JSON_SCHEMA, "Weather"),
        (Weather, "Weather"),
        (WeatherDict, "WeatherDict"),
        ({"title": "Weather", **SCHEMA}, "Weather"),
    ],
)
async def test_a_schema_alone_is_one_forced_function_answered_as_text(
    server: MockServer, run: Runner, response_format: Any, name: str
) -> None:
    server.reply(either(answer(name, ARGS)))
    bound = server.model().bind(response_format=response_format)
    invoked = await run.invoke(bound, "weather?")
    streamed = merge(await run.stream(bound, "weather?"))
    for message in (invoked, streamed):
        assert message.content == ARGS
        assert message.tool_calls == message.invalid_tool_calls == []
        assert "function_call" not in message.additional_kwargs
    body = server.bodies[0]
    assert "response_format" not in body
    assert [f["name"] for f in body["functions"]] == [name]
    assert body["functions"][0]["parameters"]["properties"] == SCHEMA["properties"]
    assert body["function_call"] == {"name": name}


async def test_with_tools_the_schema_is_offered_beside_them(
    server: MockServer, run: Runner
) -> None:
    server.reply(either(answer("get_weather", '{"city": "Paris"}')))
    bound = server.model().bind_tools([get_weather], response_format=JSON_SCHEMA, strict=True)
    message = await run.invoke(bound, "weather?")
    assert message.tool_calls[0]["args"] == {"city": "Paris"}
    assert [f["name"] for f in server.body["functions"]] == ["get_weather", "Weather"]
    assert server.body["function_call"] == "auto"


@pytest.mark.parametrize("kind", ["json_object", "text"])
async def test_json_object_and_text_send_nothing(
    server: MockServer, run: Runner, kind: str
) -> None:
    server.json(completion('{"a": 1}'))
    message = await run.invoke(server.model().bind(response_format={"type": kind}), "json please")
    assert message.content == '{"a": 1}'
    assert "response_format" not in server.body
    assert "functions" not in server.body


def test_a_schema_named_like_a_tool_is_refused(server: MockServer) -> None:
    clash = {"type": "json_schema", "json_schema": {"name": "get_weather", "schema": SCHEMA}}
    with pytest.raises(ValueError, match="has the name of a bound tool"):
        server.model().bind_tools([get_weather], response_format=clash).invoke("x")
    assert server.requests == []


# ---------------------------------------------------------------- create_agent


def agent_turns(request: httpx.Request) -> httpx.Response:
    """A model that calls get_weather first, then answers in the Weather schema."""
    body = json.loads(request.content)
    names = [f["name"] for f in body.get("functions", ())]
    done = any(m["role"] == "function" for m in body["messages"])
    wrapped = DISPATCHER_NAME in names
    call = ("Weather", ARGS) if done else ("get_weather", '{"city": "Paris"}')
    if wrapped:
        call = (DISPATCHER_NAME, json.dumps({call[0]: json.loads(call[1])}))
    reply = answer(*call)
    return as_sse(reply) if body.get("stream") else httpx.Response(200, json=reply)


STRATEGIES = {
    "schema": lambda: Weather,
    "provider": lambda: ProviderStrategy(Weather),
    "tool": lambda: ToolStrategy(Weather),
}


@pytest.mark.parametrize("model_name", ["gpt-4o-mini", "claude-3-opus"])
@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_create_agent_response_format(
    server: MockServer, run: Runner, model_name: str, strategy: str, mode: str
) -> None:
    server.reply(agent_turns)
    agent = create_agent(
        server.model(model=model_name), [get_weather], response_format=STRATEGIES[strategy]()
    )
    inputs = {"messages": [("user", "weather in Paris?")]}
    if mode == "invoke":
        state = await run.invoke(agent, inputs)
    else:
        state = (await run.stream(agent, inputs, stream_mode="values"))[-1]
    assert state["structured_response"] == Weather(city="Paris", degrees=5)
    first, second, *_ = server.bodies
    assert "response_format" not in first
    assert first["messages"][0] == {"role": "user", "content": "weather in Paris?"}
    assert second["messages"][2]["role"] == "function"
