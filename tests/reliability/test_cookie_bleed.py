"""Models with different keys share the pooled client, and never each other's cookies.

Before, tenant A's `Set-Cookie` went out with tenant B's requests: the pooled
client's cookie jar was shared by every model with the same timeout.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from langchain_mashagpt import ChatMashaGPT
from tests.helpers import Runner
from tests.reliability.helpers import answer
from tests.reliability.hostile import DONE, Connection, Hostile, chunk, completion, event

Start = Callable[..., Hostile]


def sets_a_cookie(conn: Connection) -> None:
    headers = {"Set-Cookie": "session=tenant-a-secret; Path=/"}
    if conn.payload.get("stream"):
        conn.stream([event(chunk("Hi")), DONE], headers=headers)
        conn.end_chunks()
    else:
        conn.reply(200, completion("Hi"), headers=headers)


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_one_tenants_cookie_never_goes_out_with_another_tenants_request(
    run: Runner, hostile: Start, mode: str
) -> None:
    server = hostile(sets_a_cookie, keep_alive=False)
    tenant_a = ChatMashaGPT(api_key="sk-tenant-a-000001", base_url=server.base_url, timeout=7.5)
    tenant_b = ChatMashaGPT(api_key="sk-tenant-b-000002", base_url=server.base_url, timeout=7.5)
    for model in (tenant_a, tenant_b, tenant_a):
        assert await answer(run, model, mode) == "Hi"
    assert len(server.requests) == 3
    for conn in server.requests:
        assert b"cookie:" not in conn.head.lower()
        assert b"tenant-a-secret" not in conn.head
