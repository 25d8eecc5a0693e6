"""The batch function `multi_tool_use_parallel`, over raw HTTP: calls, forcing, history."""

from __future__ import annotations

import json
from typing import Any

import pytest

from langchain_mashagpt._functions.batch import batch_function
from langchain_mashagpt.testing._args import split_subjects
from tests.emulator.helpers import WEATHER, Api, parse_sse

CITY: dict[str, Any] = {
    "name": "get_time",
    "description": "The local time in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "format": {"enum": ["12h", "24h"]}},
        "required": ["city"],
    },
}
LEAN = batch_function([WEATHER, CITY], with_schemas=False)
ALONE = batch_function([WEATHER, CITY], with_schemas=True)


def ask(api: Api, messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    answer = api.post(messages=messages, **extra)
    assert answer.status == 200, answer.body
    message: dict[str, Any] = answer.json()["choices"][0]["message"]
    return message


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def uses(message: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    call = message["function_call"]
    assert call["name"] == "multi_tool_use_parallel"
    return [
        (u["recipient_name"], u["parameters"]) for u in json.loads(call["arguments"])["tool_uses"]
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What is the weather in Moscow and in Paris?", ["Moscow", "Paris"]),
        ("Weather in Moscow, Paris and Berlin, please", ["Moscow", "Paris", "Berlin"]),
        ("Какая погода в Москве и в Казани? Используй инструмент.", ["Москва", "Казань"]),
        ("weather for New York & San Francisco", ["New York", "San Francisco"]),
    ],
)
def test_auto_one_batch_call_with_an_item_per_thing(
    api: Api, text: str, expected: list[str]
) -> None:
    message = ask(api, user(text), functions=[WEATHER, CITY, LEAN])
    assert message["content"] is None
    assert uses(message) == [("get_weather", {"location": city}) for city in expected]


def test_auto_one_thing_is_a_direct_call(api: Api) -> None:
    message = ask(api, user("What is the weather in Moscow?"), functions=[WEATHER, CITY, LEAN])
    assert message["function_call"]["name"] == "get_weather"
    assert json.loads(message["function_call"]["arguments"]) == {"location": "Moscow"}


def test_the_batch_function_is_never_chosen_as_a_tool(api: Api) -> None:
    # its name shares "use" with "use the tool": the tools come first
    message = ask(api, user("Use the tool please"), functions=[WEATHER, LEAN])
    assert message["function_call"]["name"] == "get_weather"


def test_forced_batch_alone_uses_each_tools_schema(api: Api) -> None:
    text = "What time is it in Tokyo and in Lima, 24h?"
    forced = {"name": "multi_tool_use_parallel"}
    message = ask(api, user(text), functions=[ALONE], function_call=forced)
    assert uses(message) == [
        ("get_time", {"city": "Tokyo", "format": "24h"}),
        ("get_time", {"city": "Lima", "format": "24h"}),
    ]
    # one thing: still the batch function, with one item
    message = ask(api, user("Weather in Oslo?"), functions=[ALONE], function_call=forced)
    assert uses(message) == [("get_weather", {"location": "Oslo"})]


def test_forced_batch_beside_the_tools(api: Api) -> None:
    forced = {"name": "multi_tool_use_parallel"}
    text = "weather in Rome and Milan"
    message = ask(api, user(text), functions=[WEATHER, LEAN], function_call=forced)
    assert uses(message) == [("get_weather", {"location": c}) for c in ("Rome", "Milan")]


def test_history_with_a_batch_call_and_its_results(api: Api) -> None:
    text = "What is the weather in Moscow and in Paris?"
    call = ask(api, user(text), functions=[WEATHER, LEAN])
    history = [
        *user(text),
        call,
        {"role": "function", "name": "get_weather", "content": "Snow in Moscow"},
        {"role": "function", "name": "get_weather", "content": "Rain in Paris"},
    ]
    message = ask(api, history, functions=[WEATHER, LEAN])
    assert message == {
        "role": "assistant",
        "content": "The result of get_weather is Snow in Moscow. "
        "The result of get_weather is Rain in Paris.",
    }


def test_without_the_batch_function_one_call_per_answer(api: Api) -> None:
    """The same request, sequentially: the next thing after each result."""
    text = "Weather in Moscow, Paris and Berlin?"
    history = user(text)
    for city in ("Moscow", "Paris", "Berlin"):
        call = ask(api, history, functions=[WEATHER])
        assert call["function_call"]["name"] == "get_weather"
        assert json.loads(call["function_call"]["arguments"]) == {"location": city}
        result = {"role": "function", "name": "get_weather", "content": f"Sunny in {city}"}
        history = [*history, call, result]
    final = ask(api, history, functions=[WEATHER])
    assert final["content"] == " ".join(
        f"The result of get_weather is Sunny in {c}." for c in ("Moscow", "Paris", "Berlin")
    )


def test_call_result_pairs_after_a_batch_answer_the_same(api: Api) -> None:
    """The client sends a batch's calls back as call/result pairs: the same final answer."""
    text = "What is the weather in Moscow and in Paris?"
    history = user(text)
    for city in ("Moscow", "Paris"):
        arguments = json.dumps({"location": city})
        history += [
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "get_weather", "arguments": arguments},
            },
            {"role": "function", "name": "get_weather", "content": f"Fog in {city}"},
        ]
    message = ask(api, history, functions=[WEATHER, LEAN])
    assert message["content"] == (
        "The result of get_weather is Fog in Moscow. The result of get_weather is Fog in Paris."
    )


