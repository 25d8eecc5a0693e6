"""LangGraph on `ChatMashaGPT`: the prebuilt ReAct agent and a hand-built graph.

Both keep a conversation on one thread of a checkpointer over two turns, each
turn calling a tool before answering, in the four modes. Streamed modes stream
LangGraph's `messages` too, so the model streams and its tokens are checked
against the final state. Every request of both turns is checked.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.runnables import RunnableLambda
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, create_react_agent, tools_condition

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.frameworks.helpers import (
    SYSTEM,
    Mode,
    Turn,
    assistant,
    call,
    expect_requests,
    get_time,
    get_weather,
    result,
    system,
    user,
)

TOOLS = [get_weather, get_time]
FUNCTIONS = ["get_weather", "get_time"]


def react_agent(model: ChatMashaGPT) -> Any:
    return create_react_agent(model, TOOLS, prompt=SYSTEM, checkpointer=InMemorySaver())


def state_graph(model: ChatMashaGPT) -> Any:
    bound = model.bind_tools(TOOLS)

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [bound.invoke([("system", SYSTEM), *state["messages"]])]}

    async def aagent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await bound.ainvoke([("system", SYSTEM), *state["messages"]])]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", RunnableLambda(agent, afunc=aagent))
    graph.add_node("tools", ToolNode(TOOLS))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph.compile(checkpointer=InMemorySaver())


GRAPHS = {"create_react_agent": react_agent, "state_graph": state_graph}


@pytest.mark.filterwarnings("ignore:create_react_agent has been moved:DeprecationWarning")
@pytest.mark.parametrize("build", GRAPHS.values(), ids=GRAPHS.keys())
async def test_two_turns_on_one_thread_each_calling_a_tool(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode, build: Any
) -> None:
    emu.enqueue(
        Reply.function_call("get_weather", '{"city": "Paris"}'),
        Reply.text("Sunny and 21 °C in Paris."),
        Reply.function_call("get_time", '{"zone": "Europe/Paris"}'),
        Reply.text("It is noon in Paris."),
    )
    graph = build(model)
    config = {"configurable": {"thread_id": "conversation-1"}}

    first = await mode.graph(graph, {"messages": [("user", "Weather in Paris?")]}, config=config)
    second = await mode.graph(graph, {"messages": [("user", "And the time?")]}, config=config)

    assert first["messages"][-1].content == "Sunny and 21 °C in Paris."
    assert second["messages"][-1].content == "It is noon in Paris."
    kinds = [type(m).__name__ for m in second["messages"]]
    assert kinds == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"] * 2
    tool_results = [m for m in second["messages"] if isinstance(m, ToolMessage)]
    assert [(m.name, m.content) for m in tool_results] == [
        ("get_weather", "Sunny, 21 °C in Paris"),
        ("get_time", "12:00 in Europe/Paris"),
    ]
    calls = [m.tool_calls for m in second["messages"] if isinstance(m, AIMessage) and m.tool_calls]
    assert [[(c["name"], c["args"]) for c in turn] for turn in calls] == [
        [("get_weather", {"city": "Paris"})],
        [("get_time", {"zone": "Europe/Paris"})],
    ]
    turn1 = [system(SYSTEM), user("Weather in Paris?")]
    weather = [call("get_weather", city="Paris"), result("get_weather", "Sunny, 21 °C in Paris")]
    turn2 = [*turn1, *weather, assistant("Sunny and 21 °C in Paris."), user("And the time?")]
    time = [call("get_time", zone="Europe/Paris"), result("get_time", "12:00 in Europe/Paris")]
    expect_requests(
        emu,
        mode.streams,
        Turn(turn1, FUNCTIONS, "auto"),
        Turn(turn1 + weather, FUNCTIONS, "auto"),
        Turn(turn2, FUNCTIONS, "auto"),
        Turn(turn2 + time, FUNCTIONS, "auto"),
    )


@pytest.mark.filterwarnings("ignore:create_react_agent has been moved:DeprecationWarning")
async def test_react_agent_on_the_rule_based_model(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    agent = create_react_agent(model, TOOLS)

    state = await mode.graph(agent, {"messages": [("user", "What is the weather in Kazan?")]})

    assert state["messages"][-1].content == "The result of get_weather is Sunny, 21 °C in Kazan."
    asked = [user("What is the weather in Kazan?")]
    answered = [call("get_weather", city="Kazan"), result("get_weather", "Sunny, 21 °C in Kazan")]
    expect_requests(
        emu, mode.streams, Turn(asked, FUNCTIONS, "auto"), Turn(asked + answered, FUNCTIONS, "auto")
    )
