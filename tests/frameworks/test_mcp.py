"""langchain-mcp-adapters on `ChatMashaGPT`: a real MCP server over stdio, used by `create_agent`.

The server (`data/mcp_server.py`, the `mcp` package's FastMCP) runs as a
subprocess; its tools are loaded from one session with `load_mcp_tools`, as
the adapters' README does. Their names, `resolve-library-id` and
`get.weather`, are refused by the API in a function's name, so they go out
under wire-safe twins and come back as the server's own, and the agent calls
them on the server.

Every MCP tool result is a list of content blocks. `resolve-library-id`
answers with two text blocks, which must go out one per line (issue 20 §3:
until that lands they run together, and that test fails the one way it is
marked to; the mark lifts itself once it lands).

The adapters' tools are async only: `invoke` and `stream` fail with
`NotImplementedError` as soon as the agent runs a tool, with any model
(the last test shows it with langchain-core's `GenericFakeChatModel`), so the
sync modes are marked as the library's.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.tools import load_mcp_tools

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt._functions.names import wire_name
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.frameworks.helpers import MODES, Mode, Turn, call, expect_requests, result, system, user
from tests.frameworks.pending import TEXT_BLOCKS_BY_LINE

SERVER = Path(__file__).parent / "data" / "mcp_server.py"
PROMPT = "You answer with the docs."
RESOLVE, WEATHER = "resolve-library-id", "get.weather"
RESOLVE_WIRE, WEATHER_WIRE = wire_name(RESOLVE), wire_name(WEATHER)
FUNCTIONS = [RESOLVE_WIRE, WEATHER_WIRE]
ASYNC_ONLY = pytest.mark.xfail(
    strict=True,
    raises=NotImplementedError,
    reason="langchain-mcp-adapters' own: its tools are async only, with any model",
)
RUN_TOGETHER = pytest.mark.xfail(
    not TEXT_BLOCKS_BY_LINE,
    strict=True,
    raises=AssertionError,
    reason="issue 20 §3: a tool result's text blocks are joined with nothing, not a newline",
)


def modes(*, in_async: Any = ()) -> list[Any]:
    """The four modes: sync ones marked as the adapters' failure, async ones with `in_async`."""
    return [pytest.param(m, marks=ASYNC_ONLY if not m.startswith("a") else in_async) for m in MODES]


@asynccontextmanager
async def mcp_tools() -> AsyncIterator[list[Any]]:
    """The server's tools, on one stdio session for the whole test."""
    connection: Any = {"command": sys.executable, "args": [str(SERVER)], "transport": "stdio"}
    client = MultiServerMCPClient({"docs": connection})
    async with client.session("docs") as session:
        yield await load_mcp_tools(session)


async def run_agent(emu: MashaGPTEmulator, mode: Mode, question: str) -> dict[str, Any]:
    """`create_agent` with the server's tools, run in `mode` on `question`: its final state.

    An error of the run is raised once the session is closed, not inside the
    exception group the session's task group would wrap it in.
    """
    model = ChatMashaGPT(base_url=emu.base_url, api_key=emu.api_key, max_retries=0)
    error: Exception | None = None
    async with mcp_tools() as tools:
        assert [t.name for t in tools] == [RESOLVE, WEATHER]
        graph = create_agent(model, tools, system_prompt=PROMPT)
        try:
            state = await mode.graph(graph, {"messages": [("user", question)]})
        except Exception as exc:  # re-raised below, outside the session
            error = exc
    if error is not None:
        raise error
    return state


def tool_results(state: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Each tool message's tool name and the texts of its blocks."""
    messages = [m for m in state["messages"] if m.type == "tool"]
    return [(m.name, [block["text"] for block in m.content]) for m in messages]


@pytest.mark.parametrize("mode", modes(), indirect=True)
async def test_an_agent_calls_a_dotted_mcp_tool_and_answers(
    emu: MashaGPTEmulator, mode: Mode
) -> None:
    emu.enqueue(Reply.function_call(WEATHER_WIRE, '{"city": "Paris"}'), Reply.text("Sunny."))

    state = await run_agent(emu, mode, "Paris?")

    assert state["messages"][-1].content == "Sunny."
    assert [c["name"] for c in state["messages"][1].tool_calls] == [WEATHER]
    assert tool_results(state) == [(WEATHER, ["Sunny, 21 °C in Paris"])]
    asked = [system(PROMPT), user("Paris?")]
    weather = [call(WEATHER_WIRE, city="Paris"), result(WEATHER_WIRE, "Sunny, 21 °C in Paris")]
    expect_requests(
        emu,
        mode.streams,
        Turn(asked, FUNCTIONS, "auto"),
        Turn([*asked, *weather], FUNCTIONS, "auto"),
    )


@pytest.mark.parametrize("mode", modes(in_async=RUN_TOGETHER), indirect=True)
async def test_a_result_of_several_text_blocks_goes_out_line_by_line(
    emu: MashaGPTEmulator, mode: Mode
) -> None:
    emu.enqueue(
        Reply.function_call(RESOLVE_WIRE, '{"library_name": "langgraph"}'),
        Reply.text("The id is /langchain-ai/langgraph."),
    )

    state = await run_agent(emu, mode, "langgraph's id?")

    assert state["messages"][-1].content == "The id is /langchain-ai/langgraph."
    blocks = ["Library: langgraph", "ID: /langchain-ai/langgraph"]
    assert tool_results(state) == [(RESOLVE, blocks)]
    asked = [system(PROMPT), user("langgraph's id?")]
    resolved = [
        call(RESOLVE_WIRE, library_name="langgraph"),
        result(RESOLVE_WIRE, "\n".join(blocks)),
    ]
    expect_requests(
        emu,
        mode.streams,
        Turn(asked, FUNCTIONS, "auto"),
        Turn([*asked, *resolved], FUNCTIONS, "auto"),
    )


class _FakeWithTools(GenericFakeChatModel):
    """langchain-core's fake chat model, with tools bound by ignoring them."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self


@pytest.mark.parametrize("sync_mode", ["invoke", "stream"])
async def test_mcp_tools_fail_in_sync_modes_with_a_fake_model_too(sync_mode: str) -> None:
    calling = AIMessage("", tool_calls=[{"name": WEATHER, "args": {"city": "Paris"}, "id": "1"}])
    fake = _FakeWithTools(messages=iter([calling, AIMessage("Sunny.")]))

    async with mcp_tools() as tools:
        fake_agent = create_agent(fake, tools)
        with pytest.raises(NotImplementedError, match="does not support sync invocation"):
            await Mode(sync_mode).run(fake_agent, {"messages": [("user", "Paris?")]})
