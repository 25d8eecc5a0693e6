"""The Redis side of the shared limits: clients (sync, and asyncio per event loop), scripts, errors.

`redis` is imported here only, when a budget or limiter is made, so the package
needs it only with the `redis` extra. Every failure to reach Redis leaves as a
`BudgetStoreUnavailableError` naming the host and port, never the URL (which may
hold a password).
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from langchain_mashagpt.errors import MissingDependencyError
from langchain_mashagpt.limits._errors import BudgetStoreUnavailableError

__all__ = ["Store"]

CONNECT_TIMEOUT = 2.0
"""Seconds to connect to Redis (for a client made from a URL)."""
SOCKET_TIMEOUT = 5.0
"""Seconds one Redis command may take (for a client made from a URL)."""


def _redis() -> Any:
    try:
        import redis
        import redis.asyncio

        return redis
    except ImportError:  # pragma: no cover - the test extra installs it
        pass
    raise MissingDependencyError(  # outside the handler: nothing chained
        "The shared MashaGPT limits (RedisEnergyBudget, RedisRateLimiter) need the redis "
        "client: pip install 'langchain-mashagpt[redis]'."
    )


class Store:
    """One Redis, as given: a URL, a `redis.Redis`, or a `redis.asyncio.Redis`.

    From a URL both kinds of client are made: the sync one once, an asyncio one
    per event loop (a client belongs to the loop it first ran in). A sync client
    serves async calls through a thread; an asyncio client serves async calls only.

    Args:
        url_or_client: `"redis://host:port/db"` or a client.
        what: What uses it, for error messages (`"energy budget 'team'"`).
    """

    def __init__(self, url_or_client: Any, what: str) -> None:
        redis = _redis()
        self.what = what
        self._url: str | None = None
        self._sync: Any = None
        self._async_given: Any = None
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )
        self._scripts: dict[tuple[int, str], Any] = {}
        self._errors = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
        if isinstance(url_or_client, str):
            self._url = url_or_client
            self._sync = redis.Redis.from_url(
                url_or_client,
                socket_connect_timeout=CONNECT_TIMEOUT,
                socket_timeout=SOCKET_TIMEOUT,
            )
            self.where = _address(self._sync)
        elif isinstance(url_or_client, redis.asyncio.Redis):
            self._async_given = url_or_client
            self.where = _address(url_or_client)
        elif isinstance(url_or_client, redis.Redis):
            self._sync = url_or_client
            self.where = _address(url_or_client)
        else:
            raise TypeError(
                f"{what}: expected a Redis URL (str), a redis.Redis or a redis.asyncio.Redis, "
                f"not {type(url_or_client).__name__}."
            )

    @property
    def url(self) -> str | None:
        """The URL it was made from, if any (for pickling into other processes)."""
        return self._url

    def sync(self) -> Any:
        """The sync client.

        Raises:
            TypeError: Only an asyncio client was given.
        """
        if self._sync is None:
            raise TypeError(
                f"{self.what} was given a redis.asyncio client, which serves async calls "
                "only: give a URL or a redis.Redis for sync calls (invoke, stream)."
            )
        return self._sync

    def run(self, script: str, keys: list[str], args: list[Any]) -> Any:
        """Run a Lua `script` on the sync client (by SHA, loading it once).

        Raises:
            BudgetStoreUnavailableError: Redis cannot be reached.
        """
        client = self.sync()
        try:
            return self._script(client, script)(keys=keys, args=args)
        except self._errors as exc:
            error = self.unavailable(exc)
        raise error  # outside the handler: no chained exception (see `errors`)

    async def arun(self, script: str, keys: list[str], args: list[Any]) -> Any:
        """Async twin of `run`: on the loop's asyncio client, or the sync one in a thread."""
        client = self._async_given
        if client is None and self._url is not None:
            loop = asyncio.get_running_loop()
            client = self._async.get(loop)
            if client is None:
                client = _redis().asyncio.Redis.from_url(
                    self._url,
                    socket_connect_timeout=CONNECT_TIMEOUT,
                    socket_timeout=SOCKET_TIMEOUT,
                )
                self._async[loop] = client
        try:
            if client is None:
                return await asyncio.to_thread(self.run, script, keys, args)
            return await self._script(client, script)(keys=keys, args=args)
        except self._errors as exc:
            error = self.unavailable(exc)
        raise error  # outside the handler: no chained exception (see `errors`)

    def _script(self, client: Any, script: str) -> Any:
        """The script object of `client` (its SHA computed once)."""
        found = self._scripts.get((id(client), script))
        if found is None or found.registered_client is not client:  # an id reused
            found = self._scripts[(id(client), script)] = client.register_script(script)
        return found

    def unavailable(self, exc: BaseException) -> BudgetStoreUnavailableError:
        """The error for Redis out of reach."""
        text = str(exc)[:300]
        failure = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        return BudgetStoreUnavailableError(self.what, self.where, failure)

    def close(self) -> None:
        """Close the sync client made from a URL (a client you gave stays yours)."""
        if self._url is not None and self._sync is not None:
            self._sync.close()

    async def aclose(self) -> None:
        """Close the asyncio client of the running loop made from a URL, if any."""
        client = self._async.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


def _address(client: Any) -> str:
    """`host:port/db` of a client, or its socket path; never its password."""
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix:{kwargs['path']}"
    return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
