"""LangChain and LangGraph agents run their tool loops over `ChatMashaGPT`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage
from langchain_core.tools import tool
from langgraph.prebuilt import create_react_agent

from tests.helpers import MockServer, Runner, completion
from tests.unit_tests.helpers import sse_fixture


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Солнечно, {city}"


@tool
def get_time(zone: str) -> dict[str, str]:
    """Get the current time in a time zone."""
    return {"zone": zone, "time": "12:00"}


TOOLS = [get_weather, get_time]


def react_agent(model: Any, tools: list[Any]) -> Any:
    return create_react_agent(model, tools)


FACTORIES: dict[str, Callable[[Any, list[Any]], Any]] = {
    "create_agent": lambda model, tools: create_agent(model, tools=tools),
    "create_react_agent": react_agent,
}
agents = pytest.mark.parametrize("factory", FACTORIES.values(), ids=FACTORIES.keys())
pytestmark = pytest.mark.filterwarnings(
    "ignore:create_react_agent has been moved:DeprecationWarning"
)


def reply(content: str | None, step: int, **kwargs: Any) -> dict[str, Any]:
    """A completion with its own id: LangGraph keeps one message per id."""
    return {**completion(content, **kwargs), "id": f"chatcmpl-{step}"}


def called(name: str, arguments: str, step: int) -> dict[str, Any]:
    call = {"name": name, "arguments": arguments}
    return reply(None, step, function_call=call, finish_reason="function_call")


def assert_only_functions_went_out(server: MockServer) -> None:
    for body in server.bodies:
        assert "tools" not in body
        assert "tool_choice" not in body
        assert [f["name"] for f in body["functions"]] == ["get_weather", "get_time"]
        assert {m["role"] for m in body["messages"]} <= {"system", "user", "assistant", "function"}


@agents
async def test_agent_runs_a_multi_step_loop_with_two_tools(
    server: MockServer, run: Runner, factory: Callable[[Any, list[Any]], Any]
) -> None:
    server.json(called("get_weather", '{"city": "Москва"}', 1))
    server.json(called("get_time", '{"zone": "Europe/Moscow"}', 2))
    server.json(reply("В Москве солнечно, сейчас 12:00.", 3))
    agent = factory(server.model(), TOOLS)
    state = await run.invoke(agent, {"messages": [("user", "Погода и время в Москве?")]})
    messages = state["messages"]
    assert messages[-1].content == "В Москве солнечно, сейчас 12:00."
    tool_results = [m for m in messages if isinstance(m, ToolMessage)]
    assert [(m.name, m.content) for m in tool_results] == [
        ("get_weather", "Солнечно, Москва"),
        ("get_time", '{"zone": "Europe/Moscow", "time": "12:00"}'),
    ]
    assert len(server.requests) == 3
    assert_only_functions_went_out(server)
    last = server.bodies[-1]["messages"]
    assert last[1:] == [
        {
            "role": "assistant",
            "content": None,
            "function_call": {"name": "get_weather", "arguments": '{"city":"Москва"}'},
        },
        {"role": "function", "name": "get_weather", "content": "Солнечно, Москва"},
        {
            "role": "assistant",
            "content": None,
            "function_call": {"name": "get_time", "arguments": '{"zone":"Europe/Moscow"}'},
        },
        {
            "role": "function",
            "name": "get_time",
            "content": '{"zone": "Europe/Moscow", "time": "12:00"}',
        },
    ]
    assert last[0] == {"role": "user", "content": "Погода и время в Москве?"}


@agents
async def test_agent_streams_messages(
    server: MockServer, run: Runner, factory: Callable[[Any, list[Any]], Any]
) -> None:
    server.sse(sse_fixture("function_call"))
    server.sse(sse_fixture("text"))
    agent = factory(server.model(), TOOLS)
    events = await run.stream(
        agent, {"messages": [("user", "Погода в Москве?")]}, stream_mode="messages"
    )
    chunks = [m for m, _ in events if isinstance(m, AIMessageChunk)]
    assert "".join(c.text for c in chunks) == "Hello, мир!"
    pieces = [p for c in chunks for p in c.tool_call_chunks]
    assert "".join(p["name"] or "" for p in pieces) == "get_weather"
    assert "".join(p["args"] or "" for p in pieces) == '{"city": "Москва"}'
    results = [m for m, _ in events if isinstance(m, ToolMessage)]
    assert [(m.name, m.content) for m in results] == [("get_weather", "Солнечно, Москва")]
    assert [body["stream"] for body in server.bodies] == [True, True]
    assert_only_functions_went_out(server)
    assert server.bodies[1]["messages"][-1] == {
        "role": "function",
        "name": "get_weather",
        "content": "Солнечно, Москва",
    }


@agents
async def test_agent_recovers_from_a_call_of_an_unknown_tool(
    server: MockServer, run: Runner, factory: Callable[[Any, list[Any]], Any]
) -> None:
    server.json(called("get_date", "{}", 1))
    server.json(reply("I cannot tell the date.", 2))
    agent = factory(server.model(), TOOLS)
    state = await run.invoke(agent, {"messages": [("user", "Date?")]})
    assert isinstance(state["messages"][-1], AIMessage)
    error = server.bodies[1]["messages"][-1]
    assert (error["role"], error["name"]) == ("function", "get_date")
    assert "not a valid tool" in error["content"]
