"""Every scripted fault of the emulator, over real sockets, sync and async.

Each ends in the answer (after retries the policy allows) or in a typed error that
says what happened and after how many attempts — never in a hang, a partial answer
returned as complete, or a stream retried after its first chunk.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Iterator

import pytest

from langchain_mashagpt import ChatMashaGPT, errors
from langchain_mashagpt.testing import DEFAULT_API_KEY, MashaGPTEmulator, Reply
from tests.helpers import Runner, record_waits
from tests.reliability.helpers import answer, chat, is_stream

# Status and network faults: a plain request and a stream. The stream faults below
# add `invoke(streaming=True)`, where a partial answer could pass for a whole one.
BASIC = ["invoke", "stream"]

# ---------------------------------------------------------------- retried statuses


@pytest.mark.parametrize("mode", BASIC)
@pytest.mark.parametrize(
    ("reply", "waited"),
    [
        (Reply.rate_limit(retry_after=0.15), 0.15),
        (Reply.rate_limit(retry_after_ms=150), 0.15),
    ],
    ids=["Retry-After", "retry-after-ms"],
)
async def test_429_waits_as_the_server_says_then_answers(
    run: Runner,
    mashagpt_emulator: MashaGPTEmulator,
    mode: str,
    reply: Reply,
    waited: float,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mashagpt_emulator.enqueue(reply, Reply.text("After the wait."))
    waits = record_waits(monkeypatch)
    assert await answer(run, chat(mashagpt_emulator), mode) == "After the wait."
    assert waits == [waited]
    assert len(mashagpt_emulator.requests) == 2


@pytest.mark.parametrize("mode", BASIC)
async def test_429_retries_run_out_into_a_rate_limit_error(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str
) -> None:
    mashagpt_emulator.enqueue(*[Reply.rate_limit(retry_after_ms=1, message="Slow down")] * 3)
    with pytest.raises(errors.RateLimitError) as info:
        await answer(run, chat(mashagpt_emulator, max_retries=2), mode)
    exc = info.value
    assert (exc.status_code, exc.attempts, exc.code) == (429, 3, "rate_limit_exceeded")
    assert "HTTP 429 after 3 attempts: Slow down" in str(exc)
    assert exc.body["error"]["message"] == "Slow down"
    assert exc.headers["retry-after-ms"] == "1"
    assert len(mashagpt_emulator.requests) == 3


@pytest.mark.parametrize("mode", BASIC)
@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_is_retried_then_answers(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str, status: int
) -> None:
    mashagpt_emulator.enqueue(Reply.http_error(status), Reply.text("Recovered."))
    assert await answer(run, chat(mashagpt_emulator), mode) == "Recovered."
    requests = mashagpt_emulator.requests
    assert len(requests) == 2
    assert requests[0].raw_body == requests[1].raw_body  # the same request, sent again


@pytest.mark.parametrize("mode", BASIC)
@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_retries_run_out_into_a_server_error(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str, status: int
) -> None:
    mashagpt_emulator.enqueue(*[Reply.http_error(status, "Upstream down")] * 3)
    with pytest.raises(errors.InternalServerError) as info:
        await answer(run, chat(mashagpt_emulator, max_retries=2), mode)
    exc = info.value
    assert (exc.status_code, exc.attempts, exc.request_id) == (status, 3, "req_emu_3")
    assert str(exc).startswith(f"MashaGPT answered HTTP {status} after 3 attempts: Upstream down")
    assert "try again later" in str(exc)
    assert len(mashagpt_emulator.requests) == 3


@pytest.mark.parametrize("mode", BASIC)
async def test_a_gateway_html_page_is_quoted_in_the_error(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str
) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    mashagpt_emulator.enqueue(*[Reply.http_error(502, body=page)] * 2)
    with pytest.raises(errors.InternalServerError, match="HTTP 502 after 2 attempts") as info:
        await answer(run, chat(mashagpt_emulator, max_retries=1), mode)
    assert info.value.body == page
    assert "502 Bad Gateway" in str(info.value)


# ---------------------------------------------------------------- not retried


@pytest.mark.parametrize("mode", BASIC)
@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (402, errors.InsufficientBalanceError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
    ],
)
async def test_4xx_is_not_retried_and_carries_the_servers_answer(
    run: Runner,
    mashagpt_emulator: MashaGPTEmulator,
    mode: str,
    status: int,
    error: type[errors.APIStatusError],
) -> None:
    mashagpt_emulator.enqueue(Reply.http_error(status, f"The server says no ({status})."))
    with pytest.raises(error) as info:
        await answer(run, chat(mashagpt_emulator, max_retries=5), mode)
    exc = info.value
    assert (exc.status_code, exc.attempts) == (status, 1)
    assert exc.body["error"]["message"] == f"The server says no ({status})."
    assert f"HTTP {status}: The server says no ({status})." in str(exc)
    assert "attempts" not in str(exc)
    assert len(mashagpt_emulator.requests) == 1


# ---------------------------------------------------------------- the network


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port bound but not listening: every connection is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@pytest.fixture
def unaccepting_port() -> Iterator[int]:
    """A loopback port whose listen backlog is full: a new connection is never set up.

    Linux drops the SYN when the accept queue is full (`tcp_abort_on_overflow=0`), so
    the client waits in `connect` — an honest connect timeout on loopback.
    """
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.05)
    try:
        yield port
    finally:
        for sock in [*fillers, server]:
            sock.close()


@pytest.mark.parametrize("mode", BASIC)
async def test_connection_refused_is_retried_then_a_connection_error(
    run: Runner, refused_port: int, mode: str
) -> None:
    base_url = f"http://127.0.0.1:{refused_port}/v1"
    model = ChatMashaGPT(
        api_key=DEFAULT_API_KEY, base_url=base_url, max_retries=2, retry_backoff=0.01
    )
    with pytest.raises(errors.APIConnectionError) as info:
        await answer(run, model, mode)
    exc = info.value
    assert type(exc) is errors.APIConnectionError
    assert exc.attempts == 3
    assert str(exc).startswith(
        f"Could not talk to MashaGPT at http://127.0.0.1:{refused_port}/v1/chat/completions "
        "after 3 attempts (ConnectError"
    )
    assert str(exc).endswith("). Check base_url and the network.")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="relies on Linux's SYN drop")
@pytest.mark.parametrize("mode", BASIC)
async def test_connect_timeout_is_retried_then_a_timeout_error(
    run: Runner, unaccepting_port: int, mode: str
) -> None:
    base_url = f"http://127.0.0.1:{unaccepting_port}/v1"
    model = ChatMashaGPT(
        api_key=DEFAULT_API_KEY, base_url=base_url, max_retries=1, timeout=0.1, retry_backoff=0.01
    )
    started = time.monotonic()
    with pytest.raises(errors.APITimeoutError) as info:
        await answer(run, model, mode)
    # A lower bound holds at any load: a busy machine only makes the attempts longer.
    assert time.monotonic() - started >= 0.18  # two attempts of 0.1 s each
    assert info.value.attempts == 2
    assert (
        f"MashaGPT at {base_url}/chat/completions did not answer in time after 2 attempts (ConnectTimeout"
        in str(info.value)
    )


@pytest.mark.parametrize("mode", BASIC)
async def test_a_server_that_goes_silent_is_a_read_timeout_after_retries(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str
) -> None:
    # The read timeout (1 s) is enough for an answer at load 8, and always shorter than the delay.
    mashagpt_emulator.enqueue(*[Reply.text("Too late.", delay=2.0)] * 2)
    with pytest.raises(errors.APITimeoutError) as info:
        await answer(run, chat(mashagpt_emulator, max_retries=1, timeout=1.0), mode)
    assert info.value.attempts == 2
    assert "did not answer in time after 2 attempts (ReadTimeout" in str(info.value)
    assert len(mashagpt_emulator.requests) == 2


@pytest.mark.parametrize("mode", BASIC)
async def test_a_read_timeout_then_an_answer(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str
) -> None:
    # The read timeout (1 s) is enough for an answer at load 8, and always shorter than the delay.
    mashagpt_emulator.enqueue(Reply.text("Too late.", delay=2.0), Reply.text("In time."))
    assert await answer(run, chat(mashagpt_emulator, timeout=1.0), mode) == "In time."
    assert len(mashagpt_emulator.requests) == 2


@pytest.mark.parametrize("mode", BASIC)
async def test_a_connection_closed_without_an_answer_is_retried(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str
) -> None:
    mashagpt_emulator.enqueue(Reply.close_connection(), Reply.text("Second try."))
    assert await answer(run, chat(mashagpt_emulator), mode) == "Second try."
    assert len(mashagpt_emulator.requests) == 2


@pytest.mark.parametrize("mode", BASIC)
async def test_connections_closed_every_time_end_in_a_connection_error(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str
) -> None:
    mashagpt_emulator.enqueue(*[Reply.close_connection()] * 3)
    with pytest.raises(errors.APIConnectionError, match="after 3 attempts") as info:
        await answer(run, chat(mashagpt_emulator, max_retries=2), mode)
    assert info.value.attempts == 3
    assert "RemoteProtocolError" in str(info.value)
    assert len(mashagpt_emulator.requests) == 3


# ---------------------------------------------------------------- broken 2xx answers


@pytest.mark.parametrize("mode", BASIC)
@pytest.mark.parametrize(
    "reply",
    [
        Reply.raw(200, "<html><body>Welcome to the captive portal</body></html>", "text/html"),
        Reply.raw(200, '{"id": "chatcmpl-1", "choices": [{"message": {"content": "Hal'),
    ],
    ids=["html", "truncated-json"],
)
async def test_a_2xx_body_that_is_not_an_answer_is_a_validation_error(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str, reply: Reply
) -> None:
    mashagpt_emulator.enqueue(reply)
    with pytest.raises(errors.APIResponseValidationError, match="body that is not JSON") as info:
        await answer(run, chat(mashagpt_emulator), mode)
    assert info.value.body == (reply.body or b"").decode()
    assert len(mashagpt_emulator.requests) == 1


@pytest.mark.parametrize("mode", BASIC)
async def test_a_200_with_an_error_object_raises_the_servers_error(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str
) -> None:
    mashagpt_emulator.enqueue(Reply.error_body_200("The upstream model crashed.", code="crash"))
    with pytest.raises(errors.APIError, match=r"The upstream model crashed\.") as info:
        await answer(run, chat(mashagpt_emulator), mode)
    assert (info.value.code, info.value.error_type) == ("crash", "server_error")
    assert info.value.body["error"]["message"] == "The upstream model crashed."
    assert len(mashagpt_emulator.requests) == 1


# ---------------------------------------------------------------- broken streams

STREAMS = ["stream", "streaming_invoke"]


@pytest.mark.parametrize("mode", STREAMS)
@pytest.mark.parametrize("clean_end", [False, True], ids=["dropped", "body-ended"])
async def test_a_stream_cut_before_done_is_an_error_and_not_retried(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str, clean_end: bool
) -> None:
    mashagpt_emulator.enqueue(
        Reply.stream_cut(3, content="One two three four five six.", clean_end=clean_end)
    )
    with pytest.raises(errors.IncompleteStreamError) as info:
        await answer(run, chat(mashagpt_emulator, max_retries=3), mode)
    message = str(info.value)
    assert "partial answer is not returned" in message or "cut off" in message
    assert info.value.attempts == 1
    assert len(mashagpt_emulator.requests) == 1


@pytest.mark.parametrize("mode", STREAMS)
async def test_an_error_event_mid_stream_raises_the_servers_error(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str
) -> None:
    mashagpt_emulator.enqueue(Reply.stream_error(3, "Overloaded mid-answer.", code="overloaded"))
    with pytest.raises(
        errors.APIError, match=r"error in its stream: Overloaded mid-answer\."
    ) as info:
        await answer(run, chat(mashagpt_emulator, max_retries=3), mode)
    assert info.value.code == "overloaded"
    assert len(mashagpt_emulator.requests) == 1


@pytest.mark.parametrize("mode", STREAMS)
async def test_a_stream_that_stalls_after_chunks_is_a_timeout_not_retried(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str
) -> None:
    mashagpt_emulator.enqueue(Reply.stream_stall(2, content="One two three four."))
    with pytest.raises(errors.APITimeoutError) as info:
        await answer(run, chat(mashagpt_emulator, max_retries=3, timeout=1.0), mode)
    assert info.value.attempts == 1  # not retried: counted, not timed
    assert len(mashagpt_emulator.requests) == 1
    assert "broke off after 2 chunks: nothing more came in time (ReadTimeout" in str(info.value)
    assert "partial answer is not returned" in str(info.value)
    assert len(mashagpt_emulator.requests) == 1


@pytest.mark.parametrize("mode", STREAMS)
async def test_a_stream_that_opens_and_never_sends_is_not_sent_again(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str
) -> None:
    """Its 200 arrived: the server took (and may bill) the work, so it is not resent."""
    mashagpt_emulator.enqueue(Reply.stream_stall(0), Reply.text("Finally."))
    with pytest.raises(
        errors.APITimeoutError, match="stopped arriving after it had started"
    ) as info:
        await answer(run, chat(mashagpt_emulator, timeout=0.1), mode)
    assert "is not sent again" in str(info.value)
    assert info.value.attempts == 1
    assert len(mashagpt_emulator.requests) == 1


@pytest.mark.parametrize("mode", STREAMS)
async def test_a_stream_that_never_sends_ends_in_a_timeout(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str
) -> None:
    mashagpt_emulator.enqueue(Reply.http_error(503), Reply.stream_stall(0))
    with pytest.raises(errors.APITimeoutError) as info:
        await answer(run, chat(mashagpt_emulator, max_retries=1, timeout=0.1), mode)
    assert info.value.attempts == 2
    assert len(mashagpt_emulator.requests) == 2


async def test_chunks_before_a_cut_reach_the_consumer_but_the_stream_raises(
    run: Runner, mashagpt_emulator: MashaGPTEmulator
) -> None:
    """What was streamed is the consumer's; the end is an error, not a short answer."""
    mashagpt_emulator.enqueue(Reply.stream_cut(3, content="One two three four five six."))
    model = chat(mashagpt_emulator)
    seen: list[str] = []

    async def consume() -> None:
        if run.is_async:
            async for chunk in model.astream("Hello"):
                seen.append(chunk.text)
        else:
            for chunk in model.stream("Hello"):
                seen.append(chunk.text)

    with pytest.raises(errors.IncompleteStreamError):
        await consume()
    text = "".join(seen)
    assert text
    assert "One two three four five six.".startswith(text)
    assert text != "One two three four five six."


