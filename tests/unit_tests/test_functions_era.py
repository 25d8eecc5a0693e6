"""Code written for OpenAI's `functions` era, and OpenAI's newer names, run unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from langchain_classic.agents import (
    AgentExecutor,
    create_openai_functions_agent,
    create_openai_tools_agent,
)
from langchain_classic.chains.structured_output import create_openai_fn_runnable
from langchain_core.messages import AIMessage, FunctionMessage, HumanMessage
from langchain_core.output_parsers.openai_functions import (
    JsonKeyOutputFunctionsParser,
    JsonOutputFunctionsParser,
    PydanticOutputFunctionsParser,
)
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_function
from pydantic import BaseModel, Field

from langchain_mashagpt._functions.schemas import DISPATCHER_NAME
from tests.helpers import MockServer, Runner, completion, merge
from tests.unit_tests.helpers import answer, sse_call


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"+5 in {city}"


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str = Field(description="The person's name")
    age: int


def text_sse(text: str) -> str:
    events = [
        {"id": "x", "model": "m", "choices": [{"index": 0, "delta": {"content": text}}]},
        {"id": "x", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    return "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"


def turn(call: tuple[str, str] | str) -> Callable[[httpx.Request], httpx.Response]:
    """One answer, as JSON or as a stream, whichever the request asked for."""

    def reply(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content).get("stream"):
            body = (
                sse_call(call[0], call[1][:7], call[1][7:])
                if isinstance(call, tuple)
                else text_sse(call)
            )
            return httpx.Response(
                200, content=body.encode(), headers={"content-type": "text/event-stream"}
            )
        if isinstance(call, tuple):
            return httpx.Response(200, json=answer(*call))
        return httpx.Response(200, json=completion(call))

    return reply


# ---------------------------------------------------------------- answers


async def test_answers_carry_the_function_call_in_additional_kwargs(
    server: MockServer, run: Runner
) -> None:
    raw = '{"city": "Москва"}'
    server.reply(turn(("get_weather", raw)))
    bound = server.model().bind_tools([get_weather])
    invoked = await run.invoke(bound, "x")
    chunks = await run.stream(bound, "x")
    streamed = merge(chunks)
    for message in (invoked, streamed):
        assert message.additional_kwargs["function_call"] == {
            "name": "get_weather",
            "arguments": raw,
        }
    names = [
        c.additional_kwargs["function_call"].get("name") for c in chunks if c.additional_kwargs
    ]
    assert names == ["get_weather", None]  # the name once, whole; then arguments pieces


async def test_a_dispatcher_call_shows_as_the_call_of_its_tool(
    server: MockServer, run: Runner
) -> None:
    server.reply(turn((DISPATCHER_NAME, '{"get_weather": {"city": "Paris"}}')))
    bound = server.model().bind_tools([get_weather, Person], tool_choice="any")
    for message in (await run.invoke(bound, "x"), merge(await run.stream(bound, "x"))):
        assert message.additional_kwargs["function_call"] == {
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
        }


@pytest.mark.parametrize("with_tool_calls", [True, False])
async def test_a_functions_era_history_goes_out_once(
    server: MockServer, run: Runner, with_tool_calls: bool
) -> None:
    server.json(completion())
    legacy = {"function_call": {"name": "get_weather", "arguments": '{"city": "Rome"}'}}
    calls = (
        [{"name": "get_weather", "args": {"city": "Rome"}, "id": "c1"}] if with_tool_calls else []
    )
    history = [
        HumanMessage("x"),
        AIMessage("", additional_kwargs=legacy, tool_calls=calls),
        FunctionMessage("sunny", name="get_weather"),
    ]
    await run.invoke(server.model(), history)
    assert server.body["messages"][1:] == [
        {
            "role": "assistant",
            "content": None,
            "function_call": {
                "name": "get_weather",
                "arguments": '{"city":"Rome"}' if with_tool_calls else '{"city": "Rome"}',
            },
        },
        {"role": "function", "name": "get_weather", "content": "sunny"},
    ]


# ---------------------------------------------------------------- binding OpenAI's names


async def test_bind_functions_and_function_call(server: MockServer, run: Runner) -> None:
    server.json(answer("Person", '{"name": "Ann", "age": 30}'))
    functions = [convert_to_openai_function(Person)]
    bound = server.model().bind(functions=functions, function_call={"name": "Person"})
    result = await run.invoke(bound, "Ann is 30")
    assert result.tool_calls[0]["args"] == {"name": "Ann", "age": 30}
    assert server.body["functions"] == functions
    assert server.body["function_call"] == {"name": "Person"}


async def test_bind_tools_and_tool_choice_translate_like_bind_tools(
    server: MockServer, run: Runner
) -> None:
    server.json(completion())
    model = server.model()
    await run.invoke(model.bind_tools([get_weather, Person], tool_choice="any"), "x")
    openai_tools = [
        {"type": "function", "function": convert_to_openai_function(t)}
        for t in (get_weather, Person)
    ]
    await run.invoke(model.bind(tools=openai_tools, tool_choice="required"), "x")
    await run.invoke(model.bind(tools=openai_tools, parallel_tool_calls=False), "x")
    via_bind_tools, via_bind, auto = server.bodies
    assert via_bind == via_bind_tools
    assert via_bind["function_call"] == {"name": DISPATCHER_NAME}
    assert auto["function_call"] == "auto"
    assert "parallel_tool_calls" not in auto
    assert [f["name"] for f in auto["functions"]] == ["get_weather", "Person"]


def test_forcing_a_call_with_no_tools_is_a_value_error(server: MockServer) -> None:
    with pytest.raises(ValueError, match="no tools are bound"):
        server.model().bind_tools([], tool_choice="any")
    assert server.model().bind_tools([], tool_choice="auto") is not None


# ---------------------------------------------------------------- functions-era parsers


ANN = '{"name": "Ann", "age": 30}'


@pytest.mark.parametrize(
    ("parser", "expected"),
    [
        (JsonOutputFunctionsParser(), {"name": "Ann", "age": 30}),
        (JsonKeyOutputFunctionsParser(key_name="name"), "Ann"),
        (PydanticOutputFunctionsParser(pydantic_schema=Person), Person(name="Ann", age=30)),
    ],
    ids=["json", "json-key", "pydantic"],
)
@pytest.mark.parametrize("streamed", [False, True], ids=["invoke", "stream"])
async def test_functions_output_parsers(
    server: MockServer, run: Runner, parser: Any, expected: Any, streamed: bool
) -> None:
    server.reply(turn(("Person", ANN)))
    chain = (
        server.model().bind(
            functions=[convert_to_openai_function(Person)], function_call={"name": "Person"}
        )
        | parser
    )
    out = (await run.stream(chain, "Ann is 30"))[-1] if streamed else await run.invoke(chain, "x")
    assert out == expected


@pytest.mark.filterwarnings("ignore:The function `create_openai_fn_runnable` was deprecated")
async def test_create_openai_fn_runnable(server: MockServer, run: Runner) -> None:
    server.reply(turn(("Person", ANN)))
    prompt = ChatPromptTemplate.from_messages([("human", "{input}")])
    chain = create_openai_fn_runnable([Person], server.model(), prompt)
    assert await run.invoke(chain, {"input": "Ann is 30"}) == Person(name="Ann", age=30)
    assert server.body["function_call"] == {"name": "Person"}


# ---------------------------------------------------------------- langchain-classic agents


PROMPT = ChatPromptTemplate.from_messages(
    [("human", "{input}"), MessagesPlaceholder("agent_scratchpad")]
)


@pytest.mark.parametrize("make_agent", [create_openai_functions_agent, create_openai_tools_agent])
@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_classic_openai_agents(
    server: MockServer, run: Runner, make_agent: Any, mode: str
) -> None:
    server.reply(turn(("get_weather", '{"city": "Paris"}')), turn("It is +5 in Paris."))
    agent = make_agent(server.model(), [get_weather], PROMPT)
    executor = AgentExecutor(agent=agent, tools=[get_weather])
    if mode == "invoke":
        output = (await run.invoke(executor, {"input": "weather in Paris?"}))["output"]
    else:
        steps = await run.stream(executor, {"input": "weather in Paris?"})
        output = steps[-1]["output"]
        assert steps[0]["actions"][0].tool_input == {"city": "Paris"}
    assert output == "It is +5 in Paris."
    first, second = server.bodies
    assert [f["name"] for f in first["functions"]] == ["get_weather"]
    assert second["messages"][1:] == [
        {
            "role": "assistant",
            "content": None,
            "function_call": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
        },
        {"role": "function", "name": "get_weather", "content": "+5 in Paris"},
    ]


async def test_an_invalid_call_goes_back_with_the_raw_arguments(
    server: MockServer, run: Runner
) -> None:
    server.json(answer("get_weather", '{"city": "Par'))
    server.json(completion())
    bound = server.model().bind_tools([get_weather])
    invalid = await run.invoke(bound, "x")
    assert invalid.invalid_tool_calls[0]["args"] != '{"city": "Par'
    await run.invoke(bound, [HumanMessage("x"), invalid])
    assert server.bodies[1]["messages"][1]["function_call"] == {
        "name": "get_weather",
        "arguments": '{"city": "Par',
    }
