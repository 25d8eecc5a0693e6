"""Agents with `parallel_tool_calls=True` against the emulator: fewer requests, less energy.

The task needs three independent calls of one tool, asked of an agent with a
system prompt and three tools. With the batch function the model makes them in
one answer (two requests in all); without it, one per answer (four). Both runs
must end with the same answer and send the same history back, call/result pairs
in call order. The batch function costs prompt and completion tokens of its own:
the re-sent system prompt and tools it saves outweigh them here (see
`benchmarks/parallel.py` for a bare agent, where they do not).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.prebuilt import create_react_agent

from langchain_mashagpt import ChatMashaGPT, EnergyUsage, get_mashagpt_callback
from langchain_mashagpt._functions.batch import BATCH_NAME
from langchain_mashagpt.testing import MashaGPTEmulator

CITIES = ("Moscow", "Paris", "Berlin")
QUESTION = "What is the weather in Moscow, Paris and Berlin?"
ANSWER = " ".join(f"The result of get_weather is +5 °C in {city}." for city in CITIES)


SYSTEM = (
    "You are the travel assistant of a small tour operator. Answer briefly and "
    "politely, in the language of the question. Use the tools for every fact about "
    "weather, time or money: never guess them. When a question needs several "
    "independent facts, ask for all of them at once. Do not book or pay anything."
)


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"+5 °C in {city}"


@tool
def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"12:00 in {city}"


@tool
def convert_currency(amount: float, from_currency: str, to_currency: str) -> str:
    """Convert money between currencies, given as ISO codes such as USD or RUB."""
    return f"{amount:g} {from_currency} = {amount * 80:.2f} {to_currency}"


TOOLS = [get_weather, get_time, convert_currency]
FACTORIES: dict[str, Callable[[Any], Any]] = {
    "create_agent": lambda model: create_agent(model, tools=TOOLS, system_prompt=SYSTEM),
    "create_react_agent": lambda model: create_react_agent(model, TOOLS, prompt=SYSTEM),
}
pytestmark = pytest.mark.filterwarnings(
    "ignore:create_react_agent has been moved:DeprecationWarning"
)


async def run_agent(
    emu: MashaGPTEmulator, factory: Callable[[Any], Any], parallel: bool, how: str
) -> tuple[list[Any], list[dict[str, Any]], EnergyUsage]:
    """Run the task once: the agent's messages, the bodies it sent, and what it spent."""
    emu.reset()
    model = ChatMashaGPT(
        base_url=emu.base_url, api_key=emu.api_key, temperature=0, parallel_tool_calls=parallel
    )
    agent = factory(model)
    question = {"messages": [("user", QUESTION)]}
    with get_mashagpt_callback() as cb:
        if how == "invoke":
            messages = agent.invoke(question)["messages"]
        else:  # with "messages", LangGraph streams the model's answers
            async for mode, data in agent.astream(question, stream_mode=["messages", "values"]):
                if mode == "values":
                    messages = data["messages"]
    bodies = [request.body for request in emu.requests]
    return messages, bodies, cb.usage


def expected_history() -> list[dict[str, Any]]:
    """The messages of the last request: the question, then a call/result pair per city."""
    history: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": QUESTION},
    ]
    for city in CITIES:
        arguments = json.dumps({"city": city}, separators=(",", ":"))
        history += [
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "get_weather", "arguments": arguments},
            },
            {"role": "function", "name": "get_weather", "content": f"+5 °C in {city}"},
        ]
    return history


def check_run(messages: list[Any], bodies: list[dict[str, Any]], parallel: bool) -> None:
    assert isinstance(messages[-1], AIMessage)
    assert messages[-1].content == ANSWER
    results = [m for m in messages if isinstance(m, ToolMessage)]
    assert [m.content for m in results] == [f"+5 °C in {city}" for city in CITIES]
    calls = [c for m in messages if isinstance(m, AIMessage) for c in m.tool_calls]
    assert [c["args"] for c in calls] == [{"city": city} for city in CITIES]
    assert len({c["id"] for c in calls}) == 3
    assert [r.tool_call_id for r in results] == [c["id"] for c in calls]
    names = [t.name for t in TOOLS] + ([BATCH_NAME] if parallel else [])
    for body in bodies:
        assert [f["name"] for f in body["functions"]] == names
        assert body["function_call"] == "auto"
    assert bodies[0]["messages"] == expected_history()[:2]
    assert bodies[-1]["messages"] == expected_history()


@pytest.mark.parametrize("how", ["invoke", "astream"])
@pytest.mark.parametrize("factory", FACTORIES.values(), ids=FACTORIES.keys())
async def test_parallel_calls_save_requests_and_energy(
    emu: MashaGPTEmulator, factory: Callable[[Any], Any], how: str
) -> None:
    messages, bodies, parallel = await run_agent(emu, factory, True, how)
    check_run(messages, bodies, parallel=True)
    (batch_call,) = [m for m in messages if isinstance(m, AIMessage) and m.tool_calls]
    assert len(batch_call.tool_calls) == 3  # one answer, three calls
    assert len(bodies) == 2
    assert all(body.get("stream", False) == (how == "astream") for body in bodies)

    messages, bodies, sequential = await run_agent(emu, factory, False, how)
    check_run(messages, bodies, parallel=False)
    assert len(bodies) == 4

    assert parallel.successful_requests == 2
    assert sequential.successful_requests == 4
    assert parallel.prompt_energy < sequential.prompt_energy
    assert parallel.total_energy < sequential.total_energy
