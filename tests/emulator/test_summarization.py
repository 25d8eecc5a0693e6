"""Summarization at the right point: LangChain's and deepagents' middleware read `model.profile`.

`gpt-4`'s profile says 8,192 input tokens, so `trigger=("fraction", 0.8)` means
6,553 tokens by the middleware's own counter. A history just under that goes
out whole; one just over is summarized first, and only the summary and the
kept messages go out.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import SummarizationMiddleware
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.messages.utils import count_tokens_approximately

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator, Reply

THRESHOLD = int(8_192 * 0.8)


def mashagpt(emu: MashaGPTEmulator, model: str = "gpt-4") -> ChatMashaGPT:
    return ChatMashaGPT(model=model, base_url=emu.base_url, api_key=emu.api_key, max_retries=0)


def history(tokens: int) -> list[BaseMessage]:
    """Six turns whose count by the middleware's counter is exactly `tokens`."""
    messages: list[BaseMessage] = []
    for i in range(6):
        cls = HumanMessage if i % 2 == 0 else AIMessage
        messages.append(cls(f"Реплика {i}: " + "слово " * 200, id=f"m{i}"))
    short = tokens - count_tokens_approximately(messages)
    assert short >= 0
    messages[-1] = AIMessage(str(messages[-1].content) + "x" * (4 * short), id="m5")
    assert count_tokens_approximately(messages) == tokens
    return messages


async def run(agent: Any, messages: list[BaseMessage], is_async: bool) -> dict[str, Any]:
    state = {"messages": messages}
    result: dict[str, Any] = await agent.ainvoke(state) if is_async else agent.invoke(state)
    return result


@pytest.fixture(params=["sync", "async"])
def is_async(request: pytest.FixtureRequest) -> bool:
    return bool(request.param == "async")


def agent_for(model: ChatMashaGPT) -> Any:
    summarize = SummarizationMiddleware(
        model=model, trigger=("fraction", 0.8), keep=("messages", 2)
    )
    return create_agent(model, tools=[], middleware=[summarize])


async def test_a_history_under_the_window_goes_out_whole(
    emu: MashaGPTEmulator, is_async: bool
) -> None:
    emu.enqueue(Reply.text("Ответ."))
    messages = history(THRESHOLD - 10)
    result = await run(agent_for(mashagpt(emu)), messages, is_async)
    assert result["messages"][-1].content == "Ответ."
    (request,) = emu.requests
    assert request.body["model"] == "gpt-4"
    assert [m["content"] for m in request.body["messages"]] == [m.content for m in messages]


async def test_a_history_over_the_window_is_summarized_first(
    emu: MashaGPTEmulator, is_async: bool
) -> None:
    emu.enqueue(Reply.text("Сводка разговора."), Reply.text("Ответ."))
    messages = history(THRESHOLD + 10)
    result = await run(agent_for(mashagpt(emu)), messages, is_async)
    assert result["messages"][-1].content == "Ответ."
    summary_request, answer_request = emu.requests
    (prompt,) = summary_request.body["messages"]
    assert prompt["role"] == "user"
    assert "Реплика 0" in prompt["content"]  # the summarized turns go to the summarizer
    assert "Реплика 4" not in prompt["content"]  # the kept ones do not
    sent = answer_request.body["messages"]
    assert sent[0] == {
        "role": "user",
        "content": "Here is a summary of the conversation to date:\n\nСводка разговора.",
    }
    assert [m["content"] for m in sent[1:]] == [messages[4].content, messages[5].content]


async def test_the_profile_window_decides_not_the_message_count(
    emu: MashaGPTEmulator, is_async: bool
) -> None:
    emu.enqueue(Reply.text("Ответ."))
    messages = history(THRESHOLD + 10)  # over gpt-4's window, far under gpt-4o's
    await run(agent_for(mashagpt(emu, "gpt-4o")), messages, is_async)
    (request,) = emu.requests
    assert len(request.body["messages"]) == len(messages)


def long_history() -> list[BaseMessage]:
    """About 6,100 tokens: with deepagents' tools, past 85% of gpt-4's 8,192, not of 128k."""
    return [
        (HumanMessage if i % 2 == 0 else AIMessage)(f"Реплика {i}: " + "слово " * 400, id=f"m{i}")
        for i in range(10)
    ]


def test_deepagents_takes_its_summarization_window_from_the_profile(emu: MashaGPTEmulator) -> None:
    from deepagents.middleware.summarization import compute_summarization_defaults

    defaults = compute_summarization_defaults(mashagpt(emu))
    assert defaults["trigger"] == ("fraction", 0.85)  # not the fallback ("tokens", 170000)
    assert defaults["keep"] == ("fraction", 0.10)


async def test_deepagents_summarizes_over_the_window(emu: MashaGPTEmulator, is_async: bool) -> None:
    from deepagents import create_deep_agent

    emu.enqueue(Reply.text("Сводка разговора."), Reply.text("Ответ."))
    messages = long_history()
    result = await run(create_deep_agent(model=mashagpt(emu, "gpt-4")), messages, is_async)
    assert result["messages"][-1].content == "Ответ."
    summary_request, answer_request = emu.requests
    (prompt,) = summary_request.body["messages"]
    assert "Реплика 0" in prompt["content"]
    assert "functions" not in summary_request.body
    sent = answer_request.body["messages"]
    assert len(sent) < len(messages)
    assert sent[1]["role"] == "user"
    assert "conversation that has been summarized" in sent[1]["content"]
    assert "Сводка разговора." in sent[1]["content"]
    assert sent[-1]["content"] == messages[-1].content
    assert {f["name"] for f in answer_request.body["functions"]} >= {"read_file", "write_file"}


async def test_deepagents_leaves_the_history_whole_within_a_larger_window(
    emu: MashaGPTEmulator, is_async: bool
) -> None:
    from deepagents import create_deep_agent

    emu.enqueue(Reply.text("Ответ."))
    messages = long_history()
    result = await run(create_deep_agent(model=mashagpt(emu, "gpt-4o-mini")), messages, is_async)
    assert result["messages"][-1].content == "Ответ."
    (request,) = emu.requests
    assert [m["content"] for m in request.body["messages"][1:]] == [m.content for m in messages]
