"""`RedisRateLimiter`: one token bucket in Redis for every process that shares its name.

A langchain-core `BaseRateLimiter`, so any chat model's `rate_limiter=` takes
it. The bucket refills at `requests_per_second` up to `max_bucket_size` and
starts empty, as langchain-core's `InMemoryRateLimiter` does; taking a token is
one Lua script (`_scripts.BUCKET`) on Redis's clock. A shared "hold" key pauses
everyone: when a MashaGPT call made after `acquire` gets a 429 with
`Retry-After`, every process sharing the limiter waits that long before its
next request.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from langchain_core.rate_limiters import BaseRateLimiter

from langchain_mashagpt._http.attempts import ON_RETRY_AFTER
from langchain_mashagpt.limits._errors import (
    BudgetStoreUnavailableError,
    unavailable,
)
from langchain_mashagpt.limits._scripts import BUCKET
from langchain_mashagpt.limits._store import Store

__all__ = ["RedisRateLimiter"]

_LETS = "the request through without the rate limit"
"""What `fail_open=True` lets through, with Redis down (the warning's end)."""


class RedisRateLimiter(BaseRateLimiter):
    """A rate limit shared through Redis by every process and machine that uses `name`.

    Args:
        url_or_client: A Redis URL, a `redis.Redis`, or a `redis.asyncio.Redis`
            (`aacquire` only).
        name: The limit's name; the same name on the same Redis is one bucket.
        requests_per_second: Tokens added per second.
        check_every_n_seconds: The longest sleep between two looks at the
            bucket (it wakes earlier when the next token is due sooner).
        max_bucket_size: The most tokens the bucket holds (the largest burst).
        fail_open: When Redis cannot be reached, let requests through with a
            `BudgetStoreUnavailableWarning` instead of raising
            `BudgetStoreUnavailableError` (the default).
        prefix: The prefix of its Redis keys.

    Raises:
        ValueError: A rate, interval or bucket size that is not above 0.

    Example:
        ```python
        from langchain_mashagpt import ChatMashaGPT
        from langchain_mashagpt.limits import RedisRateLimiter

        limiter = RedisRateLimiter("redis://localhost:6379/0", name="team", requests_per_second=5)
        model = ChatMashaGPT(rate_limiter=limiter)
        ```
    """

    def __init__(
        self,
        url_or_client: Any,
        *,
        name: str,
        requests_per_second: float,
        check_every_n_seconds: float = 0.1,
        max_bucket_size: float = 1,
        fail_open: bool = False,
        prefix: str = "mashagpt",
    ) -> None:
        for what, value in (
            ("requests_per_second", requests_per_second),
            ("check_every_n_seconds", check_every_n_seconds),
            ("max_bucket_size", max_bucket_size),
        ):
            if not value > 0:
                raise ValueError(f"{what} must be above 0, not {value}.")
        if not isinstance(name, str) or not name:
            raise ValueError("RedisRateLimiter needs a name (a non-empty string).")
        self.name = name
        self.requests_per_second = requests_per_second
        self.check_every_n_seconds = check_every_n_seconds
        self.max_bucket_size = max_bucket_size
        self.fail_open = fail_open
        base = f"{prefix}:rate-limit:{{{name}}}"
        self._keys = [base, f"{base}:hold"]
        self._store = Store(url_or_client, f"rate limiter {name!r}")
        self._tasks: set[asyncio.Task[Any]] = set()
        self._last_grant = 0.0  # Redis's time of the last token taken here

    def __repr__(self) -> str:
        return (
            f"RedisRateLimiter(name={self.name!r}, requests_per_second="
            f"{self.requests_per_second:g}, redis={self._store.where})"
        )

    def _args(self, mode: str, seconds: float = 0.0) -> list[Any]:
        return [
            repr(float(self.requests_per_second)),
            repr(float(self.max_bucket_size)),
            mode,
            repr(float(seconds)),
        ]

    def _next(self, reply: list[Any], blocking: bool) -> bool | float:
        """Whether a token was taken, once that is known; else the seconds to sleep first.

        It is known when one was taken, or, not `blocking`, when none was.
        """
        taken, wait = reply[0] in (b"1", "1"), float(reply[1])
        if taken:
            self._last_grant = float(reply[2])
        if taken or not blocking:
            return taken
        return min(max(wait, 0.001), self.check_every_n_seconds)

    def acquire(self, *, blocking: bool = True) -> bool:
        """Take a token from the shared bucket; with `blocking`, wait for one.

        Calls made after it in the same thread or task report their 429s'
        `Retry-After` to this limiter, which holds every process sharing it.

        Raises:
            BudgetStoreUnavailableError: Redis cannot be reached (fail-closed).
        """
        ON_RETRY_AFTER.set(self.hold)
        while True:
            try:
                reply = self._store.run(BUCKET, self._keys, self._args("take"))
            except BudgetStoreUnavailableError as exc:
                unavailable(exc, fail_open=self.fail_open, lets=_LETS)
                return True
            if isinstance(wait := self._next(reply, blocking), bool):
                return wait
            time.sleep(wait)

    async def aacquire(self, *, blocking: bool = True) -> bool:
        """Async twin of `acquire` (on `redis.asyncio`)."""
        ON_RETRY_AFTER.set(self.hold)
        while True:
            try:
                reply = await self._store.arun(BUCKET, self._keys, self._args("take"))
            except BudgetStoreUnavailableError as exc:
                unavailable(exc, fail_open=self.fail_open, lets=_LETS)
                return True
            if isinstance(wait := self._next(reply, blocking), bool):
                return wait
            await asyncio.sleep(wait)

    def hold(self, seconds: float) -> None:
        """Make every process sharing the limiter wait `seconds` before its next token.

        Called with a 429's `Retry-After`; a Redis failure is ignored here (the
        call that got the 429 waits anyway). In a running event loop the write
        is made by a task, so the loop is not blocked.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            with contextlib.suppress(BudgetStoreUnavailableError):
                self._store.run(BUCKET, self._keys, self._args("hold", seconds))
            return
        task = loop.create_task(self._ahold(seconds))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ahold(self, seconds: float) -> None:
        with contextlib.suppress(BudgetStoreUnavailableError):
            await self._store.arun(BUCKET, self._keys, self._args("hold", seconds))

    def held_for(self) -> float:
        """Seconds left of the current hold (0 when none).

        Raises:
            BudgetStoreUnavailableError: Redis cannot be reached.
        """
        return float(self._store.run(BUCKET, self._keys, self._args("peek"))[1])

    def close(self) -> None:
        """Close the Redis client made from a URL."""
        self._store.close()

    async def aclose(self) -> None:
        """Close the asyncio Redis client of the running loop made from a URL."""
        await self._store.aclose()
