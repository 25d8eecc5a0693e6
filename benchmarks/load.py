"""Load: many concurrent `astream` calls through ONE `ChatMashaGPT` against the emulator.

    .venv/bin/python benchmarks/load.py [--streams 1000] [--storm 0.3] [--rounds 3]

Each request asks the emulator to repeat a text unique to it, so every answer can
be checked exactly: none lost, none duplicated, none mixed with another. Then a
retry storm: the first `storm` share of the requests to arrive get a 429 first and
are retried. Checked after each round: every answer exact, the emulator saw each
prompt as often as it should (once, or twice after a 429), no connection of the
pool busy, no socket left open beyond the pool's idle keep-alive ones, and the
memory traced by `tracemalloc` flat from round to round. Loopback only.

`tests/reliability/test_load.py` runs a small version (100 streams) in `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from langchain_mashagpt import ChatMashaGPT  # noqa: E402
from langchain_mashagpt._http import transport as _transport  # noqa: E402
from langchain_mashagpt.testing import MashaGPTEmulator, Reply  # noqa: E402

_TCP_TABLES = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
_STATES = {"01": "established", "06": "time_wait", "08": "close_wait"}


def socket_states(port: int) -> Counter[str]:
    """Sockets on loopback `port` by TCP state, both ends (Linux; empty elsewhere)."""
    states: Counter[str] = Counter()
    for table in _TCP_TABLES:
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            local = int(fields[1].rsplit(":", 1)[1], 16)
            remote = int(fields[2].rsplit(":", 1)[1], 16)
            if port in (local, remote):
                side = "server" if local == port else "client"
                states[f"{side}_{_STATES.get(fields[3], fields[3])}"] += 1
    return states


def expected_text(round_: int, i: int) -> str:
    """The answer to request `i` of a round: distinct, with non-ASCII, a few words long."""
    return f"round {round_} request {i:04d}: ответ №{i} — {'abcdefghij'[i % 10] * (1 + i % 7)}"


@dataclass
class Round:
    """What one round of concurrent streams measured and checked."""

    name: str
    streams: int
    rate_limited: int
    seconds: float
    streams_per_second: float
    latency_p50_ms: float
    latency_p99_ms: float
    chunks: int
    requests_seen: int
    wrong: int
    lost: int
    duplicated_prompts: int
    busy_connections: int
    pool_connections: int
    sockets_after: dict[str, int]
    traced_kib: float
    allocated_blocks: int
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.wrong or self.lost or self.duplicated_prompts or self.busy_connections)


def _pool(model: ChatMashaGPT) -> Any:
    client = _transport._ASYNC_CLIENTS[asyncio.get_running_loop()][model.timeout][0]
    return client._transport._pool


async def one_round(
    model: ChatMashaGPT, emu: MashaGPTEmulator, round_: int, streams: int, storm: float
) -> Round:
    """`streams` concurrent `astream` calls; the first `storm` share to arrive get a 429."""
    emu.reset()
    rate_limited = int(streams * storm)
    emu.enqueue(*[Reply.rate_limit(retry_after_ms=20)] * rate_limited)
    texts: dict[int, str] = {}
    latencies: list[float] = []
    chunk_count = 0
    errors: list[str] = []

    async def one(i: int) -> None:
        nonlocal chunk_count
        started = time.perf_counter()
        parts: list[str] = []
        try:
            async for chunk in model.astream(f"Repeat after me: {expected_text(round_, i)}"):
                parts.append(chunk.text)
        except Exception as exc:  # reported, never raised: every loss is counted
            errors.append(f"{i}: {type(exc).__name__}: {exc}")
            return
        latencies.append(time.perf_counter() - started)
        chunk_count += len(parts)
        texts[i] = "".join(parts)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(streams)))
    seconds = time.perf_counter() - started

    # The emulator answers its requests in the order it records them, so the first
    # `rate_limited` got the 429s (a request may get two if it comes back early). Every
    # prompt must then have been answered exactly once: no loss, no re-sent stream.
    sent = [r.body["messages"][-1]["content"] for r in emu.requests]
    answered = Counter(sent[rate_limited:])
    duplicated = sum(1 for n in answered.values() if n > 1)
    wrong = sum(1 for i, text in texts.items() if text != expected_text(round_, i))
    pool = _pool(model)
    busy = [c for c in pool.connections if not (c.is_idle() or c.is_closed())]
    await asyncio.sleep(0.2)  # let the server see the closed ones go
    ordered = sorted(latencies) or [0.0]
    return Round(
        name="retry storm" if rate_limited else "plain",
        streams=streams,
        rate_limited=rate_limited,
        seconds=round(seconds, 3),
        streams_per_second=round(streams / seconds, 1),
        latency_p50_ms=round(statistics.median(ordered) * 1000, 1),
        latency_p99_ms=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
        chunks=chunk_count,
        requests_seen=len(emu.requests),
        wrong=wrong,
        lost=streams - len(texts) + max(0, streams - len(answered)),
        duplicated_prompts=duplicated,
        busy_connections=len(busy),
        pool_connections=len(pool.connections),
        sockets_after=dict(socket_states(emu.port)),
        traced_kib=0.0,
        allocated_blocks=0,
        errors=errors[:5],
    )


async def run(
    streams: int, storm: float, rounds: int, emu: MashaGPTEmulator, trace: bool = True
) -> list[Round]:
    """Plain rounds then storm rounds, with the memory in use measured after each.

    With `trace`, `tracemalloc` runs from the end of the first round (a warm-up that
    fills caches and the pool), so what it holds after a later round is what the
    rounds since have kept; it slows the rounds about threefold. Without, only the
    interpreter's count of allocated blocks is taken, which costs nothing.
    """
    model = ChatMashaGPT(
        api_key=emu.api_key, base_url=emu.base_url, timeout=60.0, max_retries=5, stream_usage=True
    )
    results: list[Round] = []
    try:
        schedule = [0.0] * rounds + [storm] * rounds
        for k, share in enumerate(schedule):
            result = await one_round(model, emu, k, streams, share)
            gc.collect()
            if tracemalloc.is_tracing():
                result.traced_kib = round(tracemalloc.get_traced_memory()[0] / 1024, 1)
            result.allocated_blocks = sys.getallocatedblocks()
            results.append(result)
            if trace and k == 0:
                tracemalloc.start()
    finally:
        tracemalloc.stop()
    return results


def growth_kib(results: list[Round]) -> float:
    """Traced memory kept by the last round: after it minus after the one before.

    Both are storm rounds (with `rounds` >= 2), so every code path ran before both.
    """
    return round(results[-1].traced_kib - results[-2].traced_kib, 1)


def growth_blocks(results: list[Round]) -> int:
    """Allocated blocks kept by the last round (see `growth_kib`)."""
    return results[-1].allocated_blocks - results[-2].allocated_blocks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--storm", type=float, default=0.3, help="share rate limited first")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each kind")
    parser.add_argument("--json", action="store_true", help="print the rounds as JSON")
    parser.add_argument("--no-trace", action="store_true", help="no tracemalloc (3x faster)")
    args = parser.parse_args()
    with MashaGPTEmulator() as emu:
        results = asyncio.run(run(args.streams, args.storm, args.rounds, emu, not args.no_trace))
        after_loop = dict(socket_states(emu.port))
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2, ensure_ascii=False))
    else:
        for r in results:
            print(
                f"{r.name:12} {r.streams} streams ({r.rate_limited} got 429 first): "
                f"{r.seconds:.2f} s, {r.streams_per_second:.0f}/s, p50 {r.latency_p50_ms:.0f} ms, "
                f"p99 {r.latency_p99_ms:.0f} ms, {r.chunks} chunks, {r.requests_seen} requests | "
                f"wrong {r.wrong}, lost {r.lost}, duplicated {r.duplicated_prompts}, "
                f"busy {r.busy_connections}/{r.pool_connections} pooled | "
                f"sockets {r.sockets_after} | traced {r.traced_kib:.0f} KiB, "
                f"{r.allocated_blocks} blocks"
            )
            for error in r.errors:
                print("   ", error)
    if len(results) > 2:
        print(f"allocated blocks kept by the last round: {growth_blocks(results):+d}")
    if len(results) > 2 and not args.no_trace:
        print(f"traced memory kept by the last round: {growth_kib(results):+.1f} KiB")
        first, last = results[1], results[-1]
        print(
            f"traced memory, end of round 2 -> end of round {len(results)}: "
            f"{last.traced_kib - first.traced_kib:+.1f} KiB"
        )
    print(f"sockets on the emulator's port after the loop closed: {after_loop}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
