"""Every failure a call can meet is a `MashaGPTError`; answers OpenAI's schema allows parse.

Over real sockets, sync and async, a plain request and a stream; plus properties
of the attempt policy over arbitrary headers (no socket, no sleep).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core import exceptions as lc

from langchain_mashagpt import ChatMashaGPT, errors
from langchain_mashagpt._http.attempts import MAX_RETRY_AFTER, Attempts, Retry, server_wait
from tests.helpers import Runner
from tests.reliability.helpers import answer
from tests.reliability.hostile import DONE, Connection, Handler, Hostile, chunk, completion, event

BASIC = ["invoke", "stream"]
Start = Callable[[Handler], Hostile]


def model_on(server: Hostile, **kwargs: Any) -> ChatMashaGPT:
    kwargs.setdefault("max_retries", 1)
    kwargs.setdefault("timeout", 5.0)
    kwargs.setdefault("retry_backoff", 0.01)
    return ChatMashaGPT(api_key="sk-hostile-test", base_url=server.base_url, **kwargs)


def body_for(conn: Connection, events: list[bytes], whole: dict[str, Any]) -> None:
    if conn.payload.get("stream"):
        conn.stream(events)
        conn.end_chunks()
    else:
        conn.reply(200, whole)


@pytest.mark.parametrize("mode", BASIC)
@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
async def test_a_body_that_is_not_its_content_encoding_is_a_validation_error(
    run: Runner, hostile: Start, mode: str, encoding: str
) -> None:
    def handle(conn: Connection) -> None:
        kind = "text/event-stream" if conn.payload.get("stream") else "application/json"
        conn.reply(
            200, b"\xff\xfenot compressed at all", kind, headers={"Content-Encoding": encoding}
        )

    with pytest.raises(errors.APIResponseValidationError, match="Content-Encoding"):
        await answer(run, model_on(hostile(handle)), mode)


async def test_a_bom_before_the_first_event_is_skipped(run: Runner, hostile: Start) -> None:
    def handle(conn: Connection) -> None:
        conn.stream([b"\xef\xbb", b"\xbf" + event(chunk("Hello")), event(chunk(" world")), DONE])
        conn.end_chunks()

    assert await answer(run, model_on(hostile(handle)), "stream") == "Hello world"


@pytest.mark.parametrize("mode", BASIC)
async def test_a_bom_before_a_json_answer_is_skipped(
    run: Runner, hostile: Start, mode: str
) -> None:
    import json

    def handle(conn: Connection) -> None:
        if conn.payload.get("stream"):
            conn.stream([b"\xef\xbb\xbf" + event(chunk("Hello world")) + DONE])
            conn.end_chunks()
        else:
            conn.reply(200, b"\xef\xbb\xbf" + json.dumps(completion()).encode())

    assert await answer(run, model_on(hostile(handle)), mode) == "Hello world"


async def test_a_bare_error_body_in_an_event_stream_is_the_servers_error(
    run: Runner, hostile: Start
) -> None:
    error = {"error": {"message": "Model overloaded", "code": "overloaded"}}
    server = hostile(lambda conn: conn.reply(200, error, "text/event-stream"))
    with pytest.raises(errors.APIError, match="Model overloaded") as info:
        await answer(run, model_on(server, max_retries=3), "stream")
    assert not isinstance(info.value, errors.APIConnectionError)  # not "cut", not retried
    assert info.value.code == "overloaded"
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", BASIC)
@pytest.mark.parametrize("error", [None, {}])
async def test_an_empty_error_next_to_choices_is_no_error(
    run: Runner, hostile: Start, mode: str, error: Any
) -> None:
    def handle(conn: Connection) -> None:
        body_for(
            conn,
            [event({**chunk("Hello"), "error": error}), event(chunk(" world")), DONE],
            completion(error=error),
        )

    assert await answer(run, model_on(hostile(handle)), mode) == "Hello world"


@pytest.mark.parametrize("mode", BASIC)
@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("context_length_exceeded", "Too many tokens."),
        (None, "This model's maximum context length is 8192 tokens."),
        (None, "prompt is too long: 300000 tokens > 200000 maximum"),
    ],
)
async def test_a_context_that_is_too_long_is_a_context_overflow_error(
    run: Runner, hostile: Start, mode: str, code: str | None, message: str
) -> None:
    body = {"error": {"message": message, "code": code, "type": "invalid_request_error"}}
    server = hostile(lambda conn: conn.reply(400, body))
    with pytest.raises(errors.ContextOverflowError) as info:
        await answer(run, model_on(server), mode)
    exc = info.value
    assert isinstance(exc, errors.BadRequestError)
    assert isinstance(exc, lc.ContextOverflowError)
    assert str(exc).count(".") >= 2
    assert ".." not in str(exc)
    assert "Shorten the conversation" in str(exc)


# ---------------------------------------------------------------- properties, no sockets

HEADER_TEXT = st.one_of(
    st.text(max_size=60),
    st.from_regex(
        r"[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{1,6} \d\d:\d\d:\d\d GMT", fullmatch=True
    ),
    st.from_regex(r"-?\d{1,400}(\.\d{0,5})?(e-?\d{1,4})?", fullmatch=True),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "0", "-0", "NaN", "Infinity"]),
)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(["retry-after", "retry-after-ms"]), value=HEADER_TEXT)
def test_server_wait_never_raises_and_is_a_sane_number(name: str, value: str) -> None:
    wait = server_wait({name: value})
    assert wait is None or (math.isfinite(wait) and wait >= 0)


@settings(max_examples=100, deadline=None)
@given(
    status=st.sampled_from([408, 409, 429, 500, 502, 503]),
    value=HEADER_TEXT,
    made=st.integers(min_value=1, max_value=4),
)
def test_the_policy_always_answers_a_wait_within_the_cap_or_an_error(
    status: int, value: str, made: int
) -> None:
    attempts = Attempts(max_retries=3, deadline=None, url="http://x/v1/chat/completions")
    attempts.made = made
    step = attempts.refused(status, {"retry-after": value}, b"{}", frozenset())
    if isinstance(step, Retry):
        assert 0 <= step.wait <= MAX_RETRY_AFTER
        assert made <= 3
    else:
        assert isinstance(step, errors.APIStatusError)
        assert step.retry_after is None or step.retry_after > MAX_RETRY_AFTER or made > 3


def test_the_policy_refuses_to_sleep_past_the_deadline() -> None:
    now = [0.0]
    attempts = Attempts(max_retries=5, deadline=10.0, url="u", clock=lambda: now[0])
    assert attempts.send(120.0) == 10.0  # the read timeout is cut to the deadline
    now[0] = 9.0
    step = attempts.refused(503, {"retry-after": "5"}, b"", frozenset())
    assert isinstance(step, errors.InternalServerError)
    assert step.retry_after == 5.0
    now[0] = 10.0
    with pytest.raises(errors.DeadlineExceededError):
        attempts.send(120.0)
