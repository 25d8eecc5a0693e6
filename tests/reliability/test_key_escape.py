"""The key never escapes, tested the way an attacker would look for it.

For every error path (sync and async, a plain request and a stream), walk what
an error tracker or a log could see: `str`, `repr`, `args`, every attribute
(recursively), the `__cause__`/`__context__` chain with any request or response
attached, the formatted traceback, and DEBUG records of every logger; look for
the key and for any 6-character piece of it.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from langchain_mashagpt import ChatMashaGPT, errors
from langchain_mashagpt.testing import MashaGPTEmulator
from tests.helpers import Runner
from tests.reliability.helpers import answer
from tests.reliability.hostile import DONE, Connection, Handler, Hostile, chunk, event

KEY = "sk-Zq8vW3xT0pLk9RmN2bY7hJ4c"
PIECES = {KEY[i : i + 6] for i in range(len(KEY) - 5)}
BASIC = ["invoke", "stream"]
Start = Callable[[Handler], Hostile]


def texts(obj: Any, depth: int = 0, seen: set[int] | None = None) -> Iterator[str]:
    """Every text reachable from `obj`: reprs, attributes, items, chained exceptions."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 6:
        return
    seen.add(id(obj))
    yield repr(obj)
    yield str(obj)
    if isinstance(obj, (str, bytes, int, float, bool, type(None))):
        return
    if isinstance(obj, BaseException):
        yield "".join(traceback.format_exception(obj))
        for linked in (obj.__cause__, obj.__context__, *obj.args):
            yield from texts(linked, depth + 1, seen)
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from texts(key, depth + 1, seen)
            yield from texts(value, depth + 1, seen)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for item in obj:
            yield from texts(item, depth + 1, seen)
    elif hasattr(obj, "items") and callable(obj.items):  # headers of any library
        for key, value in obj.items():
            yield f"{key}: {value}"
    for name in ("request", "response", "headers", "content"):
        try:
            attached = getattr(obj, name, None)
        except Exception:
            continue
        if attached is not None and not callable(attached):
            yield from texts(attached, depth + 1, seen)
    attributes = getattr(obj, "__dict__", None)
    if isinstance(attributes, dict):
        yield from texts(attributes, depth + 1, seen)


def assert_hidden(*objs: Any, logs: str = "") -> None:
    for text in [logs, *(t for obj in objs for t in texts(obj))]:
        found = [piece for piece in PIECES if piece in text]
        assert not found, f"key piece {found[0]!r} in {text[:300]!r}"


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """DEBUG records of every logger, the HTTP libraries' included (levels restored after)."""
    names = ("httpx", "httpx2", "httpcore", "httpcore2", "langchain_mashagpt")
    levels = {name: logging.getLogger(name).level for name in names}
    caplog.set_level(logging.DEBUG)
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield caplog
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def model_on(base_url: str, key: str = KEY, **kwargs: Any) -> ChatMashaGPT:
    kwargs.setdefault("timeout", 2.0)
    kwargs.setdefault("retry_backoff", 0.01)
    return ChatMashaGPT(api_key=key, base_url=base_url, max_retries=1, **kwargs)


def echo_401(conn: Connection) -> None:
    escaped = KEY.replace("-", "\\u002d")  # JSON-escaped, as some servers send it
    body = '{"error": {"message": "Incorrect API key provided: %s", "code": "%s"}}'
    conn.reply(
        401,
        body % (escaped, KEY),
        headers={"X-Request-Id": KEY, "X-Echo": f"Bearer {KEY}", "Set-Cookie": f"k={KEY}"},
    )


def echo_html(conn: Connection) -> None:
    conn.reply(
        502, f"<html><body>Upstream refused Bearer {KEY[:12]}…{KEY[-8:]}</body></html>", "text/html"
    )


def echo_200_error(conn: Connection) -> None:
    error = {"error": {"message": f"Key {KEY} is over quota", "type": KEY}}
    if conn.payload.get("stream"):
        conn.stream([event(chunk("Hi")), event(error), DONE])
        conn.end_chunks()
    else:
        conn.reply(200, error)


