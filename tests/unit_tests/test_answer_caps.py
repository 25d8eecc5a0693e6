"""`max_response_bytes` is a cap on answers at any value, the error bodies' own cap too."""

from __future__ import annotations

import json

import httpx
import pytest

from langchain_mashagpt import errors
from langchain_mashagpt._http.transport import ERROR_BODY_BYTES
from tests.helpers import MockServer, Runner, completion

BIG = "я" * 35_000  # 70 000 bytes of UTF-8


def sse(text: str) -> bytes:
    chunk = {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": text}}]}
    end = {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    return f"data: {json.dumps(chunk)}\n\ndata: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode()


@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize("cap", [ERROR_BODY_BYTES, ERROR_BODY_BYTES + 1, 4096])
async def test_an_answer_over_the_cap_says_so_whatever_the_cap(
    server: MockServer, run: Runner, mode: str, cap: int
) -> None:
    if mode == "invoke":
        server.json(completion(BIG))
    else:
        server.sse(sse(BIG))
    model = server.model(max_response_bytes=cap)
    call = run.invoke if mode == "invoke" else run.stream
    with pytest.raises(errors.APIResponseValidationError) as info:
        await call(model, "x")
    message = str(info.value)
    assert f"larger than the limit of {cap} bytes" in message
    assert "max_response_bytes=" in message
    assert "not JSON" not in message
    assert len(server.requests) == 1  # a 2xx answer is never sent again


@pytest.mark.parametrize("cap", [ERROR_BODY_BYTES, 4096])
async def test_an_error_body_is_still_cut_not_refused(
    server: MockServer, run: Runner, cap: int
) -> None:
    body = json.dumps({"error": {"message": "bad request " + "x" * 100_000}})
    server.reply(httpx.Response(400, content=body.encode()))
    with pytest.raises(errors.BadRequestError, match="bad request"):
        await run.invoke(server.model(max_response_bytes=cap), "x")
