"""Non-streamed answers: shape, usage and energy, `n`, `stop`, `max_tokens`."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from langchain_mashagpt.testing import ENERGY_RATES, MashaGPTEmulator, Reply, count_tokens
from tests.emulator.helpers import WEATHER, Api


def test_completion_shape(api: Api) -> None:
    before = int(time.time())
    answer = api.post()
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-request-id"]
    data = answer.json()
    assert set(data) == {"id", "object", "created", "model", "choices", "usage"}
    assert data["id"].startswith("chatcmpl-")
    assert data["object"] == "chat.completion"
    assert isinstance(data["created"], int)
    assert data["created"] >= before
    assert data["model"] == "gpt-4o-mini"
    assert data["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello! How can I help you today?"},
            "finish_reason": "stop",
        }
    ]


def test_ids_are_distinct(api: Api) -> None:
    assert api.post().json()["id"] != api.post().json()["id"]


def test_usage_matches_the_text(api: Api) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are terse.", "name": "setup"},
        {"role": "user", "content": "What is the weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "function_call": {"name": "get_weather", "arguments": '{"location": "Paris"}'},
        },
        {"role": "function", "name": "get_weather", "content": "Sunny, 25 °C"},
    ]
    data = api.post(model="claude-3-opus", messages=messages, functions=[WEATHER]).json()
    prompt = sum(count_tokens(m["content"] or "") for m in messages)
    prompt += count_tokens("setup") + count_tokens("get_weather") * 2
    prompt += count_tokens('{"location": "Paris"}')
    prompt += count_tokens(json.dumps([WEATHER], ensure_ascii=False))
    content = data["choices"][0]["message"]["content"]
    assert content == "The result of get_weather is Sunny, 25 °C."
    completion = count_tokens(content)
    prompt_rate, completion_rate = ENERGY_RATES["claude-3-opus"]
    assert data["usage"] == {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_energy": prompt * prompt_rate,
        "completion_energy": completion * completion_rate,
        "total_energy": prompt * prompt_rate + completion * completion_rate,
    }


def test_energy_depends_on_the_model(api: Api) -> None:
    cheap = api.post(model="gpt-3.5-turbo").json()["usage"]
    dear = api.post(model="gpt-4").json()["usage"]
    assert cheap["total_tokens"] == dear["total_tokens"]
    assert cheap["total_energy"] < dear["total_energy"]


def test_function_call_answer(api: Api) -> None:
    messages = [{"role": "user", "content": "What is the weather in San Francisco, CA?"}]
    data = api.post(messages=messages, functions=[WEATHER]).json()
    choice = data["choices"][0]
    assert choice["finish_reason"] == "function_call"
    assert choice["message"]["content"] is None
    call = choice["message"]["function_call"]
    assert call["name"] == "get_weather"
    assert json.loads(call["arguments"]) == {"location": "San Francisco, CA"}
    tokens = count_tokens("get_weather") + count_tokens(call["arguments"])
    assert data["usage"]["completion_tokens"] == tokens


def test_function_call_none_answers_in_text(api: Api) -> None:
    messages = [{"role": "user", "content": "What is the weather in Paris? Use the tool."}]
    data = api.post(messages=messages, functions=[WEATHER], function_call="none").json()
    assert data["choices"][0]["finish_reason"] == "stop"
    assert "function_call" not in data["choices"][0]["message"]


def test_russian_is_real_utf8(api: Api) -> None:
    answer = api.post(messages=[{"role": "user", "content": "Привет!"}])
    assert "Привет! Чем могу помочь?".encode() in answer.body
    assert b"\\u" not in answer.body


def test_n_choices_are_distinct_and_counted(api: Api) -> None:
    data = api.post(n=3).json()
    contents = [c["message"]["content"] for c in data["choices"]]
    assert [c["index"] for c in data["choices"]] == [0, 1, 2]
    assert contents[0] == "Hello! How can I help you today?"
    assert contents[1] == "Variant 2: " + contents[0]
    assert len(set(contents)) == 3
    assert data["usage"]["completion_tokens"] == sum(count_tokens(c) for c in contents)


def test_scripted_reply_is_the_same_in_every_choice(emu: MashaGPTEmulator, api: Api) -> None:
    emu.enqueue(Reply.text("Same."))
    data = api.post(n=2).json()
    assert [c["message"]["content"] for c in data["choices"]] == ["Same.", "Same."]


@pytest.mark.parametrize(
    ("stop", "expected"),
    [
        (["you"], "Hello! How can I help "),
        ("!", "Hello"),
        (["today", "How"], "Hello! "),
        (["absent"], "Hello! How can I help you today?"),
    ],
)
def test_stop_cuts_before_the_first_sequence(api: Api, stop: Any, expected: str) -> None:
    data = api.post(stop=stop).json()
    assert data["choices"][0]["message"]["content"] == expected
    assert data["choices"][0]["finish_reason"] == "stop"
    assert data["usage"]["completion_tokens"] == count_tokens(expected)


@pytest.mark.parametrize(
    ("max_tokens", "expected", "reason"),
    [
        (1, "Hello", "length"),
        (3, "Hello! How", "length"),
        (9, "Hello! How can I help you today?", "stop"),
        (100, "Hello! How can I help you today?", "stop"),
    ],
)
def test_max_tokens_cuts_with_length(api: Api, max_tokens: int, expected: str, reason: str) -> None:
    data = api.post(max_tokens=max_tokens).json()
    assert data["choices"][0]["message"]["content"] == expected
    assert data["choices"][0]["finish_reason"] == reason
    assert data["usage"]["completion_tokens"] == min(max_tokens, 9)


def test_stop_before_max_tokens_wins(api: Api) -> None:
    data = api.post(stop=["!"], max_tokens=5).json()
    assert data["choices"][0] == {
        "index": 0,
        "message": {"role": "assistant", "content": "Hello"},
        "finish_reason": "stop",
    }


def test_max_tokens_truncates_function_arguments(emu: MashaGPTEmulator, api: Api) -> None:
    emu.enqueue(Reply.function_call("get_weather", '{"location": "San Francisco, CA"}'))
    data = api.post(functions=[WEATHER], max_tokens=4).json()
    choice = data["choices"][0]
    assert choice["finish_reason"] == "length"
    arguments = choice["message"]["function_call"]["arguments"]
    assert arguments == '{"location'
    with pytest.raises(json.JSONDecodeError):
        json.loads(arguments)


def test_scripted_finish_reason_overrides(emu: MashaGPTEmulator, api: Api) -> None:
    emu.enqueue(Reply.text("", finish_reason="content_filter"))
    choice = api.post().json()["choices"][0]
    assert choice == {
        "index": 0,
        "message": {"role": "assistant", "content": ""},
        "finish_reason": "content_filter",
    }


def test_keep_alive_connection_serves_several_requests(emu: MashaGPTEmulator) -> None:
    import http.client

    connection = http.client.HTTPConnection(emu.host, emu.port, timeout=10)
    headers = {"Authorization": f"Bearer {emu.api_key}", "Content-Type": "application/json"}
    payload = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})
    try:
        for stream in (False, True, False):
            data = json.loads(payload)
            data["stream"] = stream
            connection.request("POST", "/v1/chat/completions", json.dumps(data), headers)
            answer = connection.getresponse()
            assert answer.status == 200
            assert answer.getheader("connection") == "keep-alive"
            answer.read()
        connection.request(
            "POST", "/v1/chat/completions", payload, {**headers, "Connection": "close"}
        )
        answer = connection.getresponse()
        assert answer.getheader("connection") == "close"
        answer.read()
    finally:
        connection.close()
    assert len(emu.requests) == 4
