"""A streamed call is never more valid than the invoked one (issue #10, part 2).

For any arguments text — valid, cut off, broken — split anywhere, and any
`finish_reason`, the chunks of a stream added up as LangChain adds them give the
same `tool_calls` and `invalid_tool_calls` (names and args; ids aside) as
`invoke` of the same answer. langchain-core rebuilds `invalid_tool_calls` from
the chunks when it adds them, with no `error` text: the error is `invoke`'s only.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from langchain_mashagpt._convert.answers import StreamConverter, chat_result
from langchain_mashagpt._functions.plan import CallPlan
from langchain_mashagpt._functions.schemas import DISPATCHER_NAME
from tests.helpers import MockServer, merge
from tests.unit_tests.helpers import answer

FINISHES = ["function_call", "stop", "length", "content_filter", None]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def arguments(draw: st.DrawFn) -> str:
    """Arguments text: a JSON object, cut anywhere or not, or any text at all."""
    kind = draw(st.sampled_from(["object", "cut", "text", "value"]))
    if kind == "text":
        return draw(st.text(max_size=30))
    value = (
        draw(json_values)
        if kind == "value"
        else draw(st.dictionaries(st.text(max_size=6), json_values, max_size=4))
    )
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    return text[: draw(st.integers(0, len(text)))] if kind == "cut" else text


def split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({min(c, len(text)) for c in cuts})
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True) if b > a]


def stream_events(name: str, raw: str, cuts: list[int], finish: str | None) -> list[dict[str, Any]]:
    pieces = split(raw, cuts)
    name_pieces = split(name, cuts[:1]) or [""]
    deltas: list[dict[str, Any]] = [{"function_call": {"name": p}} for p in name_pieces]
    deltas += [{"function_call": {"arguments": p}} for p in pieces]
    events = [
        {"id": "c", "model": "m", "choices": [{"index": 0, "delta": d, "finish_reason": None}]}
        for d in deltas
    ]
    events.append(
        {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
        if finish
        else {
            "id": "c",
            "choices": [],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )
    return events


def comparable(message: AIMessage) -> tuple[Any, Any]:
    return (
        [(c["name"], c["args"]) for c in message.tool_calls],
        [(c["name"], c["args"]) for c in message.invalid_tool_calls],
    )


def streamed(plan: CallPlan, events: list[dict[str, Any]]) -> AIMessageChunk:
    converter = StreamConverter(plan)
    chunks = [c for e in events if (c := converter.convert(e)) is not None]
    if (last := converter.flush()) is not None:
        chunks.append(last)
    total: ChatGenerationChunk = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    assert isinstance(total.message, AIMessageChunk)
    return total.message


def invoked(plan: CallPlan, name: str, raw: str, finish: str | None) -> AIMessage:
    body = answer(name, raw)
    body["choices"][0]["finish_reason"] = finish  # the stream's, which may be none
    message = chat_result(body, plan).generations[0].message
    assert isinstance(message, AIMessage)
    return message


PLANS = {
    "plain": (CallPlan(), "get_weather"),
    "renamed": (
        CallPlan(user_names={"weather_get_b8affdae8c": "weather.get"}),
        "weather_get_b8affdae8c",
    ),
    "no name": (CallPlan(), ""),
}


@pytest.mark.parametrize("plan_name", PLANS)
@settings(max_examples=300, deadline=None)
@given(
    raw=arguments(), cuts=st.lists(st.integers(0, 80), max_size=6), finish=st.sampled_from(FINISHES)
)
@example(raw='{"": -9223372036854775809}', cuts=[], finish="function_call")  # beyond 64 bits
@example(raw='{"id": 18446744073709551616, "n": [1e3]}', cuts=[9], finish="stop")
def test_stream_sums_to_invoke(
    plan_name: str, raw: str, cuts: list[int], finish: str | None
) -> None:
    plan, name = PLANS[plan_name]
    total = streamed(plan, stream_events(name, raw, cuts, finish))
    alone = invoked(plan, name, raw, finish)
    assert comparable(total) == comparable(alone)
    assert total.additional_kwargs == alone.additional_kwargs


@settings(max_examples=200, deadline=None)
@given(
    raw=arguments(), cuts=st.lists(st.integers(0, 80), max_size=6), finish=st.sampled_from(FINISHES)
)
@example(raw='{"": -9223372036854775809}', cuts=[], finish="function_call")  # beyond 64 bits
def test_dispatched_stream_sums_to_invoke(raw: str, cuts: list[int], finish: str | None) -> None:
    payload = {
        "functions": [{"name": DISPATCHER_NAME, "parameters": {"properties": {"a": {}, "b": {}}}}]
    }
    plan = CallPlan.of(payload)
    for wrapped in (raw, '{"a": ' + raw + "}"):
        total = streamed(plan, stream_events(DISPATCHER_NAME, wrapped, cuts, finish))
        assert comparable(total) == comparable(invoked(plan, DISPATCHER_NAME, wrapped, finish))


def test_a_cut_off_path_is_never_a_valid_call() -> None:
    """The reproduction: a delete tool must not run on a path cut in half."""
    raw = '{"path": "/home/user/proj'
    total = streamed(CallPlan(), stream_events("delete", raw, [5, 12], "length"))
    assert total.tool_calls == []
    assert [c["name"] for c in total.invalid_tool_calls] == ["delete"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    raw=arguments(),
    cuts=st.lists(st.integers(0, 40), max_size=4),
    finish=st.sampled_from(FINISHES[:4]),
)
def test_through_the_model_sync_and_async(raw: str, cuts: list[int], finish: str) -> None:
    """The same over the whole stack: MockTransport, `stream`/`astream`, `invoke`/`ainvoke`."""
    events = stream_events("get_weather", raw, cuts, finish)
    sse = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"

    def reply(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content).get("stream"):
            return httpx.Response(
                200, content=sse.encode(), headers={"content-type": "text/event-stream"}
            )
        body = answer("get_weather", raw)
        body["choices"][0]["finish_reason"] = finish
        return httpx.Response(200, json=body)

    server = MockServer().reply(reply)
    model = server.model().bind(functions=[{"name": "get_weather", "parameters": {}}])
    sync_invoked = model.invoke("x")
    sync_streamed = merge(list(model.stream("x")))

    async def both() -> tuple[Any, Any]:
        return await model.ainvoke("x"), merge([c async for c in model.astream("x")])

    async_invoked, async_streamed = asyncio.run(both())
    assert (
        comparable(sync_streamed)
        == comparable(sync_invoked)
        == comparable(async_streamed)
        == comparable(async_invoked)
    )


CUT = '{"path": "/home/user/proj'


def cut_then_text(request: httpx.Request) -> httpx.Response:
    """First a call cut off by `length` mid-argument; after that, a text answer."""
    body = json.loads(request.content)
    if any(m["role"] == "function" for m in body["messages"]) or len(body["messages"]) > 1:
        events: list[dict[str, Any]] = [
            {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": "Stopped."}}]},
            {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        ]
    else:
        events = stream_events("delete", CUT, [4, 11, 19], "length")
    sse = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    return httpx.Response(200, content=sse.encode(), headers={"content-type": "text/event-stream"})


@pytest.mark.parametrize("framework", ["create_agent", "AgentExecutor"])
async def test_agents_that_stream_never_run_a_cut_off_call(run: Any, framework: str) -> None:
    from langchain.agents import create_agent
    from langchain_classic.agents import AgentExecutor, create_openai_tools_agent
    from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
    from langchain_core.tools import tool

    ran: list[str] = []

    @tool
    def delete(path: str) -> str:
        """Delete a file."""
        ran.append(path)
        return "deleted"

    server = MockServer().reply(cut_then_text)
    model = server.model(streaming=True)
    if framework == "create_agent":
        agent: Any = create_agent(model, [delete])
        await run.stream(agent, {"messages": [("user", "clean up")]}, stream_mode="messages")
    else:
        prompt = ChatPromptTemplate.from_messages(
            [("human", "{input}"), MessagesPlaceholder("agent_scratchpad")]
        )
        agent = AgentExecutor(
            agent=create_openai_tools_agent(model, [delete], prompt), tools=[delete]
        )
        await run.stream(agent, {"input": "clean up"})
    assert ran == []
    assert server.requests
