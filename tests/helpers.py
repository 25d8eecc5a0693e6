"""Builders shared by the test folders: a mock server at the transport, answers, a runner.

Every test that uses `MockServer` talks to `ChatMashaGPT` through a real `httpx`
client whose transport is `MockTransport(handler)`: the whole stack above the
socket runs for real. Builders used by one folder only stay in its `helpers.py`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from langchain_core.messages import AIMessageChunk, BaseMessageChunk

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt._http import transport as _transport

API_KEY = "sk-unit-test-secret-0123456789"


def completion(
    content: str | None = "Hello!",
    *,
    function_call: dict[str, str] | None = None,
    finish_reason: str = "stop",
    usage: dict[str, int] | None = None,
    choices: int = 1,
    model: str = "gpt-4o-mini",
) -> dict[str, Any]:
    """A `chat.completion` body as the API documents it."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if function_call is not None:
        message["function_call"] = function_call
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {"index": i, "message": message, "finish_reason": finish_reason} for i in range(choices)
        ],
        "usage": usage
        or {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "total_tokens": 15,
            "prompt_energy": 20,
            "completion_energy": 30,
            "total_energy": 50,
        },
    }


Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class MockServer:
    """Answers requests from a queue (the last reply repeats) and records them."""

    replies: list[Reply] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def reply(self, *replies: Reply) -> MockServer:
        self.replies.extend(replies)
        return self

    def json(
        self, body: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> MockServer:
        return self.reply(httpx.Response(status, json=body, headers=headers))

    def sse(self, body: bytes | str, status: int = 200) -> MockServer:
        data = body.encode() if isinstance(body, str) else body
        return self.reply(
            httpx.Response(status, content=data, headers={"content-type": "text/event-stream"})
        )

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.replies:
            raise AssertionError(f"unexpected request #{len(self.requests)}")
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            return reply(request)
        try:  # a fresh copy, so one reply can be served again (the last one repeats)
            return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)
        except httpx.ResponseNotRead:  # a custom stream, served once
            return reply

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    @property
    def body(self) -> dict[str, Any]:
        assert len(self.requests) == 1, f"{len(self.requests)} requests were sent"
        return self.bodies[0]

    def clients(self) -> dict[str, Any]:
        """`http_client` and `http_async_client` that talk to this server."""
        transport = httpx.MockTransport(self.handler)
        return {
            "http_client": httpx.Client(transport=transport),
            "http_async_client": httpx.AsyncClient(transport=transport),
        }

    def model(self, **kwargs: Any) -> ChatMashaGPT:
        """A `ChatMashaGPT` talking to this server (test key, retries at once, unless given)."""
        kwargs.setdefault("api_key", API_KEY)
        kwargs.setdefault("retry_backoff", 0)
        return ChatMashaGPT(**self.clients(), **kwargs)


@dataclass
class Runner:
    """Runs a runnable the sync or the async way, so one test covers both."""

    is_async: bool

    async def invoke(self, runnable: Any, input: Any, **kwargs: Any) -> Any:
        if self.is_async:
            return await runnable.ainvoke(input, **kwargs)
        return runnable.invoke(input, **kwargs)

    async def batch(self, runnable: Any, inputs: list[Any], **kwargs: Any) -> list[Any]:
        if self.is_async:
            return await runnable.abatch(inputs, **kwargs)
        return runnable.batch(inputs, **kwargs)

    async def stream(self, runnable: Any, input: Any, **kwargs: Any) -> list[Any]:
        if self.is_async:
            return [c async for c in runnable.astream(input, **kwargs)]
        return list(runnable.stream(input, **kwargs))

    async def generate(self, model: ChatMashaGPT, batches: list[Any], **kwargs: Any) -> Any:
        if self.is_async:
            return await model.agenerate(batches, **kwargs)
        return model.generate(batches, **kwargs)


def merge(chunks: list[BaseMessageChunk]) -> AIMessageChunk:
    """Add up streamed chunks as LangChain does."""
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert isinstance(total, AIMessageChunk)
    return total


class _Sleeps:
    """A stand-in for a module (`time` or `asyncio`) whose `sleep` is written down first."""

    def __init__(self, module: Any, waits: list[float]) -> None:
        self._module = module
        self._waits = waits

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def sleep(self, seconds: float) -> Any:
        self._waits.append(seconds)
        return self._module.sleep(seconds)


def record_waits(monkeypatch: Any) -> list[float]:
    """The waits the transport sleeps between attempts, in order, as it sleeps them.

    Counts what a wall-clock bound only guessed at ("raised at once" is "slept nothing"); the
    sleeps still happen, so a real server sees the same timing.
    """
    waits: list[float] = []
    monkeypatch.setattr(_transport, "time", _Sleeps(time, waits))
    monkeypatch.setattr(_transport, "asyncio", _Sleeps(asyncio, waits))
    return waits
