"""A request's energy estimate, from its wire body, offline. Pure; no I/O.

estimate = prompt tokens (counted offline, as `get_num_tokens_from_messages`
counts) x the model's prompt rate + `max_tokens` (or `DEFAULT_MAX_TOKENS`) x `n`
x its completion rate. The rates are learned from past answers' usage, kept in
Redis per model: prompt energy per prompt token *as counted offline* (so a
tokenizer that counts differently from the server's is corrected for), and
completion energy per completion token as the server counts them. Before any
answer of a model has been seen, `DEFAULT_RATES` apply.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from langchain_mashagpt._tokens import counter_for

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_RATES",
    "EnergyEstimates",
    "Learned",
    "completion_tokens",
    "learned",
    "offline_estimate",
    "prompt_tokens",
]

DEFAULT_RATES: tuple[float, float] = (15.0, 75.0)
"""Energy per (prompt, completion) token before a model's first answer is seen:
conservative, as high as MashaGPT's dearest models (e.g. `claude-3-opus`)."""
DEFAULT_MAX_TOKENS = 1024
"""Completion tokens assumed for a request that sets no `max_tokens`."""
_PER_MESSAGE = 3  # tokens around each message, and to prime the reply


def prompt_tokens(payload: Mapping[str, Any]) -> int:
    """The prompt tokens of a request body, counted offline for its model."""
    counter = counter_for(str(payload.get("model") or ""))
    total = _PER_MESSAGE
    for message in payload.get("messages") or ():
        total += _PER_MESSAGE
        for key in ("content", "name"):
            if isinstance(value := message.get(key), str):
                total += counter.text(value)
        if isinstance(call := message.get("function_call"), Mapping):
            total += counter.text(str(call.get("name") or ""))
            total += counter.text(str(call.get("arguments") or ""))
    if functions := payload.get("functions"):
        total += counter.text(json.dumps(functions, ensure_ascii=False))
    return total


def completion_tokens(payload: Mapping[str, Any], default: int = DEFAULT_MAX_TOKENS) -> int:
    """The most completion tokens a request may be billed: `max_tokens` (or `default`) x `n`."""
    return int(payload.get("max_tokens") or default) * int(payload.get("n") or 1)


def offline_estimate(prompt: int, completion: int, rates: tuple[float, float]) -> int:
    """`prompt` x the prompt rate + `completion` x the completion rate, rounded up."""
    return math.ceil(prompt * rates[0] + completion * rates[1] - 1e-9)


class Learned(NamedTuple):
    """What one answer teaches about its model's rates (`None` if its usage lacks energy)."""

    energy: int | None
    """The answer's `total_energy`, or `None` when the usage has none."""
    rates: tuple[float, float, float, float] | None
    """Prompt tokens (offline), prompt energy, completion tokens, completion energy."""


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def learned(usage: Any, prompt: int) -> Learned:
    """The billed energy and the rate sample in an answer's `usage`.

    Args:
        usage: The answer's `usage` object (may be missing or malformed).
        prompt: The request's prompt tokens as counted offline.
    """
    if not isinstance(usage, Mapping):
        return Learned(None, None)
    pe, ce = _number(usage.get("prompt_energy")), _number(usage.get("completion_energy"))
    total = _number(usage.get("total_energy"))
    if total is None and pe is not None and ce is not None:
        total = pe + ce
    ct = _number(usage.get("completion_tokens"))
    sample = None
    if pe is not None and ce is not None and ct is not None and prompt > 0:
        sample = (float(prompt), pe, ct, ce)
    return Learned(None if total is None else math.ceil(total), sample)


class EnergyEstimates:
    """Mixin of `ChatMashaGPT`: `estimate_energy`."""

    def estimate_energy(self, messages: Sequence[Any], tools: Sequence[Any] | None = None) -> int:
        """The energy a request of `messages` (and `tools`) would reserve from a budget.

        The offline token count of the request times the model's learned prompt
        rate, plus `max_tokens` (or 1024) x `n` times its completion rate. The
        rates come from the model's `energy_budget` (or the budget of the
        enclosing `get_mashagpt_callback(budget=...)`), learned from past answers;
        without one, or before any answer, the conservative defaults (15 and 75
        energy a token). Nothing is sent.

        Args:
            messages: The messages (anything `invoke` takes as a list).
            tools: Tools as `bind_tools` takes them.
        """
        from langchain_core.messages import convert_to_messages

        from langchain_mashagpt._functions.schemas import functions_for
        from langchain_mashagpt.limits._metered import budgets_of

        model: Any = self
        kwargs = {"functions": functions_for(tools)} if tools else {}
        payload = model._payload(convert_to_messages(messages), None, kwargs, stream=False)[0]
        found = budgets_of(model.energy_budget)
        if found:
            return int(found[0].estimate(payload))
        prompt = prompt_tokens(payload)
        return offline_estimate(prompt, completion_tokens(payload), DEFAULT_RATES)
