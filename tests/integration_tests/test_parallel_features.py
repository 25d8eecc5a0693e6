"""Parallel tool calls against recorded traffic, each sync and async.

Every test runs on a cassette in `tests/cassettes/test_parallel_features/` (see
`conftest.py`). Assertions hold for any faithful answer: a model may make the
calls in one batch or one at a time; whatever it makes comes back as ordinary
tool calls of the bound tools, streamed exactly as invoked.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt._functions.batch import BATCH_NAME
from tests.helpers import Runner, merge

if TYPE_CHECKING:
    from vcr.cassette import Cassette

QUESTION = "What is the weather in Moscow, Paris and Berlin?"
CITIES = {"Moscow", "Paris", "Berlin"}


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"+5 °C ({city})"


def sent(vcr: Cassette) -> list[dict[str, Any]]:
    return [json.loads(request.body) for request in vcr.requests]


async def test_one_answer_several_calls(chat: ChatMashaGPT, run: Runner, vcr: Cassette) -> None:
    bound = chat.bind_tools([get_weather], parallel_tool_calls=True)
    invoked = await run.invoke(bound, QUESTION)
    streamed = merge(await run.stream(bound, QUESTION))
    for message in (invoked, streamed):
        assert message.tool_calls
        assert {c["name"] for c in message.tool_calls} == {"get_weather"}
        assert {c["args"]["city"] for c in message.tool_calls} <= CITIES
        assert len({c["id"] for c in message.tool_calls}) == len(message.tool_calls)
        assert not message.invalid_tool_calls
    assert [c["args"] for c in streamed.tool_calls] == [c["args"] for c in invoked.tool_calls]
    for body in sent(vcr):
        assert [f["name"] for f in body["functions"]] == ["get_weather", BATCH_NAME]


async def test_agent_with_parallel_calls(chat: ChatMashaGPT, run: Runner, vcr: Cassette) -> None:
    chat.parallel_tool_calls = True
    agent = create_agent(chat, tools=[get_weather])
    state = await run.invoke(agent, {"messages": [HumanMessage(QUESTION)]})
    messages = state["messages"]
    results = [m for m in messages if isinstance(m, ToolMessage)]
    calls = [c for m in messages if isinstance(m, AIMessage) for c in m.tool_calls]
    assert {c["args"]["city"] for c in calls} == CITIES
    assert [r.tool_call_id for r in results] == [c["id"] for c in calls]
    final = messages[-1]
    assert isinstance(final, AIMessage)
    assert not final.tool_calls
    assert all(city in final.text for city in CITIES)
    bodies = sent(vcr)
    assert all(BATCH_NAME in [f["name"] for f in body["functions"]] for body in bodies)
    # every call's result went back right after it, as call/result pairs
    history = bodies[-1]["messages"]
    roles = [m["role"] for m in history]
    assert roles == ["user", *["assistant", "function"] * len(calls)]
