"""Usage you can bill on, over real sockets: counts checked, no resend after a 2xx, waits.

Sync and async, a plain request and a stream.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from langchain_mashagpt import ChatMashaGPT, errors, get_mashagpt_callback
from langchain_mashagpt.testing import Deviations, MashaGPTEmulator
from tests.helpers import Runner, merge, record_waits
from tests.reliability.helpers import answer
from tests.reliability.hostile import DONE, Connection, Handler, Hostile, chunk, completion, event

BASIC = ["invoke", "stream"]
Start = Callable[[Handler], Hostile]


def model_on(server: Hostile | MashaGPTEmulator, **kwargs: Any) -> ChatMashaGPT:
    kwargs.setdefault("max_retries", 2)
    kwargs.setdefault("timeout", 5.0)
    kwargs.setdefault("retry_backoff", 0.01)
    key = getattr(server, "api_key", "sk-hostile-test")
    return ChatMashaGPT(api_key=key, base_url=server.base_url, **kwargs)


async def message(run: Runner, model: ChatMashaGPT, mode: str) -> AIMessage:
    if mode == "invoke":
        result = await run.invoke(model, "Hi")
        assert isinstance(result, AIMessage)
        return result
    return merge(await run.stream(model, "Hi"))


def with_usage(usage: dict[str, Any]) -> Handler:
    def handle(conn: Connection) -> None:
        if conn.payload.get("stream"):
            last = {**chunk(), "choices": [], "usage": usage}
            conn.stream([event(chunk("Hi")), event(last), DONE])
            conn.end_chunks()
        else:
            conn.reply(200, completion("Hi", usage=usage))

    return handle


# ---------------------------------------------------------------- counts


@pytest.mark.parametrize("mode", BASIC)
async def test_numeric_strings_are_counted_as_numbers(
    run: Runner, hostile: Start, mode: str
) -> None:
    usage = {
        "prompt_tokens": "12",
        "completion_tokens": 5.0,
        "prompt_energy": "30",
        "completion_energy": "20",
        "total_energy": "50",
        "prompt_tokens_details": {"cached_tokens": "4"},
        "completion_tokens_details": {"reasoning_tokens": 2},
    }
    with get_mashagpt_callback() as cb:
        msg = await message(run, model_on(hostile(with_usage(usage))), mode)
    assert msg.usage_metadata is not None
    assert msg.usage_metadata["input_tokens"] == 12
    assert msg.usage_metadata["total_tokens"] == 17  # not "12" + "5" = "125"
    assert msg.usage_metadata.get("input_token_details") == {"cache_read": 4}
    assert msg.usage_metadata.get("output_token_details") == {"reasoning": 2}
    assert msg.response_metadata["token_usage"]["total_energy"] == 50
    assert (cb.total_tokens, cb.total_energy) == (17, 50)


@pytest.mark.parametrize("mode", BASIC)
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("total_energy", -1000),
        ("prompt_tokens", 1.5),
        ("completion_tokens", True),
        ("prompt_energy", 10**30),
        ("total_tokens", "many"),
    ],
)
async def test_counts_that_cannot_be_trusted_are_an_error(
    run: Runner, hostile: Start, mode: str, field: str, value: Any
) -> None:
    usage = {"prompt_tokens": 1, "completion_tokens": 1, field: value}
    with (
        get_mashagpt_callback() as cb,
        pytest.raises(errors.APIResponseValidationError, match=f"usage has {field}="),
    ):
        await message(run, model_on(hostile(with_usage(usage))), mode)
    assert cb.total_energy == 0  # a negative energy never refunds a budget


# ---------------------------------------------------------------- no resend after a 2xx


@pytest.mark.parametrize("mode", BASIC)
async def test_a_2xx_cut_off_is_not_sent_again(run: Runner, hostile: Start, mode: str) -> None:
    def handle(conn: Connection) -> None:
        if conn.payload.get("stream"):
            conn.stream([event(chunk("Hi"))])  # then the connection drops
        else:
            conn.send(
                conn.head_of(200, {"Content-Type": "application/json", "Content-Length": "900"})
            )
            conn.send(b'{"id": "c1", "choices": [')

    server = hostile(handle)
    with pytest.raises(errors.APIConnectionError) as info:
        await answer(run, model_on(server, max_retries=3), mode)
    assert len(server.requests) == 1
    assert info.value.attempts == 1
    text = str(info.value)
    assert ("not sent again" in text) or ("never sent again" in text)


async def test_a_2xx_that_stalls_is_not_sent_again(run: Runner, hostile: Start) -> None:
    def handle(conn: Connection) -> None:
        conn.send(conn.head_of(200, {"Content-Type": "application/json", "Content-Length": "900"}))
        conn.wait(3)

    server = hostile(handle)
    with pytest.raises(errors.APITimeoutError, match="billed"):
        await answer(run, model_on(server, max_retries=3, timeout=0.3), "invoke")
    assert len(server.requests) == 1


# ---------------------------------------------------------------- Retry-After


@pytest.mark.parametrize("mode", BASIC)
@pytest.mark.parametrize("header", [{"Retry-After": "3600"}, {"retry-after-ms": "90000"}])
async def test_a_retry_after_beyond_the_cap_raises_at_once(
    run: Runner,
    hostile: Start,
    mode: str,
    header: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = hostile(
        lambda conn: conn.reply(429, {"error": {"message": "Slow down"}}, headers=header)
    )
    waits = record_waits(monkeypatch)
    with pytest.raises(errors.RateLimitError) as info:
        await answer(run, model_on(server, max_retries=5), mode)
    assert waits == []  # raised at once: nothing slept
    assert len(server.requests) == 1
    exc = info.value
    assert exc.retry_after == (3600 if "Retry-After" in header else 90)
    assert "longer than this client sleeps (60 s)" in str(exc)
    assert str(exc).count("Slow down.") == 1


@pytest.mark.parametrize("mode", BASIC)
async def test_a_retry_after_date_that_overflows_falls_back_to_backoff(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str
) -> None:
    from langchain_mashagpt.testing import Reply

    overflow = Reply.http_error(429, headers={"Retry-After": "Fri, 31 Dec 99999 23:59:59 GMT"})
    mashagpt_emulator.enqueue(overflow, Reply.text("After the wait."))
    assert await answer(run, model_on(mashagpt_emulator), mode) == "After the wait."


# ---------------------------------------------------------------- stream_options


@pytest.mark.parametrize("mode", ["stream", "streaming_invoke"])
async def test_a_refused_stream_options_is_dropped_once_and_remembered(
    run: Runner, mode: str
) -> None:
    with MashaGPTEmulator(deviations=Deviations(refuse_stream_options=True)) as emu:
        model = model_on(emu)
        assert await answer(run, model, mode)
        assert await answer(run, model, mode)
        sent = [("stream_options" in r.body) for r in emu.requests]
    assert sent == [True, False, False]  # refused once, then left out for this URL


async def test_usage_is_still_reported_when_a_chunk_carries_it(run: Runner, hostile: Start) -> None:
    def handle(conn: Connection) -> None:
        if "stream_options" in conn.payload:
            conn.reply(400, {"error": {"message": "Unknown parameter: 'stream_options'."}})
            return
        usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
        conn.stream([event(chunk("Hi")), event({**chunk(), "choices": [], "usage": usage}), DONE])
        conn.end_chunks()

    server = hostile(handle)
    msg = merge(await run.stream(model_on(server), "Hi"))
    assert msg.usage_metadata is not None
    assert msg.usage_metadata["total_tokens"] == 5
    assert len(server.requests) == 2


async def test_a_400_that_does_not_name_stream_options_is_not_resent(
    run: Runner, hostile: Start
) -> None:
    server = hostile(lambda conn: conn.reply(400, {"error": {"message": "Bad model."}}))
    with pytest.raises(errors.BadRequestError):
        await answer(run, model_on(server), "stream")
    assert len(server.requests) == 1
