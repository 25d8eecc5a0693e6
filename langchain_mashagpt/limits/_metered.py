"""`MeteredTransport`: the transport that reserves and settles shared budgets around each call.

The reservation wraps the whole call, so the transport's own retries happen
inside one reservation (a retried attempt never reserves twice). A call that
raises, is cancelled, or whose stream is closed before its usage chunk releases
its reservation; a stream settles at its usage chunk; a stream that finishes
with no usage at all is charged its estimate. The budgets of a call are the
model's `energy_budget` and those of every enclosing
`get_mashagpt_callback(budget=...)` block.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Iterator, Mapping
from contextlib import closing, contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from langchain_mashagpt._http.response import Answered, AnswerMeta
from langchain_mashagpt._http.transport import Transport, aclosing_stream

if TYPE_CHECKING:
    from langchain_mashagpt.limits._budget import RedisEnergyBudget, Reservation

__all__ = ["MeteredTransport", "budget_scope", "budgets_of"]

_SCOPED: ContextVar[tuple[RedisEnergyBudget, ...]] = ContextVar("mashagpt_budgets", default=())


@contextmanager
def budget_scope(budget: RedisEnergyBudget | None) -> Iterator[None]:
    """Add `budget` to every MashaGPT call made in the block (nothing if `None`)."""
    if budget is None:
        yield
        return
    token = _SCOPED.set((*_SCOPED.get(), budget))
    try:
        yield
    finally:
        _SCOPED.reset(token)


def budgets_of(own: RedisEnergyBudget | None) -> list[RedisEnergyBudget]:
    """A call's budgets: `own` (a model's), then the enclosing blocks', each once."""
    found: list[RedisEnergyBudget] = [] if own is None else [own]
    for budget in _SCOPED.get():
        if all(budget is not b for b in found):
            found.append(budget)
    return found


class _Held:
    """The reservations of one call, on each of its budgets."""

    def __init__(self, budgets: list[RedisEnergyBudget], ttl: list[float]) -> None:
        self.budgets = budgets
        self.ttl = ttl
        self.held: list[tuple[RedisEnergyBudget, Reservation]] = []

    def reserve(self, payload: Mapping[str, Any]) -> None:
        try:
            for budget, ttl in zip(self.budgets, self.ttl, strict=True):
                if (held := budget.reserve(payload, ttl)) is not None:
                    self.held.append((budget, held))
        except BaseException:  # refused, Redis down, cancelled: give back what was taken
            self.release()
            raise

    async def areserve(self, payload: Mapping[str, Any]) -> None:
        try:
            for budget, ttl in zip(self.budgets, self.ttl, strict=True):
                if (held := await budget.areserve(payload, ttl)) is not None:
                    self.held.append((budget, held))
        except BaseException:  # refused, Redis down, cancelled: give back what was taken
            await self.arelease()
            raise

    def settle(self, usage: Any) -> None:
        for budget, held in self.held:
            budget.settle(held, usage)
        self.held = []

    async def asettle(self, usage: Any) -> None:
        for budget, held in self.held:
            await budget.asettle(held, usage)
        self.held = []

    def release(self) -> None:
        for budget, held in self.held:
            budget.release(held)
        self.held = []

    async def arelease(self) -> None:
        for budget, held in self.held:
            await budget.arelease(held)
        self.held = []


def _usage(chunk: Mapping[str, Any]) -> Mapping[str, Any] | None:
    usage = chunk.get("usage")
    return usage if isinstance(usage, Mapping) and usage else None


class MeteredTransport(Transport):
    """A `Transport` that holds shared energy budgets around each call.

    Args:
        energy_budget: The model's own budget, or `None`.
        **options: The `Transport`'s arguments.
    """

    def __init__(self, *, energy_budget: RedisEnergyBudget | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.energy_budget = energy_budget

    def _held(self, deadline: float | None) -> _Held | None:
        budgets = budgets_of(self.energy_budget)
        if not budgets:
            return None
        return _Held(budgets, [b.ttl_for(deadline) for b in budgets])

    def post(self, payload: dict[str, Any], deadline: float | None) -> Answered:
        """`Transport.post` inside a reservation."""
        if (held := self._held(deadline)) is None:
            return super().post(payload, deadline)
        held.reserve(payload)
        try:
            completion = super().post(payload, deadline)
        except BaseException:
            held.release()
            raise
        held.settle(completion.body.get("usage"))
        return completion

    async def apost(self, payload: dict[str, Any], deadline: float | None) -> Answered:
        """Async twin of `post`."""
        if (held := self._held(deadline)) is None:
            return await super().apost(payload, deadline)
        await held.areserve(payload)
        try:
            completion = await super().apost(payload, deadline)
        except BaseException:
            await held.arelease()
            raise
        await held.asettle(completion.body.get("usage"))
        return completion

    def stream(
        self, payload: dict[str, Any], deadline: float | None
    ) -> Generator[dict[str, Any] | AnswerMeta, None, None]:
        """`Transport.stream` inside a reservation, settled at the usage chunk."""
        if (held := self._held(deadline)) is None:
            return super().stream(payload, deadline)
        return self._metered_stream(held, payload, deadline)

    def _metered_stream(
        self, held: _Held, payload: dict[str, Any], deadline: float | None
    ) -> Generator[dict[str, Any] | AnswerMeta, None, None]:
        held.reserve(payload)
        finished = False
        try:
            with closing(super().stream(payload, deadline)) as chunks:
                for chunk in chunks:
                    if (
                        held.held
                        and isinstance(chunk, dict)
                        and (usage := _usage(chunk)) is not None
                    ):
                        held.settle(usage)
                    yield chunk
            finished = True
        finally:
            if finished:
                held.settle(None)  # no usage came: the estimate is charged
            else:
                held.release()

    def astream(
        self, payload: dict[str, Any], deadline: float | None
    ) -> AsyncGenerator[dict[str, Any] | AnswerMeta, None]:
        """Async twin of `stream`."""
        if (held := self._held(deadline)) is None:
            return super().astream(payload, deadline)
        return self._metered_astream(held, payload, deadline)

    async def _metered_astream(
        self, held: _Held, payload: dict[str, Any], deadline: float | None
    ) -> AsyncGenerator[dict[str, Any] | AnswerMeta, None]:
        await held.areserve(payload)
        finished = False
        try:
            async with aclosing_stream(super().astream(payload, deadline)) as chunks:
                async for chunk in chunks:
                    if (
                        held.held
                        and isinstance(chunk, dict)
                        and (usage := _usage(chunk)) is not None
                    ):
                        await held.asettle(usage)
                    yield chunk
            finished = True
        finally:
            if finished:
                await held.asettle(None)  # no usage came: the estimate is charged
            else:
                await held.arelease()
