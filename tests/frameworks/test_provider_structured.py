"""Provider-native structured output in `create_agent` and deepagents, four modes each.

LangChain picks provider-native structured output (`response_format` bound to
the model) for `gpt-4o*` names like this package's default model, or for a
model whose profile says `structured_output`; else `ToolStrategy`. The model
offers the schema as one more function (forced when no tool is bound) and
returns its call as the message's text, which `ProviderStrategy` parses.
Every request is checked.
"""

from __future__ import annotations

import json

import pytest
from deepagents import create_deep_agent
from langchain.agents import create_agent
from langchain.agents.structured_output import ProviderStrategy
from langchain_core.messages import AIMessage, ToolMessage

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
DEEP_BUILT_IN = ["ls", "read_file", "write_file", "edit_file", "delete", "glob", "grep", "task"]
LOOKED_UP = [call("get_weather", city="Kazan"), result("get_weather", "Sunny, 21 °C in Kazan")]


def model_named(emu: MashaGPTEmulator, name: str) -> ChatMashaGPT:
    return ChatMashaGPT(model=name, base_url=emu.base_url, api_key=emu.api_key, max_retries=0)


def provider_native(model: ChatMashaGPT) -> bool:
    """LangChain's choice for a bare schema: by the profile, else by a `gpt-4o*` name."""
    profile = model.profile or {}
    return bool(profile.get("structured_output")) or model.model.startswith(("gpt-4o", "gpt-4.1"))


async def test_provider_strategy_without_tools_forces_the_schema(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    emu.enqueue(Reply.function_call("Weather", json.dumps(ANSWER)))
    agent = create_agent(model, system_prompt=SYSTEM, response_format=ProviderStrategy(Weather))

    state = await mode.graph(agent, {"messages": [("user", "Weather in Kazan?")]})

    assert state["structured_response"] == Weather(**ANSWER)
    last = state["messages"][-1]
    assert isinstance(last, AIMessage)
    assert (json.loads(last.text), last.tool_calls) == (ANSWER, [])
    bodies = expect_requests(emu, mode.streams, Turn(ASKED, ["Weather"], {"name": "Weather"}))
    assert bodies[0]["functions"][0]["parameters"]["properties"].keys() == {"city", "degrees"}


@pytest.mark.parametrize("name", ["gpt-4o-mini", "claude-3-5-sonnet"])
async def test_bare_schema_with_a_tool_called_first(
    emu: MashaGPTEmulator, mode: Mode, name: str
) -> None:
    model = model_named(emu, name)
    native = provider_native(model)
    if native:  # the schema is one more function, offered with the tool
        functions, choice = ["get_weather", "Weather"], "auto"
        emu.enqueue(
            Reply.function_call("get_weather", '{"city": "Kazan"}'),
            Reply.function_call("Weather", json.dumps(ANSWER)),
        )
    else:  # a tool call is required: one dispatcher function names the tool it calls
        functions, choice = ["select_tool"], {"name": "select_tool"}
        emu.enqueue(
            Reply.function_call("select_tool", '{"get_weather": {"city": "Kazan"}}'),
            Reply.function_call("select_tool", json.dumps({"Weather": ANSWER})),
        )
    agent = create_agent(model, [get_weather], system_prompt=SYSTEM, response_format=Weather)

    state = await mode.graph(agent, {"messages": [("user", "Weather in Kazan?")]})

    assert state["structured_response"] == Weather(**ANSWER)
    last = state["messages"][-1]
    if native:
        assert isinstance(last, AIMessage)
        assert json.loads(last.text) == ANSWER
    else:
        assert isinstance(last, ToolMessage)
        assert last.name == "Weather"
    expect_requests(
        emu,
        mode.streams,
        Turn(ASKED, functions, choice),
        Turn(ASKED + LOOKED_UP, functions, choice),
    )


async def test_deep_agent_bare_schema_with_the_default_model(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    emu.enqueue(
        Reply.function_call("get_weather", '{"city": "Kazan"}'),
        Reply.function_call("Weather", json.dumps(ANSWER)),
    )
    agent = create_deep_agent(
        model=model, tools=[get_weather], system_prompt=SYSTEM, response_format=Weather
    )

    state = await mode.graph(agent, {"messages": [("user", "Weather in Kazan?")]})

    assert state["structured_response"] == Weather(**ANSWER)
    assert json.loads(state["messages"][-1].text) == ANSWER
    functions = [*DEEP_BUILT_IN, "get_weather", "Weather"]
    expect_requests(
        emu,
        mode.streams,
        Turn(ASKED, functions, "auto"),
        Turn(ASKED + LOOKED_UP, functions, "auto"),
    )
