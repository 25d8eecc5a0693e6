"""How many concurrent token streams one core carries before chunks arrive late.

    .venv/bin/python benchmarks/capacity.py [--quick] [--clients raw,core,openai,masha]

A paced SSE server (`_paced.py`) runs in its own process pinned to CPU 0; each client
runs in a fresh process pinned to CPU 1 and imports only what it needs. Each stream is
200 text chunks at 50 chunks/s with a usage chunk (with energy) at the end; every chunk
carries the server's `time.monotonic()` at its write. A ramp of concurrent stream counts
(starts spread over one chunk period, so phases are uniform); per level:

- p99 chunk delay: arrival in the user's `async for` minus the server's write time;
- TTFT p99: from the call to the first text chunk;
- completed streams (all 200 chunks and the usage);
- CPU µs per chunk (the client process's CPU time over the chunks it received);
- RSS per in-flight stream (peak RSS during the level minus RSS before it);
- GC: generation-2 collections and the longest pause (`gc.callbacks`), and the loop's
  lag (a 10 ms ticker's overshoot, p99 and max).

Capacity: the largest level at which p99 chunk delay < 50 ms and every stream completes.
The memory mode then holds 10,000 slow streams at once per client (one chunk every 30 s,
own clients without a connection cap) and reports KiB per held stream.

Clients: raw httpx2 + a line parser (the floor), a bare langchain-core `BaseChatModel`
streaming the same chunks over the same raw client (langchain-core's floor: a message
chunk per token, merged at the end), `ChatOpenAI(base_url=…)`, and `ChatMashaGPT`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODEL, KEY, PROMPT = "gpt-4o-mini", "bench-key", "Столица Франции?"
HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
BODY = json.dumps(
    {
        "model": MODEL,
        "messages": [{"role": "user", "content": PROMPT}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
).encode()
CLIENTS = {
    "raw": "raw httpx2 + line parser",
    "core": "bare BaseChatModel (core floor)",
    "openai": "ChatOpenAI(base_url=…)",
    "masha": "ChatMashaGPT",
}
DELAY_LIMIT = 0.050
USAGE = object()  # what a client's adapter yields once it saw the usage
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# ------------------------------------------------------------------ clients (in the child)

Adapter = Callable[[str], AsyncIterator[object]]


def make_raw(limits: dict[str, Any] | None) -> Adapter:
    import httpx2

    client = httpx2.AsyncClient(timeout=None, limits=httpx2.Limits(**(limits or {})))

    async def run(base: str) -> AsyncIterator[object]:
        url = f"{base}/chat/completions"
        async with client.stream("POST", url, content=BODY, headers=HEADERS) as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                if line == "data: [DONE]":
                    return
                data = json.loads(line[6:])
                if data["choices"]:
                    if text := data["choices"][0]["delta"].get("content"):
                        yield text
                elif data.get("usage"):
                    yield USAGE

    return run


def make_core(limits: dict[str, Any] | None) -> Adapter:
    import httpx2
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessageChunk, BaseMessage
    from langchain_core.outputs import ChatGenerationChunk, ChatResult
    from pydantic import ConfigDict

    class CoreFloor(BaseChatModel):
        """A bare `BaseChatModel` over the raw client: langchain-core's own cost."""

        client: Any
        base: str = ""
        model_config = ConfigDict(arbitrary_types_allowed=True)

        @property
        def _llm_type(self) -> str:
            return "core-floor"

        def _generate(self, messages: list[BaseMessage], *a: Any, **kw: Any) -> ChatResult:
            raise NotImplementedError

        async def _astream(
            self, messages: list[BaseMessage], *a: Any, **kw: Any
        ) -> AsyncIterator[ChatGenerationChunk]:
            url = f"{self.base}/chat/completions"
            async with self.client.stream("POST", url, content=BODY, headers=HEADERS) as r:
                async for line in r.aiter_lines():
                    if not line.startswith("data: "):
                        continue
                    if line == "data: [DONE]":
                        return
                    data = json.loads(line[6:])
                    if data["choices"]:
                        text = data["choices"][0]["delta"].get("content") or ""
                        yield ChatGenerationChunk(message=AIMessageChunk(content=text))
                    elif usage := data.get("usage"):
                        meta = {
                            "input_tokens": usage["prompt_tokens"],
                            "output_tokens": usage["completion_tokens"],
                            "total_tokens": usage["total_tokens"],
                        }
                        message = AIMessageChunk(content="", usage_metadata=meta)  # type: ignore[arg-type]
                        yield ChatGenerationChunk(message=message)

    client = httpx2.AsyncClient(timeout=None, limits=httpx2.Limits(**(limits or {})))
    model = CoreFloor(client=client)
    return lambda base: _lc(model.model_copy(update={"base": base}))


