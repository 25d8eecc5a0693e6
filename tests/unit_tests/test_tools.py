"""Tools over the legacy `functions` protocol: binding, tool_choice, answers, streams."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langchain_core.tools import BaseTool, tool
from langchain_core.utils.function_calling import (
    convert_to_openai_function,
    convert_to_openai_tool,
)
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from langchain_mashagpt._functions.outcome import invalid_args
from langchain_mashagpt._functions.schemas import DISPATCHER_NAME
from tests.helpers import MockServer, Runner, completion, merge
from tests.unit_tests.helpers import answer, sse_call, sse_fixture, without_ids

EMPTY = {"type": "object", "properties": {}}


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny in {city}"


@tool
def get_time(zone: str) -> str:
    """Get the current time in a time zone."""
    return f"12:00 in {zone}"


@tool
def ping() -> str:
    """Check that the service is up."""
    return "pong"


class Lookup(BaseTool):
    name: str = "lookup"
    description: str = "Look a word up in the dictionary."

    def _run(self, word: str) -> str:
        return word


class GetPrice(BaseModel):
    """Get the price of an item."""

    item: str = Field(description="The item's name")


class Convert(TypedDict):
    """Convert an amount between currencies."""

    amount: float
    currency: str


def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first.
        b: The second.
    """
    return a + b


OPENAI_TOOL = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Search the web.",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
    },
}
FUNCTION_DICT = {"name": "translate", "description": "Translate text.", "parameters": EMPTY}
NAMES = ["get_weather", "lookup", "GetPrice", "Convert", "add", "search", "translate", "ping"]
ALL_TOOLS: list[Any] = [
    get_weather,
    Lookup(),
    GetPrice,
    Convert,
    add,
    OPENAI_TOOL,
    FUNCTION_DICT,
    ping,
]


# ---------------------------------------------------------------- binding


async def test_every_tool_kind_goes_out_as_functions(server: MockServer, run: Runner) -> None:
    server.json(completion())
    await run.invoke(server.model().bind_tools(ALL_TOOLS), "hi")
    body = server.body
    assert "tools" not in body
    assert "tool_choice" not in body
    assert [f["name"] for f in body["functions"]] == NAMES
    assert body["function_call"] == "auto"
    by_name = {f["name"]: f for f in body["functions"]}
    assert by_name["get_weather"]["description"] == "Get the current weather in a city."
    assert by_name["GetPrice"]["parameters"]["properties"]["item"]["type"] == "string"
    assert by_name["Convert"]["parameters"]["required"] == ["amount", "currency"]
    assert set(by_name["add"]["parameters"]["properties"]) == {"a", "b"}
    assert by_name["search"]["parameters"]["properties"] == {"q": {"type": "string"}}


async def test_tool_without_parameters_gets_an_empty_object_schema(
    server: MockServer, run: Runner
) -> None:
    server.json(completion())
    bare = {"name": "status", "description": "No parameters at all."}
    await run.invoke(server.model().bind_tools([ping, bare]), "hi")
    assert [f["parameters"] for f in server.body["functions"]] == [EMPTY, EMPTY]


def test_names_with_dashes_and_64_characters_are_accepted(server: MockServer) -> None:
    tools = [{"name": n, "parameters": EMPTY} for n in ("get-weather", "x" * 64)]
    assert server.model().bind_tools(tools) is not None


def test_a_tool_that_is_not_a_function_is_a_value_error(server: MockServer) -> None:
    with pytest.raises(ValueError, match="not a function tool"):
        server.model().bind_tools([get_weather, {"type": "web_search_preview"}])


def test_two_different_tools_with_one_name_are_a_value_error(server: MockServer) -> None:
    twin = {"name": "get_weather", "parameters": EMPTY}
    with pytest.raises(ValueError, match="share the name 'get_weather'"):
        server.model().bind_tools([get_weather, twin])
    assert server.requests == []


