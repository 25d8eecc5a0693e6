"""Answers in OpenAI's newer shape, as gateways send them, are kept rather than dropped.

Over real sockets, sync and async, a plain request and a stream.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from langchain_mashagpt import ChatMashaGPT
from tests.helpers import Runner, merge
from tests.reliability.hostile import DONE, Connection, Handler, Hostile, chunk, completion, event

Start = Callable[[Handler], Hostile]
EXTRAS = {"system_fingerprint": "fp_1", "service_tier": "default"}
LOGPROBS = {"content": [{"token": "Hi", "logprob": -0.1, "top_logprobs": []}]}


def model_on(server: Hostile) -> ChatMashaGPT:
    return ChatMashaGPT(
        api_key="sk-hostile-test", base_url=server.base_url, timeout=5.0, retry_backoff=0.01
    )


async def message(run: Runner, model: Any, mode: str) -> AIMessage:
    if mode == "invoke":
        result = await run.invoke(model, "Hi")
        assert isinstance(result, AIMessage)
        return result
    return merge(await run.stream(model, "Hi"))


def gateway_calls(conn: Connection) -> None:
    calls = [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        },
        {"id": "call_b", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
    ]
    if conn.payload.get("stream"):
        first = chunk()
        first["choices"][0]["delta"] = {"tool_calls": [{"index": 0, **calls[0]}]}
        second = chunk()
        second["choices"][0]["delta"] = {"tool_calls": [{"index": 1, **calls[1]}]}
        last = chunk()
        last["choices"][0]["finish_reason"] = "tool_calls"
        conn.stream([event(first), event(second), event(last), DONE])
        conn.end_chunks()
    else:
        body = completion(content="")
        body["choices"][0]["message"] = {"role": "assistant", "content": None, "tool_calls": calls}
        conn.reply(200, body)


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_gateway_tool_calls_become_tool_calls(run: Runner, hostile: Start, mode: str) -> None:
    msg = await message(run, model_on(hostile(gateway_calls)), mode)
    assert [(c["name"], c["args"]) for c in msg.tool_calls] == [
        ("get_weather", {"city": "Paris"}),
        ("get_time", {}),
    ]
    assert msg.invalid_tool_calls == []


def with_extras(conn: Connection) -> None:
    if conn.payload.get("stream"):
        first = {**chunk("Hi"), "created": 1_700_000_123, **EXTRAS}
        first["choices"][0]["logprobs"] = LOGPROBS
        conn.stream([event(first), event({**chunk(" there"), **EXTRAS}), DONE])
        conn.end_chunks()
    else:
        body = completion("Hi there", **EXTRAS)
        body["choices"][0]["logprobs"] = LOGPROBS
        body["choices"][0]["message"]["refusal"] = None
        conn.reply(200, body)


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_fingerprint_tier_logprobs_and_created_are_kept(
    run: Runner, hostile: Start, mode: str
) -> None:
    msg = await message(run, model_on(hostile(with_extras)), mode)
    assert msg.content == "Hi there"
    meta = msg.response_metadata
    assert meta["system_fingerprint"] == "fp_1"
    assert meta["service_tier"] == "default"
    assert meta["logprobs"] == LOGPROBS
    if mode == "invoke":
        assert meta["index"] == 0
    else:
        assert meta["created"] == 1_700_000_123


async def test_a_refusal_is_kept(run: Runner, hostile: Start) -> None:
    def handle(conn: Connection) -> None:
        body = completion("")
        body["choices"][0]["message"] = {
            "role": "assistant",
            "content": None,
            "refusal": "I can't help with that.",
        }
        conn.reply(200, body)

    msg = await message(run, model_on(hostile(handle)), "invoke")
    assert msg.response_metadata["refusal"] == "I can't help with that."
