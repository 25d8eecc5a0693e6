"""Energy and token tracking, and budgets, for `ChatMashaGPT` calls.

`get_mashagpt_callback()` follows langchain-core's context-variable pattern
(`get_usage_metadata_callback`): inside the `with` block every LangChain run
gets the handler, so every `ChatMashaGPT` call is counted wherever it happens —
sync or async, streamed, in `batch` threads, in `abatch` or `asyncio.gather`
tasks, deep inside chains and agents. Threads you start yourself see it only
if they run in a copy of the context (`contextvars.copy_context().run`).

Only MashaGPT answers are counted: other providers' calls in the same block are
left alone, and a cache hit (no request, no energy) is not counted.

A budget (`max_energy=`, `max_tokens=`) is checked when a MashaGPT call starts,
before its request is sent. It is charged what each request was *billed*: the
larger of the server's total and the sum of its parts (`billed_energy`,
`billed_tokens`), so a `total_energy` of 1 next to prompt and completion energy
of 1,000 costs the budget 1,000. The server's own totals stay visible, unchanged
(`total_energy`, `total_tokens`, and `usage_metadata` on the messages), as does
the difference (`unreported_energy`, `unreported_tokens`). Calls already in
flight when it runs out — a stream, or the other tasks of an `abatch` — complete
and are counted, so the totals can end above the limit; every later call raises
`BudgetExceededError`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import LLMResult
from langchain_core.tracers.context import register_configure_hook

from langchain_mashagpt._convert.answers import PROVIDER
from langchain_mashagpt._convert.usage import ENERGY_KEYS
from langchain_mashagpt._params import LLM_TYPE
from langchain_mashagpt.errors import BudgetExceededError
from langchain_mashagpt.limits import RedisEnergyBudget
from langchain_mashagpt.limits._metered import budget_scope

__all__ = ["EnergyUsage", "MashaGPTCallbackHandler", "get_mashagpt_callback"]


@dataclass(frozen=True)
class EnergyUsage:
    """Tokens and energy spent by one or more MashaGPT requests (immutable)."""

    prompt_tokens: int = 0
    """Tokens of the input."""
    completion_tokens: int = 0
    """Tokens of the output."""
    total_tokens: int = 0
    """Tokens in all."""
    prompt_energy: int = 0
    """Energy billed for the input."""
    completion_energy: int = 0
    """Energy billed for the output."""
    total_energy: int = 0
    """Energy in all, as the server reported it (`total_energy`)."""
    successful_requests: int = 0
    """Requests that completed (a stream cut after its usage adds energy, not a request)."""
    unreported_energy: int = 0
    """Energy the parts add up to beyond the server's totals: per request, prompt
    plus completion energy above its `total_energy` (0 when they agree)."""
    unreported_tokens: int = 0
    """Tokens the parts add up to beyond the server's totals (0 when they agree)."""

    @property
    def billed_energy(self) -> int:
        """Energy charged to a budget: per request, the larger of total and parts."""
        return self.total_energy + self.unreported_energy

    @property
    def billed_tokens(self) -> int:
        """Tokens charged to a budget: per request, the larger of total and parts."""
        return self.total_tokens + self.unreported_tokens

    def __add__(self, other: EnergyUsage) -> EnergyUsage:
        """Field-by-field sum."""
        return EnergyUsage(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def __str__(self) -> str:
        """One line: requests, tokens and energy (and what was billed, where it differs)."""
        return (
            f"{self.successful_requests} request(s), {self.total_tokens} tokens "
            f"({self.prompt_tokens} prompt + {self.completion_tokens} completion"
            f"{_billed(self.billed_tokens, self.unreported_tokens)}), "
            f"{self.total_energy} energy "
            f"({self.prompt_energy} prompt + {self.completion_energy} completion"
            f"{_billed(self.billed_energy, self.unreported_energy)})"
        )


_COUNTERS = frozenset(f.name for f in fields(EnergyUsage))
"""The totals a handler keeps: the fields of `EnergyUsage`."""


def _billed(billed: int, unreported: int) -> str:
    return f"; billed {billed}: the parts add up to more than the total" if unreported else ""


def _int(*values: Any) -> int:
    """The first of `values` that is a number, as an int (0 if none is)."""
    for value in values:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return round(value)
    return 0


def _usage_of(message: BaseMessage) -> tuple[str, EnergyUsage] | None:
    """The model and usage of a MashaGPT answer; `None` for anything else."""
    if not isinstance(message, AIMessage):
        return None
    meta = message.response_metadata
    raw: Mapping[str, Any] = meta.get("token_usage") or {}
    if not isinstance(raw, Mapping):
        raw = {}
    if meta.get("model_provider") != PROVIDER and not any(k in raw for k in ENERGY_KEYS):
        return None
    tokens: Mapping[str, Any] = message.usage_metadata or {}
    if tokens.get("total_cost") == 0:
        return None  # langchain-core marks a cache hit so: nothing was sent or billed
    prompt = _int(raw.get("prompt_tokens"), tokens.get("input_tokens"))
    completion = _int(raw.get("completion_tokens"), tokens.get("output_tokens"))
    prompt_energy = _int(raw.get("prompt_energy"))
    completion_energy = _int(raw.get("completion_energy"))
    total_tokens = _int(raw.get("total_tokens"), tokens.get("total_tokens"), prompt + completion)
    total_energy = _int(raw.get("total_energy"), prompt_energy + completion_energy)
    usage = EnergyUsage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=total_tokens,
        prompt_energy=prompt_energy,
        completion_energy=completion_energy,
        total_energy=total_energy,
        unreported_energy=max(prompt_energy + completion_energy - total_energy, 0),
        unreported_tokens=max(prompt + completion - total_tokens, 0),
    )
    return str(meta.get("model_name") or "unknown"), usage