async def test_one_tool_given_twice_is_sent_once(server: MockServer, run: Runner) -> None:
    server.json(completion())
    twice: list[Any] = [GetPrice, GetPrice.model_json_schema(), get_time, get_time]
    await run.invoke(server.model().bind_tools(twice), "x")
    assert [f["name"] for f in server.body["functions"]] == ["GetPrice", "get_time"]


# ---------------------------------------------------------------- descriptions

# One docstring of a function defined inside another (or a method) as Python 3.11 and
# 3.12 keep it, and as 3.13 compiles it, its indentation stripped. langchain-core's
# `textwrap.dedent` removes nothing from either (the first line is not indented), so
# `tool.description` differs by version; the body sent must not.
DOC_311 = "Add two integers.\n\n        Takes a and b.\n\n        Args:\n            a: The first.\n        "
DOC_313 = "Add two integers.\n\nTakes a and b.\n\nArgs:\n    a: The first.\n"
CLEAN_DOC = "Add two integers.\n\nTakes a and b.\n\nArgs:\n    a: The first."


def adder_with_doc(doc: str) -> Callable[[int, int], int]:
    def adder(a: int, b: int) -> int:
        return a + b

    adder.__doc__ = doc
    return adder


def this_pythons_adder() -> Callable[[int, int], int]:
    def adder(a: int, b: int) -> int:
        """Add two integers.

        Takes a and b.

        Args:
            a: The first.
        """
        return a + b

    return adder


# How a function's docstring reaches a request: each gives the model's bound kwargs.
BINDINGS: dict[str, Callable[[Callable[..., Any]], dict[str, Any]]] = {
    "@tool": lambda f: {"tools": [tool(f)]},
    "@tool(infer_schema=False)": lambda f: {"tools": [tool(infer_schema=False)(f)]},
    "OpenAI tool dict": lambda f: {"tools": [convert_to_openai_tool(tool(f))]},
    # create_openai_tools_agent
    "bind(tools=…)": lambda f: {"bind": {"tools": [convert_to_openai_tool(tool(f))]}},
    # create_openai_functions_agent
    "bind(functions=…)": lambda f: {"bind": {"functions": [convert_to_openai_function(tool(f))]}},
}


@pytest.mark.parametrize("binding", list(BINDINGS))
@pytest.mark.parametrize(
    "function",
    [adder_with_doc(DOC_311), adder_with_doc(DOC_313), this_pythons_adder()],
    ids=["as-3.11-keeps-it", "as-3.13-compiles-it", "this-python"],
)
def test_a_docstring_goes_out_the_same_on_every_python(
    server: MockServer, binding: str, function: Callable[..., Any]
) -> None:
    server.json(completion())
    how = BINDINGS[binding](function)
    model: Any = server.model()
    bound = model.bind_tools(how["tools"]) if "tools" in how else model.bind(**how["bind"])
    bound.invoke("hi")
    (sent,) = server.body["functions"]
    assert sent["description"] == CLEAN_DOC


async def test_the_dispatcher_and_the_batch_function_list_the_clean_description(
    server: MockServer, run: Runner
) -> None:
    server.json(completion())
    for doc in (DOC_311, DOC_313):
        tools = [tool(adder_with_doc(doc)), get_time]
        await run.invoke(server.model().bind_tools(tools, tool_choice="any"), "x")
        batched = server.model().bind_tools(tools, tool_choice="any", parallel_tool_calls=True)
        await run.invoke(batched, "x")
    (dispatcher,), (batch,), *again = [body["functions"] for body in server.bodies]
    assert again == [[dispatcher], [batch]]
    assert dispatcher["parameters"]["properties"]["adder"]["description"] == CLEAN_DOC
    assert f"- adder: {CLEAN_DOC}\n- get_time: " in dispatcher["description"]
    assert f"- adder: {CLEAN_DOC}\n- get_time: " in batch["description"]


