"""`get_mashagpt_callback`: totals of tokens and energy, per model, and budgets."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import pickle
from typing import Any

import httpx
import pytest
from langchain.agents import create_agent
from langchain_core.caches import InMemoryCache
from langchain_core.callbacks import get_usage_metadata_callback
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from pydantic import SecretStr

from langchain_mashagpt import ChatMashaGPT, errors
from langchain_mashagpt.callbacks import (
    EnergyUsage,
    MashaGPTCallbackHandler,
    get_mashagpt_callback,
)
from tests.helpers import API_KEY, MockServer, Runner, completion
from tests.unit_tests.helpers import sse_fixture

# completion()'s default usage, and the usage of fixtures/text.sse
CALL = EnergyUsage(10, 5, 15, 20, 30, 50, 1)
STREAM = EnergyUsage(9, 4, 13, 18, 24, 42, 1)
TEXT_SSE_WITHOUT_DONE = sse_fixture("text").decode().replace("data: [DONE]\n", "")


def totals(cb: MashaGPTCallbackHandler) -> EnergyUsage:
    """The handler's public attributes, which must agree with its snapshot."""
    usage = EnergyUsage(
        cb.prompt_tokens,
        cb.completion_tokens,
        cb.total_tokens,
        cb.prompt_energy,
        cb.completion_energy,
        cb.total_energy,
        cb.successful_requests,
    )
    assert usage == cb.usage
    return usage


def times(usage: EnergyUsage, k: int) -> EnergyUsage:
    total = EnergyUsage()
    for _ in range(k):
        total += usage
    return total


