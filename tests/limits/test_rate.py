"""`RedisRateLimiter` in one process: one bucket per name, the shared hold a 429 sets, Redis
down. Sync and async (the `run` fixture), on a real redis-server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from langchain_mashagpt import RateLimitError
from langchain_mashagpt.limits import (
    BudgetStoreUnavailableError,
    BudgetStoreUnavailableWarning,
    RedisRateLimiter,
)
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.helpers import Runner
from tests.limits.helpers import model_for
from tests.limits.redis_server import RedisServer

Limiters = Callable[..., RedisRateLimiter]


@pytest.fixture
async def limiters(redis_url: str) -> AsyncIterator[Limiters]:
    made: list[RedisRateLimiter] = []

    def make(url: str = redis_url, **kwargs: Any) -> RedisRateLimiter:
        options: dict[str, Any] = {"name": "team", "requests_per_second": 10, **kwargs}
        made.append(RedisRateLimiter(url, **options))
        return made[-1]

    yield make
    for limiter in made:
        await limiter.aclose()
        limiter.close()


async def acquire(run: Runner, limiter: RedisRateLimiter, *, blocking: bool = True) -> bool:
    if run.is_async:
        return await limiter.aacquire(blocking=blocking)
    return limiter.acquire(blocking=blocking)


async def test_the_bucket_starts_empty_and_refills_at_the_rate(
    run: Runner, limiters: Limiters
) -> None:
    limiter = limiters(requests_per_second=5)
    assert not await acquire(run, limiter, blocking=False)  # empty, like InMemoryRateLimiter
    started = time.monotonic()
    for _ in range(4):
        assert await acquire(run, limiter)
    assert time.monotonic() - started >= 0.6  # 4 tokens at 5/s: at least 0.8 s, less jitter


async def test_limiters_with_one_name_share_one_bucket(run: Runner, limiters: Limiters) -> None:
    a, b, other = limiters(), limiters(), limiters(name="other", requests_per_second=1000)
    started = time.monotonic()
    for limiter in (a, b, a, b, a, b):
        assert await acquire(run, limiter)
    assert time.monotonic() - started >= 0.45  # 6 tokens of one 10/s bucket
    assert await acquire(run, other)
    await asyncio.sleep(0.01)
    assert await acquire(run, other, blocking=False)  # another name: its own bucket


async def test_a_429_with_retry_after_holds_every_limiter_of_the_name(
    run: Runner, emu: MashaGPTEmulator, limiters: Limiters
) -> None:
    mine, theirs = limiters(requests_per_second=1000), limiters(requests_per_second=1000)
    emu.enqueue(Reply.rate_limit(retry_after=2))
    with pytest.raises(RateLimitError):
        await run.invoke(model_for(emu, rate_limiter=mine, max_retries=0), "Hello")
    ends = time.monotonic() + 10
    while theirs.held_for() == 0 and time.monotonic() < ends:  # noqa: ASYNC110 - Redis, polled
        await asyncio.sleep(0.01)
    assert 0 < theirs.held_for() <= 2
    assert not await acquire(run, theirs, blocking=False)
    started = time.monotonic()
    assert await acquire(run, theirs)
    assert time.monotonic() - started >= 0.5  # waited out the rest of the hold


async def test_a_429_without_retry_after_holds_no_one(
    run: Runner, emu: MashaGPTEmulator, limiters: Limiters
) -> None:
    limiter = limiters(requests_per_second=1000)
    emu.enqueue(Reply.rate_limit())
    with pytest.raises(RateLimitError):
        await run.invoke(model_for(emu, rate_limiter=limiter, max_retries=0), "Hello")
    await asyncio.sleep(0.05)
    assert limiter.held_for() == 0


async def test_redis_down_fails_closed_or_open(run: Runner, limiters: Limiters) -> None:
    own = RedisServer().start()
    closed, open_ = limiters(own.url), limiters(own.url, fail_open=True)
    own.stop()
    with pytest.raises(BudgetStoreUnavailableError, match="rate limiter 'team' cannot reach"):
        await acquire(run, closed)
    with pytest.warns(BudgetStoreUnavailableWarning, match="without the rate limit"):
        assert await acquire(run, open_)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"requests_per_second": 0}, "requests_per_second must be above 0"),
        ({"check_every_n_seconds": -1}, "check_every_n_seconds must be above 0"),
        ({"max_bucket_size": 0}, "max_bucket_size must be above 0"),
        ({"name": ""}, "needs a name"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, Any], message: str, limiters: Limiters) -> None:
    with pytest.raises(ValueError, match=message):
        limiters(**kwargs)
