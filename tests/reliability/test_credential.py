"""One credential object, text only where the header is written; locals never hold the key.

Before, when building the transport failed (a `base_url` set to `ftp://x` after
construction, a key with a space inside) the plain key was a local of the frame
that raised, and a 401 that echoed the key left its raw body bytes in a local of
the attempt loop: traceback printers that show locals printed it.
"""

from __future__ import annotations

import copy
import logging
import pickle
from collections.abc import Callable, Iterator
from traceback import format_exception
from typing import Any

import pytest
from pydantic import SecretStr

from langchain_mashagpt import ChatMashaGPT, errors
from langchain_mashagpt._http.credential import Credential
from tests.helpers import Runner
from tests.reliability.helpers import answer
from tests.reliability.hostile import DONE, Connection, Hostile, chunk, completion, event
from tests.reliability.leaks import assert_no_piece, formatted

KEY = "sk-Cred-Zx81Yw72Xv63Wu54"
QKEY = "qk-Gateway-Ab12Cd34Ef56"
MODES = ["invoke", "stream"]
Start = Callable[..., Hostile]


def test_a_credential_never_shows_the_key() -> None:
    credential = Credential(SecretStr(f" {KEY}\n"))
    assert_no_piece(KEY, repr(credential), str(credential), repr(copy.deepcopy(credential)))
    assert copy.deepcopy(credential) is credential
    with pytest.raises(TypeError, match="not pickled") as info:
        pickle.dumps(credential)
    assert_no_piece(KEY, str(info.value), formatted(info.value))
    headers: dict[str, str] = {}
    credential.authorize(headers)
    assert headers == {"Authorization": f"Bearer {KEY}"}
    assert credential.fingerprint() == Credential(SecretStr(KEY)).fingerprint()
    assert credential.fingerprint() != Credential(SecretStr(KEY + "x")).fingerprint()
    assert_no_piece(KEY, credential.fingerprint())


def ok(conn: Connection) -> None:
    if conn.payload.get("stream"):
        conn.stream([event(chunk("Hi")), DONE])
        conn.end_chunks()
    else:
        conn.reply(200, completion("Hi"))


def echo_401(conn: Connection) -> None:
    conn.reply(
        401,
        {"error": {"message": f"Incorrect API key provided: {KEY}"}},
        headers={"WWW-Authenticate": f'Bearer realm="{KEY}"', "X-Echo": KEY},
    )


async def raised(run: Runner, model: ChatMashaGPT, mode: str) -> BaseException:
    try:
        await answer(run, model, mode)
    except Exception as exc:  # each test checks the class it expects
        return exc
    raise AssertionError("the call did not raise")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "later", ["ftp://x", "http://x/v1#f", "http://x:70000/v1", "no scheme"], ids=str
)
async def test_a_transport_that_cannot_be_built_leaves_no_key_in_locals(
    run: Runner, hostile: Start, mode: str, later: str
) -> None:
    server = hostile(ok)
    model = ChatMashaGPT(api_key=KEY, base_url=server.base_url, max_retries=0)
    assert await answer(run, model, mode) == "Hi"
    model.base_url = later
    exc = await raised(run, model, mode)
    assert isinstance(exc, ValueError)
    assert "base_url" in str(exc)
    assert_no_piece(KEY, formatted(exc))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bad", [" inner space ", "\x00", "ключ"])
async def test_a_key_that_cannot_be_sent_leaves_no_key_in_locals(
    run: Runner, mode: str, bad: str
) -> None:
    key = KEY[:10] + bad + KEY[10:]
    exc = await raised(run, ChatMashaGPT(api_key=key, base_url="http://127.0.0.1:9/v1"), mode)
    assert "cannot be sent in an HTTP header" in str(exc)
    assert_no_piece(KEY, formatted(exc))


@pytest.mark.parametrize("mode", MODES)
async def test_a_401_that_echoes_the_key_leaves_no_raw_body_in_locals(
    run: Runner, hostile: Start, mode: str
) -> None:
    server = hostile(echo_401)
    exc = await raised(run, ChatMashaGPT(api_key=KEY, base_url=server.base_url), mode)
    assert isinstance(exc, errors.AuthenticationError)
    assert "<API key>" in str(exc)
    assert_no_piece(KEY, formatted(exc), repr(vars(exc)))


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


def fail_500(conn: Connection) -> None:
    conn.reply(500, {"error": {"message": f"upstream saw {conn.head.split()[1].decode()}"}})


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("handler", [ok, fail_500], ids=["ok", "500"])
async def test_a_credential_in_default_query_is_masked_in_logs_and_errors(
    run: Runner, hostile: Start, every_log: pytest.LogCaptureFixture, mode: str, handler: Any
) -> None:
    server = hostile(handler)
    model = ChatMashaGPT(
        api_key=KEY,
        base_url=server.base_url,
        default_query={"api-key": QKEY, "tenant": "a"},
        max_retries=0,
    )
    if handler is ok:
        assert await answer(run, model, mode) == "Hi"
        shown = ""
    else:
        exc = await raised(run, model, mode)
        assert isinstance(exc, errors.InternalServerError)
        shown = str(exc) + repr(exc) + repr(vars(exc)) + "".join(format_exception(exc))
    assert server.requests[0].head.split()[1].decode().endswith(f"api-key={QKEY}&tenant=a")
    assert "api-key=<masked>&tenant=a" in every_log.text  # httpx's INFO line
    assert_no_piece(QKEY, every_log.text, shown)
    assert_no_piece(KEY, every_log.text, shown)
