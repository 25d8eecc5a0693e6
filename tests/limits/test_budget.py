"""`RedisEnergyBudget` in one process: reserve before sending, settle with the bill, release
on failure. Each test runs sync and async (the `run` fixture), on a real redis-server."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from langchain_core.load import dumpd
from langchain_core.messages import HumanMessage

from langchain_mashagpt import BudgetExceededError, get_mashagpt_callback
from langchain_mashagpt.limits import (
    BudgetStoreUnavailableError,
    BudgetStoreUnavailableWarning,
    RedisEnergyBudget,
    SharedBudgetExceededError,
)
from langchain_mashagpt.limits._estimate import DEFAULT_RATES
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.helpers import Runner, merge
from tests.limits.helpers import MAX_TOKENS, energy_of, model_for
from tests.limits.redis_server import RedisServer

Budgets = Callable[..., RedisEnergyBudget]


@pytest.fixture
async def budgets(redis_url: str) -> AsyncIterator[Budgets]:
    made: list[RedisEnergyBudget] = []

    def make(url: str = redis_url, **kwargs: Any) -> RedisEnergyBudget:
        options: dict[str, Any] = {"name": "team", "limit": 1_000_000, **kwargs}
        made.append(RedisEnergyBudget(url, **options))
        return made[-1]

    yield make
    for budget in made:
        await budget.aclose()
        budget.close()


async def call(run: Runner, model: Any, how: str, text: str = "Hello") -> Any:
    if how == "stream":
        return merge(await run.stream(model, text))
    return await run.invoke(model, text)


@pytest.mark.parametrize("how", ["invoke", "stream"])
async def test_a_call_reserves_then_settles_its_real_energy(
    run: Runner, how: str, emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    budget = budgets()
    answer = await call(run, model_for(emu, energy_budget=budget), how)
    stats = budget.stats()
    assert stats.spent == energy_of(answer) > 0
    assert (stats.reserved, stats.requests, stats.reservations, stats.open_reservations) == (
        0,
        1,
        1,
        0,
    )
    assert budget.remaining() == budget.limit - energy_of(answer)


async def test_several_choices_settle_their_sum(
    run: Runner, emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    budget = budgets()
    model = model_for(emu, energy_budget=budget, n=3)
    result = await run.generate(model, [[HumanMessage("Hello")]])
    assert budget.spent() == result.llm_output["token_usage"]["total_energy"]
    assert len(result.generations[0]) == 3


async def test_a_call_past_the_limit_is_refused_before_sending(
    run: Runner, emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    budget = budgets(limit=100)  # the default rates estimate far more than 100
    model = model_for(emu, energy_budget=budget)
    with pytest.raises(BudgetExceededError) as caught:
        await run.invoke(model, "Hello")
    assert isinstance(caught.value, SharedBudgetExceededError)
    assert "'team' would pass its limit" in str(caught.value)
    assert "lower max_tokens" in str(caught.value)  # the estimate alone is above the limit
    assert emu.requests == []
    assert budget.stats().reservations == 0


async def test_a_retried_call_reserves_once(
    run: Runner, emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    budget = budgets()
    emu.enqueue(Reply.rate_limit(retry_after=0), Reply.model())
    answer = await run.invoke(model_for(emu, energy_budget=budget), "Hello")
    assert len(emu.requests) == 2
    stats = budget.stats()
    assert (stats.reservations, stats.requests, stats.spent) == (1, 1, energy_of(answer))


@pytest.mark.parametrize(
    ("how", "reply"),
    [
        ("invoke", Reply.http_error(400, "bad")),
        ("stream", Reply.http_error(500, "down")),
        ("stream", Reply.stream_cut(after_chunks=2)),
    ],
)
async def test_a_failed_or_cut_call_releases_its_reservation(
    run: Runner, how: str, reply: Reply, emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    budget = budgets()
    emu.enqueue(*[reply] * 3)
    with pytest.raises(Exception):  # noqa: B017, PT011 - which error is the transport's business
        await call(run, model_for(emu, energy_budget=budget, max_retries=0), how)
    stats = budget.stats()
    assert (stats.spent, stats.reserved, stats.open_reservations, stats.reservations) == (
        0,
        0,
        0,
        1,
    )


async def test_a_cancelled_stream_releases_its_reservation(
    emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    budget = budgets()
    emu.enqueue(Reply.stream_stall(after_chunks=1, content="one two three"))
    model = model_for(emu, energy_budget=budget)
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in model.astream("Hello"):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 30)
    assert budget.reserved() > 0
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (budget.reserved(), budget.spent()) == (0, 0)


def test_a_sync_stream_closed_early_releases_its_reservation(
    emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    budget = budgets()
    emu.enqueue(Reply.stream_stall(after_chunks=1, content="one two three"))
    stream = model_for(emu, energy_budget=budget).stream("Hello")
    next(stream)
    assert budget.reserved() > 0
    stream.close()
    assert (budget.reserved(), budget.spent()) == (0, 0)


async def test_rates_are_learned_from_answers(
    run: Runner, emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    budget = budgets()
    model = model_for(emu, energy_budget=budget)
    messages = [("human", "Расскажи про погоду в Москве")]
    first = model.estimate_energy(messages)
    assert first >= MAX_TOKENS * DEFAULT_RATES[1]  # conservative before any answer
    await run.invoke(model, "Hello")
    learned = model.estimate_energy(messages)
    # gpt-4o-mini bills 4 a completion token on the emulator: 20 x 4, plus the prompt
    assert MAX_TOKENS * 4 < learned < first
    assert model_for(emu).estimate_energy(messages) == first  # no budget: the defaults


async def test_two_names_do_not_share(run: Runner, emu: MashaGPTEmulator, budgets: Budgets) -> None:
    a, b = budgets(name="a"), budgets(name="b")
    answer = await run.invoke(model_for(emu, energy_budget=a), "Hello")
    assert (a.spent(), b.spent()) == (energy_of(answer), 0)


async def test_a_windowed_budget_forgets_old_spending(
    run: Runner, emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    budget = budgets(window=1.0)
    await run.invoke(model_for(emu, energy_budget=budget), "Hello")
    assert budget.spent() > 0
    await asyncio.sleep(1.2)
    assert budget.spent() == 0
    assert budget.stats().requests == 1


async def test_a_per_user_budget_is_one_per_user(
    run: Runner, emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    budget = budgets(per_user=True)
    model = model_for(emu, energy_budget=budget)
    answer = await run.invoke(model, "Hello", user="alice")
    assert (budget.spent("alice"), budget.spent("bob")) == (energy_of(answer), 0)
    with pytest.raises(ValueError, match="per user"):
        await run.invoke(model, "Hello")
    assert len(emu.requests) == 1


async def test_get_mashagpt_callback_takes_a_budget(
    run: Runner, emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    budget, other = budgets(), budgets(name="other")
    with get_mashagpt_callback(budget=budget) as cb, get_mashagpt_callback(budget=budget):
        await run.invoke(model_for(emu, energy_budget=other), "Hello")
    assert budget.spent() == other.spent() == cb.total_energy > 0
    assert budget.stats().reservations == 1  # the same budget twice is reserved once
    await run.invoke(model_for(emu), "Hello")  # outside the block: not counted
    assert budget.stats().requests == 1


async def test_redis_down_fails_closed_or_open(
    run: Runner, emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    own = RedisServer().start()
    closed, open_ = budgets(own.url), budgets(own.url, name="open", fail_open=True)
    await run.invoke(model_for(emu, energy_budget=closed), "Hello")
    own.stop()
    with pytest.raises(BudgetStoreUnavailableError) as caught:
        await run.invoke(model_for(emu, energy_budget=closed), "Hello")
    assert f"cannot reach Redis at 127.0.0.1:{own.port}/0" in str(caught.value)
    assert "fail_open=True" in str(caught.value)
    assert len(emu.requests) == 1  # the refused call sent nothing
    with pytest.warns(BudgetStoreUnavailableWarning, match="lets the call through"):
        answer = await run.invoke(model_for(emu, energy_budget=open_), "Hello")
    assert answer.content


async def test_redis_out_of_reach_raises_an_unchained_error(
    run: Runner, emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    own = RedisServer().start()
    budget = budgets(own.url)
    await run.invoke(model_for(emu, energy_budget=budget), "Hello")
    own.stop()
    with pytest.raises(BudgetStoreUnavailableError) as called:
        await run.invoke(model_for(emu, energy_budget=budget), "Hello")
    with pytest.raises(BudgetStoreUnavailableError) as reset:
        budget.reset()
    for error in (called.value, reset.value):  # the Redis error (and its URL) is not kept
        assert (error.__cause__, error.__context__) == (None, None)


async def test_the_key_never_reaches_redis(
    run: Runner, emu: MashaGPTEmulator, budgets: Budgets, redis_server: RedisServer
) -> None:
    import redis

    budget = budgets(per_user=True)
    model = model_for(emu, energy_budget=budget)
    await run.invoke(model, "Hello", user="alice")
    await call(run, model.bind(user="bob"), "stream")
    client = redis.Redis.from_url(redis_server.url)
    dumped = []
    for key in client.scan_iter():
        kind = client.type(key)
        value = {
            b"hash": client.hgetall,
            b"zset": lambda k: client.zrange(k, 0, -1),
            b"string": client.get,
        }[kind](key)
        dumped.append(repr((key, value)))
    client.close()
    assert dumped
    key = emu.api_key
    assert all(key not in d and key[-8:] not in d for d in dumped)
    assert key not in redis_server.log.read_text()


def test_budgets_pickle_by_url_and_stay_out_of_the_model_s_dump(
    emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    budget = budgets(window=60.0)
    copy = pickle.loads(pickle.dumps(budget))
    assert repr(copy) == repr(budget)
    assert "energy_budget" not in str(dumpd(model_for(emu, energy_budget=budget)))
    error = SharedBudgetExceededError(
        "team", spent=1, reserved=2, estimate=3, limit=4, requests=5, window=None
    )
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


async def test_a_budget_takes_a_sync_or_an_asyncio_client(
    emu: MashaGPTEmulator, redis_server: RedisServer
) -> None:
    import redis
    import redis.asyncio

    sync_client = redis.Redis.from_url(redis_server.url)
    budget = RedisEnergyBudget(sync_client, name="given", limit=10**6)
    answer = await model_for(emu, energy_budget=budget).ainvoke("Hello")  # through a thread
    assert budget.spent() == energy_of(answer)
    assert "redis=127.0.0.1:" in repr(budget)
    with pytest.raises(TypeError, match="pickles only when made from a URL"):
        pickle.dumps(budget)
    budget.close()  # a client you gave stays open
    assert sync_client.ping()
    sync_client.close()

    async_client = redis.asyncio.Redis.from_url(redis_server.url)
    budget = RedisEnergyBudget(async_client, name="given-async", limit=10**6)
    answer = await model_for(emu, energy_budget=budget).ainvoke("Hello")
    with pytest.raises(TypeError, match="serves async calls only"):
        budget.spent()
    await async_client.aclose()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"name": ""}, ValueError, "needs a name"),
        ({"limit": -1}, ValueError, "limit must be 0 or more"),
        ({"window": 0}, ValueError, "window must be above 0"),
        ({"reservation_ttl": 0}, ValueError, "reservation_ttl must be above 0"),
        ({"url_or_client": 42}, TypeError, "expected a Redis URL"),
    ],
)
def test_bad_settings_are_refused(
    kwargs: dict[str, Any], error: type[Exception], message: str, redis_url: str
) -> None:
    options: dict[str, Any] = {"url_or_client": redis_url, "name": "x", "limit": 1, **kwargs}
    with pytest.raises(error, match=message):
        RedisEnergyBudget(options.pop("url_or_client"), **options)


@pytest.mark.parametrize("how", ["invoke", "stream"])
async def test_redis_lost_during_a_call_keeps_the_answer_and_warns(
    run: Runner, how: str, emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    own = RedisServer().start()
    budget = budgets(own.url)
    emu.enqueue(Reply.model(delay=1.0))
    model = model_for(emu, energy_budget=budget)

    async def stop_redis_once_sent() -> None:
        while not emu.requests:  # noqa: ASYNC110 - the emulator's log, polled
            await asyncio.sleep(0.01)
        await asyncio.to_thread(own.stop)

    async def call_while_redis_stops() -> Any:
        stopper = asyncio.create_task(stop_redis_once_sent())
        if run.is_async:
            answer = await call(run, model, how)
        else:  # the sync call in a thread, so the loop can stop Redis meanwhile
            answer = await asyncio.to_thread(lambda: asyncio.run(call(run, model, how)))
        await stopper
        return answer

    with pytest.warns(BudgetStoreUnavailableWarning, match="could not be settled"):
        answer = await call_while_redis_stops()
    assert answer.content


@pytest.mark.parametrize("how", ["stream"])
async def test_a_stream_without_usage_is_charged_its_estimate(
    run: Runner, how: str, emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    budget = budgets()
    model = model_for(emu, energy_budget=budget, stream_usage=False)
    estimate = model.estimate_energy(["Hello"])
    await call(run, model, how)
    assert budget.stats().spent == estimate
    assert budget.stats().reserved == 0


def test_the_estimate_counts_tools_and_function_calls(
    emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    from langchain_core.messages import AIMessage, ToolMessage
    from langchain_core.tools import tool

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return city

    model = model_for(emu, energy_budget=budgets())
    call_ = {"name": "get_weather", "args": {"city": "Moscow"}, "id": "1"}
    history = [HumanMessage("Weather?"), AIMessage("", tool_calls=[call_])]
    plain = model.estimate_energy(history[:1])
    with_call = model.estimate_energy([*history, ToolMessage("+5", tool_call_id="1")])
    with_tools = model.estimate_energy(history[:1], tools=[get_weather])
    assert plain < with_call
    assert plain < with_tools


async def test_a_refusal_by_one_budget_gives_back_the_others(
    run: Runner, emu: MashaGPTEmulator, budgets: Budgets
) -> None:
    own, tight = budgets(), budgets(name="tight", limit=100)
    with pytest.raises(SharedBudgetExceededError), get_mashagpt_callback(budget=tight):
        await run.invoke(model_for(emu, energy_budget=own), "Hello")
    stats = own.stats()
    assert (stats.reservations, stats.reserved, stats.open_reservations) == (1, 0, 0)
    assert emu.requests == []