class MashaGPTCallbackHandler(BaseCallbackHandler):
    """Totals the tokens and energy of `ChatMashaGPT` calls, and enforces a budget.

    Usually made by `get_mashagpt_callback()`; it can also be passed by hand,
    `model.invoke(..., config={"callbacks": [handler]})`. Each field of
    `EnergyUsage` is also a total of the handler (`handler.total_energy`,
    `handler.prompt_tokens`, `handler.successful_requests`, ...). Thread-safe: one
    lock guards the totals; `usage` and `by_model` read them as consistent snapshots.
    """

    raise_error: bool = True
    """Let `BudgetExceededError` out of `on_chat_model_start`, so the call stops."""
    run_inline: bool = True
    """Count in the caller's thread or event loop: no executor hop."""

    def __init__(self, *, max_energy: int | None = None, max_tokens: int | None = None) -> None:
        """Create a handler with an optional budget.

        Args:
            max_energy: Stop further MashaGPT calls once this much energy
                (`billed_energy`) is spent; `None` for no limit.
            max_tokens: Stop further MashaGPT calls once this many tokens
                (`billed_tokens`, prompt and completion, across calls) are spent;
                `None` for no limit. Not the model's per-answer `max_tokens`.

        Raises:
            ValueError: A limit is negative.
        """
        super().__init__()
        for name, limit in (("max_energy", max_energy), ("max_tokens", max_tokens)):
            if limit is not None and limit < 0:
                raise ValueError(f"{name} must be 0 or more (or None for no limit), not {limit}.")
        self.max_energy = max_energy
        self.max_tokens = max_tokens
        self.parent: MashaGPTCallbackHandler | None = None
        """The enclosing block's handler: everything counted here is counted there too."""
        self._lock = threading.Lock()  # guards the totals
        self._usage = EnergyUsage()
        self._by_model: dict[str, EnergyUsage] = {}

    def __getattr__(self, name: str) -> int:
        """A total named after a field of `EnergyUsage`: `handler.total_energy`, and so on.

        Raises:
            AttributeError: `name` is not a field of `EnergyUsage`.
        """
        if name in _COUNTERS:
            return int(getattr(self.usage, name))
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: object) -> None:
        """Set an attribute; a total is refused, as an instance attribute would hide it.

        Raises:
            AttributeError: `name` is one of the totals (a field of `EnergyUsage`).
        """
        if name in _COUNTERS:
            raise AttributeError(
                f"{name} is a total the handler keeps and cannot be set: open a new "
                "get_mashagpt_callback() block (or handler) to count from 0."
            )
        super().__setattr__(name, value)

    @property
    def usage(self) -> EnergyUsage:
        """The totals, as one consistent snapshot."""
        with self._lock:
            return self._usage

    @property
    def by_model(self) -> dict[str, EnergyUsage]:
        """The totals per model name (as the API answered it), a snapshot."""
        with self._lock:
            return dict(self._by_model)

    @property
    def billed_energy(self) -> int:
        """Energy charged to the budget: the larger of total and parts, per request."""
        return self.usage.billed_energy

    @property
    def billed_tokens(self) -> int:
        """Tokens charged to the budget: the larger of total and parts, per request."""
        return self.usage.billed_tokens

    def check_budget(self) -> None:
        """Raise `BudgetExceededError` if this block's or an enclosing block's budget is spent.

        Raises:
            BudgetExceededError: A budget is spent.
        """
        handler: MashaGPTCallbackHandler | None = self
        while handler is not None:
            usage = handler.usage
            for unit, spent, limit in (
                ("energy", usage.billed_energy, handler.max_energy),
                ("tokens", usage.billed_tokens, handler.max_tokens),
            ):
                if limit is not None and spent >= limit:
                    raise BudgetExceededError(
                        spent=spent, limit=limit, unit=unit, requests=usage.successful_requests
                    )
            handler = handler.parent

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kwargs: Any
    ) -> None:
        """Stop a MashaGPT call before its request is sent if the budget is spent."""
        provider = (kwargs.get("metadata") or {}).get("ls_provider")
        llm_type = (kwargs.get("invocation_params") or {}).get("_type")
        if provider == PROVIDER or llm_type == LLM_TYPE:
            self.check_budget()

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        """Count a completed call (a streamed one once, with the usage it reported)."""
        self._record(response, success=True)

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        """Count the energy a failed call was billed for, if its usage arrived."""
        response = kwargs.get("response")
        if isinstance(response, LLMResult):
            self._record(response, success=False)

    def _record(self, response: LLMResult, *, success: bool) -> None:
        model: str | None = None
        total = EnergyUsage()
        for generations in response.generations:
            for generation in generations:
                message = getattr(generation, "message", None)
                found = _usage_of(message) if isinstance(message, BaseMessage) else None
                if found is not None:
                    model = model or found[0]
                    total += found[1]
        # usage sits on one message only, so this is one request; a failed one
        # counts only if it was billed (a stream cut after its usage chunk)
        if model is not None and (success or total != EnergyUsage()):
            self._add(model, replace(total, successful_requests=int(success)))

    def _add(self, model: str, usage: EnergyUsage) -> None:
        with self._lock:
            self._usage += usage
            self._by_model[model] = self._by_model.get(model, EnergyUsage()) + usage
        if self.parent is not None:
            self.parent._add(model, usage)

    def __str__(self) -> str:
        """A readable summary: totals, budget, and one line per model."""
        usage, by_model = self.usage, self.by_model
        lines = [
            f"MashaGPT usage: {usage.successful_requests} successful request(s)",
            f"  Tokens: {usage.total_tokens} "
            f"(prompt {usage.prompt_tokens}, completion {usage.completion_tokens})",
            f"  Energy: {usage.total_energy} "
            f"(prompt {usage.prompt_energy}, completion {usage.completion_energy})",
        ]
        if usage.unreported_tokens or usage.unreported_energy:
            lines.append(
                f"  Billed: {usage.billed_tokens} tokens, {usage.billed_energy} energy (the "
                "parts of some answers add up to more than their totals)"
            )
        if self.max_energy is not None:
            lines.append(f"  Energy budget: {usage.billed_energy} of {self.max_energy} spent")
        if self.max_tokens is not None:
            lines.append(f"  Token budget: {usage.billed_tokens} of {self.max_tokens} spent")
        lines += [f"  {name}: {part}" for name, part in sorted(by_model.items())]
        return "\n".join(lines)

    def __repr__(self) -> str:
        """The totals and limits, on one line."""
        limits = f"max_energy={self.max_energy}, max_tokens={self.max_tokens}"
        return f"<MashaGPTCallbackHandler {self.usage}; {limits}>"


