"""Streaming: chunks, their sum, usage and metadata once, callbacks, and broken streams."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.messages import AIMessageChunk, HumanMessage

from langchain_mashagpt import errors
from tests.helpers import MockServer, Runner, completion, merge
from tests.unit_tests.helpers import sse_fixture

USAGE = {
    "prompt_tokens": 9,
    "completion_tokens": 4,
    "total_tokens": 13,
    "prompt_energy": 18,
    "completion_energy": 24,
    "total_energy": 42,
}


class Tokens(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.chunks: list[Any] = []

    def on_llm_new_token(self, token: str, *, chunk: Any = None, **kwargs: Any) -> None:
        self.tokens.append(token)
        self.chunks.append(chunk)


class AsyncTokens(AsyncCallbackHandler, Tokens):
    async def on_llm_new_token(  # type: ignore[override]
        self, token: str, *, chunk: Any = None, run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        Tokens.on_llm_new_token(self, token, chunk=chunk)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
async def test_stream_text(run: Runner, server: MockServer, newline: str) -> None:
    server.sse(sse_fixture("text").decode().replace("\n", newline))
    chunks = await run.stream(server.model(), "hi")
    assert [c.content for c in chunks if c.content] == ["Hel", "lo, ", "мир!"]
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    total = merge(chunks)
    assert total.content == "Hello, мир!"
    assert total.id == "chatcmpl-s1"
    assert total.usage_metadata == {"input_tokens": 9, "output_tokens": 4, "total_tokens": 13}
    assert total.response_metadata == {
        "model_name": "gpt-4o-mini",
        "model_provider": "mashagpt",
        "created": 1_700_000_000,
        "finish_reason": "stop",
        "token_usage": USAGE,
    }
    assert sum(1 for c in chunks if c.usage_metadata) == 1
    assert sum(1 for c in chunks if "model_name" in c.response_metadata) == 1
    assert sum(1 for c in chunks if "finish_reason" in c.response_metadata) == 1


async def test_stream_request_asks_for_usage(run: Runner, server: MockServer) -> None:
    server.sse(sse_fixture("text"))
    await run.stream(server.model(temperature=0), "hi")
    assert server.body == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert server.requests[0].headers["authorization"].startswith("Bearer ")


async def test_stream_usage_off(run: Runner, server: MockServer) -> None:
    server.sse(sse_fixture("text"))
    await run.stream(server.model(stream_usage=False), "hi")
    await run.stream(server.model(), "hi", stream_usage=False)
    assert all("stream_options" not in body for body in server.bodies)


async def test_streaming_true_makes_invoke_stream(run: Runner, server: MockServer) -> None:
    server.sse(sse_fixture("text"))
    handler = AsyncTokens() if run.is_async else Tokens()
    message = await run.invoke(server.model(streaming=True), "hi", config={"callbacks": [handler]})
    assert server.body["stream"] is True
    assert message.content == "Hello, мир!"
    assert message.usage_metadata["total_tokens"] == 13
    assert message.response_metadata["token_usage"]["total_energy"] == 42
    assert [t for t in handler.tokens if t] == ["Hel", "lo, ", "мир!"]
    assert all(isinstance(c.message, AIMessageChunk) for c in handler.chunks)


async def test_each_delta_reaches_on_llm_new_token(run: Runner, server: MockServer) -> None:
    server.sse(sse_fixture("text"))
    handler = AsyncTokens() if run.is_async else Tokens()
    await run.stream(server.model(), "hi", config={"callbacks": [handler]})
    assert "".join(handler.tokens) == "Hello, мир!"
    assert [t for t in handler.tokens if t] == ["Hel", "lo, ", "мир!"]


async def test_stream_cut_before_done_raises(run: Runner, server: MockServer) -> None:
    server.sse(sse_fixture("cut"))
    with pytest.raises(errors.IncompleteStreamError, match="cut off"):
        await run.stream(server.model(), "hi")


async def test_error_event_raises_with_the_servers_message(run: Runner, server: MockServer) -> None:
    server.sse(sse_fixture("error_event"))
    with pytest.raises(errors.APIError, match="The upstream model failed"):
        await run.stream(server.model(), "hi")


async def test_several_choices_are_not_streamed(run: Runner, server: MockServer) -> None:
    """`stream` with n > 1 falls back to one non-streamed request, like `invoke`."""
    server.json(completion("first", choices=2))
    chunks = await run.stream(server.model(n=2), "hi")
    assert "stream" not in server.body
    assert [c.content for c in chunks] == ["first"]


async def test_direct_stream_of_several_choices_is_refused_before_sending(
    server: MockServer,
) -> None:
    with pytest.raises(ValueError, match="n > 1 cannot be streamed"):
        next(server.model(n=2)._stream([HumanMessage("hi")]))
    assert server.requests == []


async def test_usage_on_the_last_choice_chunk_is_kept(run: Runner, server: MockServer) -> None:
    lines = sse_fixture("text").decode().split("\n\n")
    finish = lines[5].replace(
        '"choices"',
        '"usage":{"prompt_tokens":1,"completion_tokens":2,'
        '"total_tokens":3,"total_energy":7},"choices"',
    )
    server.sse("\n\n".join([*lines[:5], finish, "data: [DONE]", ""]))
    total = merge(await run.stream(server.model(), "hi"))
    assert total.usage_metadata == {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}
    assert total.response_metadata["token_usage"]["total_energy"] == 7
    assert total.response_metadata["finish_reason"] == "stop"


async def test_done_without_trailing_blank_line(run: Runner, server: MockServer) -> None:
    server.sse(sse_fixture("text").rstrip(b"\n"))
    assert merge(await run.stream(server.model(), "hi")).content == "Hello, мир!"


async def test_a_stream_with_no_choice_is_no_answer(run: Runner, server: MockServer) -> None:
    server.sse("data: [DONE]\n\n")
    with pytest.raises(errors.APIResponseValidationError, match="without any choice"):
        await run.stream(server.model(), "hi")


async def test_usage_repeated_on_two_chunks_is_counted_once(
    run: Runner, server: MockServer
) -> None:
    lines = sse_fixture("text").decode().split("\n\n")
    usage = lines[6][lines[6].index('"usage"') : -1]
    finish = lines[5].replace('"choices"', usage + ',"choices"', 1)
    server.sse("\n\n".join([*lines[:5], finish, *lines[6:]]))
    chunks = await run.stream(server.model(), "hi")
    total = merge(chunks)
    assert sum(1 for c in chunks if c.usage_metadata) == 1
    assert total.usage_metadata == {"input_tokens": 9, "output_tokens": 4, "total_tokens": 13}
    assert total.response_metadata["token_usage"] == USAGE
