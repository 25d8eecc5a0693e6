"""Streamed tool calls: the cost of making a streamed call exactly the invoked one.

    .venv/bin/python benchmarks/stream_calls.py

A function call whose arguments (about 2 KB of JSON) arrive in N pieces goes
through `StreamConverter` and is added up as LangChain adds chunks (`+`, which
re-parses the accumulated arguments each time). Three ways are timed:

- live (what this package does): arguments stream as `tool_call_chunks`; when
  the call ends it is decoded whole and, if invalid, one closing mark follows;
- held: the same call held back and sent as one chunk when whole (the
  alternative, simulated with a plan that holds every call);
- text: a text answer of the same number of chunks, for scale.

Figures are medians of 7 rounds, per chunk, in microseconds: the converter
alone, and the converter plus LangChain's merge of the chunks.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from langchain_mashagpt._convert.answers import StreamConverter
from langchain_mashagpt._functions.plan import CallPlan


class HoldAll(CallPlan):
    """The alternative design: every call held back until it is whole."""

    def holds(self, wire_name: str) -> bool:
        return True


ARGS = json.dumps(
    {"path": "/srv/data/" + "x" * 40, "rows": [{"id": i, "v": "ok"} for i in range(90)]}
)


def events(pieces: int, *, text: bool = False, cut: bool = False) -> list[dict[str, Any]]:
    raw = ARGS[: len(ARGS) // 2] if cut else ARGS
    size = max(1, len(raw) // pieces)
    parts = [raw[i : i + size] for i in range(0, len(raw), size)]
    if text:
        deltas: list[dict[str, Any]] = [{"content": p} for p in parts]
    else:
        deltas = [{"function_call": {"name": "write_rows", "arguments": ""}}]
        deltas += [{"function_call": {"arguments": p}} for p in parts]
    out = [{"id": "c", "model": "m", "choices": [{"index": 0, "delta": d}]} for d in deltas]
    finish = "length" if cut else ("stop" if text else "function_call")
    out.append({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    return out


def run(plan: CallPlan, data: list[dict[str, Any]], merge: bool) -> float:
    start = time.perf_counter()
    converter = StreamConverter(plan)
    chunks = [c for d in data if (c := converter.convert(d)) is not None]
    if (last := converter.flush()) is not None:
        chunks.append(last)
    if merge:
        total = chunks[0]
        for chunk in chunks[1:]:
            total = total + chunk
    return (time.perf_counter() - start) / len(data) * 1e6


def median(job: Callable[[], float], rounds: int = 7) -> float:
    job()  # warm
    return statistics.median(job() for _ in range(rounds))


def main() -> None:
    print(f"arguments: {len(ARGS)} characters\n")
    print("| pieces | way | converter, µs/chunk | converter + merge, µs/chunk |")
    print("|---|---|---|---|")
    for pieces in (20, 200, 1000):
        for label, plan, kwargs in (
            ("live (chosen)", CallPlan(), {}),
            ("live, cut off by `length`", CallPlan(), {"cut": True}),
            ("held until whole", HoldAll(), {}),
            ("text answer", CallPlan(), {"text": True}),
        ):
            data = events(pieces, **kwargs)
            alone = median(lambda: run(plan, data, merge=False))  # noqa: B023
            merged = median(lambda: run(plan, data, merge=True))  # noqa: B023
            print(f"| {pieces} | {label} | {alone:.1f} | {merged:.1f} |")


if __name__ == "__main__":
    main()