_current: ContextVar[MashaGPTCallbackHandler | None] = ContextVar("mashagpt_callback", default=None)
register_configure_hook(_current, inheritable=True)


@contextmanager
def get_mashagpt_callback(
    *,
    max_energy: int | None = None,
    max_tokens: int | None = None,
    budget: RedisEnergyBudget | None = None,
) -> Iterator[MashaGPTCallbackHandler]:
    """Count the tokens and energy of every `ChatMashaGPT` call in the block.

    Blocks nest: an inner block counts its own calls, and they count in the
    outer block too; a block's budget caps its own total, so an outer budget
    also stops the calls of inner blocks.

    Args:
        max_energy: An energy budget (`billed_energy`); `None` for no limit.
        max_tokens: A token budget (`billed_tokens` across calls); `None` for no limit.
        budget: A `RedisEnergyBudget` shared with other processes: every MashaGPT
            call in the block reserves from it before it is sent.

    Yields:
        The handler, which holds the totals.

    Raises:
        ValueError: A limit is negative.

    Example:
        ```python
        from langchain_mashagpt import BudgetExceededError, get_mashagpt_callback

        with get_mashagpt_callback(max_energy=5_000) as cb:
            try:
                agent.invoke({"messages": [("human", "Спланируй поездку")]})
            except BudgetExceededError as exc:
                print(exc)  # spent, limit, what to do
        print(cb.total_energy, cb.by_model)
        print(cb)
        ```
    """
    handler = MashaGPTCallbackHandler(max_energy=max_energy, max_tokens=max_tokens)
    handler.parent = _current.get()
    token = _current.set(handler)
    try:
        with budget_scope(budget):
            yield handler
    finally:
        _current.reset(token)