def test_a_description_is_sent_as_cleandoc_leaves_it(server: MockServer) -> None:
    """Explicit ones too: blank first and last lines, common indentation, tabs."""
    server.json(completion())
    described = [
        {"name": "a", "description": "\n    Search.\n\n    More.\n    ", "parameters": EMPTY},
        {"name": "b", "description": "Search.\n\tMore.\n\t\tDeeper.", "parameters": EMPTY},
    ]
    server.model().bind_tools(described).invoke("x")
    sent = {f["name"]: f.get("description") for f in server.body["functions"]}
    assert sent == {"a": "Search.\n\nMore.", "b": "Search.\nMore.\n        Deeper."}


def test_token_counts_do_not_depend_on_the_python_version(server: MockServer) -> None:
    model = server.model(model="gpt-4o-mini")
    messages = [HumanMessage("hi")]
    counts = {
        model.get_num_tokens_from_messages(messages, tools=[tool(adder_with_doc(doc))])
        for doc in (DOC_311, DOC_313)
    }
    assert len(counts) == 1


# ---------------------------------------------------------------- tool_choice


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, "auto"),
        ("auto", "auto"),
        (False, "auto"),
        ("none", "none"),
        ("get_time", {"name": "get_time"}),
        ({"type": "function", "function": {"name": "get_time"}}, {"name": "get_time"}),
        ({"name": "get_weather"}, {"name": "get_weather"}),
    ],
)
async def test_tool_choice_maps_to_function_call(
    server: MockServer, run: Runner, choice: Any, expected: Any
) -> None:
    server.json(completion())
    await run.invoke(server.model().bind_tools([get_weather, get_time], tool_choice=choice), "x")
    assert server.body["function_call"] == expected
    assert [f["name"] for f in server.body["functions"]] == ["get_weather", "get_time"]


@pytest.mark.parametrize(
    "choice", ["nope", {"type": "function", "function": {"name": "nope"}}, 42, {"type": "any"}]
)
def test_tool_choice_naming_no_bound_tool_is_a_value_error(server: MockServer, choice: Any) -> None:
    with pytest.raises(ValueError, match="tool_choice"):
        server.model().bind_tools([get_weather, get_time], tool_choice=choice)
    assert server.requests == []


@pytest.mark.parametrize("choice", ["any", "required", True])
async def test_required_with_one_tool_forces_it(
    server: MockServer, run: Runner, choice: Any
) -> None:
    server.json(answer("get_weather", '{"city": "Москва"}'))
    result = await run.invoke(server.model().bind_tools([get_weather], tool_choice=choice), "x")
    assert server.body["function_call"] == {"name": "get_weather"}
    assert [f["name"] for f in server.body["functions"]] == ["get_weather"]
    assert without_ids(result) == [
        {"name": "get_weather", "args": {"city": "Москва"}, "type": "tool_call"}
    ]


@pytest.mark.parametrize("choice", ["any", "required", True])
async def test_required_with_several_tools_sends_the_dispatcher(
    server: MockServer, run: Runner, choice: Any
) -> None:
    server.json(answer(DISPATCHER_NAME, '{"get_time": {"zone": "UTC"}}'))
    bound = server.model().bind_tools([get_weather, get_time, ping], tool_choice=choice)
    result = await run.invoke(bound, "What time is it?")
    (dispatcher,) = server.body["functions"]
    assert dispatcher["name"] == DISPATCHER_NAME
    assert server.body["function_call"] == {"name": DISPATCHER_NAME}
    parameters = dispatcher["parameters"]
    assert list(parameters["properties"]) == ["get_weather", "get_time", "ping"]
    assert parameters["properties"]["ping"]["properties"] == {}
    assert (parameters["minProperties"], parameters["maxProperties"]) == (1, 1)
    assert "get_time: Get the current time" in dispatcher["description"]
    assert without_ids(result) == [
        {"name": "get_time", "args": {"zone": "UTC"}, "type": "tool_call"}
    ]
    assert result.invalid_tool_calls == []
    assert result.response_metadata["finish_reason"] == "function_call"