def echo_model(request: httpx.Request) -> httpx.Response:
    """The requested model's answer (JSON or SSE), with usage growing with the prompt's number."""
    body = json.loads(request.content)
    k = int(body["messages"][-1]["content"].split()[-1])
    usage = {
        "prompt_tokens": k,
        "completion_tokens": 2 * k,
        "total_tokens": 3 * k,
        "prompt_energy": 10 * k,
        "completion_energy": 20 * k,
        "total_energy": 30 * k,
    }
    answer = completion(f"#{k}", usage=usage, model=body["model"])
    if not body.get("stream"):
        return httpx.Response(200, json=answer)
    head = {key: answer[key] for key in ("id", "created", "model")}
    chunks: list[dict[str, Any]] = [
        {"choices": [{"index": 0, "delta": {"content": f"#{k}"}, "finish_reason": None}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {"choices": [], "usage": usage},
    ]
    events = [
        f"data: {json.dumps({**head, 'object': 'chat.completion.chunk', **c})}\n\n" for c in chunks
    ]
    content = "".join(events) + "data: [DONE]\n\n"
    return httpx.Response(
        200, content=content.encode(), headers={"content-type": "text/event-stream"}
    )


def numbered(k: int) -> EnergyUsage:
    """The usage `echo_model` reports for prompt number `k`."""
    return EnergyUsage(k, 2 * k, 3 * k, 10 * k, 20 * k, 30 * k, 1)


def fake_model() -> GenericFakeChatModel:
    """Another provider's model, whose answers carry usage too."""
    usage = {"input_tokens": 100, "output_tokens": 100, "total_tokens": 200}
    message = AIMessage("fake", usage_metadata=usage, response_metadata={"model_name": "fake"})
    return GenericFakeChatModel(messages=iter([message] * 10))


async def collect(model: ChatMashaGPT, prompt: str) -> str:
    return "".join([c.text async for c in model.astream(prompt)])


# ---------------------------------------------------------------- totals


async def test_invoke_is_counted(run: Runner, server: MockServer) -> None:
    server.json(completion())
    model = server.model()
    with get_mashagpt_callback() as cb:
        assert totals(cb) == EnergyUsage()
        await run.invoke(model, "one")
        await run.invoke(model, "two")
    await run.invoke(model, "after the block")
    assert len(server.requests) == 3
    assert totals(cb) == times(CALL, 2)
    assert cb.by_model == {"gpt-4o-mini": times(CALL, 2)}


@pytest.mark.parametrize("how", ["stream", "invoke with streaming=True"])
async def test_a_stream_counts_once_with_its_usage(
    run: Runner, server: MockServer, how: str
) -> None:
    server.sse(sse_fixture("text"))
    with get_mashagpt_callback() as cb:
        if how == "stream":
            chunks = await run.stream(server.model(), "hi")
            assert "".join(c.text for c in chunks) == "Hello, мир!"
        else:
            message = await run.invoke(server.model(streaming=True), "hi")
            assert message.text == "Hello, мир!"
    assert server.bodies[0]["stream"] is True
    assert totals(cb) == STREAM
    assert cb.by_model == {"gpt-4o-mini": STREAM}


async def test_several_choices_are_one_request(run: Runner, server: MockServer) -> None:
    server.json(completion(choices=3))
    with get_mashagpt_callback() as cb:
        result = await run.generate(server.model(n=3), [[HumanMessage("hi")]])
    assert len(result.generations[0]) == 3
    assert totals(cb) == CALL


async def test_batch_in_threads_and_tasks(run: Runner, server: MockServer) -> None:
    server.reply(echo_model)
    inputs = [f"prompt {k}" for k in range(1, 21)]
    with get_mashagpt_callback() as cb:
        answers = await run.batch(server.model(), inputs, config={"max_concurrency": 8})
    assert [a.content for a in answers] == [f"#{k}" for k in range(1, 21)]
    expected = sum((numbered(k) for k in range(1, 21)), EnergyUsage())
    assert totals(cb) == expected
    assert cb.by_model == {"gpt-4o-mini": expected}


async def test_many_concurrent_tasks_give_exact_totals(server: MockServer) -> None:
    server.reply(echo_model)
    model = server.model()
    with get_mashagpt_callback() as cb:
        invoked = asyncio.gather(*(model.ainvoke(f"prompt {k}") for k in range(1, 101)))
        batched = model.abatch([f"prompt {k}" for k in range(101, 151)])
        streamed = asyncio.gather(*(collect(model, f"prompt {k}") for k in range(151, 161)))
        await asyncio.gather(invoked, batched, streamed)
    assert len(server.requests) == 160
    assert totals(cb) == sum((numbered(k) for k in range(1, 161)), EnergyUsage())


async def test_chains_and_nested_runs(run: Runner, server: MockServer) -> None:
    server.reply(echo_model)
    model = server.model()
    chain = ChatPromptTemplate.from_messages([("human", "prompt {k}")]) | model | StrOutputParser()

    def twice(k: int) -> str:  # a step that calls the model itself, sync or async
        return chain.invoke({"k": k}) + chain.invoke({"k": k + 1})

    async def atwice(k: int) -> str:
        return await chain.ainvoke({"k": k}) + await chain.ainvoke({"k": k + 1})

    outer = RunnableLambda(twice, afunc=atwice) | RunnableLambda(lambda s: {"k": len(s)}) | chain
    with get_mashagpt_callback() as cb:
        assert await run.invoke(chain, {"k": 1}) == "#1"
        assert await run.invoke(outer, 2) == "#4"  # "#2#3" has 4 characters
    assert totals(cb) == numbered(1) + numbered(2) + numbered(3) + numbered(4)


async def test_an_agent_is_counted(run: Runner, server: MockServer) -> None:
    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"Sunny in {city}"

    call = {"name": "get_weather", "arguments": '{"city": "Москва"}'}
    server.json(completion(None, function_call=call, finish_reason="function_call"))
    server.json({**completion("Солнечно."), "id": "chatcmpl-2"})  # ids tell messages apart
    agent = create_agent(server.model(), tools=[get_weather])
    with get_mashagpt_callback() as cb:
        state = await run.invoke(agent, {"messages": [("human", "Погода в Москве?")]})
    assert state["messages"][-1].content == "Солнечно."
    assert state["messages"][-2].content == "Sunny in Москва"
    assert len(server.requests) == 2
    assert totals(cb) == times(CALL, 2)


async def test_per_model_breakdown(run: Runner, server: MockServer) -> None:
    server.reply(echo_model)
    model = server.model()
    with get_mashagpt_callback() as cb:
        await run.invoke(model, "prompt 1")
        await run.invoke(model, "prompt 2", model="claude-3-opus")
        await run.invoke(model.bind(model="gpt-4o"), "prompt 3")
        await run.invoke(model, "prompt 4", model="claude-3-opus")
    assert [b["model"] for b in server.bodies] == [
        "gpt-4o-mini",
        "claude-3-opus",
        "gpt-4o",
        "claude-3-opus",
    ]
    assert cb.by_model == {
        "gpt-4o-mini": numbered(1),
        "claude-3-opus": numbered(2) + numbered(4),
        "gpt-4o": numbered(3),
    }
    assert totals(cb) == numbered(1) + numbered(2) + numbered(3) + numbered(4)


async def test_other_providers_are_not_counted(run: Runner, server: MockServer) -> None:
    server.json(completion())
    with get_mashagpt_callback() as cb:
        assert (await run.invoke(fake_model(), "hi")).content == "fake"
        chunks = await run.stream(fake_model(), "hi")
        assert "".join(c.text for c in chunks) == "fake"
        await run.invoke(server.model(), "hi")
    assert totals(cb) == CALL
    assert list(cb.by_model) == ["gpt-4o-mini"]


async def test_langchain_core_usage_callback_works_alongside(
    run: Runner, server: MockServer
) -> None:
    server.json(completion()).sse(sse_fixture("text"))
    with get_usage_metadata_callback() as core, get_mashagpt_callback() as cb:
        await run.invoke(server.model(), "hi")
        await run.stream(server.model(), "hi")
        await run.invoke(fake_model(), "hi")
    assert core.usage_metadata == {
        "gpt-4o-mini": {"input_tokens": 19, "output_tokens": 9, "total_tokens": 28},
        "fake": {"input_tokens": 100, "output_tokens": 100, "total_tokens": 200},
    }
    assert totals(cb) == CALL + STREAM


async def test_a_cache_hit_is_not_counted(run: Runner, server: MockServer) -> None:
    server.json(completion())
    model = server.model(cache=InMemoryCache())
    with get_mashagpt_callback() as cb:
        first = await run.invoke(model, "hi")
        second = await run.invoke(model, "hi")
    assert first.content == second.content == "Hello!"
    assert len(server.requests) == 1
    assert totals(cb) == CALL


async def test_a_stream_cut_after_its_usage_counts_the_energy_not_a_request(
    run: Runner, server: MockServer
) -> None:
    server.sse(TEXT_SSE_WITHOUT_DONE)
    with get_mashagpt_callback() as cb, pytest.raises(errors.IncompleteStreamError):
        await run.stream(server.model(), "hi")
    assert len(server.requests) == 1
    assert totals(cb) == EnergyUsage(9, 4, 13, 18, 24, 42, successful_requests=0)


@pytest.mark.parametrize("failure", ["400", "stream cut before its usage"])
async def test_a_failed_call_is_not_counted(run: Runner, server: MockServer, failure: str) -> None:
    if failure == "400":
        server.json({"error": {"message": "bad"}}, status=400)
        call = run.invoke
    else:
        server.sse(sse_fixture("cut"))
        call = run.stream
    with get_mashagpt_callback() as cb, pytest.raises(errors.MashaGPTError):
        await call(server.model(), "hi")
    assert len(server.requests) == 1
    assert totals(cb) == EnergyUsage()
    assert cb.by_model == {}


async def test_blocks_nest(run: Runner, server: MockServer) -> None:
    server.json(completion())
    model = server.model()
    with get_mashagpt_callback() as outer:
        await run.invoke(model, "hi")
        with get_mashagpt_callback() as inner:
            await run.invoke(model, "hi")
        await run.invoke(model, "hi")
    assert totals(inner) == CALL
    assert totals(outer) == times(CALL, 3)


def test_str_is_readable(server: MockServer) -> None:
    server.reply(echo_model)
    model = server.model()
    with get_mashagpt_callback(max_energy=1000) as cb:
        model.invoke("prompt 1")
        model.invoke("prompt 2", model="claude-3-opus")
    assert str(cb) == (
        "MashaGPT usage: 2 successful request(s)\n"
        "  Tokens: 9 (prompt 3, completion 6)\n"
        "  Energy: 90 (prompt 30, completion 60)\n"
        "  Energy budget: 90 of 1000 spent\n"
        "  claude-3-opus: 1 request(s), 6 tokens (2 prompt + 4 completion), "
        "60 energy (20 prompt + 40 completion)\n"
        "  gpt-4o-mini: 1 request(s), 3 tokens (1 prompt + 2 completion), "
        "30 energy (10 prompt + 20 completion)"
    )
    assert repr(cb).startswith("<MashaGPTCallbackHandler 2 request(s), 9 tokens")


def test_a_handler_can_be_passed_by_hand(server: MockServer) -> None:
    server.json(completion())
    handler = MashaGPTCallbackHandler()
    server.model().invoke("hi", config={"callbacks": [handler]})
    assert totals(handler) == CALL


# ---------------------------------------------------------------- budgets


@pytest.mark.parametrize(
    ("limits", "unit", "spent", "limit"),
    [({"max_energy": 60}, "energy", 100, 60), ({"max_tokens": 30}, "tokens", 30, 30)],
)
async def test_budget_stops_the_next_call_before_sending(
    run: Runner, server: MockServer, limits: dict[str, int], unit: str, spent: int, limit: int
) -> None:
    server.json(completion())
    model = server.model()
    with get_mashagpt_callback(**limits) as cb:
        await run.invoke(model, "within the budget")
        await run.invoke(model, "crosses the budget, and completes")
        with pytest.raises(errors.BudgetExceededError) as caught:
            await run.invoke(model, "not sent")
        with pytest.raises(errors.BudgetExceededError):
            await run.batch(model, ["not sent", "either"])
    assert len(server.requests) == 2
    assert totals(cb) == times(CALL, 2)
    exc = caught.value
    assert isinstance(exc, errors.MashaGPTError)
    assert (exc.unit, exc.spent, exc.limit, exc.requests) == (unit, spent, limit, 2)
    assert f"{spent} of max_{unit}={limit}" in str(exc)
    assert "was not sent" in str(exc)
    assert f"Raise max_{unit}" in str(exc)
    assert str(pickle.loads(pickle.dumps(exc))) == str(exc)  # crosses process boundaries


async def test_budget_of_zero_sends_nothing(run: Runner, server: MockServer) -> None:
    server.json(completion())
    with get_mashagpt_callback(max_energy=0), pytest.raises(errors.BudgetExceededError):
        await run.invoke(server.model(), "hi")
    assert server.requests == []


async def test_budget_stops_a_stream_before_it_starts(run: Runner, server: MockServer) -> None:
    server.sse(sse_fixture("text"))
    model = server.model()
    with get_mashagpt_callback(max_energy=1) as cb:
        chunks = await run.stream(model, "within the budget, then over it")
        assert "".join(c.text for c in chunks) == "Hello, мир!"
        with pytest.raises(errors.BudgetExceededError):
            await run.stream(model, "not sent")
        with pytest.raises(errors.BudgetExceededError):
            await run.invoke(server.model(streaming=True), "not sent")
    assert len(server.requests) == 1
    assert totals(cb) == STREAM


async def test_a_stream_in_flight_completes_when_the_budget_runs_out(
    run: Runner, server: MockServer
) -> None:
    server.sse(sse_fixture("text")).json(completion())
    model = server.model()
    with get_mashagpt_callback(max_energy=50) as cb:
        if run.is_async:
            stream: Any = model.astream("started within the budget")
            first = await anext(stream)
            await model.ainvoke("spends the budget while the stream is open")
            rest = [c async for c in stream]
        else:
            stream = model.stream("started within the budget")
            first = next(stream)
            model.invoke("spends the budget while the stream is open")
            rest = list(stream)
        with pytest.raises(errors.BudgetExceededError):
            await run.invoke(model, "not sent")
    assert first.text + "".join(c.text for c in rest) == "Hello, мир!"
    assert len(server.requests) == 2
    assert totals(cb) == STREAM + CALL


async def test_budget_leaves_other_providers_alone(run: Runner, server: MockServer) -> None:
    server.json(completion())
    with get_mashagpt_callback(max_energy=50) as cb:
        await run.invoke(server.model(), "spends the budget")
        assert (await run.invoke(fake_model(), "hi")).content == "fake"
        with pytest.raises(errors.BudgetExceededError):
            await run.invoke(server.model(), "not sent")
    assert len(server.requests) == 1
    assert totals(cb) == CALL


async def test_an_outer_budget_stops_calls_in_an_inner_block(
    run: Runner, server: MockServer
) -> None:
    server.json(completion())
    model = server.model()
    with get_mashagpt_callback(max_energy=50) as outer:
        await run.invoke(model, "spends the outer budget")
        with get_mashagpt_callback() as inner, pytest.raises(errors.BudgetExceededError):
            await run.invoke(model, "not sent")
    assert len(server.requests) == 1
    assert totals(inner) == EnergyUsage()
    assert totals(outer) == CALL


async def test_calls_in_flight_when_the_budget_runs_out_complete_and_count() -> None:
    sent: list[httpx.Request] = []
    all_sent = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if len(sent) == 5:
            all_sent.set()
        await all_sent.wait()  # no answer until all five requests are out
        return echo_model(request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    model = ChatMashaGPT(api_key=SecretStr(API_KEY), http_async_client=client)
    with get_mashagpt_callback(max_energy=1) as cb:
        answers = await model.abatch([f"prompt {k}" for k in range(1, 6)])
        with pytest.raises(errors.BudgetExceededError):
            await model.ainvoke("prompt 6")
    assert [a.content for a in answers] == ["#1", "#2", "#3", "#4", "#5"]
    assert len(sent) == 5
    assert totals(cb) == sum((numbered(k) for k in range(1, 6)), EnergyUsage())
    await client.aclose()


@pytest.mark.parametrize("limits", [{"max_energy": -1}, {"max_tokens": -5}])
def test_a_negative_budget_is_refused(limits: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be 0 or more"), get_mashagpt_callback(**limits):
        pass


async def test_every_field_of_energy_usage_is_a_total_of_the_handler(
    run: Runner, server: MockServer
) -> None:
    server.json(completion())
    with get_mashagpt_callback() as cb:
        assert all(getattr(cb, f.name) == 0 for f in dataclasses.fields(EnergyUsage))
        await run.invoke(server.model(), "hi")
    assert {f.name: getattr(cb, f.name) for f in dataclasses.fields(EnergyUsage)} == (
        dataclasses.asdict(CALL)
    )
    assert copy.copy(cb).usage == cb.usage == CALL  # copy asks for __setstate__ first
    assert pickle.loads(pickle.dumps(cb.usage)) == CALL
    with pytest.raises(AttributeError, match="no attribute 'total_energies'"):
        _ = cb.total_energies


async def test_a_total_cannot_be_set_so_it_never_hides_what_was_counted(
    run: Runner, server: MockServer
) -> None:
    server.json(completion())
    with get_mashagpt_callback() as cb:
        await run.invoke(server.model(), "hi")
        for field in dataclasses.fields(EnergyUsage):
            with pytest.raises(AttributeError, match="cannot be set: open a new"):
                setattr(cb, field.name, 0)
        cb.max_energy = 10_000  # other attributes are set as ever
    assert cb.total_energy == CALL.total_energy
    assert cb.max_energy == 10_000
