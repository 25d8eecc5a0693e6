"""langgraph-supervisor on `ChatMashaGPT`: two workers behind a supervisor, in the four modes.

`create_supervisor` decides whether to bind its handoff tools by looking for
`tools` in a pre-bound model's binding (LangGraph's `_should_bind_tools`), and
`include_agent_name="inline"` wraps the bound model in a sequence that cannot
be bound again. So these run only because `bind_tools` binds `tools`,
`tool_choice` and `parallel_tool_calls` as `ChatOpenAI` does and each request
translates them to `functions`:

- unbound, with `include_agent_name="inline"`, the graph builds, hands off
  and answers; the supervisor's own `parallel_tool_calls=False` wins over the
  model's `parallel_tool_calls=True` (no batch function goes out);
- pre-bound with `parallel_tool_calls=True`, every supervisor request offers
  the batch function, and one batch call runs as two tool calls;
- a pre-bound `tool_choice` is kept: the request forces it.

The worker `weather-expert` has a name the API refuses in a function name's
place, so its handoff tool goes out under a wire-safe name and comes back as
the user's. Every request of every run is checked.

Not checked here, as it is the library's: a parallel handoff to two workers at
once runs only one of them (`create_supervisor` 0.0.31 does the same with
langchain-core's `GenericFakeChatModel`), so the parallel run here batches the
supervisor's own tool instead.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.prebuilt import create_react_agent
from langgraph_supervisor import create_handoff_tool, create_supervisor

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt._functions.names import author_name, wire_name
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.frameworks.helpers import (
    Mode,
    Turn,
    call,
    expect_requests,
    get_time,
    get_weather,
    result,
    system,
    user,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:create_react_agent has been moved:DeprecationWarning"
)

SUPERVISOR = "You route questions to the right expert."
WORKER = "You report the weather."
QUESTION = "Weather in Paris?"
TO_WEATHER = "transfer_to_weather-expert"
TO_WEATHER_WIRE = wire_name(TO_WEATHER)
TO_TIME = "transfer_to_time_expert"
BACK = "transfer_back_to_supervisor"
FORECAST = "Sunny, 21 °C in Paris."
ANSWER = "It is sunny and 21 °C in Paris."


def workers(model: ChatMashaGPT) -> list[Any]:
    weather = create_react_agent(model, [get_weather], name="weather-expert", prompt=WORKER)
    clock = create_react_agent(model, [get_time], name="time_expert", prompt="You tell the time.")
    return [weather, clock]


def handoffs() -> list[Any]:
    return [
        create_handoff_tool(agent_name="weather-expert"),
        create_handoff_tool(agent_name="time_expert"),
    ]


def inline(name: str, content: str) -> str:
    """A message's content as `include_agent_name="inline"` shows it to the supervisor."""
    return f"<name>{name}</name><content>{content}</content>"


def by(author: str, message: dict[str, Any]) -> dict[str, Any]:
    """`message` as the agent `author` made it: its wire-safe name goes out on its calls too."""
    return {**message, "name": author_name(author)}


def named_call(author: str, name: str, **arguments: Any) -> dict[str, Any]:
    return by(author, {**call(name, **arguments), "content": inline(author, "")})


def worker_turns(before: list[dict[str, Any]]) -> list[Turn]:
    """The worker's two requests: it calls `get_weather`, then answers."""
    history = [system(WORKER), user(QUESTION), *before]
    weather = [
        by("weather-expert", call("get_weather", city="Paris")),
        result("get_weather", "Sunny, 21 °C in Paris"),
    ]
    return [
        Turn(history, ["get_weather"], "auto"),
        Turn([*history, *weather], ["get_weather"], "auto"),
    ]


def handed_back(*before: dict[str, Any]) -> list[dict[str, Any]]:
    """The supervisor's history once the worker answered, `before` the handoff."""
    return [
        system(SUPERVISOR),
        user(QUESTION),
        *before,
        named_call("supervisor", TO_WEATHER_WIRE),
        result(TO_WEATHER_WIRE, "Successfully transferred to weather-expert"),
        {
            "role": "assistant",
            "content": inline("weather-expert", FORECAST),
            "name": "weather_expert",
        },
        by(
            "weather-expert",
            {**call(BACK), "content": inline("weather-expert", "Transferring back to supervisor")},
        ),
        result(BACK, "Successfully transferred back to supervisor"),
    ]