async def test_dispatcher_inlines_each_tool_schema_refs(server: MockServer, run: Runner) -> None:
    order = {
        "title": "Order",
        "type": "object",
        "properties": {"item": {"$ref": "#/$defs/Item"}},
        "$defs": {"Item": {"type": "object", "properties": {"sku": {"type": "string"}}}},
    }
    server.json(completion())
    await run.invoke(server.model().bind_tools([order, get_time], tool_choice="any"), "hi")
    (dispatcher,) = server.body["functions"]
    schema = dispatcher["parameters"]["properties"]["Order"]
    assert schema["properties"]["item"] == {
        "type": "object",
        "properties": {"sku": {"type": "string"}},
    }
    assert "$defs" not in schema
    assert "$ref" not in json.dumps(dispatcher)


def test_a_tool_named_like_the_dispatcher_cannot_be_required_among_several(
    server: MockServer,
) -> None:
    clash = {"name": DISPATCHER_NAME, "parameters": EMPTY}
    with pytest.raises(ValueError, match="rename it"):
        server.model().bind_tools([clash, get_time], tool_choice="any")


async def test_dispatcher_call_streams_as_an_ordinary_call(server: MockServer, run: Runner) -> None:
    server.sse(sse_fixture("dispatcher_call"))
    server.json(answer(DISPATCHER_NAME, '{"get_time": {"zone": "Europe/Moscow"}}'))
    bound = server.model().bind_tools([get_weather, get_time], tool_choice="any")
    chunks = await run.stream(bound, "time?")
    invoked = await run.invoke(bound, "time?")
    names = [c["name"] for chunk in chunks for c in chunk.tool_call_chunks]
    assert names == ["get_time"]  # held back whole, never the dispatcher's name
    total = merge(chunks)
    assert without_ids(total) == without_ids(invoked)
    assert without_ids(total) == [
        {"name": "get_time", "args": {"zone": "Europe/Moscow"}, "type": "tool_call"}
    ]
    assert total.tool_calls[0]["id"]
    assert total.response_metadata["finish_reason"] == "function_call"


BAD_DISPATCHES = {
    "no tool": "{}",
    "unknown tool": '{"get_date": {}}',
    "two tools": '{"get_time": {"zone": "UTC"}, "get_weather": {"city": "Rome"}}',
    "arguments not an object": '{"get_time": "UTC"}',
    "not JSON": '{"get_time": {"zone": ',
    "a list": '[{"get_time": {}}]',
}


@pytest.mark.parametrize("raw", BAD_DISPATCHES.values(), ids=BAD_DISPATCHES.keys())
async def test_dispatcher_answer_not_naming_one_tool_is_invalid(
    server: MockServer, run: Runner, raw: str
) -> None:
    server.json(answer(DISPATCHER_NAME, raw))
    server.sse(sse_call(DISPATCHER_NAME, raw[:5], raw[5:]))
    bound = server.model().bind_tools([get_weather, get_time], tool_choice="any")
    invoked = await run.invoke(bound, "x")
    assert invoked.tool_calls == []
    (bad,) = invoked.invalid_tool_calls
    assert bad["args"] == invalid_args(raw)
    assert bad["error"]
    streamed = merge(await run.stream(bound, "x"))
    assert streamed.tool_calls == []
    (same,) = streamed.invalid_tool_calls
    assert (same["name"], same["args"]) == (bad["name"], bad["args"])


async def test_a_direct_call_of_an_unoffered_function_under_the_dispatcher_is_invalid(
    server: MockServer, run: Runner
) -> None:
    server.json(answer("get_date", "{}"))
    bound = server.model().bind_tools([get_weather, get_time], tool_choice="any")
    result = await run.invoke(bound, "x")
    assert result.tool_calls == []
    assert "none of the offered tools" in result.invalid_tool_calls[0]["error"]


# ---------------------------------------------------------------- answers


