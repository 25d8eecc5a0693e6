"""Parallel tool calls over the one-call protocol: the batch function, pure and through the model."""

from __future__ import annotations

import json
from typing import Any

import pytest

from langchain_mashagpt._parallel import BATCH_NAME, batch_function, batch_tools, decode_batch
from langchain_mashagpt._tools import function_call_for, functions_for

WEATHER: dict[str, Any] = {
    "name": "get_weather",
    "description": "Weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
TIME: dict[str, Any] = {
    "name": "get_time",
    "parameters": {
        "type": "object",
        "properties": {"zone": {"$ref": "#/$defs/Zone"}},
        "$defs": {"Zone": {"type": "string", "enum": ["UTC", "MSK"]}},
    },
}
TOOLS = frozenset({"get_weather", "get_time"})


def batch(*uses: Any) -> str:
    return json.dumps({"tool_uses": list(uses)})


def test_batch_function_shape() -> None:
    lean = batch_function([WEATHER, TIME], with_schemas=False)
    assert lean["name"] == BATCH_NAME
    assert "- get_weather: Weather in a city.\n- get_time" in lean["description"]
    parameters = lean["parameters"]
    assert parameters["required"] == ["tool_uses"]
    uses = parameters["properties"]["tool_uses"]
    assert uses["type"] == "array"
    assert uses["minItems"] == 1
    item = uses["items"]
    assert item["required"] == ["recipient_name", "parameters"]
    assert item["properties"]["recipient_name"]["enum"] == ["get_weather", "get_time"]
    assert item["properties"]["parameters"]["type"] == "object"
    assert "anyOf" not in item
    assert batch_tools({"functions": [WEATHER, lean]}) == TOOLS


def test_batch_function_alone_carries_each_schema_with_refs_inlined() -> None:
    alone = batch_function([WEATHER, TIME], with_schemas=True)
    branches = alone["parameters"]["properties"]["tool_uses"]["items"]["anyOf"]
    assert branches[0]["properties"] == {
        "recipient_name": {"const": "get_weather"},
        "parameters": WEATHER["parameters"],
    }
    assert branches[1]["properties"]["parameters"] == {
        "type": "object",
        "properties": {"zone": {"type": "string", "enum": ["UTC", "MSK"]}},
    }
    assert "$defs" not in json.dumps(alone)


def test_batch_tools_without_a_batch_function() -> None:
    assert batch_tools({"functions": [WEATHER]}) == frozenset()
    assert batch_tools({}) == frozenset()
    own = {"name": BATCH_NAME, "parameters": {"type": "object"}}
    assert batch_tools({"functions": [own]}) == frozenset()


def test_decode_in_order_with_prefix() -> None:
    raw = batch(
        {"recipient_name": "get_weather", "parameters": {"city": "Moscow"}},
        {"recipient_name": "functions.get_time", "parameters": {"zone": "MSK"}},
        {"recipient_name": "get_weather", "parameters": {"city": "Paris"}},
    )
    assert decode_batch(raw, TOOLS) == [
        ("get_weather", {"city": "Moscow"}, None),
        ("get_time", {"zone": "MSK"}, None),
        ("get_weather", {"city": "Paris"}, None),
    ]


def test_decode_invalid_items_keep_the_others() -> None:
    raw = batch(
        {"recipient_name": "get_weather", "parameters": {"city": "Moscow"}},
        {"recipient_name": "delete_all", "parameters": {"path": "/"}},
        {"recipient_name": "get_weather", "parameters": "Paris"},
        "get_time",
        {"parameters": {}},
        {"recipient_name": "get_time"},
    )
    outcomes = decode_batch(raw, TOOLS)
    assert outcomes[0] == ("get_weather", {"city": "Moscow"}, None)
    assert outcomes[1][:2] == ("delete_all", '{"path":"/"}')
    assert "'delete_all' is none of the offered tools" in str(outcomes[1][2])
    assert outcomes[2] == (
        "get_weather",
        '"Paris"',
        "the arguments for 'get_weather' are not a JSON object",
    )
    assert outcomes[3] == ("", '"get_time"', "a `tool_uses` item is not a JSON object")
    assert outcomes[4][0] == ""
    assert "no `recipient_name`" in str(outcomes[4][2])
    assert outcomes[5] == ("get_time", {}, None)  # no parameters: a call without arguments


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ('{"tool_uses": [', "arguments are not JSON"),
        ("[]", "non-empty `tool_uses`"),
        ('{"tool_uses": []}', "non-empty `tool_uses`"),
        ('{"tool_uses": {"recipient_name": "get_time"}}', "non-empty `tool_uses`"),
        ("", "non-empty `tool_uses`"),
    ],
)
def test_decode_a_broken_batch_is_one_invalid_call(raw: str, error: str) -> None:
    ((name, args, message),) = decode_batch(raw, TOOLS)
    assert (name, args) == (BATCH_NAME, raw)
    assert error in str(message)


FUNCTIONS = functions_for([WEATHER, TIME])
ONE = functions_for([WEATHER])
LEAN_NAMES = ["get_weather", "get_time", BATCH_NAME]


@pytest.mark.parametrize(
    ("tool_choice", "functions", "names", "function_call"),
    [
        (None, FUNCTIONS, LEAN_NAMES, "auto"),
        ("auto", FUNCTIONS, LEAN_NAMES, "auto"),
        (False, FUNCTIONS, LEAN_NAMES, "auto"),
        ("none", FUNCTIONS, ["get_weather", "get_time"], "none"),
        ("get_time", FUNCTIONS, ["get_weather", "get_time"], {"name": "get_time"}),
        ("any", FUNCTIONS, [BATCH_NAME], {"name": BATCH_NAME}),
        ("required", FUNCTIONS, [BATCH_NAME], {"name": BATCH_NAME}),
        (True, FUNCTIONS, [BATCH_NAME], {"name": BATCH_NAME}),
        ("any", ONE, [BATCH_NAME], {"name": BATCH_NAME}),
        (None, ONE, ["get_weather", BATCH_NAME], "auto"),
    ],
)
def test_parallel_with_every_tool_choice(
    tool_choice: Any, functions: Any, names: list[str], function_call: Any
) -> None:
    sent, call = function_call_for(tool_choice, functions, parallel=True)
    assert [f["name"] for f in sent] == names
    assert call == function_call
    if names == [BATCH_NAME]:  # alone, it carries the schemas
        assert "anyOf" in sent[0]["parameters"]["properties"]["tool_uses"]["items"]


def test_a_tool_named_like_the_batch_function_is_refused() -> None:
    clash = {**WEATHER, "name": BATCH_NAME}
    with pytest.raises(ValueError, match="rename it"):
        function_call_for("auto", functions_for([clash]), parallel=True)
    # without parallel calls the name is free
    assert function_call_for("auto", functions_for([clash]))[1] == "auto"