def sorted_functions(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`bodies` with their functions in name order: the supervisor lists its agents from a set."""
    return [{**b, "functions": sorted(b["functions"], key=lambda f: f["name"])} for b in bodies]


def check_answer(state: dict[str, Any]) -> None:
    final = state["messages"][-1]
    assert (final.type, final.content, final.name) == ("ai", ANSWER, "supervisor")
    calls = [[c["name"] for c in m.tool_calls] for m in state["messages"] if m.type == "ai"]
    assert [TO_WEATHER] in calls  # the handoff under the user's name again


async def test_inline_agent_names_hand_off_and_answer_without_the_batch_function(
    emu: MashaGPTEmulator, mode: Mode
) -> None:
    emu.enqueue(
        Reply.function_call(TO_WEATHER_WIRE, "{}"),
        Reply.function_call("get_weather", '{"city": "Paris"}'),
        Reply.text(FORECAST),
        Reply.text(ANSWER),
    )
    model = ChatMashaGPT(base_url=emu.base_url, api_key=emu.api_key, max_retries=0)
    # The model would offer the batch function; the supervisor binds parallel_tool_calls=False.
    supervisor_model = model.model_copy(update={"parallel_tool_calls": True})
    graph = create_supervisor(
        workers(model), model=supervisor_model, prompt=SUPERVISOR, include_agent_name="inline"
    ).compile()

    state = await mode.graph(graph, subgraphs=True, input={"messages": [("user", QUESTION)]})

    check_answer(state)
    offered = sorted([TO_TIME, TO_WEATHER_WIRE])
    handoff = [
        by("supervisor", call(TO_WEATHER_WIRE)),
        result(TO_WEATHER_WIRE, "Successfully transferred to weather-expert"),
    ]
    expect_requests(
        sorted_functions([r.body for r in emu.requests]),
        mode.streams,
        Turn([system(SUPERVISOR), user(QUESTION)], offered, "auto"),
        *worker_turns(handoff),
        Turn(handed_back(), offered, "auto"),
    )


async def test_a_supervisor_pre_bound_with_parallel_tool_calls_offers_the_batch_function(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    batch = {
        "tool_uses": [
            {"recipient_name": "get_time", "parameters": {"zone": "Europe/Paris"}},
            {"recipient_name": "get_time", "parameters": {"zone": "Asia/Tokyo"}},
        ]
    }
    emu.enqueue(
        Reply.function_call("multi_tool_use_parallel", json.dumps(batch)),
        Reply.function_call(TO_WEATHER_WIRE, "{}"),
        Reply.function_call("get_weather", '{"city": "Paris"}'),
        Reply.text(FORECAST),
        Reply.text(ANSWER),
    )
    bound = model.bind_tools([get_time, *handoffs()], parallel_tool_calls=True)
    graph = create_supervisor(
        workers(model),
        model=bound,
        tools=[get_time],
        prompt=SUPERVISOR,
        include_agent_name="inline",
    ).compile()

    state = await mode.graph(graph, subgraphs=True, input={"messages": [("user", QUESTION)]})

    check_answer(state)
    times = [m for m in state["messages"] if m.type == "tool" and m.name == "get_time"]
    assert [m.content for m in times] == ["12:00 in Europe/Paris", "12:00 in Asia/Tokyo"]
    offered = ["get_time", TO_WEATHER_WIRE, TO_TIME, "multi_tool_use_parallel"]
    clocks = [
        named_call("supervisor", "get_time", zone="Europe/Paris"),
        result("get_time", "12:00 in Europe/Paris"),
        by("supervisor", call("get_time", zone="Asia/Tokyo")),
        result("get_time", "12:00 in Asia/Tokyo"),
    ]
    plain_clocks = [{**clocks[0], "content": None}, *clocks[1:]]
    handoff = [
        by("supervisor", call(TO_WEATHER_WIRE)),
        result(TO_WEATHER_WIRE, "Successfully transferred to weather-expert"),
    ]
    expect_requests(
        emu,
        mode.streams,
        Turn([system(SUPERVISOR), user(QUESTION)], offered, "auto"),
        Turn([system(SUPERVISOR), user(QUESTION), *clocks], offered, "auto"),
        *worker_turns([*plain_clocks, *handoff]),
        Turn(handed_back(*clocks), offered, "auto"),
    )


CHOICES = {
    "a tool's name": (TO_WEATHER, [TO_WEATHER_WIRE, TO_TIME], TO_WEATHER_WIRE, "{}"),
    "any": ("any", ["select_tool"], "select_tool", json.dumps({TO_WEATHER_WIRE: {}})),
}


@pytest.mark.parametrize(
    ("choice", "offered", "forced", "arguments"), CHOICES.values(), ids=CHOICES
)
async def test_a_pre_bound_tool_choice_is_kept(
    emu: MashaGPTEmulator,
    model: ChatMashaGPT,
    mode: Mode,
    choice: str,
    offered: list[str],
    forced: str,
    arguments: str,
) -> None:
    emu.enqueue(Reply.function_call(forced, arguments))
    bound = model.bind_tools(handoffs(), tool_choice=choice)
    builder = create_supervisor(
        workers(model), model=bound, prompt=SUPERVISOR, include_agent_name="inline"
    )
    # A forced handoff on every turn never ends: stop where the worker would start.
    graph = builder.compile(checkpointer=InMemorySaver(), interrupt_before=["weather-expert"])
    config: Any = {"configurable": {"thread_id": "forced"}}

    state = await mode.graph(
        graph, subgraphs=True, input={"messages": [("user", QUESTION)]}, config=config
    )

    assert graph.get_state(config).next == ("weather-expert",)
    assert [c["name"] for c in state["messages"][1].tool_calls] == [TO_WEATHER]
    expect_requests(
        emu, mode.streams, Turn([system(SUPERVISOR), user(QUESTION)], offered, {"name": forced})
    )
