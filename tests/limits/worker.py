"""A worker process of the multi-process tests: `python -m tests.limits.worker '<json>'`.

It prints one JSON object a line (flushed) for the parent to read: `{"ready": true}`
once imported, then what the scenario reports. A scenario waits for the parent's
`go` file before its first call, so all workers start together.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from langchain_mashagpt import BudgetExceededError, ChatMashaGPT
from langchain_mashagpt.limits import (
    BudgetStoreUnavailableError,
    RedisEnergyBudget,
    RedisRateLimiter,
)


def say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def wait_for(path: str) -> None:
    while not os.path.exists(path):
        time.sleep(0.01)


class RecordingLimiter(RedisRateLimiter):
    """Reports the Redis time of each token it takes, and the hold it found."""

    def acquire(self, *, blocking: bool = True) -> bool:
        held = self.held_for()
        started = time.monotonic()
        taken = super().acquire(blocking=blocking)
        say(granted=self._last_grant, held=held, waited=time.monotonic() - started)
        return taken


def model(args: dict[str, Any], **kwargs: Any) -> ChatMashaGPT:
    return ChatMashaGPT(
        model="gpt-4o-mini",
        base_url=args["base_url"],
        api_key=args["api_key"],
        max_tokens=args.get("max_tokens", 20),
        retry_backoff=0,
        **kwargs,
    )


def spend(args: dict[str, Any]) -> None:
    """Call until the shared budget refuses; report each call's energy."""
    budget = RedisEnergyBudget(args["redis"], name=args["name"], limit=args["limit"])
    llm = model(args, energy_budget=budget)
    wait_for(args["go"])
    for i in range(10_000):
        try:
            answer = llm.invoke(f"Hello {i % 7}")
        except BudgetExceededError as exc:
            say(stopped=type(exc).__name__, estimate=getattr(exc, "estimate", None))
            return
        say(energy=answer.response_metadata["token_usage"]["total_energy"])


def rate(args: dict[str, Any]) -> None:
    """Make `calls` calls through the shared limiter."""
    limiter = RecordingLimiter(args["redis"], name=args["name"], requests_per_second=args["rps"])
    llm = model(args, rate_limiter=limiter)
    wait_for(args["go"])
    for _ in range(args["calls"]):
        llm.invoke("Hello")
    say(done=True)


def hold(args: dict[str, Any]) -> None:
    """One call through a shared limiter (which a 429 may hold)."""
    limiter = RecordingLimiter(args["redis"], name=args["name"], requests_per_second=1000)
    llm = model(args, rate_limiter=limiter)
    wait_for(args["go"])
    llm.invoke("Hello")
    say(done=True)


def stall(args: dict[str, Any]) -> None:
    """Start a stream that never ends (the parent kills this process)."""
    budget = RedisEnergyBudget(
        args["redis"], name=args["name"], limit=args["limit"], reservation_ttl=args["ttl"]
    )
    for _ in model(args, energy_budget=budget).stream("Hello"):
        say(streaming=True)


def outlive(args: dict[str, Any]) -> None:
    """Call until Redis goes away; report the error."""
    budget = RedisEnergyBudget(args["redis"], name=args["name"], limit=args["limit"])
    llm = model(args, energy_budget=budget)
    while True:
        try:
            llm.invoke("Hello")
        except BudgetStoreUnavailableError as exc:
            say(error=type(exc).__name__, message=str(exc))
            return
        say(ok=True)
        time.sleep(0.05)


if __name__ == "__main__":
    scenario = json.loads(sys.argv[1])
    say(ready=True)
    {"spend": spend, "rate": rate, "hold": hold, "stall": stall, "outlive": outlive}[
        scenario["run"]
    ](scenario)
