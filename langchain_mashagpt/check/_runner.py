"""Runs the script for each model and reports each step as it ends.

A step's differences make it "differs"; a step that could not observe anything
(no connection, a rate limit, a server error, or a bug of the check itself)
"failed". A 401 to the check's own key, or a 402 (no energy left), fails its
step and ends the run: every further request would be refused too. A 404 (an
unknown model, or a wrong base URL) skips the rest of that model's steps.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Literal

from langchain_mashagpt._http.tap import Tap, client
from langchain_mashagpt.check._context import (
    REASONING_MODEL,
    Context,
    ModelMissing,
    Stopped,
    Unavailable,
    energy_of,
)
from langchain_mashagpt.check._probes import Finding
from langchain_mashagpt.check._record import Cassettes
from langchain_mashagpt.check._report import Outcome, Status, line, redact
from langchain_mashagpt.check._shapes import Difference
from langchain_mashagpt.check._steps import BAD_KEY, Step

__all__ = ["run_check"]

_Next = Literal["go on", "next model", "stop"]


def run_check(
    *,
    base_url: str,
    api_key: str,
    models: Sequence[str],
    steps: Sequence[Step],
    cassettes: Cassettes | None = None,
    timeout: float = 60.0,
    reasoning_model: str = REASONING_MODEL,
    emit: Callable[[str], None] = print,
) -> list[Outcome]:
    """Run `steps` for every model; `emit` each step's line, key redacted.

    A probe's line says "accepted" or "refused"; `reasoning_model` is the model
    the reasoning probe asks.

    Returns:
        The outcomes in run order; after a refused key, the run stops there.
    """
    outcomes: list[Outcome] = []
    for model in models:
        tap = Tap()
        with client(tap, timeout) as http:
            context = Context(model, base_url, api_key, tap, http, timeout, reasoning_model)
            for step in steps:
                recording = cassettes.cassette(model, step.name) if cassettes else None
                with recording or contextlib.nullcontext():
                    outcome, then = _run_step(context, step)
                outcomes.append(outcome)
                emit(redact(line(outcome), [api_key, BAD_KEY]))
                if then == "stop":
                    return outcomes
                if then == "next model":
                    break
    return outcomes


def _run_step(context: Context, step: Step) -> tuple[Outcome, _Next]:
    start = len(context.tap.exchanges)

    def finished(status: Status, differences: Sequence[Difference] = (), note: str = "") -> Outcome:
        energies = [energy_of(e) for e in context.tap.exchanges[start:]]
        known = [energy for energy in energies if energy is not None]
        energy = sum(known) if known else None
        return Outcome(context.model, step, status, tuple(differences), energy, note)

    try:
        result = step.run(context)
    except Stopped as exc:
        return finished("failed", note=f"stopped: {exc}"), "stop"
    except ModelMissing as exc:
        note = f"{exc}; the model id or the base URL is wrong, this model's other steps are skipped"
        return finished("failed", note=note), "next model"
    except Unavailable as exc:
        return finished("failed", note=f"no answer to judge: {_first_line(exc)}"), "go on"
    except Exception as exc:  # a bug of the check, or a cassette without this request
        note = f"the check could not run: {type(exc).__name__}: {_first_line(exc)}"
        return finished("failed", note=note), "go on"
    if isinstance(result, Finding):  # a probe: either answer is a finding
        return finished(result.verdict, note=result.detail), "go on"
    return finished("differs" if result else "ok", result), "go on"


def _first_line(exc: Exception) -> str:
    text = str(exc)
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]
