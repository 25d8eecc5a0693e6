"""Unit-test helpers: raw SSE fixtures and function-call answers (shared builders: `tests.helpers`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage

from tests.helpers import completion

FIXTURES = Path(__file__).parent / "fixtures"


def sse_fixture(name: str) -> bytes:
    """A raw SSE body from `fixtures/NAME.sse`."""
    return (FIXTURES / f"{name}.sse").read_bytes()


def without_ids(message: AIMessage) -> list[dict[str, Any]]:
    """`tool_calls` without their generated ids, for comparisons."""
    return [{k: v for k, v in c.items() if k != "id"} for c in message.tool_calls]


def sse_call(name: str, *arguments: str, finish: str = "function_call") -> str:
    """A stream of one function call whose arguments arrive in `arguments` pieces."""
    deltas: list[dict[str, Any]] = [{"function_call": {"name": name, "arguments": ""}}]
    deltas += [{"function_call": {"arguments": piece}} for piece in arguments]
    events = [
        {"id": "chatcmpl-x", "model": "gpt-4o-mini", "choices": [{"index": 0, "delta": d}]}
        for d in deltas
    ]
    events.append(
        {"id": "chatcmpl-x", "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
    )
    return "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"


def answer(name: str, arguments: str) -> dict[str, Any]:
    call = {"name": name, "arguments": arguments}
    return completion(None, function_call=call, finish_reason="function_call")
