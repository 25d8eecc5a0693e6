"""`base_url` and `default_headers` that cannot work: a clear error before sending, on real sockets.

Before: `/v1?tenant=a` became `/v1?tenant=a/chat/completions`, a fragment dropped
the path, port 65537 connected to port 1, userinfo replaced the Bearer key with
Basic auth (and was logged), a CR/LF in a header value was retried three times
as a network error and a non-ASCII value raised a raw `UnicodeEncodeError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from langchain_mashagpt import ChatMashaGPT
from tests.helpers import Runner
from tests.reliability.helpers import answer
from tests.reliability.hostile import DONE, Connection, Hostile, chunk, completion, event

KEY = "sk-UrlTest-9f8e7d6c5b4a3210"
MODES = ["invoke", "stream"]
Start = Callable[..., Hostile]


def ok(conn: Connection) -> None:
    if conn.payload.get("stream"):
        conn.stream([event(chunk("Hi")), DONE])
        conn.end_chunks()
    else:
        conn.reply(200, completion("Hi"))


def target(conn: Connection) -> str:
    return conn.head.split(b"\r\n")[0].split()[1].decode()


@pytest.mark.parametrize("mode", MODES)
async def test_a_query_in_base_url_stays_a_query(run: Runner, hostile: Start, mode: str) -> None:
    server = hostile(ok)
    model = ChatMashaGPT(
        api_key=KEY,
        base_url=f"{server.base_url}?tenant=a&v=1",
        default_query={"v": "2", "x": "y"},
        max_retries=0,
    )
    assert await answer(run, model, mode) == "Hi"
    assert target(server.requests[0]) == "/v1/chat/completions?tenant=a&v=2&x=y"


def test_a_query_is_kept_when_the_endpoint_is_corrected() -> None:
    with pytest.warns(UserWarning, match="appends itself"):
        model = ChatMashaGPT(api_key=KEY, base_url="http://h/v1/chat/completions/?t=a")
    assert model.base_url == "http://h/v1?t=a"


REFUSED = {
    "userinfo": ("http://user:{key}@127.0.0.1:{port}/v1", "use|api_key="),
    "key-only-userinfo": ("http://{key}@127.0.0.1:{port}/v1", "api_key="),
    "fragment": ("http://127.0.0.1:{port}/v1#frag", "fragment"),
    "port": ("http://127.0.0.1:65537/v1", "port"),
    "space": ("http://127.0.0.1:{port}/v 1", "space"),
    "tab": ("http://127.0.0.1:{port}/v1\t/x", "space"),
    "ftp": ("ftp://127.0.0.1:{port}/v1", "http"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_bad_base_url_is_refused_at_construction(hostile: Start, case: str) -> None:
    server = hostile(ok)
    url, expected = REFUSED[case]
    with pytest.raises(ValueError, match=expected.split("|")[-1]) as info:
        ChatMashaGPT(api_key="other-key-0000", base_url=url.format(key=KEY, port=server.port))
    assert KEY[:8] not in str(info.value)
    assert "user:sk" not in str(info.value)
    assert not server.requests


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", list(REFUSED))
async def test_a_bad_base_url_set_later_is_refused_before_sending(
    run: Runner, hostile: Start, mode: str, case: str
) -> None:
    server = hostile(ok)
    model = ChatMashaGPT(api_key="other-key-0000", base_url=server.base_url, max_retries=0)
    assert await answer(run, model, mode) == "Hi"
    model.base_url = REFUSED[case][0].format(key=KEY, port=server.port)
    with pytest.raises(ValueError, match=REFUSED[case][1].split("|")[-1]) as info:
        await answer(run, model, mode)
    assert KEY[:8] not in str(info.value)
    assert len(server.requests) == 1


HEADERS: dict[str, tuple[dict[str, Any], str]] = {
    "crlf": ({"X-Tenant": "a\r\nX-Injected: 1"}, "line break"),
    "lf": ({"X-Tenant": "a\nb"}, "line break"),
    "non-ascii": ({"X-Tenant": "Москва"}, "non-ASCII"),
    "non-ascii-name": ({"X-Город": "a"}, "non-ASCII"),
    "secret-crlf": ({"X-Api-Key": f"{KEY}\r\n"}, "line break"),
}


@pytest.mark.parametrize("case", list(HEADERS))
def test_a_header_that_cannot_be_sent_is_refused_at_construction(case: str) -> None:
    headers, expected = HEADERS[case]
    with pytest.raises(ValueError, match=expected) as info:
        ChatMashaGPT(api_key="k", default_headers=headers)
    assert "default_headers[" in str(info.value)
    assert KEY[:8] not in str(info.value)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", list(HEADERS))
async def test_a_header_changed_later_is_refused_before_sending(
    run: Runner, hostile: Start, mode: str, case: str
) -> None:
    server = hostile(ok)
    model = ChatMashaGPT(api_key="k", base_url=server.base_url, default_headers={"X-T": "a"})
    assert model.default_headers is not None
    model.default_headers.update(HEADERS[case][0])
    with pytest.raises(ValueError, match=HEADERS[case][1]) as info:
        await answer(run, model, mode)
    assert KEY[:8] not in str(info.value)
    assert not server.requests