def echo_bare_json_in_stream(conn: Connection) -> None:
    body = {"error": {"message": f"Key {KEY} was revoked"}}
    if conn.payload.get("stream"):
        conn.reply(200, body, "text/event-stream")
    else:
        conn.reply(200, body)


def echo_not_json(conn: Connection) -> None:
    kind = "text/event-stream" if conn.payload.get("stream") else "application/json"
    conn.reply(200, f"data: {KEY}\n\n" if kind != "application/json" else f"{{{KEY}", kind)


ECHOES = {
    "401-escaped-and-headers": (echo_401, errors.AuthenticationError),
    "html-page": (echo_html, errors.InternalServerError),
    "200-error-body-or-event": (echo_200_error, errors.APIError),
    "bare-json-in-stream": (echo_bare_json_in_stream, errors.APIError),
    "not-json": (echo_not_json, errors.APIResponseValidationError),
}


@pytest.mark.parametrize("mode", BASIC)
@pytest.mark.parametrize("echo", list(ECHOES))
async def test_a_key_the_server_echoes_is_masked_everywhere(
    run: Runner, hostile: Start, debug_logs: pytest.LogCaptureFixture, mode: str, echo: str
) -> None:
    handler, error = ECHOES[echo]
    with pytest.raises(error) as info:
        await answer(run, model_on(hostile(handler).base_url), mode)
    exc = info.value
    assert exc.__cause__ is None
    assert exc.__context__ is None
    assert_hidden(exc, logs=debug_logs.text)
    assert "<API key>" in str(exc) or "<API key>" in str(vars(exc)) or echo == "not-json"


@pytest.mark.parametrize("mode", BASIC)
async def test_a_connection_error_chains_no_request(
    run: Runner, debug_logs: pytest.LogCaptureFixture, mode: str
) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(errors.APIConnectionError) as info:
        await answer(run, model_on(f"http://127.0.0.1:{port}/v1"), mode)
    assert f"127.0.0.1:{port}/v1/chat/completions" in str(info.value)
    assert_hidden(info.value, logs=debug_logs.text)


@pytest.mark.parametrize("mode", BASIC)
async def test_a_timeout_chains_no_request(
    run: Runner, hostile: Start, debug_logs: pytest.LogCaptureFixture, mode: str
) -> None:
    server = hostile(lambda conn: conn.wait(3))
    with pytest.raises(errors.APITimeoutError) as info:
        await answer(run, model_on(server.base_url, timeout=0.2), mode)
    assert_hidden(info.value, logs=debug_logs.text)


@pytest.mark.parametrize("mode", BASIC)
@pytest.mark.parametrize("padding", ["\n", " ", "\r\n", "\t "])
async def test_a_key_with_surrounding_whitespace_is_stripped(
    run: Runner, debug_logs: pytest.LogCaptureFixture, mode: str, padding: str
) -> None:
    with MashaGPTEmulator(api_key=KEY) as emu:
        model = model_on(emu.base_url, key=f"{padding}{KEY}{padding}")
        assert await answer(run, model, mode)
        assert emu.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert_hidden(logs=debug_logs.text)


@pytest.mark.parametrize("mode", BASIC)
@pytest.mark.parametrize("bad", ["ключ", " inner space ", "\x00", "\n\x7f"])
async def test_a_key_that_cannot_be_a_header_is_refused_without_showing_it(
    run: Runner, debug_logs: pytest.LogCaptureFixture, mode: str, bad: str
) -> None:
    key = KEY[:10] + bad + KEY[10:]
    with pytest.raises(ValueError, match="cannot be sent in an HTTP header") as info:
        await answer(run, model_on("http://127.0.0.1:9/v1", key=key), mode)
    assert "not shown" in str(info.value)
    assert_hidden(info.value, logs=debug_logs.text)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"api_key": KEY, "temperature": 9},
        {"api_key": KEY.encode()},
        {"api_key": [KEY]},
        {"api_key": KEY, "max_retries": -1},
        {"api_key": KEY, "deadline": 0},
    ],
    ids=["other-field", "bytes", "list", "field-constraint", "deadline"],
)
def test_no_validation_error_quotes_the_key(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        ChatMashaGPT(**kwargs)
    assert_hidden(info.value, str(info.value.errors()), info.value.json())
