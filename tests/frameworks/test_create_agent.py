"""LangChain v1 `create_agent` on `ChatMashaGPT`, with its middleware.

Summarization (by tokens, and by a fraction of `model.profile`), model
fallback after an API error, a tool call limit, and a human in the loop who
approves or edits a call across an interrupt on a checkpointer; each in the
four modes, checking the answer and every request. Structured output
(`response_format`) is in `test_create_agent_structured.py`.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import (
    HumanInTheLoopMiddleware,
    ModelFallbackMiddleware,
    SummarizationMiddleware,
    ToolCallLimitMiddleware,
)
from langchain_core.messages import HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.frameworks.helpers import (
    SYSTEM,
    Mode,
    Turn,
    assistant,
    call,
    expect_requests,
    get_weather,
    result,
    system,
    user,
)

WEATHER = ["get_weather"]
SUMMARY = "The user lives in Oslo and likes skiing."


def history(words: int) -> list[Any]:
    """Four earlier messages, the first about `words` words long, then a question."""
    return [
        ("user", "I live in Oslo. " + "I like skiing. " * (words // 3)),
        ("ai", "Noted."),
        ("user", "Remember that."),
        ("ai", "I will."),
        ("user", "Weather at home?"),
    ]


def summarized(request: dict[str, Any], words: int) -> None:
    """The summary request: one user message, the summary prompt holding the history."""
    [message] = request["messages"]
    assert message["role"] == "user"
    assert message["content"].startswith("<role>\nContext Extraction Assistant")
    assert "I like skiing. " * (words // 3) in message["content"]
    assert "Remember that." in message["content"]
    assert "functions" not in request


async def run_summarized(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode, middleware: Any, words: int
) -> None:
    emu.enqueue(
        Reply.text(SUMMARY),
        Reply.function_call("get_weather", '{"city": "Oslo"}'),
        Reply.text("Sunny in Oslo."),
    )
    agent = create_agent(model, [get_weather], system_prompt=SYSTEM, middleware=[middleware])

    state = await mode.graph(agent, {"messages": history(words)})

    assert state["messages"][-1].content == "Sunny in Oslo."
    first = state["messages"][0]
    assert isinstance(first, HumanMessage)
    assert first.content == f"Here is a summary of the conversation to date:\n\n{SUMMARY}"
    summary_request, *agent_requests = (request.body for request in emu.requests)
    summarized(summary_request, words)
    kept = [
        system(SYSTEM),
        user(f"Here is a summary of the conversation to date:\n\n{SUMMARY}"),
        assistant("I will."),
        user("Weather at home?"),
    ]
    weather = [call("get_weather", city="Oslo"), result("get_weather", "Sunny, 21 °C in Oslo")]
    expect_requests(
        agent_requests,
        mode.streams,
        Turn(kept, WEATHER, "auto"),
        Turn(kept + weather, WEATHER, "auto"),
    )


WORDS = 300  # the first message: about 375 tokens by LangChain's approximate count
KEEP = ("messages", 2)


async def test_summarization_triggered_by_tokens(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    middleware = SummarizationMiddleware(model, trigger=("tokens", 200), keep=KEEP)
    await run_summarized(emu, model, mode, middleware, WORDS)


async def test_summarization_triggered_by_a_fraction_of_a_given_profile(
    emu: MashaGPTEmulator, mode: Mode
) -> None:
    model = ChatMashaGPT(
        base_url=emu.base_url, api_key=emu.api_key, profile={"max_input_tokens": 1000}
    )
    middleware = SummarizationMiddleware(model, trigger=("fraction", 0.2), keep=KEEP)
    await run_summarized(emu, model, mode, middleware, WORDS)


async def test_summarization_triggered_by_a_fraction_of_the_built_in_profile(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    window = model.profile["max_input_tokens"] if model.profile else None
    assert window == 128_000  # gpt-4o-mini's context window
    middleware = SummarizationMiddleware(model, trigger=("fraction", 200 / window), keep=KEEP)
    await run_summarized(emu, model, mode, middleware, WORDS)


async def test_summarization_not_triggered_below_the_threshold(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    emu.enqueue(Reply.text("Sunny in Oslo."))
    middleware = SummarizationMiddleware(model, trigger=("tokens", 5000), keep=KEEP)
    agent = create_agent(model, [get_weather], system_prompt=SYSTEM, middleware=[middleware])

    state = await mode.graph(agent, {"messages": history(WORDS)})

    assert state["messages"][-1].content == "Sunny in Oslo."
    asked = [system(SYSTEM)] + [
        user(text) if role == "user" else assistant(text) for role, text in history(WORDS)
    ]
    expect_requests(emu, mode.streams, Turn(asked, WEATHER, "auto"))


# -- model fallback ----------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [Reply.http_error(503, "The model is overloaded."), Reply.error_body_200("Upstream failed.")],
    ids=["http_503", "error_body_200"],
)
async def test_model_fallback_after_an_api_error(
    emu: MashaGPTEmulator, mode: Mode, failure: Reply
) -> None:
    emu.enqueue(failure, Reply.text("Hello from the fallback."))
    primary, fallback = (
        ChatMashaGPT(model=name, base_url=emu.base_url, api_key=emu.api_key, max_retries=0)
        for name in ("gpt-4o", "gpt-4o-mini")
    )
    agent = create_agent(
        primary, [get_weather], system_prompt=SYSTEM, middleware=[ModelFallbackMiddleware(fallback)]
    )

    state = await mode.graph(agent, {"messages": [("user", "Hi!")]})

    assert state["messages"][-1].content == "Hello from the fallback."
    asked = [system(SYSTEM), user("Hi!")]
    bodies = expect_requests(
        emu, mode.streams, Turn(asked, WEATHER, "auto"), Turn(asked, WEATHER, "auto")
    )
    assert [body["model"] for body in bodies] == ["gpt-4o", "gpt-4o-mini"]


# -- tool call limit ---------------------------------------------------------------


async def test_tool_call_limit_stops_the_second_call(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    emu.enqueue(
        Reply.function_call("get_weather", '{"city": "Paris"}'),
        Reply.function_call("get_weather", '{"city": "Oslo"}'),
        Reply.text("Paris is sunny; I may not look up Oslo."),
    )
    limit = ToolCallLimitMiddleware(tool_name="get_weather", run_limit=1)
    agent = create_agent(model, [get_weather], system_prompt=SYSTEM, middleware=[limit])

    state = await mode.graph(agent, {"messages": [("user", "Paris and Oslo?")]})

    assert state["messages"][-1].content == "Paris is sunny; I may not look up Oslo."
    refused = "Tool call limit exceeded. Do not call 'get_weather' again."
    results = [(m.content, m.status) for m in state["messages"] if isinstance(m, ToolMessage)]
    assert results == [("Sunny, 21 °C in Paris", "success"), (refused, "error")]
    asked = [system(SYSTEM), user("Paris and Oslo?")]
    paris = [call("get_weather", city="Paris"), result("get_weather", "Sunny, 21 °C in Paris")]
    oslo = [call("get_weather", city="Oslo"), result("get_weather", refused)]
    expect_requests(
        emu,
        mode.streams,
        Turn(asked, WEATHER, "auto"),
        Turn(asked + paris, WEATHER, "auto"),
        Turn(asked + paris + oslo, WEATHER, "auto"),
    )


# -- human in the loop -------------------------------------------------------------

EDITED = (
    "Note: a human reviewer replaced this tool call before it ran. The call recorded in your"
    " message is the one you produced, not the one that executed. This was intentional and"
    " authorized. Do not re-issue your original call. Executed instead: get_weather with"
    ' arguments {"city": "Nice"}.\n\nTool response:\n'
)
DECISIONS = {
    "approve": ({"type": "approve"}, "Paris", ""),
    "edit": (
        {"type": "edit", "edited_action": {"name": "get_weather", "args": {"city": "Nice"}}},
        "Nice",
        EDITED,
    ),
}


@pytest.mark.parametrize(("decision", "city", "note"), DECISIONS.values(), ids=DECISIONS.keys())
async def test_human_in_the_loop_interrupts_then_resumes(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode, decision: Any, city: str, note: str
) -> None:
    emu.enqueue(
        Reply.function_call("get_weather", '{"city": "Paris"}'),
        Reply.text(f"Sunny in {city}."),
    )
    review = HumanInTheLoopMiddleware(interrupt_on={"get_weather": True})
    agent = create_agent(
        model,
        [get_weather],
        system_prompt=SYSTEM,
        middleware=[review],
        checkpointer=InMemorySaver(),
    )
    config: Any = {"configurable": {"thread_id": "review-1"}}

    await mode.graph(agent, {"messages": [("user", "Weather in Paris?")]}, config=config)
    [interrupt] = agent.get_state(config).interrupts
    [action] = interrupt.value["action_requests"]
    assert (action["name"], action["args"]) == ("get_weather", {"city": "Paris"})
    assert len(emu.requests) == 1  # nothing ran while waiting for the human

    state = await mode.graph(agent, Command(resume={"decisions": [decision]}), config=config)

    assert state["messages"][-1].content == f"Sunny in {city}."
    # LangChain keeps the call the model made and tells it what ran instead
    [tool_message] = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert tool_message.content == note + f"Sunny, 21 °C in {city}"
    asked = [system(SYSTEM), user("Weather in Paris?")]
    ran = [call("get_weather", city="Paris"), result("get_weather", tool_message.content)]
    expect_requests(
        emu, mode.streams, Turn(asked, WEATHER, "auto"), Turn(asked + ran, WEATHER, "auto")
    )