def test_a_batch_call_is_streamed_as_one_function_call(api: Api) -> None:
    text = "Weather in Moscow and Paris"
    answer = api.post(messages=user(text), functions=[WEATHER, LEAN], stream=True)
    stream = parse_sse(answer.body)
    name, arguments = stream.call()
    assert name == "multi_tool_use_parallel"
    assert json.loads(arguments)["tool_uses"] == [
        {"recipient_name": "get_weather", "parameters": {"location": c}}
        for c in ("Moscow", "Paris")
    ]
    assert stream.chunks[-1]["choices"][0]["finish_reason"] == "function_call"


def test_usage_counts_the_batch_function(api: Api) -> None:
    plain = api.post(messages=user("Hi"), functions=[WEATHER]).json()["usage"]
    batch = api.post(messages=user("Hi"), functions=[WEATHER, LEAN]).json()["usage"]
    assert batch["prompt_tokens"] > plain["prompt_tokens"]


def test_a_batch_function_without_an_enum_is_called_from_its_own_schema(api: Api) -> None:
    own = {
        "name": "multi_tool_use_parallel",
        "parameters": {"type": "object", "properties": {"tool_uses": {"type": "array"}}},
    }
    forced = {"name": "multi_tool_use_parallel"}
    message = ask(api, user("Hello"), functions=[own], function_call=forced)
    assert message["function_call"]["name"] == "multi_tool_use_parallel"


@pytest.mark.parametrize(
    "text",
    ["weather in San Francisco, CA", "What is the weather in Moscow?", "Hello. I am Bob"],
)
def test_no_enumeration_is_one_subject(text: str) -> None:
    assert split_subjects(text) == [text]


def test_a_broken_batch_call_in_the_history_is_answered_from_its_result(api: Api) -> None:
    text = "Weather in Moscow and Paris?"
    broken = {
        "role": "assistant",
        "content": None,
        "function_call": {"name": "multi_tool_use_parallel", "arguments": "{not json"},
    }
    result = {"role": "function", "name": "multi_tool_use_parallel", "content": "error: bad"}
    message = ask(api, [*user(text), broken, result], functions=[WEATHER])
    # it counts as no call of get_weather, so no call follows it: the error is reported
    assert message["content"] == (
        "The function multi_tool_use_parallel failed: error: bad Please check the "
        "arguments and try again."
    )
