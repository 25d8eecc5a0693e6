"""Many worker processes, one key: a shared energy budget and rate limit on Redis.

    python examples/many_workers.py

Four worker processes (a `ProcessPoolExecutor`, as Celery, RQ or several uvicorn
workers would be) run the same chat loop. Alone, each would spend its own budget
and send at its own rate; with a `RedisEnergyBudget` and a `RedisRateLimiter` of
one name they share one limit of energy and one of requests per second, and all
stop when the shared budget is spent.

Redis: `REDIS_URL` if set, else a `redis-server` from PATH started on a free
loopback port for the run (`apt-get install redis-server`). Needs the extra:
`pip install "langchain-mashagpt[redis]"`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from _backend import chat_model

from langchain_mashagpt import BudgetExceededError, ChatMashaGPT
from langchain_mashagpt.limits import RedisEnergyBudget, RedisRateLimiter

WORKERS = 4
LIMIT = 2_000  # energy, shared by every worker


def work(worker: int, redis_url: str, settings: dict[str, Any]) -> tuple[int, int, int]:
    """One worker: call until the shared budget says no; return (worker, calls, energy)."""
    budget = RedisEnergyBudget(redis_url, name="example-team", limit=LIMIT)
    limiter = RedisRateLimiter(redis_url, name="example-team", requests_per_second=20)
    model = ChatMashaGPT(**settings, energy_budget=budget, rate_limiter=limiter, max_tokens=20)
    calls = energy = 0
    while True:
        try:
            answer = model.invoke(f"Hello from worker {worker}, question {calls}")
        except BudgetExceededError:
            return worker, calls, energy
        calls += 1
        energy += answer.response_metadata["token_usage"]["total_energy"]


@contextmanager
def redis_url() -> Iterator[str]:
    """`REDIS_URL`, or a redis-server of our own on a free loopback port."""
    if url := os.environ.get("REDIS_URL"):
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("Set REDIS_URL, or install Redis: apt-get install redis-server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = tempfile.mkdtemp()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", folder],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    with chat_model() as make_model, redis_url() as url:
        probe = make_model()
        settings = {"base_url": probe.base_url, "model": "gpt-4o-mini"}
        if probe.api_key is not None:
            settings["api_key"] = probe.api_key.get_secret_value()
        budget = RedisEnergyBudget(url, name="example-team", limit=LIMIT)
        budget.reset()  # a fresh run of the example
        model = ChatMashaGPT(**settings, energy_budget=budget, max_tokens=20)
        print(f"estimate of one call before any answer: {model.estimate_energy(['Hello'])}")
        model.invoke("Hello")  # one answer teaches the model's energy per token
        print(f"estimate after one answer: {model.estimate_energy(['Hello'])}")
        budget.reset()

        with ProcessPoolExecutor(WORKERS) as pool:
            results = list(pool.map(work, range(WORKERS), [url] * WORKERS, [settings] * WORKERS))
        for worker, calls, energy in results:
            print(f"worker {worker}: {calls} call(s), {energy} energy, then stopped")
        stats = budget.stats()
        print(f"{WORKERS} workers stopped by the shared budget: {stats.spent} of {LIMIT} spent")
        print(f"spent within the limit: {stats.spent <= LIMIT}; calls in flight: {stats.reserved}")
        budget.close()
