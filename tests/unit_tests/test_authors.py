"""Multi-agent histories keep who did what: author names on calls, tool results line by line."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_mashagpt._functions.names import wire_name
from tests.helpers import MockServer, Runner, completion

ASK = HumanMessage("Погода в Париже и в Берлине?")


def call(name: str, call_id: str) -> dict[str, Any]:
    return {"name": name, "args": {"city": call_id}, "id": call_id, "type": "tool_call"}


async def test_an_ai_authors_name_goes_out_on_its_function_call(
    server: MockServer, run: Runner
) -> None:
    server.json(completion())
    ai = AIMessage("Смотрю.", name="weather_agent", tool_calls=[call("get_weather", "p")])
    await run.invoke(server.model(), [ASK, ai, ToolMessage("sunny", tool_call_id="p")])
    assert server.body["messages"][1] == {
        "role": "assistant",
        "content": "Смотрю.",
        "function_call": {"name": "get_weather", "arguments": '{"city":"p"}'},
        "name": "weather_agent",
    }


async def test_every_call_of_a_named_message_carries_the_wire_safe_name(
    server: MockServer, run: Runner
) -> None:
    server.json(completion())
    ai = AIMessage("", name="агент-погоды", tool_calls=[call("get.weather", "p"), call("x", "b")])
    history = [
        ASK,
        ai,
        ToolMessage("sunny", tool_call_id="p"),
        ToolMessage("rain", tool_call_id="b"),
    ]
    await run.invoke(server.model(), history)
    wire = server.body["messages"]
    assert [m.get("name") for m in wire] == [
        None,
        "agent_pogody",
        wire_name("get.weather"),
        "agent_pogody",
        "x",
    ]
    assert wire[1]["function_call"]["name"] == wire_name("get.weather")


async def test_a_call_without_an_author_has_no_name(server: MockServer, run: Runner) -> None:
    server.json(completion())
    ai = AIMessage("", tool_calls=[call("get_weather", "p")])
    await run.invoke(server.model(), [ASK, ai, ToolMessage("sunny", tool_call_id="p")])
    assert "name" not in server.body["messages"][1]


async def test_an_author_name_with_nothing_readable_is_left_out_of_the_call(
    server: MockServer, run: Runner
) -> None:
    server.json(completion())
    ai = AIMessage("", name="!!!", tool_calls=[call("get_weather", "p")])
    await run.invoke(server.model(), [ASK, ai, ToolMessage("sunny", tool_call_id="p")])
    assert "name" not in server.body["messages"][1]


@pytest.mark.parametrize(
    ("content", "sent"),
    [
        (
            [{"type": "text", "text": "SNIPPET 1"}, {"type": "text", "text": "SNIPPET 2"}],
            "SNIPPET 1\nSNIPPET 2",
        ),
        (["первый", "второй", {"type": "text", "text": "третий"}], "первый\nвторой\nтретий"),
        ([{"type": "text", "text": "один"}], "один"),
        ("как есть\n", "как есть\n"),
    ],
)
async def test_a_tool_results_text_blocks_are_joined_line_by_line(
    server: MockServer, run: Runner, content: Any, sent: str
) -> None:
    server.json(completion())
    ai = AIMessage("", tool_calls=[call("search", "s")])
    await run.invoke(server.model(), [ASK, ai, ToolMessage(content, tool_call_id="s")])
    assert server.body["messages"][2] == {"role": "function", "name": "search", "content": sent}
