"""langgraph-swarm on `ChatMashaGPT`: two agents that hand off to each other, in the four modes.

`create_swarm` with `create_agent` agents, as langgraph-swarm's README builds
them: Alice routes and can only hand off to Bob; Bob reports the weather and
can hand back. Alice hands off, Bob calls his tool and answers; on the same
thread the next question goes straight to Bob, the swarm's active agent.

Each agent's AI messages carry its name (`create_agent(name=…)`), and every
agent sees the other's calls, so every request after the handoff checks that
the author of each function call goes out with it (issue 20 §3: until that
lands the name goes out on an agent's text only, and these tests fail the
one way they are marked to; the mark lifts itself once it lands).
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langgraph.checkpoint.memory import InMemorySaver
from langgraph_swarm import create_handoff_tool, create_swarm

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.frameworks.helpers import (
    Mode,
    Turn,
    call,
    expect_requests,
    get_weather,
    result,
    system,
    user,
)
from tests.frameworks.pending import AUTHOR_ON_CALLS

ALICE = "You are Alice. Hand weather questions to Bob."
BOB = "You are Bob, the weather expert."
QUESTION = "Weather in Paris?"
FOLLOW_UP = "And in Rome?"
ANSWER = "It is sunny and 21 °C in Paris."
ROME = "Rome is sunny and 21 °C too."
TO_BOB = "transfer_to_bob"
TO_ALICE = "transfer_to_alice"
BOB_FUNCTIONS = ["get_weather", TO_ALICE]

pytestmark = pytest.mark.xfail(
    not AUTHOR_ON_CALLS,
    strict=True,
    raises=AssertionError,
    reason="issue 20 §3: an AI author's name is not sent on its function-call message yet",
)


def swarm(model: ChatMashaGPT) -> Any:
    alice = create_agent(
        model,
        tools=[create_handoff_tool(agent_name="Bob", description="Ask Bob about the weather")],
        system_prompt=ALICE,
        name="Alice",
    )
    bob = create_agent(
        model,
        tools=[get_weather, create_handoff_tool(agent_name="Alice")],
        system_prompt=BOB,
        name="Bob",
    )
    builder = create_swarm([alice, bob], default_active_agent="Alice")
    return builder.compile(checkpointer=InMemorySaver())


def by(author: str, name: str, **arguments: Any) -> dict[str, Any]:
    """A function call as it goes out in a history: with the agent that made it."""
    return {**call(name, **arguments), "name": author}


HANDOFF = [by("Alice", TO_BOB), result(TO_BOB, "Successfully transferred to Bob")]


def weather(city: str) -> list[dict[str, Any]]:
    return [by("Bob", "get_weather", city=city), result("get_weather", f"Sunny, 21 °C in {city}")]


def authors(state: dict[str, Any]) -> list[tuple[str | None, list[str]]]:
    """Who made each AI message, and the tools it called."""
    messages = state["messages"]
    return [(m.name, [c["name"] for c in m.tool_calls]) for m in messages if m.type == "ai"]


async def test_alice_hands_off_to_bob_who_answers(emu: MashaGPTEmulator, mode: Mode) -> None:
    emu.enqueue(
        Reply.function_call(TO_BOB, "{}"),
        Reply.function_call("get_weather", '{"city": "Paris"}'),
        Reply.text(ANSWER),
    )
    model = ChatMashaGPT(base_url=emu.base_url, api_key=emu.api_key, max_retries=0)
    config: Any = {"configurable": {"thread_id": "swarm"}}

    state = await mode.graph(
        swarm(model), {"messages": [("user", QUESTION)]}, subgraphs=True, config=config
    )

    assert state["messages"][-1].content == ANSWER
    assert state["active_agent"] == "Bob"
    assert authors(state) == [("Alice", [TO_BOB]), ("Bob", ["get_weather"]), ("Bob", [])]
    bob = [system(BOB), user(QUESTION), *HANDOFF]
    expect_requests(
        emu,
        mode.streams,
        Turn([system(ALICE), user(QUESTION)], [TO_BOB], "auto"),
        Turn(bob, BOB_FUNCTIONS, "auto"),
        Turn([*bob, *weather("Paris")], BOB_FUNCTIONS, "auto"),
    )


async def test_the_next_question_goes_to_the_active_agent_with_the_whole_history(
    emu: MashaGPTEmulator, mode: Mode
) -> None:
    emu.enqueue(
        Reply.function_call(TO_BOB, "{}"),
        Reply.function_call("get_weather", '{"city": "Paris"}'),
        Reply.text(ANSWER),
        Reply.function_call("get_weather", '{"city": "Rome"}'),
        Reply.text(ROME),
    )
    model = ChatMashaGPT(base_url=emu.base_url, api_key=emu.api_key, max_retries=0)
    graph = swarm(model)
    config: Any = {"configurable": {"thread_id": "swarm"}}
    await mode.graph(graph, {"messages": [("user", QUESTION)]}, subgraphs=True, config=config)

    state = await mode.graph(
        graph, {"messages": [("user", FOLLOW_UP)]}, subgraphs=True, config=config
    )

    assert (state["messages"][-1].content, state["messages"][-1].name) == (ROME, "Bob")
    before = [system(BOB), user(QUESTION), *HANDOFF, *weather("Paris")]
    history = [*before, {"role": "assistant", "content": ANSWER, "name": "Bob"}, user(FOLLOW_UP)]
    expect_requests(
        [r.body for r in emu.requests[3:]],
        mode.streams,
        Turn(history, BOB_FUNCTIONS, "auto"),
        Turn([*history, *weather("Rome")], BOB_FUNCTIONS, "auto"),
    )
    assert len(emu.requests) == 5
