"""A proxy's 407 that echoes `Proxy-Authorization` puts no proxy credential anywhere.

Before, the echoed `Basic …` value (and with it the proxy's user and password)
went into the error text and httpcore's DEBUG log. A real proxy on loopback,
reached through `HTTP_PROXY=http://user:password@…`.
"""

from __future__ import annotations

import base64
import itertools
import logging
from collections.abc import Callable, Iterator

import pytest

from langchain_mashagpt import ChatMashaGPT, errors
from tests.helpers import Runner
from tests.reliability.helpers import answer
from tests.reliability.hostile import Connection, Hostile
from tests.reliability.leaks import assert_no_piece, formatted

USER, PASSWORD = "proxyuser", "Proxy-Pass-Ww11Vv22"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
KEY = "sk-Behind-Proxy-Tt33Ss44"
Start = Callable[..., Hostile]
_TIMEOUTS = (4.0 + n / 1000 for n in itertools.count(1))


def refusing_proxy(conn: Connection) -> None:
    """Answers 407, echoing every header it got, `Proxy-Authorization` included."""
    lines = conn.head.decode().split("\r\n")
    echoed = next(line for line in lines if line.lower().startswith("proxy-authorization:"))
    conn.reply(
        407,
        {"error": {"message": f"Proxy refused {lines[0]} with {echoed}"}},
        headers={"Proxy-Authenticate": f'Basic realm="{echoed.split(": ", 1)[1]}"'},
    )


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


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_a_proxy_407_that_echoes_its_credentials_shows_none(
    run: Runner,
    hostile: Start,
    monkeypatch: pytest.MonkeyPatch,
    every_log: pytest.LogCaptureFixture,
    mode: str,
) -> None:
    proxy = hostile(refusing_proxy)
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://{USER}:{PASSWORD}@127.0.0.1:{proxy.port}")
    # A timeout no other call uses: a pooled client of its own, built with this environment.
    model = ChatMashaGPT(
        api_key=KEY,
        base_url="http://api.mashagpt.invalid/v1",
        timeout=next(_TIMEOUTS),
        max_retries=0,
    )
    with pytest.raises(errors.APIStatusError) as info:
        await answer(run, model, mode)
    assert info.value.status_code == 407
    assert proxy.requests, "the request went through the proxy"
    assert BASIC.encode() in proxy.requests[0].head  # the proxy did get the credentials
    shown = str(info.value) + repr(vars(info.value)) + formatted(info.value)
    for secret in (PASSWORD, BASIC, KEY):
        assert_no_piece(secret, shown, every_log.text)
