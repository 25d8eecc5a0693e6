"""Errors chain nothing, as `errors` promises: `__cause__` and `__context__` stay `None`.

A chained exception would carry what the error was made from (the request and its
headers, the raw answer), so every path that turns a bad answer into a
`MashaGPTError` is driven here, invoked and streamed, sync and async; and an AST
sweep finds any `raise ... from <exception>` in the package.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

import langchain_mashagpt
from langchain_mashagpt import MashaGPTError, get_mashagpt_callback
from tests.helpers import MockServer, Reply, Runner, completion

_SSE = {"content-type": "text/event-stream"}


def _events(*events: Any, done: bool = True) -> bytes:
    lines = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events]
    return ("".join(lines) + ("data: [DONE]\n\n" if done else "")).encode()


def _chunk(**fields: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-x", "model": "gpt-4o-mini", **fields}


def _not_gzip(headers: dict[str, str]) -> Reply:
    """A body that says it is gzip and is not (served unread, as a server sends it)."""
    headers = {**headers, "content-encoding": "gzip"}
    return lambda _: httpx.Response(200, stream=httpx.ByteStream(b"not gzip"), headers=headers)


_TEXT = _chunk(choices=[{"index": 0, "delta": {"content": "Hi"}}])
_ERROR = {"error": {"message": "overloaded", "type": "server_error", "code": "c"}}

# What the server answers to a plain request: each reaches a different `raise`.
INVOKED: dict[str, Reply] = {
    "not JSON": httpx.Response(200, content=b"<html>oops</html>"),
    "choices not a list": httpx.Response(200, json={**completion(), "choices": "none"}),
    "no choices": httpx.Response(200, json={**completion(), "choices": []}),
    "choice without a message": httpx.Response(200, json={**completion(), "choices": [{}]}),
    "message of the wrong type": httpx.Response(
        200, json={**completion(), "choices": [{"index": 0, "message": {"content": 5}}]}
    ),
    "negative usage": httpx.Response(
        200, json={**completion(), "usage": {"prompt_tokens": -1, "completion_tokens": 1}}
    ),
    "two choices, one index": httpx.Response(
        200, json={**completion(), "choices": [completion()["choices"][0]] * 2}
    ),
    "bad gzip": _not_gzip({}),
    "error object in a 2xx": httpx.Response(200, json=_ERROR),
    "400": httpx.Response(400, json=_ERROR),
    "500": httpx.Response(500, json=_ERROR),
    "connection refused": httpx.ConnectError("refused"),
    "read timeout": httpx.ReadTimeout("slow"),
}

# What the server streams: each reaches a different `raise`.
STREAMED: dict[str, Reply] = {
    "event not JSON": httpx.Response(200, content=_events("{oops"), headers=_SSE),
    "choices not a list": httpx.Response(200, content=_events(_chunk(choices=5)), headers=_SSE),
    "delta of the wrong type": httpx.Response(
        200, content=_events(_chunk(choices=[{"index": 0, "delta": "x"}])), headers=_SSE
    ),
    "no choice at all": httpx.Response(200, content=_events(_chunk(choices=[])), headers=_SSE),
    "no [DONE]": httpx.Response(200, content=_events(_TEXT, done=False), headers=_SSE),
    "error event": httpx.Response(200, content=_events(_TEXT, _ERROR), headers=_SSE),
    "bad usage": httpx.Response(
        200,
        content=_events(_TEXT, _chunk(choices=[], usage={"total_tokens": "many"})),
        headers=_SSE,
    ),
    "bad gzip": _not_gzip(_SSE),
    "JSON error, not a stream": httpx.Response(200, json=_ERROR),
    "429": httpx.Response(429, json=_ERROR),
    "connection refused": httpx.ConnectError("refused"),
    "read timeout": httpx.ReadTimeout("slow"),
}


def _unchained(error: BaseException) -> None:
    assert isinstance(error, MashaGPTError), repr(error)
    assert error.__cause__ is None, repr(error.__cause__)
    assert error.__context__ is None, repr(error.__context__)


@pytest.mark.parametrize("reply", INVOKED.values(), ids=INVOKED.keys())
async def test_an_invoked_answer_raises_an_unchained_error(
    run: Runner, server: MockServer, reply: Reply
) -> None:
    server.reply(reply)
    with pytest.raises(MashaGPTError) as info:
        await run.invoke(server.model(max_retries=0, n=2), "hi")
    _unchained(info.value)


@pytest.mark.parametrize("reply", STREAMED.values(), ids=STREAMED.keys())
async def test_a_streamed_answer_raises_an_unchained_error(
    run: Runner, server: MockServer, reply: Reply
) -> None:
    server.reply(reply)
    with pytest.raises(MashaGPTError) as info:
        await run.stream(server.model(max_retries=0), "hi")
    _unchained(info.value)


async def test_a_request_json_cannot_take_raises_an_unchained_error(
    run: Runner, server: MockServer
) -> None:
    server.json(completion())
    with pytest.raises(MashaGPTError) as info:
        await run.invoke(server.model(), "lone \ud800 surrogate")
    _unchained(info.value)
    assert not server.requests


async def test_a_spent_budget_raises_an_unchained_error(run: Runner, server: MockServer) -> None:
    server.json(completion())
    with get_mashagpt_callback(max_energy=1):
        await run.invoke(server.model(), "hi")
        with pytest.raises(MashaGPTError) as info:
            await run.invoke(server.model(), "hi")
    _unchained(info.value)


def _chained_raises(tree: ast.AST) -> list[int]:
    """Lines of `raise X from Y` where `Y` is not `None`."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Raise)
        and node.cause is not None
        and not (isinstance(node.cause, ast.Constant) and node.cause.value is None)
    ]


# `check/` and `testing/` are tools beside the library: their own exceptions
# (a step that stops, a bad HTTP request to the emulator) are not `MashaGPTError`s.
_TOOLS = ("check", "testing")


def test_the_package_never_chains_an_exception() -> None:
    root = Path(langchain_mashagpt.__file__).parent
    found = [
        f"{path.relative_to(root)}:{line}"
        for path in sorted(root.rglob("*.py"))
        if path.relative_to(root).parts[0] not in _TOOLS
        for line in _chained_raises(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not found, f"`raise ... from <exception>` chains it: use `from None` ({found})"


def test_the_sweep_finds_a_chained_raise() -> None:
    tree = ast.parse("try:\n    pass\nexcept E as exc:\n    raise F() from exc\n")
    assert _chained_raises(tree) == [4]
    assert _chained_raises(ast.parse("raise F() from None")) == []
