"""deepagents' `create_deep_agent(model=ChatMashaGPT(...))`, four modes each.

A run with the user's own tool, a run through the agent's built-in tools (a
todo list, then files written and read back in its state), `ToolStrategy`
structured output, and the summarization window, which deepagents reads from
`model.profile`. The answer and every request are checked.
"""

from __future__ import annotations

import json
from typing import Any

from deepagents import create_deep_agent
from langchain.agents.middleware import TodoListMiddleware
from langchain.agents.structured_output import ToolStrategy
from langchain_core.messages import ToolMessage

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.frameworks.helpers import (
    Mode,
    Turn,
    Weather,
    assistant,
    call,
    expect_requests,
    get_weather,
    result,
    system,
    user,
)

PROMPT = "Be brief."
BUILT_IN = ["ls", "read_file", "write_file", "edit_file", "delete", "glob", "grep", "task"]
FUNCTIONS = [*BUILT_IN, "get_weather"]


async def test_deep_agent_calls_the_users_tool(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    emu.enqueue(
        Reply.function_call("get_weather", '{"city": "Paris"}'),
        Reply.text("Sunny in Paris."),
    )
    agent = create_deep_agent(model=model, tools=[get_weather], system_prompt=PROMPT)

    state = await mode.graph(agent, {"messages": [("user", "Weather in Paris?")]})

    assert state["messages"][-1].content == "Sunny in Paris."
    asked = [system(PROMPT), user("Weather in Paris?")]
    weather = [call("get_weather", city="Paris"), result("get_weather", "Sunny, 21 °C in Paris")]
    expect_requests(
        emu, mode.streams, Turn(asked, FUNCTIONS, "auto"), Turn(asked + weather, FUNCTIONS, "auto")
    )


async def test_deep_agent_plans_then_writes_and_reads_a_file(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    todos = [{"content": "Write the report", "status": "in_progress"}]
    emu.enqueue(
        Reply.function_call("write_todos", json.dumps({"todos": todos})),
        Reply.function_call("write_file", '{"file_path": "/report.md", "content": "Sunny."}'),
        Reply.function_call("read_file", '{"file_path": "/report.md"}'),
        Reply.text("The report says: Sunny."),
    )
    agent = create_deep_agent(
        model=model, tools=[], system_prompt=PROMPT, middleware=[TodoListMiddleware()]
    )

    state = await mode.graph(agent, {"messages": [("user", "Write a report.")]})

    assert state["messages"][-1].content == "The report says: Sunny."
    assert state["todos"] == todos
    assert "Sunny." in str(state["files"]["/report.md"])
    results = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert [m.name for m in results] == ["write_todos", "write_file", "read_file"]
    assert "Sunny." in results[2].text
    functions = [*BUILT_IN, "write_todos"]
    asked = [system(expect_prompt(emu)), user("Write a report.")]
    planned = [call("write_todos", todos=todos), result("write_todos", results[0].text)]
    wrote = [
        call("write_file", file_path="/report.md", content="Sunny."),
        result("write_file", results[1].text),
    ]
    read = [call("read_file", file_path="/report.md"), result("read_file", results[2].text)]
    expect_requests(
        emu,
        mode.streams,
        Turn(asked, functions, "auto"),
        Turn(asked + planned, functions, "auto"),
        Turn(asked + planned + wrote, functions, "auto"),
        Turn(asked + planned + wrote + read, functions, "auto"),
    )


def expect_prompt(emu: MashaGPTEmulator) -> str:
    """The system prompt: the user's, then the todo list's instructions."""
    prompt: str = emu.requests[0].body["messages"][0]["content"]
    assert prompt.startswith(PROMPT + "\n\n")
    assert "write_todos" in prompt
    return prompt


async def test_deep_agent_tool_strategy_structured_output(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    answer = {"city": "Kazan", "degrees": 18}
    emu.enqueue(
        Reply.function_call("select_tool", '{"get_weather": {"city": "Kazan"}}'),
        Reply.function_call("select_tool", json.dumps({"Weather": answer})),
    )
    agent = create_deep_agent(
        model=model,
        tools=[get_weather],
        system_prompt=PROMPT,
        response_format=ToolStrategy(Weather),
    )

    state = await mode.graph(agent, {"messages": [("user", "Weather in Kazan?")]})

    assert state["structured_response"] == Weather(**answer)
    asked = [system(PROMPT), user("Weather in Kazan?")]
    weather = [call("get_weather", city="Kazan"), result("get_weather", "Sunny, 21 °C in Kazan")]
    dispatcher: Any = {"name": "select_tool"}
    expect_requests(
        emu,
        mode.streams,
        Turn(asked, ["select_tool"], dispatcher),
        Turn(asked + weather, ["select_tool"], dispatcher),
    )


SUMMARY = "The user lives in Oslo and likes skiing."
HISTORY_TAIL = [
    ("ai", "Noted."),
    ("user", "Remember that."),
    ("ai", "I will."),
    ("user", "Weather at home?"),
]


async def run_summarized(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode, tokens: int
) -> None:
    """A history of about `tokens` tokens (LangChain's approximate count) gets summarized."""
    emu.enqueue(Reply.text(SUMMARY), Reply.text("Sunny in Oslo."))
    agent = create_deep_agent(model=model, tools=[get_weather], system_prompt=PROMPT)
    long_message = "I live in Oslo. " + "I like skiing. " * (tokens * 4 // 15)

    state = await mode.graph(agent, {"messages": [("user", long_message), *HISTORY_TAIL]})

    assert state["messages"][-1].content == "Sunny in Oslo."
    [saved] = [path for path in state["files"] if path.startswith("/conversation_history/")]
    summary_request, agent_request = (request.body for request in emu.requests)
    [prompt] = summary_request["messages"]
    assert prompt["content"].startswith("<role>\nContext Extraction Assistant")
    assert "I like skiing." in prompt["content"]
    [summary] = (
        m for m in agent_request["messages"] if m["role"] == "user" and SUMMARY in m["content"]
    )
    assert summary["content"].startswith(
        "You are in the middle of a conversation that has been summarized."
    )
    assert saved in summary["content"]
    kept = [
        assistant("Noted."),
        user("Remember that."),
        assistant("I will."),
        user("Weather at home?"),
    ]
    expect_requests(
        [agent_request], mode.streams, Turn([system(PROMPT), summary, *kept], FUNCTIONS, "auto")
    )


async def test_deep_agent_summarizes_at_a_given_profiles_window(
    emu: MashaGPTEmulator, mode: Mode
) -> None:
    model = ChatMashaGPT(
        base_url=emu.base_url, api_key=emu.api_key, profile={"max_input_tokens": 8000}
    )
    await run_summarized(emu, model, mode, tokens=7200)  # deepagents triggers at 85 %


async def test_deep_agent_summarizes_at_the_built_in_profiles_window(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    window = model.profile["max_input_tokens"] if model.profile else None
    assert window == 128_000  # gpt-4o-mini's context window
    await run_summarized(emu, model, mode, tokens=int(window * 0.9))  # triggers at 85 %


async def test_deep_agent_does_not_summarize_below_the_window(
    emu: MashaGPTEmulator, mode: Mode
) -> None:
    model = ChatMashaGPT(
        base_url=emu.base_url, api_key=emu.api_key, profile={"max_input_tokens": 8000}
    )
    emu.enqueue(Reply.text("Sunny in Oslo."))
    agent = create_deep_agent(model=model, tools=[get_weather], system_prompt=PROMPT)
    history = [("user", "I live in Oslo. " + "I like skiing. " * 1000), *HISTORY_TAIL]  # ~4k tokens

    state = await mode.graph(agent, {"messages": history})

    assert state["messages"][-1].content == "Sunny in Oslo."
    sent = [user(text) if role == "user" else assistant(text) for role, text in history]
    expect_requests(emu, mode.streams, Turn([system(PROMPT), *sent], FUNCTIONS, "auto"))
