"""Status → error, retries, and what is never retried, through the real HTTP stack."""

from __future__ import annotations

import time
from email.utils import formatdate
from typing import Any

import httpx
import pytest
from langchain_core import exceptions as lc

from langchain_mashagpt import errors
from langchain_mashagpt._http.attempts import INITIAL_BACKOFF, MAX_BACKOFF
from langchain_mashagpt._http.attempts import backoff as _backoff
from langchain_mashagpt._http.attempts import retry_delay as _retry_delay
from tests.helpers import API_KEY, MockServer, Runner, completion, record_waits
from tests.unit_tests.helpers import sse_fixture


def error_reply(status: int, message: str = "nope", **headers: str) -> httpx.Response:
    body = {"error": {"message": message, "type": "t", "param": None, "code": "c"}}
    return httpx.Response(status, json=body, headers=headers)


def completion_reply() -> httpx.Response:
    return httpx.Response(200, json=completion())


@pytest.mark.parametrize(
    ("status", "error", "langchain_error"),
    [
        (400, errors.BadRequestError, lc.ModelInvalidRequestError),
        (401, errors.AuthenticationError, lc.ModelAuthenticationError),
        (402, errors.InsufficientBalanceError, lc.ModelPermissionDeniedError),
        (403, errors.PermissionDeniedError, lc.ModelPermissionDeniedError),
        (404, errors.NotFoundError, lc.ModelNotFoundError),
        (422, errors.BadRequestError, lc.ModelInvalidRequestError),
    ],
)
async def test_client_errors_are_typed_and_not_retried(
    run: Runner,
    server: MockServer,
    status: int,
    error: type[errors.APIStatusError],
    langchain_error: type[Exception],
) -> None:
    server.reply(error_reply(status, "the server says why", **{"x-request-id": "req-1"}))
    with pytest.raises(error) as info:
        await run.invoke(server.model(max_retries=5), "hi")
    exc = info.value
    assert isinstance(exc, langchain_error)
    assert isinstance(exc, errors.MashaGPTError)
    assert (exc.status_code, exc.request_id, exc.code, exc.attempts) == (status, "req-1", "c", 1)
    assert exc.body["error"]["message"] == "the server says why"
    assert f"HTTP {status}" in str(exc)
    assert "the server says why" in str(exc)
    assert len(server.requests) == 1


async def test_401_tells_what_to_set(run: Runner, server: MockServer) -> None:
    server.reply(error_reply(401, "Invalid API key"))
    with pytest.raises(errors.AuthenticationError, match="MASHAGPT_API_KEY"):
        await run.invoke(server.model(), "hi")


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
async def test_retryable_statuses_are_retried_then_succeed(
    run: Runner, server: MockServer, status: int
) -> None:
    server.reply(error_reply(status), error_reply(status), httpx.Response(200, json=completion()))
    message = await run.invoke(server.model(max_retries=2), "hi")
    assert message.content == "Hello!"
    assert len(server.requests) == 3
    assert server.bodies[0] == server.bodies[2]


@pytest.mark.parametrize(
    ("status", "error"),
    [(429, errors.RateLimitError), (503, errors.InternalServerError)],
)
async def test_retries_run_out_into_a_typed_error(
    run: Runner, server: MockServer, status: int, error: type[Exception]
) -> None:
    server.reply(error_reply(status, "busy"))
    with pytest.raises(error, match="after 3 attempts") as info:
        await run.invoke(server.model(max_retries=2), "hi")
    assert info.value.attempts == 3  # type: ignore[attr-defined]
    assert len(server.requests) == 3


