"""ChatMashaGPT side by side with the raw HTTP client and ChatOpenAI, on a canned loopback server.

    .venv/bin/python benchmarks/bench.py [--rounds 7] [--quick]

Every figure is a median over rounds after warm-up; within a round the contenders
run one after another in a rotating order, and ratios are taken per round before
the median, so that the noise of a shared machine hits both sides of a ratio alike.
Loopback only; the server (`_server.py`) runs in its own process and exits with us.

Two floors: "raw httpx2" uses the client as its docs show (`response.json()`;
`iter_lines()` and `json.loads` per event) and is the base of the targets;
"raw httpx2, minimal" is the least work possible (orjson, events split on whole
reads). "core floor" is that minimal client inside a bare `BaseChatModel`: what
langchain-core itself costs, whatever the integration does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

import httpx  # noqa: E402
import httpx2  # noqa: E402
import orjson  # noqa: E402
from langchain_core.language_models import BaseChatModel  # noqa: E402
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage  # noqa: E402
from langchain_core.outputs import (  # noqa: E402
    ChatGeneration,
    ChatGenerationChunk,
    ChatResult,
)
from pydantic import ConfigDict  # noqa: E402

from langchain_mashagpt import ChatMashaGPT  # noqa: E402
from langchain_mashagpt._convert.answers import StreamConverter  # noqa: E402

MODEL, KEY, PROMPT = "gpt-4o-mini", "bench-key", "Столица Франции?"
HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
STREAM_CHUNKS, MEMORY_CHUNKS = 2_000, (10_000, 100_000)
BATCH, CONCURRENCY = 400, 50


def body(stream: bool) -> bytes:
    """The JSON ChatMashaGPT sends for PROMPT."""
    data: dict[str, Any] = {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}]}
    if stream:
        data |= {"stream": True, "stream_options": {"include_usage": True}}
    return orjson.dumps(data)


# ------------------------------------------------------------------ the floor


def raw_post(client: httpx2.Client | httpx.Client, url: str) -> Any:
    response = client.post(url, content=body(False), headers=HEADERS)
    assert response.status_code == 200
    return response.json()


def raw_post_minimal(client: httpx2.Client | httpx.Client, url: str) -> Any:
    response = client.post(url, content=body(False), headers=HEADERS)
    assert response.status_code == 200
    return orjson.loads(response.content)


async def raw_apost(client: httpx2.AsyncClient | httpx.AsyncClient, url: str) -> Any:
    response = await client.post(url, content=body(False), headers=HEADERS)
    assert response.status_code == 200
    return response.json()


async def raw_apost_minimal(client: httpx2.AsyncClient | httpx.AsyncClient, url: str) -> Any:
    response = await client.post(url, content=body(False), headers=HEADERS)
    assert response.status_code == 200
    return orjson.loads(response.content)


def sse_data(reads: Iterable[bytes]) -> Iterator[Any]:
    """JSON of every `data:` event until `[DONE]` (enough for the canned server)."""
    tail = b""
    for read in reads:
        *events, tail = (tail + read).split(b"\n\n")
        for event in events:
            data = event[6:]
            if data == b"[DONE]":
                return
            yield orjson.loads(data)
    raise RuntimeError("stream cut off")


def raw_stream(client: httpx2.Client | httpx.Client, url: str) -> Iterator[Any]:
    with client.stream("POST", url, content=body(True), headers=HEADERS) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: "):
                if line == "data: [DONE]":
                    return
                yield json.loads(line[6:])
    raise RuntimeError("stream cut off")


def raw_stream_minimal(client: httpx2.Client | httpx.Client, url: str) -> Iterator[Any]:
    with client.stream("POST", url, content=body(True), headers=HEADERS) as response:
        assert response.status_code == 200
        yield from sse_data(response.iter_bytes())


class CoreFloor(BaseChatModel):
    """The least any integration can do: the raw client inside a bare `BaseChatModel`.

    Only a reference line (langchain-core's own cost on top of the raw client);
    it parses nothing but the text.
    """

    url: str
    client: Any
    async_client: Any = None
    model_config = ConfigDict(arbitrary_types_allowed=True)

    @property
    def _llm_type(self) -> str:
        return "core-floor"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        answer = raw_post_minimal(self.client, self.url)
        message = AIMessage(content=answer["choices"][0]["message"]["content"])
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        answer = await raw_apost_minimal(self.async_client, self.url)
        message = AIMessage(content=answer["choices"][0]["message"]["content"])
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        for data in raw_stream_minimal(self.client, self.url):
            if data["choices"]:
                text = data["choices"][0]["delta"].get("content") or ""
                yield ChatGenerationChunk(message=AIMessageChunk(content=text))


# ------------------------------------------------------------------ harness


@contextlib.contextmanager
def canned_server(sizes: Iterable[int]) -> Iterator[str]:
    cmd = [sys.executable, str(HERE / "_server.py"), "--sizes", ",".join(map(str, sizes))]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield f"http://127.0.0.1:{int(proc.stdout.readline())}"
    finally:
        proc.terminate()
        proc.wait(10)


Runs = dict[str, list[float]]


def measure(fns: dict[str, Callable[[], object]], repeat: int, rounds: int, warmup: int) -> Runs:
    """Seconds per call of each function, one figure per round."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    runs: Runs = {name: [] for name in fns}
    items = list(fns.items())
    for r in range(rounds):
        for name, fn in items[r % len(items) :] + items[: r % len(items)]:
            start = time.perf_counter()
            for _ in range(repeat):
                fn()
            runs[name].append((time.perf_counter() - start) / repeat)
    return runs


async def ameasure(
    fns: dict[str, Callable[[], Awaitable[object]]], rounds: int, warmup: int
) -> Runs:
    """Async `measure` with one call per round."""
    for fn in fns.values():
        for _ in range(warmup):
            await fn()
    runs: Runs = {name: [] for name in fns}
    items = list(fns.items())
    for r in range(rounds):
        for name, fn in items[r % len(items) :] + items[: r % len(items)]:
            start = time.perf_counter()
            await fn()
            runs[name].append(time.perf_counter() - start)
    return runs


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def ratio(runs: Runs, name: str, base: str) -> float:
    """Median over rounds of `name`'s time over `base`'s."""
    return median(a / b for a, b in zip(runs[name], runs[base], strict=True))


def drain(iterator: Iterable[object]) -> int:
    count = 0
    for _ in iterator:
        count += 1
    return count


# ------------------------------------------------------------------ the figures


def bench_invoke(server: str, rounds: int, repeat: int) -> Runs:
    url = f"{server}/plain/v1/chat/completions"
    from langchain_openai import ChatOpenAI

    c2, c1 = httpx2.Client(), httpx.Client()
    openai = ChatOpenAI(model=MODEL, api_key=KEY, base_url=f"{server}/plain/v1")  # type: ignore[arg-type]
    masha = ChatMashaGPT(model=MODEL, api_key=KEY, base_url=f"{server}/plain/v1")  # type: ignore[arg-type]
    floor = CoreFloor(url=url, client=c2)
    assert masha.invoke(PROMPT).usage_metadata is not None
    return measure(
        {
            "raw httpx2": lambda: raw_post(c2, url),
            "raw httpx2, minimal": lambda: raw_post_minimal(c2, url),
            "raw httpx": lambda: raw_post(c1, url),
            "core floor": lambda: floor.invoke(PROMPT),
            "ChatOpenAI": lambda: openai.invoke(PROMPT),
            "ChatMashaGPT": lambda: masha.invoke(PROMPT),
        },
        repeat=repeat,
        rounds=rounds,
        warmup=max(repeat // 4, 5),
    )


def bench_stream(server: str, rounds: int, repeat: int) -> Runs:
    base = f"{server}/s{STREAM_CHUNKS}/v1"
    url = f"{base}/chat/completions"
    from langchain_openai import ChatOpenAI

    c2, c1 = httpx2.Client(), httpx.Client()
    openai = ChatOpenAI(model=MODEL, api_key=KEY, base_url=base, stream_usage=True)  # type: ignore[arg-type]
    masha = ChatMashaGPT(model=MODEL, api_key=KEY, base_url=base)  # type: ignore[arg-type]
    floor = CoreFloor(url=url, client=c2)
    assert drain(raw_stream(c2, url)) == drain(raw_stream_minimal(c2, url)) == STREAM_CHUNKS
    return measure(
        {
            "raw httpx2": lambda: drain(raw_stream(c2, url)),
            "raw httpx2, minimal": lambda: drain(raw_stream_minimal(c2, url)),
            "raw httpx": lambda: drain(raw_stream(c1, url)),
            "core floor": lambda: drain(floor.stream(PROMPT)),
            "ChatOpenAI": lambda: drain(openai.stream(PROMPT)),
            "ChatMashaGPT": lambda: drain(masha.stream(PROMPT)),
        },
        repeat=repeat,
        rounds=rounds,
        warmup=2,
    )


def bench_abatch(server: str, rounds: int) -> Runs:
    base = f"{server}/plain/v1"
    url = f"{base}/chat/completions"
    from langchain_openai import ChatOpenAI

    async def main() -> Runs:
        limits = {"max_connections": 1000, "max_keepalive_connections": 100}  # as ChatMashaGPT's
        async with (
            httpx2.AsyncClient(limits=httpx2.Limits(**limits)) as c2,
            httpx.AsyncClient(limits=httpx.Limits(**limits)) as c1,
        ):
            openai = ChatOpenAI(model=MODEL, api_key=KEY, base_url=base)  # type: ignore[arg-type]
            masha = ChatMashaGPT(model=MODEL, api_key=KEY, base_url=base)  # type: ignore[arg-type]
            floor = CoreFloor(url=url, client=None, async_client=c2)
            config: Any = {"max_concurrency": CONCURRENCY}
            inputs = [PROMPT] * BATCH

            def raw(client: Any, post: Any = raw_apost) -> Callable[[], Awaitable[object]]:
                async def batch() -> object:
                    gate = asyncio.Semaphore(CONCURRENCY)

                    async def one() -> object:
                        async with gate:
                            return await post(client, url)

                    return await asyncio.gather(*(one() for _ in inputs))

                return batch

            return await ameasure(
                {
                    "raw httpx2": raw(c2),
                    "raw httpx2, minimal": raw(c2, raw_apost_minimal),
                    "raw httpx": raw(c1),
                    "core floor": lambda: floor.abatch(inputs, config),
                    "ChatOpenAI": lambda: openai.abatch(inputs, config),
                    "ChatMashaGPT": lambda: masha.abatch(inputs, config),
                },
                rounds=rounds,
                warmup=1,
            )

    return asyncio.run(main())


IMPORTS = {
    "import langchain_mashagpt": "import langchain_mashagpt",
    "from langchain_mashagpt import ChatMashaGPT": "from langchain_mashagpt import ChatMashaGPT",
    "import langchain_openai": "import langchain_openai",
    "core floor (BaseChatModel)": "from langchain_core.language_models import BaseChatModel",
}


def bench_import(rounds: int) -> Runs:
    """Seconds to import in a fresh interpreter (interpreter start-up left out)."""
    runs: Runs = {name: [] for name in IMPORTS}
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    items = list(IMPORTS.items())
    for r in range(rounds):
        for name, statement in items[r % len(items) :] + items[: r % len(items)]:
            code = (
                f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter()-t)"
            )
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
            )
            runs[name].append(float(out.stdout))
    return runs


