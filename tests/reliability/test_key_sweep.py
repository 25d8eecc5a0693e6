"""By construction, not by enumeration: no error path of the fault servers shows the key.

Every fault of the suite's hostile servers (echoes of the key in bodies, pages
and headers, 4xx/5xx, 429 beyond the wait cap, refused and silent connections,
streams cut or stalled, bombs, garbage, the deadline) and the transport that
cannot be built are driven with one known key, in every mode; each exception is
printed with its frames' locals by the standard library and by rich, and the
model's repr, dump, invocation parameters and every log record are read. No
text holds the key or any 6-character piece of it.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from langchain_core.load import dumpd
from pydantic import SecretStr

from langchain_mashagpt import ChatMashaGPT
from tests.helpers import Runner
from tests.reliability.helpers import answer
from tests.reliability.hostile import Connection, Hostile, chunk, event, gzip_bomb
from tests.reliability.leaks import assert_no_piece, formatted
from tests.reliability.test_key_escape import ECHOES, KEY

Start = Callable[..., Hostile]
ECHO = {"X-Echo": f"Bearer {KEY}", "WWW-Authenticate": f'Bearer error="{KEY}"'}


def status(code: int, **headers: str) -> Callable[[Connection], None]:
    def handler(conn: Connection) -> None:
        body = {"error": {"message": f"key {KEY} said no", "code": KEY}}
        conn.reply(code, body, headers={**ECHO, **headers})

    return handler


def silent(conn: Connection) -> None:
    conn.wait(3)


def cut_stream(conn: Connection) -> None:
    if conn.payload.get("stream"):
        conn.stream([event(chunk("Hi"))], headers=ECHO)  # no [DONE], no last chunk
    else:
        conn.send(conn.head_of(200, {"Content-Length": "500"}) + b'{"id": "' + KEY.encode())


def stalled_stream(conn: Connection) -> None:
    conn.stream([event(chunk("Hi"))], headers=ECHO)
    conn.wait(3)


def bomb(conn: Connection) -> None:
    raw = gzip_bomb(4_000_000)
    headers = {"Content-Encoding": "gzip", "Content-Length": str(len(raw)), **ECHO}
    conn.send(conn.head_of(200, headers, **{"Content-Type": "application/json"}) + raw)


def garbage(conn: Connection) -> None:
    conn.send(f"NOT HTTP {KEY}\r\n\r\n".encode())


def drip(conn: Connection) -> None:
    conn.send(conn.head_of(200, {"Content-Type": "text/event-stream", **ECHO}))
    while not conn.wait(0.05):
        conn.send(b": keep-alive\n\n")


FAULTS: dict[str, tuple[Callable[[Connection], None], dict[str, Any]]] = {
    **{name: (handler, {}) for name, (handler, _) in ECHOES.items()},
    "400": (status(400), {}),
    "context-overflow": (status(400, **{"X-Code": "context_length_exceeded"}), {}),
    "403": (status(403), {}),
    "404": (status(404), {}),
    "429-beyond-cap": (status(429, **{"Retry-After": "3600"}), {}),
    "500-retried": (status(500), {"max_retries": 1}),
    "silent": (silent, {"timeout": 0.2}),
    "cut": (cut_stream, {}),
    "stalled": (stalled_stream, {"timeout": 0.3}),
    "bomb": (bomb, {"max_response_bytes": 100_000}),
    "garbage": (garbage, {}),
    "deadline": (drip, {"deadline": 0.4}),
}


@pytest.fixture
def every_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    names = ("httpx", "httpx2", "httpcore", "httpcore2", "langchain_mashagpt")
    levels = {name: logging.getLogger(name).level for name in names}
    caplog.set_level(logging.DEBUG)
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield caplog
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def model_on(base_url: str, **kwargs: Any) -> ChatMashaGPT:
    options: dict[str, Any] = {"timeout": 2.0, "retry_backoff": 0.01, "max_retries": 0}
    return ChatMashaGPT(api_key=KEY, base_url=base_url, **{**options, **kwargs})


def surfaces(model: ChatMashaGPT) -> list[str]:
    """What traces and serialisers see of a model."""
    return [
        repr(model),
        str(model.model_dump()),
        repr(model.model_dump(mode="json")),
        str(model._get_invocation_params()),
        str(model._identifying_params),
        str(dumpd(model)),
    ]


async def sweep(run: Runner, model: ChatMashaGPT, mode: str, logs: str = "") -> BaseException:
    try:
        await answer(run, model, mode)
    except Exception as exc:
        return exc
    raise AssertionError("the fault did not raise")


@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_no_fault_shows_the_key(
    run: Runner, hostile: Start, every_log: pytest.LogCaptureFixture, mode: str, fault: str
) -> None:
    handler, options = FAULTS[fault]
    model = model_on(hostile(handler).base_url, **options)
    exc = await sweep(run, model, mode)
    assert_no_piece(KEY, formatted(exc), repr(vars(exc)), every_log.text, *surfaces(model))


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_a_refused_connection_shows_no_key(
    run: Runner, every_log: pytest.LogCaptureFixture, mode: str
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model = model_on(f"http://127.0.0.1:{port}/v1", max_retries=1)
    exc = await sweep(run, model, mode)
    assert_no_piece(KEY, formatted(exc), every_log.text, *surfaces(model))


@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize(
    "change",
    [{"base_url": "ftp://x"}, {"api_key": SecretStr(f"{KEY[:9]} {KEY[9:]}")}, {"api_key": None}],
    ids=["ftp-url", "space-in-key", "no-key"],
)
async def test_a_transport_that_cannot_be_built_shows_no_key(
    run: Runner, every_log: pytest.LogCaptureFixture, mode: str, change: dict[str, Any]
) -> None:
    model = model_on("http://127.0.0.1:9/v1")
    for name, value in change.items():
        setattr(model, name, value)
    exc = await sweep(run, model, mode)
    assert isinstance(exc, ValueError)
    assert_no_piece(KEY, formatted(exc), every_log.text, *surfaces(model))