async def test_max_retries_zero_sends_once(run: Runner, server: MockServer) -> None:
    server.reply(error_reply(500))
    with pytest.raises(errors.InternalServerError):
        await run.invoke(server.model(max_retries=0), "hi")
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("raised", "error", "match"),
    [
        (httpx.ConnectError("refused"), errors.APIConnectionError, "Could not talk"),
        (httpx.ConnectTimeout("slow"), errors.APITimeoutError, "did not answer in time"),
        (httpx.ReadTimeout("silent"), errors.APITimeoutError, "did not answer in time"),
    ],
)
async def test_connection_failures_are_retried_then_typed(
    run: Runner, server: MockServer, raised: Exception, error: type[Exception], match: str
) -> None:
    server.reply(raised)
    with pytest.raises(error, match=match) as info:
        await run.invoke(server.model(max_retries=1), "hi")
    assert isinstance(info.value, lc.ModelConnectionError)
    assert info.value.__cause__ is None  # the request (and its key) is not chained
    assert info.value.__context__ is None
    assert type(raised).__name__ in str(info.value)
    assert len(server.requests) == 2


async def test_connection_failure_then_success(run: Runner, server: MockServer) -> None:
    server.reply(httpx.ConnectError("refused"), httpx.Response(200, json=completion("ok")))
    assert (await run.invoke(server.model(), "hi")).content == "ok"


async def test_stream_is_retried_before_its_first_chunk(run: Runner, server: MockServer) -> None:
    server.reply(error_reply(429), httpx.ConnectError("reset"))
    server.sse(sse_fixture("text"))
    chunks = await run.stream(server.model(max_retries=2), "hi")
    assert "".join(c.text for c in chunks) == "Hello, мир!"
    assert len(server.requests) == 3


