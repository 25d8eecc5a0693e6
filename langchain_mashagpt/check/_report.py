"""What a run says: one line per step, a total, and the cost estimate before it. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from langchain_mashagpt._http.redact import Redactor
from langchain_mashagpt.check._context import MAX_TOKENS
from langchain_mashagpt.check._shapes import Difference
from langchain_mashagpt.check._steps import Step
from langchain_mashagpt.testing._usage import DEFAULT_ENERGY_RATE, ENERGY_RATES

__all__ = ["Outcome", "Status", "estimate", "line", "redact", "total"]

Status = Literal["ok", "differs", "failed", "accepted", "refused"]
_STATUSES: tuple[Status, ...] = ("ok", "differs", "failed")
_PROBED: tuple[Status, ...] = ("accepted", "refused")  # counted only when probes ran


@dataclass(frozen=True)
class Outcome:
    """How one step went for one model."""

    model: str
    step: Step
    status: Status
    differences: Sequence[Difference] = field(default_factory=tuple)
    energy: int | None = None
    note: str = ""


def redact(text: str, secrets: Sequence[str]) -> str:
    """`text` with every secret (and every piece of one) masked by the package's one redactor."""
    return Redactor(*(s for s in secrets if s)).text(text)


def line(outcome: Outcome) -> str:
    """One step's line: status, model, step, energy, then what differed."""
    energy = "–" if outcome.energy is None else str(outcome.energy)
    detail = "; ".join(map(str, outcome.differences))
    if outcome.note:
        detail = f"{detail}; {outcome.note}" if detail else outcome.note
    text = f"{outcome.status:<8} {outcome.model:<16} {outcome.step.title:<36} energy {energy:>6}"
    return f"{text}  {detail}".rstrip()


def total(outcomes: Sequence[Outcome]) -> str:
    """The closing line: counts by status and the energy the run cost."""
    probed = any(o.status in _PROBED for o in outcomes)
    shown = _STATUSES + _PROBED if probed else _STATUSES
    counts = {status: sum(o.status == status for o in outcomes) for status in shown}
    spent = sum(o.energy or 0 for o in outcomes)
    unknown = sum(o.energy is None and o.step.tokens > 0 for o in outcomes)
    tail = f" (and {unknown} steps that reported no energy)" if unknown else ""
    summary = ", ".join(f"{count} {status}" for status, count in counts.items())
    return f"Total: {summary}; energy spent {spent}{tail}."


def estimate(steps: Sequence[Step], models: Sequence[str]) -> str:
    """A rough cost: requests and tokens at most, energy at the emulator's rate table."""
    tokens = sum(step.tokens for step in steps)
    energy = sum(tokens * max(ENERGY_RATES.get(model, DEFAULT_ENERGY_RATE)) for model in models)
    requests = len(steps) * len(models)
    return (
        f"This run sends {requests} requests to {', '.join(models)}, answers capped at "
        f"{MAX_TOKENS} tokens: at most about {tokens * len(models):,} tokens, roughly "
        f"{energy:,} energy or less at the emulator's rates (MashaGPT's own price list decides)."
    )