MEMORY_MODES = {
    "ChatMashaGPT below langchain-core": "Transport.stream + StreamConverter, chunks dropped",
    "ChatMashaGPT.stream()": "model.stream(), chunks dropped by the caller",
    "core floor .stream()": "bare BaseChatModel, chunks dropped by the caller",
}


def memory_child(mode: str, server: str, chunks: int) -> None:
    """Print the tracemalloc peak (bytes above the start) of one streamed answer."""
    base = f"{server}/s{chunks}/v1"
    masha = ChatMashaGPT(model=MODEL, api_key=KEY, base_url=base)  # type: ignore[arg-type]
    client = httpx2.Client()
    floor = CoreFloor(url=f"{base}/chat/completions", client=client)

    def run() -> int:
        if mode == "ChatMashaGPT below langchain-core":
            messages = masha._convert_input(PROMPT).to_messages()
            payload, plan = masha._payload(messages, None, {}, True)
            converter = StreamConverter(plan)
            return drain(converter.convert(d) for d in masha._get_transport().stream(payload))
        if mode == "ChatMashaGPT.stream()":
            return drain(masha.stream(PROMPT))
        return drain(floor.stream(PROMPT))

    small = f"{server}/s{STREAM_CHUNKS}/v1"
    masha.base_url, floor.url = small, f"{small}/chat/completions"
    masha._transport = None
    run()  # warm: imports, pools, caches
    masha.base_url, floor.url = base, f"{base}/chat/completions"
    masha._transport = None
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    count = run()
    peak = tracemalloc.get_traced_memory()[1] - start
    tracemalloc.stop()
    print(json.dumps({"peak": peak, "count": count}))


