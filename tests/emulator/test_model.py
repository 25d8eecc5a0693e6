"""The rule-based model: the prompts of LangChain's standard tests and the demo's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.utils.function_calling import convert_to_openai_function
from langchain_tests.integration_tests.chat_models import (
    _get_joke_class,
    magic_function,
    magic_function_no_args,
    unicode_customer,
)
from pydantic import BaseModel, Field

from langchain_mashagpt.testing._args import generate_arguments
from langchain_mashagpt.testing._model import reply_to_text
from tests.emulator.helpers import Api


def call(api: Api, text: str, functions: list[Any], force: str | None = None) -> dict[str, Any]:
    extra: dict[str, Any] = {"function_call": {"name": force}} if force else {}
    answer = api.post(messages=[{"role": "user", "content": text}], functions=functions, **extra)
    assert answer.status == 200, answer.body
    message: dict[str, Any] = answer.json()["choices"][0]["message"]
    return message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello", "Hello! How can I help you today?"),
        ("hi", "Hello! How can I help you today?"),
        ("how are you", "I'm doing well, thank you! How can I help you today?"),
        ("Привет! Как дела?", "Привет! Чем могу помочь?"),
        ("What is 2+2?", "2 + 2 = 4."),
        ("Compute (3 + 4) * 2 please", "(3 + 4) * 2 = 14."),
        ("What is 7 / 2", "7 / 2 = 3.5."),
        ("Сколько будет 6*7?", "6 * 7 = 42."),
        ("Repeat after me: the quick brown fox", "the quick brown fox"),
        ("Say 'ping'", "ping"),
        ("Повтори: мама мыла раму", "мама мыла раму"),
        (
            "Tell me a joke about cats.",
            "Why was the cat sitting on the computer? To keep an eye on the mouse!",
        ),
        ("", "I received an empty message. What would you like to ask?"),
        (
            "Explain the theory of relativity",
            'You said: "Explain the theory of relativity". This is a reply from the MashaGPT emulator.',
        ),
        (
            "Объясни что такое ИИ",
            "Вы написали: «Объясни что такое ИИ». Это ответ эмулятора MashaGPT.",
        ),
    ],
)
def test_text_competences(text: str, expected: str) -> None:
    assert reply_to_text(text) == expected


def test_json_request_answers_json() -> None:
    text = (
        "Tell me a joke about cats. Return the result as a JSON with 'setup' and 'punchline' keys."
    )
    assert set(json.loads(reply_to_text(text))) == {"setup", "punchline"}


def test_magic_function_forced_and_auto(api: Api) -> None:
    fn = convert_to_openai_function(magic_function)
    text = "What is the value of magic_function(3)? Use the tool."
    for force in ("magic_function", None):
        message = call(api, text, [fn], force)
        assert message["function_call"]["name"] == "magic_function"
        assert json.loads(message["function_call"]["arguments"]) == {"input": 3}


def test_magic_function_no_args(api: Api) -> None:
    fn = convert_to_openai_function(magic_function_no_args)
    message = call(api, "What is the value of magic_function_no_args()? Use the tool.", [fn])
    assert message["function_call"] == {"name": "magic_function_no_args", "arguments": "{}"}


def test_tool_choice_with_two_functions(api: Api) -> None:
    functions = [
        convert_to_openai_function(magic_function),
        convert_to_openai_function(unicode_customer),
    ]
    message = call(api, "Hello!", functions, force="magic_function")
    assert message["function_call"]["name"] == "magic_function"
    assert "function_call" not in call(api, "Hello!", functions)  # auto: just a greeting


def test_unicode_arguments_are_preserved(api: Api) -> None:
    fn = convert_to_openai_function(unicode_customer)
    for text, name in [
        (
            "Create a customer named '你好啊集团' (Hello Group) - a Chinese technology company",
            "你好啊集团",
        ),
        (
            "Create a customer named 'こんにちは株式会社' (Hello Corporation) - a Japanese company",
            "こんにちは株式会社",
        ),
    ]:
        answer = api.post(
            messages=[{"role": "user", "content": text}],
            functions=[fn],
            function_call={"name": "unicode_customer"},
        )
        assert name.encode() in answer.body
        arguments = json.loads(answer.json()["choices"][0]["message"]["function_call"]["arguments"])
        assert arguments["customer_name"] == name
        assert isinstance(arguments["description"], str)


def test_runnable_as_tool_gets_answer_style(api: Api) -> None:
    fn = {
        "name": "greeting_generator",
        "description": "Generate a greeting in a particular style of speaking.",
        "parameters": {
            "type": "object",
            "properties": {"answer_style": {"type": "string"}},
            "required": ["answer_style"],
        },
    }
    message = call(api, "Using the tool, generate a Pirate greeting.", [fn])
    assert json.loads(message["function_call"]["arguments"]) == {"answer_style": "Pirate"}


def test_few_shot_adder_uses_the_latest_question(api: Api) -> None:
    adder = {
        "name": "my_adder_tool",
        "description": "Adds a and b.",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
    }
    messages = [
        {"role": "user", "content": "What is 1 + 2"},
        {
            "role": "assistant",
            "content": None,
            "function_call": {"name": "my_adder_tool", "arguments": '{"a": 1, "b": 2}'},
        },
        {"role": "function", "name": "my_adder_tool", "content": '{"result": 3}'},
        {"role": "assistant", "content": '{"result": 3}'},
        {"role": "user", "content": "What is 3 + 4"},
    ]
    data = api.post(messages=messages, functions=[adder], function_call={"name": "my_adder_tool"})
    arguments = data.json()["choices"][0]["message"]["function_call"]["arguments"]
    assert json.loads(arguments) == {"a": 3, "b": 4}
    # after a function result, with "auto": a text answer that uses the result
    data = api.post(messages=messages[:3], functions=[adder]).json()
    assert data["choices"][0]["message"]["content"] == "The result of my_adder_tool is 3."
    error = [
        *messages[:2],
        {
            "role": "function",
            "name": "my_adder_tool",
            "content": "Error: Missing required argument 'b'.",
        },
    ]
    content = api.post(messages=error, functions=[adder]).json()["choices"][0]["message"]["content"]
    assert content.startswith("The function my_adder_tool failed: Error: Missing")


@pytest.mark.parametrize("schema_type", ["pydantic", "typeddict", "json_schema"])
def test_structured_output_joke_validates(api: Api, schema_type: str) -> None:
    schema, _ = _get_joke_class(schema_type)  # type: ignore[arg-type]
    fn = convert_to_openai_function(schema)
    message = call(api, "Tell me a joke about cats.", [fn], force=fn["name"])
    arguments = json.loads(message["function_call"]["arguments"])
    assert set(arguments) == {"setup", "punchline"}
    if schema_type == "pydantic":
        schema.model_validate(arguments)


def test_optional_fields_and_no_punchline() -> None:
    class Joke(BaseModel):
        setup: str = Field(description="question to set up a joke")
        punchline: str | None = Field(default=None, description="answer to resolve the joke")

    schema = Joke.model_json_schema()
    without = generate_arguments(schema, "Give me the setup to a joke about cats, no punchline.")
    assert Joke.model_validate(without).punchline is None
    full = generate_arguments(schema, "Give me a joke about cats, include the punchline.")
    assert Joke.model_validate(full).punchline


def test_schema_features_validate() -> None:
    from enum import Enum

    class Color(str, Enum):  # noqa: UP042 - the pre-3.11 spelling users still write
        RED = "red"
        BLUE = "blue"

    class Address(BaseModel):
        city: str
        zip_code: int = Field(ge=10000, le=99999)

    class Order(BaseModel):
        quantity: int = Field(gt=0, lt=100)
        price: float
        color: Color
        express: bool
        tags: list[str]
        scores: list[float]
        address: Address
        previous: list[Address] = Field(min_length=2)
        note: str | int | None = None
        code: str = Field(min_length=5, max_length=6)

    text = 'Order 5 items at 19.99 each in blue, note "fragile", ship to "Berlin".'
    order = Order.model_validate(generate_arguments(Order.model_json_schema(), text))
    assert (order.quantity, order.price, order.color) == (5, 19.99, Color.BLUE)
    assert (order.tags, order.address.city) == (["fragile"], "Berlin")  # quoted strings, in order
    assert 10000 <= order.address.zip_code <= 99999
    assert len(order.previous) == 2
    assert generate_arguments(Order.model_json_schema(), text) == generate_arguments(
        Order.model_json_schema(), text
    )


def test_numbers_out_of_bounds_are_skipped() -> None:
    schema = {
        "type": "object",
        "properties": {
            "input": {"type": "integer", "exclusiveMinimum": -1000, "exclusiveMaximum": 1000}
        },
    }
    assert generate_arguments(schema, "magic_function(5000) or magic_function(7)") == {"input": 7}
    assert generate_arguments(schema, "no numbers here") == {"input": 1}


def test_pick_one_dispatcher_schema_gets_exactly_one_property(api: Api) -> None:
    """`minProperties`/`maxProperties` 1: a "call one of these tools" object."""
    magic = convert_to_openai_function(magic_function)["parameters"]
    weather = {
        "type": "object",
        "properties": {"location": {"type": "string"}},
        "required": ["location"],
    }
    dispatcher = {
        "name": "choose_tool",
        "parameters": {
            "type": "object",
            "properties": {"magic_function": magic, "get_weather": weather},
            "minProperties": 1,
            "maxProperties": 1,
        },
    }
    for text, expected in [
        ("Hello!", {"magic_function": {"input": 1}}),
        ("What is the weather in Paris?", {"get_weather": {"location": "Paris"}}),
    ]:
        message = call(api, text, [dispatcher], force="choose_tool")
        assert json.loads(message["function_call"]["arguments"]) == expected


def test_more_schema_keywords() -> None:
    schema = {
        "type": "object",
        "definitions": {
            "Node": {
                "type": "object",
                "properties": {
                    "child": {"$ref": "#/definitions/Node"},
                    "label": {"type": "string"},
                },
                "required": ["child", "label"],
            }
        },
        "properties": {
            "kind": {"const": "order"},
            "count": {"type": ["integer", "null"]},
            "when": {"type": "string", "format": "date"},
            "pet": {"allOf": [{"$ref": "#/definitions/Node"}], "description": "a tree"},
            "flag": {"type": "boolean", "default": True},
            "nothing": {"type": "null"},
            "anything": {},
            "choice": {"oneOf": [{"type": "null"}, {"type": "number", "minimum": 10}]},
        },
        "required": ["kind", "count", "when", "pet", "flag", "nothing", "anything", "choice"],
    }
    arguments = generate_arguments(schema, "count 4 of them")
    assert arguments["kind"] == "order"
    assert arguments["count"] == 4
    assert arguments["when"] == "2024-01-01"
    assert arguments["flag"] is True
    assert arguments["nothing"] is None
    assert isinstance(arguments["anything"], str)
    assert arguments["choice"] == 10
    node = arguments["pet"]
    depth = 0
    while node:  # a recursive schema ends (empty object at the depth limit)
        assert isinstance(node["label"], str)
        node, depth = node["child"], depth + 1
    assert depth > 2
