"""Several real processes on one Redis and the emulator: the limits hold across them.

Each worker is `python -m tests.limits.worker` (see `worker.py`), started together
through a `go` file. Times are checked from below only, or with generous upper
bounds: the machine may be busy.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from langchain_mashagpt.limits import RedisEnergyBudget, RedisRateLimiter
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.limits.helpers import model_for
from tests.limits.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120.0


class Worker:
    def __init__(self, **scenario: Any) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("MASHAGPT_API_KEY", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.limits.worker", json.dumps(scenario)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.line() == {"ready": True}

    def line(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        text = self.process.stdout.readline()
        assert text, f"the worker ended early (exit code {self.process.wait(TIMEOUT)})"
        return dict(json.loads(text))

    def lines(self) -> list[dict[str, Any]]:
        assert self.process.stdout is not None
        out = [json.loads(text) for text in self.process.stdout]
        assert self.process.wait(TIMEOUT) == 0
        return out


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[tuple[list[Worker], Path]]:
    started: list[Worker] = []
    yield started, tmp_path / "go"
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
        worker.process.wait(TIMEOUT)
        if worker.process.stdout is not None:
            worker.process.stdout.close()


def common(emu: MashaGPTEmulator, url: str, go: Path) -> dict[str, Any]:
    return {"redis": url, "base_url": emu.base_url, "api_key": emu.api_key, "go": str(go)}


def test_four_processes_stop_together_at_the_limit_and_another_name_is_apart(
    emu: MashaGPTEmulator, redis_url: str, workers: tuple[list[Worker], Path]
) -> None:
    started, go = workers
    limit = 3000
    shared = RedisEnergyBudget(redis_url, name="shared", limit=limit)
    other = RedisEnergyBudget(redis_url, name="other", limit=limit)
    model_for(emu, energy_budget=shared).invoke("Hello")  # learn the model's rates
    shared.reset()
    args = common(emu, redis_url, go)
    started += [Worker(run="spend", name="shared", limit=limit, **args) for _ in range(4)]
    started.append(Worker(run="spend", name="other", limit=limit, **args))
    go.touch()
    reports = [w.lines() for w in started]
    for lines in reports:
        assert lines[-1]["stopped"] == "SharedBudgetExceededError"
    energies = [[x["energy"] for x in lines if "energy" in x] for lines in reports]
    shared_spent = sum(sum(e) for e in energies[:4])
    largest = max(max(e) for e in energies if e)
    estimate = model_for(emu, energy_budget=shared).estimate_energy(["Hello 0"])
    assert shared.spent() == shared_spent
    assert shared.stats().reserved == 0
    assert shared_spent <= limit  # every estimate bounded its call here
    assert limit - shared_spent < estimate + largest  # no room was left for one more call
    assert sum(1 for e in energies[:4] if e) >= 2  # the processes really shared it
    assert other.spent() == sum(energies[4])  # the other name spent its own limit
    assert limit - other.spent() < estimate + largest
    shared.close()
    other.close()


def test_three_processes_share_one_rate_limit(
    emu: MashaGPTEmulator, redis_url: str, workers: tuple[list[Worker], Path]
) -> None:
    started, go = workers
    args = common(emu, redis_url, go)
    started += [Worker(run="rate", name="rate", rps=10, calls=10, **args) for _ in range(3)]
    began = time.monotonic()
    go.touch()
    reports = [w.lines() for w in started]
    elapsed = time.monotonic() - began
    grants = sorted(x["granted"] for lines in reports for x in lines if "granted" in x)
    assert len(grants) == 30
    assert len(emu.requests) == 30
    assert elapsed >= 2.5
    assert grants[-1] - grants[0] >= 2.5
    for i, first in enumerate(grants):  # on Redis's clock: never 11 grants in one second
        assert sum(1 for g in grants[i:] if g < first + 1 - 1e-3) <= 10


def test_one_process_s_429_holds_the_others(
    emu: MashaGPTEmulator, redis_url: str, workers: tuple[list[Worker], Path]
) -> None:
    started, go = workers
    emu.enqueue(Reply.rate_limit(retry_after=2))
    args = common(emu, redis_url, go)
    first = Worker(run="hold", name="held", **args)
    others = [Worker(run="hold", name="held", **{**args, "go": f"{go}.2"}) for _ in range(2)]
    started += [first, *others]
    go.touch()
    limiter = RedisRateLimiter(redis_url, name="held", requests_per_second=1)
    ends = time.monotonic() + TIMEOUT
    while limiter.held_for() == 0:  # the first worker got its 429
        assert time.monotonic() < ends
        time.sleep(0.01)
    Path(f"{go}.2").touch()
    for worker in others:
        report = worker.lines()
        assert report[0]["held"] > 0  # it found the hold the 429 set
        assert report[0]["waited"] >= report[0]["held"] - 0.05  # and sat it out
    assert first.lines()[-1] == {"done": True}  # the first retried after its own wait
    assert len(emu.requests) == 4
    limiter.close()


def test_a_killed_worker_s_reservation_expires_after_its_ttl(
    emu: MashaGPTEmulator, redis_url: str, workers: tuple[list[Worker], Path]
) -> None:
    started, go = workers
    emu.enqueue(Reply.stream_stall(after_chunks=1, content="one two three"))
    budget = RedisEnergyBudget(redis_url, name="killed", limit=100_000)
    spawned = time.monotonic()
    worker = Worker(run="stall", name="killed", limit=100_000, ttl=3, **common(emu, redis_url, go))
    started.append(worker)
    assert worker.line() == {"streaming": True}
    worker.process.send_signal(signal.SIGKILL)
    worker.process.wait(TIMEOUT)
    held = budget.stats()
    assert held.reserved > 0  # nothing released it
    assert held.open_reservations == 1
    ends = time.monotonic() + TIMEOUT
    while budget.reserved() > 0:
        assert time.monotonic() < ends
        time.sleep(0.05)
    assert time.monotonic() - spawned >= 3  # not before the TTL
    assert budget.stats().open_reservations == 0
    assert budget.spent() == 0
    budget.close()


def test_redis_stopped_mid_run_gives_the_clear_error(
    emu: MashaGPTEmulator, workers: tuple[list[Worker], Path]
) -> None:
    started, go = workers
    own = RedisServer().start()
    worker = Worker(run="outlive", name="gone", limit=10**9, **common(emu, own.url, go))
    started.append(worker)
    assert worker.line() == {"ok": True}
    own.stop()
    report = [x for x in worker.lines() if "error" in x]
    assert report[0]["error"] == "BudgetStoreUnavailableError"
    assert f"cannot reach Redis at 127.0.0.1:{own.port}/0" in report[0]["message"]
    assert "the request was not sent" in report[0]["message"]
    assert emu.api_key not in report[0]["message"]