def bench_memory(server: str) -> dict[tuple[str, int], int]:
    peaks = {}
    for mode in MEMORY_MODES:
        for chunks in MEMORY_CHUNKS:
            cmd = [sys.executable, __file__, "--memory-child", mode, server, str(chunks)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            peaks[mode, chunks] = json.loads(out.stdout)["peak"]
    return peaks


# ------------------------------------------------------------------ report


def table(title: str, runs: Runs, unit: Callable[[float], str], base: str = "raw httpx2") -> None:
    print(f"\n{title}   (x = time over {base})")
    for name, values in runs.items():
        print(f"  {name:<44} {unit(median(values)):>18} {ratio(runs, name, base):7.2f}x")


def environment() -> str:
    packages = ["langchain-core", "langchain-openai", "openai", "httpx", "httpx2", "orjson"]
    versions = ", ".join(f"{p} {version(p)}" for p in packages)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {load}\n{versions}"
    )


def growth(peaks: dict[tuple[str, int], int], mode: str) -> float:
    """Bytes of peak memory per chunk added between the two stream lengths."""
    small, big = MEMORY_CHUNKS
    return (peaks[mode, big] - peaks[mode, small]) / (big - small)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="rounds per figure (median)")
    parser.add_argument("--quick", action="store_true", help="fewer calls per round")
    parser.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        mode, server, chunks = args.memory_child
        memory_child(mode, server, int(chunks))
        return

    print(environment())
    rounds = args.rounds
    with canned_server({STREAM_CHUNKS, *MEMORY_CHUNKS}) as server:
        invoke = bench_invoke(server, rounds, repeat=50 if args.quick else 200)
        table("invoke, per call", invoke, lambda s: f"{s * 1e6:,.0f} µs")
        stream = bench_stream(server, rounds, repeat=1 if args.quick else 3)
        table(
            f"stream of {STREAM_CHUNKS:,} chunks: whole stream, per chunk",
            stream,
            lambda s: f"{s * 1e3:,.1f} ms {s / STREAM_CHUNKS * 1e6:5.1f} µs",
        )
        gc.collect()
        gc.freeze()  # the start-up heap out of the full collections: see the README
        frozen = bench_stream(server, rounds, repeat=1 if args.quick else 3)
        gc.unfreeze()
        table(
            "the same stream, start-up heap frozen (gc.freeze()): without most GC cost",
            frozen,
            lambda s: f"{s * 1e3:,.1f} ms {s / STREAM_CHUNKS * 1e6:5.1f} µs",
        )
        batch = bench_abatch(server, rounds)
        table(
            f"abatch of {BATCH} at max_concurrency={CONCURRENCY}, requests/s",
            batch,
            lambda s: f"{BATCH / s:,.0f} /s",
        )
        imports = bench_import(rounds)
        table(
            "import in a fresh interpreter (start-up left out)",
            imports,
            lambda s: f"{s * 1e3:,.0f} ms",
            base="import langchain_openai",
        )
        peaks = bench_memory(server)
    small, big = MEMORY_CHUNKS
    print("\npeak traced memory while streaming (tracemalloc, above the start)")
    for mode, what in MEMORY_MODES.items():
        print(
            f"  {mode:<34} {peaks[mode, small] / 1024:8,.0f} KiB @{small:,} "
            f"{peaks[mode, big] / 1024:9,.0f} KiB @{big:,} {growth(peaks, mode):6.0f} B/chunk"
            f"  ({what})"
        )

    masha = "ChatMashaGPT"
    below = "ChatMashaGPT below langchain-core"
    rows = [
        ("invoke / raw httpx2", ratio(invoke, masha, "raw httpx2"), "<=", 1.6),
        ("stream / raw httpx2", ratio(stream, masha, "raw httpx2"), "<=", 4.5),
        ("abatch requests/s / ChatOpenAI's", ratio(batch, "ChatOpenAI", masha), ">=", 1.5),
        (
            "import / import langchain_openai",
            ratio(imports, "import langchain_mashagpt", "import langchain_openai"),
            "<=",
            0.35,
        ),
    ]
    print(f"\n  {'target':<42} {'measured':>9}  {'target':<9} result")
    for name, value, op, limit in rows:
        ok = value <= limit if op == "<=" else value >= limit
        print(f"  {name:<42} {value:8.2f}x  {op} {limit:<5}x {'PASS' if ok else 'FAIL'}")
    below_growth = peaks[below, big] - peaks[below, small]
    masha_growth, core_growth = (
        growth(peaks, "ChatMashaGPT.stream()"),
        growth(peaks, "core floor .stream()"),
    )
    flat = below_growth < 256 * 1024 and masha_growth <= core_growth * 1.1
    print(
        f"  {'streaming memory flat':<42} {below_growth / 1024:+6.0f} KiB below core 10k→100k;"
        f" {masha_growth:.0f} B/chunk vs core's {core_growth:.0f}   {'PASS' if flat else 'FAIL'}"
    )
    print("\n  for reference, from the same run:")
    mashagpt, openai = "import langchain_mashagpt", "import langchain_openai"
    core, core_import = "core floor", "core floor (BaseChatModel)"
    for label, runs, name, base in (
        ("stream, frozen heap / raw httpx2", frozen, masha, "raw httpx2"),
        ("core floor stream, frozen heap / raw httpx2", frozen, core, "raw httpx2"),
        ("stream / raw httpx2, minimal", stream, masha, "raw httpx2, minimal"),
        ("core floor stream / raw httpx2, minimal", stream, core, "raw httpx2, minimal"),
        ("core floor stream / raw httpx2", stream, core, "raw httpx2"),
        ("stream / core floor", stream, masha, core),
        ("invoke / core floor", invoke, masha, core),
        ("abatch time / core floor", batch, masha, core),
        ("import / core floor", imports, mashagpt, core_import),
        ("core floor import / import langchain_openai", imports, core_import, openai),
    ):
        print(f"  {label:<42} {ratio(runs, name, base):8.2f}x")


if __name__ == "__main__":
    main()