async def test_retry_backoff_of_zero_retries_at_once(
    run: Runner, server: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.reply(*[error_reply(503)] * 3, completion_reply())
    waits = record_waits(monkeypatch)
    message = await run.invoke(server.model(max_retries=3, retry_backoff=0), "hi")
    assert message.content == "Hello!"
    assert len(server.requests) == 4
    # The default backoff would have slept at least 0.375 + 0.75 + 1.5 s (its jitter floor).
    assert waits == [0, 0, 0]


async def test_retry_backoff_is_the_first_wait_then_doubled(
    run: Runner, server: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.reply(error_reply(503), error_reply(503), completion_reply())
    waits = record_waits(monkeypatch)
    await run.invoke(server.model(max_retries=2, retry_backoff=0.05), "hi")
    first, second = waits
    assert 0.75 * 0.05 <= first <= 0.05  # jitter takes off at most a quarter
    assert 0.75 * 0.1 <= second <= 0.1
    assert max(first, second) < 0.75 * INITIAL_BACKOFF  # not the default's waits


async def test_a_retry_backoff_longer_than_the_deadline_ends_the_call_at_once(
    run: Runner, server: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At least 3 s (4 s less its jitter) cannot fit a 3 s deadline: no wait, no retry."""
    server.reply(error_reply(503), completion_reply())
    waits = record_waits(monkeypatch)
    with pytest.raises(errors.DeadlineExceededError, match=r"deadline of 3 s \(1 attempt\)"):
        await run.invoke(server.model(max_retries=2, retry_backoff=4, deadline=3), "hi")
    assert waits == []
    assert len(server.requests) == 1


@pytest.mark.parametrize("header", [{"retry-after": "0"}, {"retry-after-ms": "0"}])
async def test_the_servers_wait_wins_over_retry_backoff(
    run: Runner, server: MockServer, header: dict[str, str]
) -> None:
    """The backoff (at least 3 s) would not fit the deadline; the server's 0 s does."""
    server.reply(error_reply(429, **header), completion_reply())
    model = server.model(max_retries=2, retry_backoff=4, deadline=3)
    assert (await run.invoke(model, "hi")).content == "Hello!"
    assert len(server.requests) == 2


async def test_the_servers_wait_is_slept_even_with_retry_backoff_zero(
    run: Runner, server: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.reply(error_reply(429, **{"retry-after-ms": "50"}), completion_reply())
    waits = record_waits(monkeypatch)
    assert (await run.invoke(server.model(retry_backoff=0), "hi")).content == "Hello!"
    assert waits == [0.05]


class _BreaksAfterFirstEvent(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self) -> None:
        self.first = sse_fixture("text").split(b"\n\n")[0] + b"\n\n"

    def __iter__(self) -> Any:
        yield self.first
        raise httpx.RemoteProtocolError("peer closed connection")

    async def __aiter__(self) -> Any:
        yield self.first
        raise httpx.RemoteProtocolError("peer closed connection")


async def test_stream_broken_after_a_chunk_is_not_retried(run: Runner, server: MockServer) -> None:
    server.reply(
        httpx.Response(
            200, stream=_BreaksAfterFirstEvent(), headers={"content-type": "text/event-stream"}
        )
    )
    with pytest.raises(errors.IncompleteStreamError, match="broke off after 1 chunks"):
        await run.stream(server.model(max_retries=3), "hi")
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("reply", "error", "match"),
    [
        (
            httpx.Response(200, text="<html>oops</html>"),
            errors.APIResponseValidationError,
            "not JSON",
        ),
        (httpx.Response(200, json={"id": "x"}), errors.APIResponseValidationError, "choices"),
        (httpx.Response(200, json={"error": {"message": "quota"}}), errors.APIError, "quota"),
        (
            httpx.Response(502, text="<html>Bad Gateway</html>"),
            errors.InternalServerError,
            "Bad Gateway",
        ),
    ],
)
async def test_bodies_that_are_not_completions(
    run: Runner, server: MockServer, reply: httpx.Response, error: type[Exception], match: str
) -> None:
    server.reply(reply)
    with pytest.raises(error, match=match):
        await run.invoke(server.model(max_retries=0), "hi")


async def test_json_answer_to_a_stream_request(run: Runner, server: MockServer) -> None:
    server.json({"error": {"message": "streaming is off"}})
    with pytest.raises(errors.APIError, match="streaming is off"):
        await run.stream(server.model(), "hi")
    server.replies[:] = [httpx.Response(200, json=completion())]
    with pytest.raises(errors.APIResponseValidationError, match="plain JSON completion"):
        await run.stream(server.model(), "hi")


async def test_stream_status_error(run: Runner, server: MockServer) -> None:
    server.reply(error_reply(404, "model gpt-9 not found"))
    with pytest.raises(errors.NotFoundError, match="gpt-9"):
        await run.stream(server.model(), "hi")


async def test_the_key_is_in_no_error(run: Runner, server: MockServer) -> None:
    def echo_auth(request: httpx.Request) -> httpx.Response:
        return error_reply(401, f"bad key {request.headers['authorization']}")

    server.reply(echo_auth)
    with pytest.raises(errors.AuthenticationError) as info:
        await run.invoke(server.model(), "hi")
    # A server that echoes the key back is the server's doing; we show its text,
    # but the key itself was only ever sent in the header.
    assert server.requests[0].headers["authorization"] == f"Bearer {API_KEY}"
    assert API_KEY not in server.requests[0].content.decode()
    assert info.value.headers is not None


def test_retry_delay_honours_the_server() -> None:
    assert _retry_delay(0, {"retry-after-ms": "250"}) == 0.25
    assert _retry_delay(0, {"retry-after": "3"}) == 3.0
    # An HTTP date 30 s ahead (whole seconds): however slow the machine, some of it is left.
    in_thirty = formatdate(time.time() + 30, usegmt=True)
    assert 0 < _retry_delay(0, {"retry-after": in_thirty}) <= 30.0


def test_backoff_is_exponential_with_jitter() -> None:
    for attempt, (low, high) in enumerate([(0.375, 0.5), (0.75, 1.0), (1.5, 2.0), (3, 4), (6, 8)]):
        if attempt == 4:
            attempt = 10  # capped
        assert low <= _backoff(attempt) <= high


@pytest.mark.parametrize("initial", [0.0, 0.01, 0.05, 2.0])
def test_backoff_starts_at_the_initial_wait(initial: float) -> None:
    for attempt in range(6):
        high = min(initial * 2**attempt, MAX_BACKOFF)
        assert 0.75 * high <= _backoff(attempt, initial) <= high  # 0 stays exactly 0