# ---------------------------------------------------------------- odd but valid answers


def _sse(*events: object) -> str:
    return "".join(f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events)


_CHUNK = {"id": "chatcmpl-odd", "object": "chat.completion.chunk", "created": 1, "model": "m"}


@pytest.mark.parametrize("mode", BASIC)
async def test_unknown_fields_and_finish_reasons_are_tolerated(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str
) -> None:
    if is_stream(mode):
        body = _sse(
            {
                **_CHUNK,
                "novel": {"x": 1},
                "choices": [{"index": 0, "delta": {"role": "assistant"}}],
            },
            {
                **_CHUNK,
                "choices": [{"index": 0, "delta": {"content": "Hi", "extra": 1}, "logprobs": None}],
            },
            {**_CHUNK, "choices": [{"index": 0, "delta": {}, "finish_reason": "brand_new_reason"}]},
            {
                **_CHUNK,
                "choices": [],
                "usage": {
                    "prompt_tokens": 1,
                    "completion_tokens": 1,
                    "total_tokens": 2,
                    "total_energy": 3,
                },
            },
            "[DONE]",
        )
        mashagpt_emulator.enqueue(Reply.raw(200, body, "text/event-stream"))
    else:
        completion = {
            "id": "chatcmpl-odd",
            "object": "chat.completion",
            "created": 1,
            "model": "m",
            "system_fingerprint": "fp_new",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "Hi",
                        "refusal": None,
                        "annotations": [],
                    },
                    "finish_reason": "brand_new_reason",
                }
            ],
            "usage": {
                "prompt_tokens": 1,
                "completion_tokens": 1,
                "total_tokens": 2,
                "total_energy": 3,
            },
            "service_tier": "fast",
        }
        mashagpt_emulator.enqueue(Reply.raw(200, json.dumps(completion)))
    assert await answer(run, chat(mashagpt_emulator), mode) == "Hi"


