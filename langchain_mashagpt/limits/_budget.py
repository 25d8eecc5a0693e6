"""`RedisEnergyBudget`: one energy budget shared by every process that uses the same Redis.

Each MashaGPT request reserves its estimate atomically before it is sent
(`_scripts.RESERVE`) and settles with its real `total_energy` after the answer
(`_scripts.SETTLE`), or releases the reservation if it failed. A reservation
whose process died expires after its TTL. Only names, model ids and numbers
are stored; never the API key or any message.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Mapping
from typing import Any, NamedTuple

from langchain_mashagpt.limits._errors import (
    BudgetStoreUnavailableError,
    BudgetStoreUnavailableWarning,
    SharedBudgetExceededError,
    unavailable,
)
from langchain_mashagpt.limits._estimate import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_RATES,
    completion_tokens,
    learned,
    prompt_tokens,
)
from langchain_mashagpt.limits._scripts import RESERVE, SETTLE
from langchain_mashagpt.limits._store import Store

__all__ = ["DEFAULT_RESERVATION_TTL", "BudgetStats", "RedisEnergyBudget", "Reservation"]

_LETS = "the call through without a budget check"
"""What `fail_open=True` lets through, with Redis down (the warning's end)."""

DEFAULT_RESERVATION_TTL = 900.0
"""Seconds a reservation outlives a call with no deadline (else: the deadline + 30 s)."""
_TTL_MARGIN = 30.0


class Reservation(NamedTuple):
    """One call's hold on a budget, until it settles or releases."""

    id: str
    keys: list[str]
    estimate: int
    prompt_tokens: int


class BudgetStats(NamedTuple):
    """A budget's state, read at once."""

    limit: int
    """The limit."""
    spent: int
    """Energy settled (within the window, if any)."""
    reserved: int
    """Energy held by calls in flight."""
    requests: int
    """Requests settled, in all."""
    reservations: int
    """Reservations made, in all."""
    open_reservations: int
    """Reservations held now."""

    @property
    def remaining(self) -> int:
        """What is left for new calls: limit - spent - reserved (never below 0)."""
        return max(self.limit - self.spent - self.reserved, 0)


class RedisEnergyBudget:
    """An energy budget kept in Redis, shared by every process and machine using it.

    Pass it to `ChatMashaGPT(energy_budget=budget)` or
    `get_mashagpt_callback(budget=budget)`. Before each request its energy is
    estimated and reserved in one atomic step; a call that would pass `limit`
    raises `SharedBudgetExceededError` (a `BudgetExceededError`) before anything
    is sent. After the answer the real `total_energy` replaces the estimate.

    Args:
        url_or_client: A Redis URL (`"redis://localhost:6379/0"`), a `redis.Redis`
            or a `redis.asyncio.Redis` (async calls only).
        name: The budget's name (a team, a tenant); processes that use the same
            name on the same Redis share it.
        limit: The most energy, for all time or per `window`.
        window: A rolling window in seconds, or `None` for all time.
        per_user: One budget of `limit` per end user: the request's `user` field
            is added to the name (a request without `user` raises `ValueError`).
        fail_open: When Redis cannot be reached, let calls through with a
            `BudgetStoreUnavailableWarning` instead of raising
            `BudgetStoreUnavailableError` (the default, fail-closed).
        reservation_ttl: Seconds an unsettled reservation lives (a killed
            worker's); default the call's deadline + 30 s, or 900 s without one.
        default_rates: Energy per (prompt, completion) token before a model's
            first answer is seen.
        default_max_tokens: Completion tokens assumed when a request sets no
            `max_tokens`.
        prefix: The prefix of every Redis key.

    Raises:
        ValueError: An empty name, a negative limit or a window that is not above 0.
        ImportError: The `redis` client is not installed (the `redis` extra).
    """

    def __init__(
        self,
        url_or_client: Any,
        *,
        name: str,
        limit: int,
        window: float | None = None,
        per_user: bool = False,
        fail_open: bool = False,
        reservation_ttl: float | None = None,
        default_rates: tuple[float, float] = DEFAULT_RATES,
        default_max_tokens: int = DEFAULT_MAX_TOKENS,
        prefix: str = "mashagpt",
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError("RedisEnergyBudget needs a name (a non-empty string).")
        if limit < 0:
            raise ValueError(f"limit must be 0 or more, not {limit}.")
        if window is not None and not window > 0:
            raise ValueError(
                f"window must be above 0 seconds (or None for all time), not {window}."
            )
        if reservation_ttl is not None and not reservation_ttl > 0:
            raise ValueError(f"reservation_ttl must be above 0 seconds, not {reservation_ttl}.")
        self.name = name
        self.limit = int(limit)
        self.window = window
        self.per_user = per_user
        self.fail_open = fail_open
        self.reservation_ttl = reservation_ttl
        self.default_rates = default_rates
        self.default_max_tokens = default_max_tokens
        self.prefix = prefix
        self._store = Store(url_or_client, f"energy budget {name!r}")

    def __repr__(self) -> str:
        window = "" if self.window is None else f", window={self.window:g}"
        return (
            f"RedisEnergyBudget(name={self.name!r}, limit={self.limit}{window}, "
            f"redis={self._store.where})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled by URL, so a budget can be handed to worker processes."""
        if self._store.url is None:
            raise TypeError("A RedisEnergyBudget pickles only when made from a URL.")
        kwargs = {
            "name": self.name,
            "limit": self.limit,
            "window": self.window,
            "per_user": self.per_user,
            "fail_open": self.fail_open,
            "reservation_ttl": self.reservation_ttl,
            "default_rates": self.default_rates,
            "default_max_tokens": self.default_max_tokens,
            "prefix": self.prefix,
        }
        return (_rebuild, (self._store.url, kwargs))

    # ------------------------------------------------------------ keys and arguments

    def _full_name(self, user: str | None) -> str:
        if not self.per_user:
            return self.name
        if not user:
            raise ValueError(
                f"The energy budget {self.name!r} is per user (per_user=True), but the request "
                "has no `user`: set ChatMashaGPT(user=...) or pass user=... per call."
            )
        return f"{self.name}:user:{user}"

    def _keys(self, user: str | None, model: str = "") -> list[str]:
        base = f"{self.prefix}:budget:{{{self._full_name(user)}}}"
        return [base, f"{base}:res", f"{base}:win", f"{self.prefix}:rate:{model}"]

    def _reserve_args(
        self, payload: Mapping[str, Any], mode: str, rid: str, ttl: float
    ) -> list[Any]:
        return [
            self.limit,
            prompt_tokens(payload) if mode != "read" else 0,
            completion_tokens(payload, self.default_max_tokens) if mode != "read" else 0,
            repr(float(self.default_rates[0])),
            repr(float(self.default_rates[1])),
            rid,
            repr(float(ttl)),
            repr(float(self.window or 0)),
            mode,
        ]

    def ttl_for(self, deadline: float | None) -> float:
        """The TTL of a reservation for a call with `deadline` seconds."""
        if self.reservation_ttl is not None:
            return self.reservation_ttl
        return DEFAULT_RESERVATION_TTL if deadline is None else deadline + _TTL_MARGIN

    def _granted(self, reply: list[Any], payload: Mapping[str, Any], rid: str) -> Reservation:
        ok, estimate, spent, reserved, requests = (int(x) for x in reply[:5])
        if not ok:
            raise SharedBudgetExceededError(
                self._full_name(payload.get("user")),
                spent=spent,
                reserved=reserved,
                estimate=estimate,
                limit=self.limit,
                requests=requests,
                window=self.window,
            )
        keys = self._keys(payload.get("user"), str(payload.get("model") or ""))
        return Reservation(rid, keys, estimate, prompt_tokens(payload))

    # ------------------------------------------------------------ reserve / settle

    def reserve(self, payload: Mapping[str, Any], ttl: float) -> Reservation | None:
        """Reserve a request's estimate (`None`: Redis down and `fail_open`).

        Raises:
            SharedBudgetExceededError: The reservation would pass the limit.
            BudgetStoreUnavailableError: Redis cannot be reached (fail-closed).
        """
        rid = uuid.uuid4().hex
        keys = self._keys(payload.get("user"), str(payload.get("model") or ""))
        try:
            reply = self._store.run(RESERVE, keys, self._reserve_args(payload, "reserve", rid, ttl))
        except BudgetStoreUnavailableError as exc:
            unavailable(exc, fail_open=self.fail_open, lets=_LETS)
            return None
        return self._granted(reply, payload, rid)

    async def areserve(self, payload: Mapping[str, Any], ttl: float) -> Reservation | None:
        """Async twin of `reserve`."""
        rid = uuid.uuid4().hex
        keys = self._keys(payload.get("user"), str(payload.get("model") or ""))
        args = self._reserve_args(payload, "reserve", rid, ttl)
        try:
            reply = await self._store.arun(RESERVE, keys, args)
        except BudgetStoreUnavailableError as exc:
            unavailable(exc, fail_open=self.fail_open, lets=_LETS)
            return None
        return self._granted(reply, payload, rid)

    def _settle_args(self, held: Reservation, usage: Any, release: bool) -> list[Any]:
        found = learned(usage, held.prompt_tokens)
        energy = -1 if release else (found.energy if found.energy is not None else held.estimate)
        sample = found.rates if not release else None
        return [
            held.id,
            energy,
            repr(float(self.window or 0)),
            "1" if sample else "0",
            *(repr(x) for x in (sample or (0.0, 0.0, 0.0, 0.0))),
        ]

    def settle(self, held: Reservation, usage: Any) -> None:
        """Replace a reservation by the answer's `total_energy` (the estimate if it has none).

        A Redis failure here only warns: the answer is already billed and delivered.
        """
        try:
            self._store.run(SETTLE, held.keys, self._settle_args(held, usage, False))
        except BudgetStoreUnavailableError as exc:
            self._lost(exc)

    async def asettle(self, held: Reservation, usage: Any) -> None:
        """Async twin of `settle`."""
        try:
            await self._store.arun(SETTLE, held.keys, self._settle_args(held, usage, False))
        except BudgetStoreUnavailableError as exc:
            self._lost(exc)

    def release(self, held: Reservation) -> None:
        """Give a failed, cancelled or cut-off call's reservation back."""
        try:
            self._store.run(SETTLE, held.keys, self._settle_args(held, None, True))
        except BudgetStoreUnavailableError as exc:
            self._lost(exc)

    async def arelease(self, held: Reservation) -> None:
        """Async twin of `release`."""
        try:
            await self._store.arun(SETTLE, held.keys, self._settle_args(held, None, True))
        except BudgetStoreUnavailableError as exc:
            self._lost(exc)

    def _lost(self, exc: BudgetStoreUnavailableError) -> None:
        warnings.warn(
            f"{exc.message.split(', so the request')[0]}: a call's energy could not be "
            "settled; its reservation expires after its TTL.",
            BudgetStoreUnavailableWarning,
            stacklevel=4,
        )

    # ------------------------------------------------------------ reading

    def estimate(self, payload: Mapping[str, Any]) -> int:
        """A request body's estimate with the learned rates (nothing reserved).

        Raises:
            BudgetStoreUnavailableError: Redis cannot be reached.
        """
        keys = self._keys(payload.get("user") or "-", str(payload.get("model") or ""))
        return int(
            self._store.run(RESERVE, keys, self._reserve_args(payload, "estimate", "", 0))[1]
        )

    def stats(self, user: str | None = None) -> BudgetStats:
        """The budget's state (of `user`'s budget, for a per-user one).

        Raises:
            BudgetStoreUnavailableError: Redis cannot be reached.
        """
        reply = self._store.run(RESERVE, self._keys(user), self._reserve_args({}, "read", "", 0))
        _, _, spent, reserved, requests, made, held = (int(x) for x in reply)
        return BudgetStats(self.limit, spent, reserved, requests, made, held)

    def spent(self, user: str | None = None) -> int:
        """Energy settled by every process (within the window, if any)."""
        return self.stats(user).spent

    def reserved(self, user: str | None = None) -> int:
        """Energy held now by calls in flight."""
        return self.stats(user).reserved

    def remaining(self, user: str | None = None) -> int:
        """Energy left for new calls: limit - spent - reserved (never below 0)."""
        return self.stats(user).remaining

    def reset(self, user: str | None = None) -> None:
        """Forget what was spent and reserved under this name (the learned rates stay)."""
        client = self._store.sync()
        try:
            client.delete(*self._keys(user)[:3])
            return
        except self._store._errors as exc:
            error = self._store.unavailable(exc)
        raise error  # outside the handler: no chained exception (see `errors`)

    def close(self) -> None:
        """Close the Redis client made from a URL."""
        self._store.close()

    async def aclose(self) -> None:
        """Close the asyncio Redis client of the running event loop made from a URL."""
        await self._store.aclose()


def _rebuild(url: str, kwargs: dict[str, Any]) -> RedisEnergyBudget:
    return RedisEnergyBudget(url, **kwargs)
