"""Any tool name and any agent name through `create_agent`, four modes each.

MCP servers and agent frameworks name tools `resolve-library-id`, `weather.get`
or `погода`, and `create_agent(name="weather-agent")` names the AI messages;
the API takes `[A-Za-z0-9_]{1,64}` for names it sends back. The wire carries
safe names, distinct and stable across turns; the user sees only their own.
"""

from __future__ import annotations

import re

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.frameworks.helpers import Mode, wire_messages

_WIRE_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")


@tool("resolve-library-id")
def resolve_library_id(library: str) -> str:
    """Resolve a library name to its id."""
    return f"/lib/{library}"


@tool("weather.get")
def weather_get(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny in {city}"


@tool("погода")
def pogoda(city: str) -> str:
    """Погода в городе."""
    return f"Солнечно, {city}"


TOOLS = [resolve_library_id, weather_get, pogoda]
NAMES = [t.name for t in TOOLS]


def wire_names(emu: MashaGPTEmulator, model: ChatMashaGPT) -> dict[str, str]:
    """The names the model sends for TOOLS, read from one request."""
    emu.enqueue(Reply.text("ok"))
    model.bind_tools(TOOLS).invoke("hi")
    names = [f["name"] for f in emu.requests[0].body["functions"]]
    emu.reset()
    return dict(zip(NAMES, names, strict=True))


async def test_agent_with_names_the_api_refuses(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    wire = wire_names(emu, model)
    assert all(_WIRE_NAME.fullmatch(name) for name in wire.values()), wire
    assert len(set(wire.values())) == len(wire)
    emu.enqueue(
        Reply.function_call(wire["resolve-library-id"], '{"library": "react"}'),
        Reply.function_call(wire["weather.get"], '{"city": "Kazan"}'),
        Reply.function_call(wire["погода"], '{"city": "Казань"}'),
        Reply.text("Done."),
    )
    agent = create_agent(model, TOOLS, name="weather-agent")

    state = await mode.graph(agent, {"messages": [("user", "Look it all up.")]})

    assert state["messages"][-1].content == "Done."
    ai = [m for m in state["messages"] if isinstance(m, AIMessage)]
    assert {m.name for m in ai} == {"weather-agent"}
    assert [c["name"] for m in ai for c in m.tool_calls] == NAMES
    results = [(m.name, m.content) for m in state["messages"] if isinstance(m, ToolMessage)]
    assert results == [
        ("resolve-library-id", "/lib/react"),
        ("weather.get", "Sunny in Kazan"),
        ("погода", "Солнечно, Казань"),
    ]
    bodies = [request.body for request in emu.requests]
    assert len(bodies) == 4
    for body in bodies:
        assert [f["name"] for f in body["functions"]] == list(wire.values())
        assert bool(body.get("stream")) == mode.streams
    sent = wire_messages(bodies[-1])
    calls = [m["function_call"]["name"] for m in sent if "function_call" in m]
    assert calls == list(wire.values())
    assert [m["name"] for m in sent if m["role"] == "function"] == list(wire.values())
    for message in sent:
        if message["role"] == "assistant" and "name" in message:
            assert _WIRE_NAME.fullmatch(message["name"]), message