@pytest.mark.parametrize("run_mode", ["sync", "async"])
async def test_the_unknown_finish_reason_is_passed_on(
    mashagpt_emulator: MashaGPTEmulator, run_mode: str
) -> None:
    mashagpt_emulator.enqueue(Reply.text("Hi", finish_reason="brand_new_reason"))
    message = await Runner(run_mode == "async").invoke(chat(mashagpt_emulator), "Hello")
    assert message.response_metadata["finish_reason"] == "brand_new_reason"


@pytest.mark.parametrize("mode", BASIC)
@pytest.mark.parametrize(
    ("completion", "chunk", "match"),
    [
        (
            {"id": "c", "choices": []},
            {**_CHUNK, "choices": []},
            "empty `choices` list|without any choice",
        ),
        ({"id": "c", "choices": ["Hi"]}, {**_CHUNK, "choices": ["Hi"]}, "format|no `message`"),
        (
            {"id": "c", "choices": [{"message": {"content": 42}}]},
            {**_CHUNK, "choices": [{"index": 0, "delta": {"content": 42}}]},
            "documented format",
        ),
        (
            {"id": "c", "choices": [{"message": {"content": "Hi"}}], "usage": "many"},
            {**_CHUNK, "choices": [], "usage": "many"},
            "usage is str, not an object",
        ),
        ({"id": "c", "choices": None}, {**_CHUNK, "choices": None}, "no `choices` list"),
    ],
    ids=["empty-choices", "choice-is-text", "content-is-number", "usage-is-text", "no-choices"],
)
async def test_answers_of_the_wrong_shape_are_a_validation_error(
    run: Runner,
    mashagpt_emulator: MashaGPTEmulator,
    mode: str,
    completion: dict[str, object],
    chunk: dict[str, object],
    match: str,
) -> None:
    if is_stream(mode):
        mashagpt_emulator.enqueue(Reply.raw(200, _sse(chunk, "[DONE]"), "text/event-stream"))
    else:
        mashagpt_emulator.enqueue(Reply.raw(200, json.dumps(completion)))
    with pytest.raises(errors.APIResponseValidationError, match=match):
        await answer(run, chat(mashagpt_emulator), mode)
    assert len(mashagpt_emulator.requests) == 1