async def _lc(model: Any) -> AsyncIterator[object]:
    async for chunk in model.astream(PROMPT):
        if chunk.content:
            yield chunk.content
        if chunk.usage_metadata:
            yield USAGE


def make_openai(limits: dict[str, Any] | None) -> Adapter:
    from langchain_openai import ChatOpenAI

    extra: dict[str, Any] = {}
    if limits is not None:
        import httpx

        extra["http_async_client"] = httpx.AsyncClient(timeout=None, limits=httpx.Limits(**limits))
    models: dict[str, Any] = {}

    def run(base: str) -> AsyncIterator[object]:
        if base not in models:
            models[base] = ChatOpenAI(
                model=MODEL,
                api_key=KEY,  # type: ignore[arg-type]
                base_url=base,
                stream_usage=True,
                max_retries=0,
                **extra,
            )
        return _lc(models[base])

    return run


def make_masha(limits: dict[str, Any] | None) -> Adapter:
    sys.path.insert(0, str(ROOT))
    from langchain_mashagpt import ChatMashaGPT

    extra: dict[str, Any] = {}
    if limits is not None:
        import httpx2

        extra["http_async_client"] = httpx2.AsyncClient(
            timeout=None, limits=httpx2.Limits(**limits)
        )
    models: dict[str, Any] = {}

    def run(base: str) -> AsyncIterator[object]:
        if base not in models:
            models[base] = ChatMashaGPT(model=MODEL, api_key=KEY, base_url=base, **extra)  # type: ignore[arg-type]
        return _lc(models[base])

    return run


MAKERS = {"raw": make_raw, "core": make_core, "openai": make_openai, "masha": make_masha}


# ------------------------------------------------------------------ measuring (in the child)


