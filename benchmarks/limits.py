"""The shared limits: added latency per call on loopback Redis, and estimate - bill error.

    .venv/bin/python benchmarks/limits.py [--calls 2000]

Starts its own `redis-server` on a free loopback port (persistence off). Latency:
what `ChatMashaGPT(energy_budget=...)` adds to a call (one reserve script before
sending, one settle script after: the estimate, the offline token count and two
Redis round trips), and what `RedisRateLimiter.acquire` adds when a token is
there (one script), sync and async, p50/p99 in µs. Error: varied requests sent
to the bundled emulator, each estimated first with `model.estimate_energy`, then
billed; the estimate's prompt part against `prompt_energy`, and the whole
estimate against `total_energy`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt._functions.schemas import functions_for
from langchain_mashagpt.limits import RedisEnergyBudget, RedisRateLimiter
from langchain_mashagpt.limits._estimate import prompt_tokens
from langchain_mashagpt.testing import MashaGPTEmulator
from tests.limits.redis_server import RedisServer

USAGE = {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21,
         "prompt_energy": 12, "completion_energy": 36, "total_energy": 48}  # fmt: skip
QUESTION = {"role": "user", "content": "Сколько будет 12 * 7? Ответь кратко."}
PAYLOAD = {"model": "gpt-4o-mini", "max_tokens": 64, "messages": [QUESTION]}


def pct(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] * 1e6, ordered[int(len(ordered) * 0.99)] * 1e6


def budget_sync(budget: RedisEnergyBudget, calls: int) -> list[float]:
    out = []
    for _ in range(calls):
        started = time.perf_counter()
        held = budget.reserve(PAYLOAD, 60)
        assert held is not None
        budget.settle(held, USAGE)
        out.append(time.perf_counter() - started)
    return out


async def budget_async(budget: RedisEnergyBudget, calls: int) -> list[float]:
    out = []
    for _ in range(calls):
        started = time.perf_counter()
        held = await budget.areserve(PAYLOAD, 60)
        assert held is not None
        await budget.asettle(held, USAGE)
        out.append(time.perf_counter() - started)
    await budget.aclose()
    return out


def limiter_sync(limiter: RedisRateLimiter, calls: int) -> list[float]:
    out = []
    for _ in range(calls):
        started = time.perf_counter()
        limiter.acquire()
        out.append(time.perf_counter() - started)
    return out


async def limiter_async(limiter: RedisRateLimiter, calls: int) -> list[float]:
    out = []
    for _ in range(calls):
        started = time.perf_counter()
        await limiter.aacquire()
        out.append(time.perf_counter() - started)
    await limiter.aclose()
    return out


@tool
def get_weather(city: str, unit: str = "celsius") -> str:
    """Текущая погода в городе (температура, ветер, осадки)."""
    return city


RU = "Сегодня в Москве солнечно, вечером возможен дождь. Что надеть на прогулку после шести?"
EN = "Summarise the quarterly report's risks in three bullet points and suggest a follow-up."


def requests() -> list[tuple[list[Any], list[Any] | None, int | None]]:
    cases: list[tuple[list[Any], list[Any] | None, int | None]] = []
    for n in (1, 3, 10, 30):
        history: list[Any] = [SystemMessage("Отвечай кратко.")]
        for i in range(n):
            history += [HumanMessage(f"{RU} ({i})" if i % 2 else f"{EN} ({i})"), AIMessage("Ок.")]
        history.append(HumanMessage("Hello, what is 12 * 7?"))
        for max_tokens in (None, 50):
            cases.append((history, None, max_tokens))
    call = {"name": "get_weather", "args": {"city": "Moscow"}, "id": "1"}
    calls = [HumanMessage("Какая погода в Москве?"), AIMessage("", tool_calls=[call]),
             ToolMessage("+5 °C, облачно", tool_call_id="1")]  # fmt: skip
    cases += [(calls, [get_weather], None), (calls, [get_weather], 50)]
    return cases


def errors(emu: MashaGPTEmulator, url: str) -> list[tuple[str, float, float, float]]:
    budget = RedisEnergyBudget(url, name="bench-error", limit=10**12)
    model = ChatMashaGPT(base_url=emu.base_url, api_key=emu.api_key, energy_budget=budget)
    model.invoke("Hello")  # learn the model's rates once
    rows = []
    for messages, tools, max_tokens in requests() * 3:
        m = model if max_tokens is None else model.model_copy(update={"max_tokens": max_tokens})
        estimate = m.estimate_energy(messages, tools)
        kwargs = {"functions": functions_for(tools)} if tools else {}
        payload = m._payload(messages, None, kwargs, stream=False)[0]
        rates = budget._store.sync().hgetall("mashagpt:rate:gpt-4o-mini")
        prate = float(rates[b"pe"]) / float(rates[b"pt"])
        runnable = m.bind_tools(tools) if tools else m
        usage = runnable.invoke(messages).response_metadata["token_usage"]
        prompt_part = prompt_tokens(payload) * prate
        label = f"{len(messages)} msgs{' +tool' if tools else ''}, max_tokens={max_tokens}"
        rows.append((label, prompt_part - usage["prompt_energy"], estimate - usage["total_energy"],
                     prompt_part / usage["prompt_energy"] - 1))  # fmt: skip
    budget.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    calls = parser.parse_args().calls
    server = RedisServer().start()
    try:
        budget = RedisEnergyBudget(server.url, name="bench", limit=10**15)
        limiter = RedisRateLimiter(server.url, name="bench", requests_per_second=1e9,
                                   max_bucket_size=1e9)  # fmt: skip
        budget_sync(budget, 200), limiter_sync(limiter, 200)  # warm-up: scripts loaded
        print(f"added latency per call, {calls} calls, loopback Redis (µs)")
        print("| what | p50 | p99 |\n|---|---:|---:|")
        for name, samples in (
            ("budget, sync (reserve + settle)", budget_sync(budget, calls)),
            ("budget, async", asyncio.run(budget_async(budget, calls))),
            ("rate limiter, sync acquire", limiter_sync(limiter, calls)),
            ("rate limiter, async aacquire", asyncio.run(limiter_async(limiter, calls))),
        ):
            p50, p99 = pct(samples)
            print(f"| {name} | {p50:,.0f} | {p99:,.0f} |")
        with MashaGPTEmulator() as emu:
            rows = errors(emu, server.url)
        prompt = [r[1] for r in rows]
        total = [r[2] for r in rows]
        print(f"\nestimate - bill, {len(rows)} requests on the emulator (energy)")
        relative = [r[3] for r in rows]
        print("| part | min | median | max |\n|---|---:|---:|---:|")
        print(f"| prompt part - prompt_energy | {min(prompt):.1f} | {statistics.median(prompt):.1f}"
              f" | {max(prompt):.1f} |")  # fmt: skip
        print(f"| same, relative | {min(relative):+.0%} | {statistics.median(relative):+.0%}"
              f" | {max(relative):+.0%} |")  # fmt: skip
        print(f"| estimate - total_energy | {min(total):.0f} | {statistics.median(total):.0f}"
              f" | {max(total):.0f} |")  # fmt: skip
        for label, p, t, _ in rows[-len(rows) // 3 :]:
            print(f"  {label:40s} prompt {p:+8.1f}   total {t:+8.0f}")
        budget.close()
        limiter.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