async def test_function_call_becomes_a_tool_call(server: MockServer, run: Runner) -> None:
    server.json(answer("get_weather", '{"city": "Москва", "days": [1, 2]}'))
    model = server.model().bind_tools([get_weather])
    first, second = await run.batch(model, ["a", "b"])
    assert first.content == ""
    assert without_ids(first) == [
        {"name": "get_weather", "args": {"city": "Москва", "days": [1, 2]}, "type": "tool_call"}
    ]
    assert first.invalid_tool_calls == []
    assert first.response_metadata["finish_reason"] == "function_call"
    ids = [first.tool_calls[0]["id"], second.tool_calls[0]["id"]]
    assert all(isinstance(i, str) and i for i in ids)
    assert ids[0] != ids[1]


@pytest.mark.parametrize("raw", ['{"city": "Mos', "not json", "[1, 2]", '"Москва"', "42", "null"])
async def test_arguments_that_are_not_a_json_object_are_an_invalid_call(
    server: MockServer, run: Runner, raw: str
) -> None:
    server.json(answer("get_weather", raw))
    result = await run.invoke(server.model().bind_tools([get_weather]), "x")
    assert result.tool_calls == []
    (bad,) = result.invalid_tool_calls
    # Cut-off JSON gets a mark that no lenient parser completes; the raw text
    # stays in additional_kwargs.
    assert (bad["name"], bad["args"]) == ("get_weather", invalid_args(raw))
    assert result.additional_kwargs["function_call"] == {"name": "get_weather", "arguments": raw}
    assert bad["error"]
    assert bad["id"]


async def test_a_call_without_a_name_is_invalid(server: MockServer, run: Runner) -> None:
    server.json(answer("", '{"city": "Rome"}'))
    result = await run.invoke(server.model().bind_tools([get_weather]), "x")
    assert result.tool_calls == []
    assert result.invalid_tool_calls[0]["error"] == "the function call has no name"


# ---------------------------------------------------------------- streaming


async def test_streamed_pieces_become_tool_call_chunks(server: MockServer, run: Runner) -> None:
    server.sse(sse_fixture("function_call"))
    server.json(answer("get_weather", '{"city": "Москва"}'))
    model = server.model().bind_tools([get_weather])
    chunks = await run.stream(model, "weather?")
    pieces = [c for chunk in chunks for c in chunk.tool_call_chunks]
    # The name arrives in pieces ("get_", "weather") and goes out whole, with the
    # first piece of the arguments: partial parsers look tools up by that name.
    assert [(p["name"], p["args"]) for p in pieces] == [
        ("get_weather", '{"ci'),
        (None, 'ty": "Мос'),
        (None, 'ква"}'),
    ]
    assert pieces[0]["id"]
    assert [p["id"] for p in pieces[1:]] == [None] * 2
    assert {p["index"] for p in pieces} == {0}
    total = merge(chunks)
    assert without_ids(total) == without_ids(await run.invoke(model, "weather?"))
    assert total.tool_calls[0]["id"] == pieces[0]["id"]
    assert total.response_metadata["finish_reason"] == "function_call"


@pytest.mark.parametrize("arguments", ["", "{}"])
async def test_streamed_call_without_arguments_sums_to_what_invoke_gives(
    server: MockServer, run: Runner, arguments: str
) -> None:
    server.sse(sse_fixture("function_call_no_args"))
    server.json(answer("ping", arguments))
    model = server.model().bind_tools([ping])
    total = merge(await run.stream(model, "up?"))
    invoked = await run.invoke(model, "up?")
    assert (
        without_ids(total)
        == without_ids(invoked)
        == [{"name": "ping", "args": {}, "type": "tool_call"}]
    )
    assert total.invalid_tool_calls == invoked.invalid_tool_calls == []


@pytest.mark.parametrize("raw", ["not json", "[1, 2]"])
async def test_streamed_arguments_not_an_object_sum_to_an_invalid_call(
    server: MockServer, run: Runner, raw: str
) -> None:
    server.sse(sse_call("get_weather", raw[:3], raw[3:]))
    total = merge(await run.stream(server.model().bind_tools([get_weather]), "x"))
    assert total.tool_calls == []
    assert [(c["name"], c["args"]) for c in total.invalid_tool_calls] == [("get_weather", raw)]