class Watch:
    """GC pauses (by `gc.callbacks`), loop lag (a ticker), and peak RSS (a sampler)."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self.lags: list[float] = []
        self.peak = 0
        self._start = 0.0
        gc.callbacks.append(self._gc)

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._start))

    async def tick(self) -> None:
        while True:
            t = time.monotonic()
            await asyncio.sleep(0.010)
            self.lags.append(time.monotonic() - t - 0.010)
            self.peak = max(self.peak, rss())

    def reset(self) -> None:
        self.pauses, self.lags, self.peak = [], [], rss()


async def level(
    adapter: Adapter, base: str, n: int, chunks: int, period: float, watch: Watch
) -> dict[str, Any]:
    delays: list[float] = []
    ttfts: list[float] = []
    done = 0

    async def one(offset: float) -> None:
        nonlocal done
        await asyncio.sleep(offset)
        start = time.monotonic()
        got, usage = 0, False
        async for item in adapter(base):
            now = time.monotonic()
            if item is USAGE:
                usage = True
                continue
            if not got:
                ttfts.append(now - start)
            got += 1
            delays.append(now - float(item))  # type: ignore[arg-type]
        if got == chunks and usage:
            done += 1

    gc.collect()
    base_rss = rss()
    watch.reset()
    cpu = time.process_time()
    tasks = [asyncio.ensure_future(one(random.uniform(0, period))) for _ in range(n)]
    _, pending = await asyncio.wait(tasks, timeout=chunks * period + 30)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    cpu = time.process_time() - cpu
    errors = [t.exception() for t in tasks if not t.cancelled() and t.exception()]
    gen2 = [d for g, d in watch.pauses if g == 2]
    p99 = percentile(delays, 0.99)
    return {
        "streams": n,
        "p99_ms": p99 * 1000,
        "ttft_p99_ms": percentile(ttfts, 0.99) * 1000,
        "completed": done,
        "cpu_us_per_chunk": cpu / max(len(delays), 1) * 1e6,
        "cpu_share": cpu / (chunks * period + 2 * period),
        "kib_per_stream": (watch.peak - base_rss) / 1024 / n,
        "gen2": len(gen2),
        "gen2_max_ms": max(gen2, default=0) * 1000,
        "gc_max_ms": max((d for _, d in watch.pauses), default=0) * 1000,
        "lag_p99_ms": percentile(watch.lags, 0.99) * 1000,
        "lag_max_ms": max(watch.lags, default=0) * 1000,
        "ok": p99 < DELAY_LIMIT and done == n,
        "error": repr(errors[0]) if errors else None,
    }


async def ramp(
    name: str, server: str, levels: list[int], chunks: int, period_ms: int
) -> dict[str, Any]:
    adapter = MAKERS[name](None)
    base = f"{server}/c{chunks}p{period_ms}/v1"
    watch = Watch()
    ticker = asyncio.ensure_future(watch.tick())
    await level(adapter, base, 2, chunks, period_ms / 1000, watch)  # warm: imports, pools
    results, failed = [], 0
    for n in levels:
        result = await level(adapter, base, n, chunks, period_ms / 1000, watch)
        result["load"] = os.getloadavg()[0]
        results.append(result)
        print(json.dumps(result), file=sys.stderr, flush=True)
        failed = 0 if result["ok"] else failed + 1
        if failed == 2:
            break
    ticker.cancel()
    ok = [r["streams"] for r in results if r["ok"]]
    return {
        "client": name,
        "levels": results,
        "capacity": max(ok, default=0),
        "objects": len(gc.get_objects()),
    }


async def hold(name: str, server: str, n: int) -> dict[str, Any]:
    """RSS per stream with `n` slow streams held at once (each received its first text chunk)."""
    limits = {"max_connections": None, "max_keepalive_connections": 100}
    adapter = MAKERS[name](limits)
    base = f"{server}/c10p30000/v1"
    first = asyncio.Semaphore(200)  # streams being opened at once
    opened, warming = 0, True
    all_open = asyncio.Event()

    async def one() -> None:
        nonlocal opened
        await first.acquire()
        released = False
        try:
            async for item in adapter(base):
                if item is not USAGE and not released:
                    released = True
                    first.release()
                    opened += 1
                    if opened == n or warming:
                        all_open.set()
        finally:
            if not released:
                first.release()

    # warm: one stream to its first chunk (imports, pools, caches)
    warm = asyncio.ensure_future(one())
    await all_open.wait()
    warm.cancel()
    await asyncio.gather(warm, return_exceptions=True)
    opened, warming = 0, False
    all_open.clear()
    gc.collect()
    base_rss = rss()
    start = time.monotonic()
    tasks = [asyncio.ensure_future(one()) for _ in range(n)]
    try:
        await asyncio.wait_for(all_open.wait(), timeout=600)
    finally:
        elapsed = time.monotonic() - start
        gc.collect()
        held = rss()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "client": name,
        "held": opened,
        "open_s": elapsed,
        "kib_per_stream": (held - base_rss) / 1024 / n,
    }


def child(args: argparse.Namespace) -> None:
    os.sched_setaffinity(0, {args.cpu})
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.hold:
        result = asyncio.run(hold(args.child, args.server, args.hold))
    else:
        levels = [int(x) for x in args.levels.split(",")]
        result = asyncio.run(ramp(args.child, args.server, levels, args.chunks, args.period_ms))
    print(json.dumps(result))


# ------------------------------------------------------------------ the run (the parent)


def run_child(extra: list[str], cpu: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--cpu", str(cpu), *extra]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def table(ramps: list[dict[str, Any]], holds: dict[str, dict[str, Any]], at: int) -> str:
    lines = [
        "| client | capacity | CPU µs per chunk | KiB per held stream | TTFT p99 at "
        f"{at} | p99 delay at {at} | gen-2 GCs (max ms) at capacity+1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in ramps:
        levels = r["levels"]
        near = min(levels, key=lambda x: abs(x["streams"] - at))
        cpu = sorted(x["cpu_us_per_chunk"] for x in levels)
        over = next((x for x in levels if not x["ok"]), levels[-1])
        hold = holds.get(r["client"], {})
        kib = f"{hold['kib_per_stream']:.0f}" if hold else "—"
        lines.append(
            f"| {CLIENTS[r['client']]} | {r['capacity']} | {cpu[0]:.0f}–{cpu[-1]:.0f} | {kib} | "
            f"{near['ttft_p99_ms']:.0f} ms | {near['p99_ms']:.0f} ms | "
            f"{over['gen2']} ({over['gen2_max_ms']:.0f}) at {over['streams']} |"
        )
    return "\n".join(lines)


def levels_table(ramps: list[dict[str, Any]]) -> str:
    lines = [
        "| client | streams | p99 delay ms | TTFT p99 ms | completed | CPU µs/chunk | core used "
        "| KiB/stream | gen-2 (max ms) | loop lag p99/max ms | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in ramps:
        for x in r["levels"]:
            lines.append(
                f"| {r['client']} | {x['streams']} | {x['p99_ms']:.1f} | {x['ttft_p99_ms']:.1f} | "
                f"{x['completed']}/{x['streams']} | {x['cpu_us_per_chunk']:.0f} | "
                f"{x['cpu_share']:.0%} | {x['kib_per_stream']:.0f} | {x['gen2']} "
                f"({x['gen2_max_ms']:.0f}) | {x['lag_p99_ms']:.0f}/{x['lag_max_ms']:.0f} | "
                f"{x['load']:.1f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short ramp, 1,000 held streams")
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--levels", default="10,20,30,40,50,60,80,100,120,150,200")
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--period-ms", type=int, default=20)
    parser.add_argument("--hold", type=int, help="streams held at once (default 10,000; 0: skip)")
    parser.add_argument("--json", help="write every figure here")
    parser.add_argument("--cpu", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--server", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.hold is None:
        args.hold = 1_000 if args.quick else 10_000
    if args.quick:
        args.levels, args.chunks = "10,20,40", 100
    clients = args.clients.split(",")
    server_cpu, client_cpu = 0, 1
    cmd = [sys.executable, str(HERE / "_paced.py"), "--cpu", str(server_cpu)]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{int(server.stdout.readline())}"
        load_before = os.getloadavg()
        ramps = []
        for name in clients:
            extra = ["--child", name, "--server", url, "--levels", args.levels]
            extra += ["--chunks", str(args.chunks), "--period-ms", str(args.period_ms)]
            ramps.append(run_child(extra, client_cpu))
        holds = {}
        for name in clients if args.hold else []:
            extra = ["--child", name, "--server", url, "--hold", str(args.hold)]
            holds[name] = run_child(extra, client_cpu)
        load_after = os.getloadavg()
    finally:
        server.terminate()
        server.wait(10)
    figures = {
        "ramps": ramps,
        "holds": holds,
        "load": [load_before, load_after],
        "args": vars(args),
    }
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    at = 20
    print(f"streams of {args.chunks} chunks every {args.period_ms} ms; held: {args.hold}")
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f}\n")
    print(table(ramps, holds, at))
    print()
    print(levels_table(ramps))
    for name, hold in holds.items():
        print(
            f"held {hold['held']} {name} streams (opened in {hold['open_s']:.0f} s): "
            f"{hold['kib_per_stream']:.1f} KiB each"
        )


if __name__ == "__main__":
    main()
