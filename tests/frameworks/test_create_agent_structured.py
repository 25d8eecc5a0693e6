"""`create_agent(..., response_format=ToolStrategy(...))` on `ChatMashaGPT`, four modes each.

The schema becomes one more tool and a call is required: with no other tool,
the schema's function is forced; with tools, one dispatcher function
(`select_tool`) is forced and names the tool it calls. Every request is checked.
"""

from __future__ import annotations

import json
from typing import Any

from langchain.agents import create_agent
from langchain.agents.structured_output import ToolStrategy
from langchain_core.messages import AIMessage

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.frameworks.helpers import (
    SYSTEM,
    Mode,
    Turn,
    Weather,
    call,
    expect_requests,
    get_weather,
    result,
    system,
    user,
)

ANSWER = {"city": "Kazan", "degrees": 18}
ASKED = [system(SYSTEM), user("Weather in Kazan?")]
LOOKED_UP = [call("get_weather", city="Kazan"), result("get_weather", "Sunny, 21 °C in Kazan")]


async def test_tool_strategy_without_tools_forces_the_schema_tool(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    emu.enqueue(Reply.function_call("Weather", json.dumps(ANSWER)))
    agent = create_agent(model, system_prompt=SYSTEM, response_format=ToolStrategy(Weather))

    state = await mode.graph(agent, {"messages": [("user", "Weather in Kazan?")]})

    assert state["structured_response"] == Weather(**ANSWER)
    ai, tool_message = state["messages"][-2:]
    assert [(c["name"], c["args"]) for c in ai.tool_calls] == [("Weather", ANSWER)]
    assert tool_message.content.startswith("Returning structured response:")
    expect_requests(emu, mode.streams, Turn(ASKED, ["Weather"], {"name": "Weather"}))


async def test_tool_strategy_with_a_tool_called_first(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    emu.enqueue(
        Reply.function_call("select_tool", '{"get_weather": {"city": "Kazan"}}'),
        Reply.function_call("select_tool", json.dumps({"Weather": ANSWER})),
    )
    agent = create_agent(
        model, [get_weather], system_prompt=SYSTEM, response_format=ToolStrategy(Weather)
    )

    state = await mode.graph(agent, {"messages": [("user", "Weather in Kazan?")]})

    assert state["structured_response"] == Weather(**ANSWER)
    calls = [
        (c["name"], c["args"])
        for m in state["messages"]
        if isinstance(m, AIMessage)
        for c in m.tool_calls
    ]
    assert calls == [("get_weather", {"city": "Kazan"}), ("Weather", ANSWER)]
    dispatcher: Any = {"name": "select_tool"}
    expect_requests(
        emu,
        mode.streams,
        Turn(ASKED, ["select_tool"], dispatcher),
        Turn(ASKED + LOOKED_UP, ["select_tool"], dispatcher),
    )
