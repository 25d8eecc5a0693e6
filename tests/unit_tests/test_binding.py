"""`bind_tools` binds what `ChatOpenAI.bind_tools` binds; each request translates it once.

LangGraph reads a binding: `create_react_agent` and `create_supervisor` bind a
model's tools again unless its binding holds `tools`, which would drop a bound
`tool_choice` and `parallel_tool_calls`. So the binding keeps LangChain's
canonical form, and what goes out (`functions`, `function_call`, the
dispatcher, the batch function, wire-safe names) is made at request time.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.runnables import RunnableBinding
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.prebuilt.chat_agent_executor import _should_bind_tools
from pydantic import BaseModel

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt._functions.names import wire_name
from tests.helpers import MockServer, Runner, completion
from tests.unit_tests.helpers import answer


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny in {city}"


@tool("weather.get")
def dotted(city: str) -> str:
    """Weather, under a name the API refuses."""
    return city


class Person(BaseModel):
    """Record a person."""

    name: str
    age: int


TOOLS = [get_weather, dotted, Person]
CHOICES: list[Any] = [
    None,
    False,
    "auto",
    "none",
    "any",
    "required",
    True,
    "weather.get",
    {"type": "function", "function": {"name": "Person"}},
]


@pytest.mark.parametrize("parallel", [None, True, False], ids=["parallel-unset", "on", "off"])
@pytest.mark.parametrize("choice", CHOICES, ids=repr)
def test_the_binding_is_chat_openais(choice: Any, parallel: bool | None) -> None:
    ours = ChatMashaGPT(api_key="k").bind_tools(
        TOOLS, tool_choice=choice, parallel_tool_calls=parallel, stop=["\n"]
    )
    theirs = ChatOpenAI(api_key="k").bind_tools(  # type: ignore[arg-type]
        TOOLS, tool_choice=choice, parallel_tool_calls=parallel, stop=["\n"]
    )
    assert isinstance(ours, RunnableBinding)
    assert isinstance(theirs, RunnableBinding)
    assert ours.kwargs == theirs.kwargs


def test_the_models_parallel_field_is_bound_unless_the_call_says_otherwise() -> None:
    model = ChatMashaGPT(api_key="k", parallel_tool_calls=True)
    assert model.bind_tools(TOOLS).kwargs["parallel_tool_calls"] is True  # type: ignore[attr-defined]
    off = model.bind_tools(TOOLS, parallel_tool_calls=False)
    assert off.kwargs["parallel_tool_calls"] is False  # type: ignore[attr-defined]
    assert "parallel_tool_calls" not in ChatMashaGPT(api_key="k").bind_tools(TOOLS).kwargs  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("choice", "error"),
    [("get_time", "names none of the bound tools"), ("sometimes", "names none of the bound")],
)
def test_a_choice_the_request_would_refuse_is_refused_when_bound(choice: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        ChatMashaGPT(api_key="k").bind_tools(TOOLS, tool_choice=choice)


async def test_bind_tools_and_bind_with_the_same_kwargs_send_the_same_request(
    server: MockServer, run: Runner
) -> None:
    server.json(completion()).json(completion())
    model = server.model()
    bound: Any = model.bind_tools(TOOLS, tool_choice="any", parallel_tool_calls=True)
    await run.invoke(bound, "x")
    await run.invoke(model.bind(**bound.kwargs), "x")
    via_bind_tools, via_bind = server.bodies
    assert via_bind_tools == via_bind
    assert [f["name"] for f in via_bind["functions"]] == ["multi_tool_use_parallel"]
    assert via_bind["function_call"] == {"name": "multi_tool_use_parallel"}
    assert not {"tools", "tool_choice", "parallel_tool_calls"} & via_bind.keys()


async def test_a_forced_tool_goes_out_under_its_wire_name_and_comes_back_as_its_own(
    server: MockServer, run: Runner
) -> None:
    server.json(answer(wire_name("weather.get"), '{"city": "Paris"}'))
    result = await run.invoke(server.model().bind_tools(TOOLS, tool_choice="weather.get"), "x")
    assert server.body["function_call"] == {"name": wire_name("weather.get")}
    assert [f["name"] for f in server.body["functions"]] == [
        "get_weather",
        wire_name("weather.get"),
        "Person",
    ]
    assert [(c["name"], c["args"]) for c in result.tool_calls] == [
        ("weather.get", {"city": "Paris"})
    ]


async def test_tools_bound_per_call_join_functions_bound_the_old_way(
    server: MockServer, run: Runner
) -> None:
    server.json(completion())
    legacy = [{"name": "lookup", "parameters": {"type": "object", "properties": {}}}]
    bound = server.model().bind(functions=legacy)
    await run.invoke(
        bound, "x", tools=[{"type": "function", "function": legacy[0] | {"name": "add"}}]
    )
    assert [f["name"] for f in server.body["functions"]] == ["lookup", "add"]
    assert server.body["function_call"] == "auto"


def test_langgraph_sees_the_tools_of_a_pre_bound_model() -> None:
    bound = ChatMashaGPT(api_key="k").bind_tools(TOOLS, tool_choice="any")
    assert _should_bind_tools(bound, [get_weather, dotted, _tool_of(Person)]) is False
    with pytest.raises(ValueError, match="Missing tools"):
        _should_bind_tools(bound, [get_weather, dotted, _tool_of(Person, "other")])


def _tool_of(schema: type[BaseModel], name: str | None = None) -> Any:
    from langchain_core.tools import StructuredTool

    return StructuredTool.from_function(
        lambda **kw: kw, name=name or schema.__name__, args_schema=schema, description="d"
    )
