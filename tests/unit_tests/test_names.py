"""Any tool name, any author name: wire-safe on the way out, the user's own on the way back."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_mashagpt._functions.names import author_name, wire_name
from langchain_mashagpt._functions.schemas import DISPATCHER_NAME
from tests.helpers import MockServer, Runner, completion, merge
from tests.unit_tests.helpers import answer, sse_call

EMPTY = {"type": "object", "properties": {}}
ODD_NAMES = ["resolve-library-id", "weather.get", "погода", "x" * 70, "a b/c", ""]
SAFE = re.compile(r"[A-Za-z0-9_]{1,64}")


@given(st.text())
def test_every_wire_name_is_safe_for_functions_and_results(name: str) -> None:
    wire = wire_name(name)
    assert SAFE.fullmatch(wire)
    assert wire_name(name) == wire  # deterministic


@given(st.text(), st.text())
def test_distinct_names_get_distinct_wire_names(a: str, b: str) -> None:
    if a != b:
        assert wire_name(a) != wire_name(b)


def test_names_the_api_takes_for_both_stay_untouched() -> None:
    assert [wire_name(n) for n in ("get_weather", "A1", "x" * 64)] == [
        "get_weather",
        "A1",
        "x" * 64,
    ]


def test_readable_wire_names() -> None:
    assert wire_name("resolve-library-id").startswith("resolve_library_id_")
    assert wire_name("погода").startswith("pogoda_")
    assert len(wire_name("x" * 70)) == 64


def tool(name: str) -> dict[str, Any]:
    return {"name": name, "description": f"The {name} tool.", "parameters": EMPTY}


@pytest.mark.parametrize("name", ODD_NAMES[:-1])
async def test_an_odd_tool_name_round_trips(server: MockServer, run: Runner, name: str) -> None:
    wire = wire_name(name)
    server.json(answer(wire, '{"q": 1}'))
    server.sse(sse_call(wire, '{"q"', ": 1}"))
    server.json(completion("done"))
    bound = server.model().bind_tools([tool(name), tool("plain")])
    invoked = await run.invoke(bound, "go")
    streamed = merge(await run.stream(bound, "go"))
    for message in (invoked, streamed):
        assert [(c["name"], c["args"]) for c in message.tool_calls] == [(name, {"q": 1})]
    result = ToolMessage("ok", tool_call_id=invoked.tool_calls[0]["id"])
    await run.invoke(bound, [HumanMessage("go"), invoked, result])
    first, _, last = server.bodies
    assert [f["name"] for f in first["functions"]] == [wire, "plain"]
    assert last["messages"][1]["function_call"] == {"name": wire, "arguments": '{"q":1}'}
    assert last["messages"][2] == {"role": "function", "name": wire, "content": "ok"}


async def test_a_forced_odd_tool_is_forced_by_its_wire_name(
    server: MockServer, run: Runner
) -> None:
    server.json(completion())
    await run.invoke(server.model().bind_tools([tool("weather.get")], tool_choice="any"), "x")
    assert server.body["function_call"] == {"name": wire_name("weather.get")}


async def test_the_dispatcher_offers_and_unwraps_odd_names(server: MockServer, run: Runner) -> None:
    wire = wire_name("weather.get")
    server.json(answer(DISPATCHER_NAME, f'{{"{wire}": {{"city": "Paris"}}}}'))
    server.sse(sse_call(DISPATCHER_NAME, f'{{"{wire}": ', '{"city": "Paris"}}'))
    bound = server.model().bind_tools([tool("weather.get"), tool("time-now")], tool_choice="any")
    invoked = await run.invoke(bound, "x")
    streamed = merge(await run.stream(bound, "x"))
    for message in (invoked, streamed):
        assert [(c["name"], c["args"]) for c in message.tool_calls] == [
            ("weather.get", {"city": "Paris"})
        ]
    properties = server.bodies[0]["functions"][0]["parameters"]["properties"]
    assert list(properties) == [wire, wire_name("time-now")]


async def test_history_names_are_mapped_everywhere(server: MockServer, run: Runner) -> None:
    server.json(completion())
    ai = AIMessage("", tool_calls=[{"name": "погода", "args": {}, "id": "c1"}])
    history = [
        SystemMessage("s", name="Главный бот"),
        HumanMessage("x", name="weather-agent"),
        ai,
        ToolMessage("sunny", tool_call_id="c1"),
        FunctionMessage("old", name="weather.get"),
        ChatMessage(role="function", content="older", name="a-b"),
        AIMessage("y", name="!!!"),
    ]
    await run.invoke(server.model(), history)
    assert server.body["messages"] == [
        {"role": "system", "content": "s", "name": "Glavnyy_bot"},
        {"role": "user", "content": "x", "name": "weather_agent"},
        {
            "role": "assistant",
            "content": None,
            "function_call": {"name": wire_name("погода"), "arguments": "{}"},
        },
        {"role": "function", "name": wire_name("погода"), "content": "sunny"},
        {"role": "function", "name": wire_name("weather.get"), "content": "old"},
        {"role": "function", "name": wire_name("a-b"), "content": "older"},
        {"role": "assistant", "content": "y"},  # nothing readable is left: left out
    ]


async def test_a_lone_tool_message_with_a_name_goes_out_as_a_function_result(
    server: MockServer, run: Runner
) -> None:
    server.json(completion())
    trimmed = [HumanMessage("x"), ToolMessage("42", tool_call_id="gone", name="calc-v2")]
    await run.invoke(server.model(), trimmed)
    assert server.body["messages"][1] == {
        "role": "function",
        "name": wire_name("calc-v2"),
        "content": "42",
    }


async def test_a_lone_tool_message_without_a_name_is_refused(
    server: MockServer, run: Runner
) -> None:
    with pytest.raises(ValueError, match="give the ToolMessage the tool's `name`"):
        await run.invoke(
            server.model(), [HumanMessage("x"), ToolMessage("42", tool_call_id="gone")]
        )
    assert server.requests == []


def test_author_names() -> None:
    assert author_name("Bob") == "Bob"
    assert author_name("Иван Петров") == "Ivan_Petrov"
    assert author_name("---") is None


def test_two_names_sharing_a_wire_name_are_refused(server: MockServer) -> None:
    twin = wire_name("a.b")
    bound = server.model().bind_tools([tool("a.b"), tool(twin)])
    with pytest.raises(ValueError, match="rename one of them"):
        bound.invoke("x")
    assert server.requests == []


@pytest.mark.parametrize("parallel", [False, True], ids=["dispatcher", "batch"])
def test_a_wrapper_functions_tool_list_names_the_wire_names(parallel: bool) -> None:
    """The model copies a tool's name from the wrapper's description: it must be the wire one."""
    from langchain_core.messages import HumanMessage
    from langchain_core.tools import tool

    from langchain_mashagpt import ChatMashaGPT
    from langchain_mashagpt._convert.request import build_payload

    @tool(
        "weather.get",
        description="Weather in a city.\n- city: keep this line of the tool's own description",
    )
    def weather(city: str) -> str:
        return city

    @tool("погода")
    def pogoda(city: str) -> str:
        """Погода в городе."""
        return city

    bound = ChatMashaGPT(api_key="k").bind_tools(
        [weather, pogoda], tool_choice="any", parallel_tool_calls=parallel
    )
    request = build_payload([HumanMessage("hi")], {"model": "m", **bound.kwargs}, stream=False)  # type: ignore[attr-defined]
    (wrapper,) = request.payload["functions"]
    listed = [line for line in wrapper["description"].split("\n") if line.startswith("- ")]
    wires = {user: wire for wire, user in request.plan.user_names.items()}
    assert listed == [
        f"- {wires['weather.get']}: Weather in a city.",
        "- city: keep this line of the tool's own description",
        f"- {wires['погода']}: Погода в городе.",
    ]
