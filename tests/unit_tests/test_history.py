"""A history with tool calls and results → the API's `function_call` / `function` messages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.utils.function_calling import tool_example_to_messages
from pydantic import BaseModel

from tests.helpers import MockServer, Runner, completion


def call(name: str, args: dict[str, Any], call_id: str) -> dict[str, Any]:
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


async def sent(server: MockServer, run: Runner, messages: list[BaseMessage]) -> list[Any]:
    """The wire `messages` that went out for `messages`."""
    server.json(completion())
    await run.invoke(server.model(), messages)
    wire: list[Any] = server.body["messages"]
    return wire


def assistant_call(name: str, arguments: Any, content: str | None = None) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": content,
        "function_call": {"name": name, "arguments": arguments},
    }


def result(name: str, content: str) -> dict[str, Any]:
    return {"role": "function", "name": name, "content": content}


ASK = HumanMessage("Погода в Москве?")


async def test_ai_tool_call_goes_out_as_function_call(server: MockServer, run: Runner) -> None:
    ai = AIMessage("", tool_calls=[call("get_weather", {"city": "Москва"}, "c1")])
    wire = await sent(server, run, [ASK, ai, ToolMessage("Солнечно", tool_call_id="c1")])
    assert wire == [
        {"role": "user", "content": "Погода в Москве?"},
        assistant_call("get_weather", '{"city":"Москва"}'),
        result("get_weather", "Солнечно"),
    ]
    raw = server.requests[0].content
    assert "Москва".encode() in raw
    assert b"\\u041c" not in raw


async def test_ai_text_beside_the_call_is_kept(server: MockServer, run: Runner) -> None:
    ai = AIMessage("Сейчас узнаю.", tool_calls=[call("get_weather", {}, "c1")])
    wire = await sent(server, run, [ASK, ai, ToolMessage("Sunny", tool_call_id="c1")])
    assert wire[1] == assistant_call("get_weather", "{}", "Сейчас узнаю.")


async def test_tool_message_name_is_resolved_from_the_call(server: MockServer, run: Runner) -> None:
    ai = AIMessage("", tool_calls=[call("get_weather", {"city": "Rome"}, "c1")])
    later = [ai, ToolMessage("Sunny", tool_call_id="c1"), AIMessage("It is sunny.")]
    wire = await sent(server, run, [ASK, *later, HumanMessage("Thanks")])
    assert wire[2] == result("get_weather", "Sunny")
    assert wire[3] == {"role": "assistant", "content": "It is sunny."}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ([{"temp": 20, "sky": "ясно"}], '[{"temp":20,"sky":"ясно"}]'),
        ([{"type": "text", "text": "a"}, "b"], "a\nb"),
        ("plain", "plain"),
    ],
)
async def test_tool_message_content_is_text(
    server: MockServer, run: Runner, content: Any, expected: str
) -> None:
    ai = AIMessage("", tool_calls=[call("get_weather", {}, "c1")])
    wire = await sent(server, run, [ASK, ai, ToolMessage(content, tool_call_id="c1")])
    assert wire[2] == result("get_weather", expected)


async def test_unknown_tool_call_id_is_a_value_error_before_sending(
    server: MockServer, run: Runner
) -> None:
    ai = AIMessage("", tool_calls=[call("get_weather", {}, "c1")])
    with pytest.raises(ValueError, match="'c9' answers no tool call"):
        await run.invoke(server.model(), [ASK, ai, ToolMessage("x", tool_call_id="c9")])
    assert server.requests == []


async def test_several_calls_become_pairs_in_call_order(server: MockServer, run: Runner) -> None:
    calls = [
        call("get_weather", {"city": "Москва"}, "a"),
        call("get_time", {"zone": "UTC"}, "b"),
        call("get_weather", {"city": "Rome"}, "c"),
    ]
    results = [ToolMessage(f"result {i}", tool_call_id=i) for i in ("c", "a", "b")]
    wire = await sent(server, run, [ASK, AIMessage("Checking.", tool_calls=calls), *results])
    assert wire[1:] == [
        assistant_call("get_weather", '{"city":"Москва"}', "Checking."),
        result("get_weather", "result a"),
        assistant_call("get_time", '{"zone":"UTC"}'),
        result("get_time", "result b"),
        assistant_call("get_weather", '{"city":"Rome"}'),
        result("get_weather", "result c"),
    ]


@pytest.mark.parametrize("count", [1, 2, 5])
async def test_exactly_n_calls_go_out_for_n_calls(
    server: MockServer, run: Runner, count: int
) -> None:
    calls = [call("f", {"i": i}, f"id{i}") for i in range(count)]
    results = [ToolMessage(str(i), tool_call_id=f"id{i}") for i in reversed(range(count))]
    wire = await sent(server, run, [ASK, AIMessage("", tool_calls=calls), *results])
    sent_calls = [m["function_call"] for m in wire if "function_call" in m]
    assert [json.loads(c["arguments"])["i"] for c in sent_calls] == list(range(count))
    assert [m["content"] for m in wire if m["role"] == "function"] == [str(i) for i in range(count)]
    assert len(wire) == 1 + 2 * count


async def test_a_call_without_its_result_is_still_sent(server: MockServer, run: Runner) -> None:
    calls = [call("f", {}, "a"), call("g", {}, "b")]
    wire = await sent(
        server, run, [ASK, AIMessage("", tool_calls=calls), ToolMessage("B", tool_call_id="b")]
    )
    assert wire[1:] == [assistant_call("f", "{}"), assistant_call("g", "{}"), result("g", "B")]


async def test_an_invalid_call_goes_back_with_its_raw_arguments(
    server: MockServer, run: Runner
) -> None:
    bad = {"name": "f", "args": '{"x": ', "id": "a", "error": "bad", "type": "invalid_tool_call"}
    ai = AIMessage("", invalid_tool_calls=[bad])
    wire = await sent(server, run, [ASK, ai, ToolMessage("Error: bad JSON", tool_call_id="a")])
    assert wire[1:] == [assistant_call("f", '{"x": '), result("f", "Error: bad JSON")]


async def test_a_legacy_function_call_is_sent_as_given(server: MockServer, run: Runner) -> None:
    ai = AIMessage("", additional_kwargs={"function_call": {"name": "f", "arguments": '{"a":1}'}})
    wire = await sent(server, run, [ASK, ai])
    assert wire[1] == assistant_call("f", '{"a":1}')


class Person(BaseModel):
    """A person in the text."""

    name: str


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
async def test_few_shot_helper_output_converts_cleanly(server: MockServer, run: Runner) -> None:
    example = tool_example_to_messages(
        "Боб и Алиса пришли.", [Person(name="Боб"), Person(name="Алиса")], ai_response="Готово."
    )
    wire = await sent(server, run, [*example, HumanMessage("Ева здесь.")])
    ack = "You have correctly called this tool."
    assert wire == [
        {"role": "user", "content": "Боб и Алиса пришли."},
        assistant_call("Person", '{"name":"Боб"}'),
        result("Person", ack),
        assistant_call("Person", '{"name":"Алиса"}'),
        result("Person", ack),
        {"role": "assistant", "content": "Готово."},
        {"role": "user", "content": "Ева здесь."},
    ]


ANTHROPIC_CONTENT = [
    {"type": "thinking", "thinking": "The user wants weather."},
    {"type": "text", "text": "Let me check."},
    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
]


@pytest.mark.parametrize("with_tool_calls", [True, False])
async def test_anthropic_tool_use_content_is_accepted(
    server: MockServer, run: Runner, with_tool_calls: bool
) -> None:
    calls = [call("get_weather", {"city": "Paris"}, "toolu_1")] if with_tool_calls else []
    ai = AIMessage(ANTHROPIC_CONTENT, tool_calls=calls)  # type: ignore[arg-type]
    wire = await sent(server, run, [ASK, ai, ToolMessage("Rain", tool_call_id="toolu_1")])
    assert wire[1:] == [
        assistant_call("get_weather", '{"city":"Paris"}', "Let me check."),
        result("get_weather", "Rain"),
    ]
