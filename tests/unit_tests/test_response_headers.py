"""`include_response_headers=True` and the request id in `response_metadata` (issue #20, part 5)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage

from tests.helpers import API_KEY, MockServer, Runner, completion, merge

SSE = (
    'data: {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": "Hi"}}]}\n\n'
    'data: {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n'
    "data: [DONE]\n\n"
)


def replying(headers: dict[str, str]) -> Any:
    def reply(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content).get("stream"):
            kind = {"content-type": "text/event-stream"}
            return httpx.Response(200, content=SSE.encode(), headers={**kind, **headers})
        return httpx.Response(200, json=completion("Hi"), headers=headers)

    return reply


async def answered(server: MockServer, run: Runner, mode: str, **kwargs: Any) -> AIMessage:
    model = server.model(**kwargs)
    if mode == "invoke":
        message: AIMessage = await run.invoke(model, "x")
        return message
    chunks = await run.stream(model, "x")
    assert sum("request_id" in c.response_metadata for c in chunks) <= 1
    return merge(chunks)


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_include_response_headers_puts_them_in_the_metadata(
    server: MockServer, run: Runner, mode: str
) -> None:
    headers = {"x-request-id": "req_123", "x-ratelimit-remaining-requests": "99"}
    server.reply(replying(headers))
    message = await answered(server, run, mode, include_response_headers=True)
    sent = message.response_metadata["headers"]
    assert sent["x-request-id"] == "req_123"
    assert sent["x-ratelimit-remaining-requests"] == "99"
    assert message.response_metadata["request_id"] == "req_123"
    assert "include_response_headers" not in server.body  # a setting, not a body field
    assert message.text == "Hi"


@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize("name", ["x-request-id", "request-id", "X-Request-ID"])
async def test_the_request_id_is_always_in_the_metadata(
    server: MockServer, run: Runner, mode: str, name: str
) -> None:
    server.reply(replying({name: "req_abc"}))
    message = await answered(server, run, mode)
    assert message.response_metadata["request_id"] == "req_abc"
    assert "headers" not in message.response_metadata


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_without_a_request_id_there_is_none(
    server: MockServer, run: Runner, mode: str
) -> None:
    server.reply(replying({}))
    message = await answered(server, run, mode)
    assert "request_id" not in message.response_metadata


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_headers_that_echo_the_key_are_masked(
    server: MockServer, run: Runner, mode: str
) -> None:
    echoed = {"x-echo-authorization": f"Bearer {API_KEY}", "x-request-id": f"r-{API_KEY[:12]}"}
    server.reply(replying(echoed))
    message = await answered(server, run, mode, include_response_headers=True)
    assert API_KEY[:8] not in repr(message.response_metadata)
    assert message.response_metadata["headers"]["x-echo-authorization"] == "Bearer <API key>"


def test_include_response_headers_is_a_field_not_a_body_parameter(server: MockServer) -> None:
    model = server.model(include_response_headers=True)
    assert model.include_response_headers is True
    assert model.model_kwargs == {}
