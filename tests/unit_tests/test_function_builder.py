"""The one builder of a request's functions: the bytes it sends and the plan it returns.

The expected bodies were written down from the code before `_functions.build`
existed (the dispatcher and the batch function then built with the user's names
and renamed afterwards), so they pin the wire bytes, key order included.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pydantic import BaseModel, Field

from langchain_mashagpt._functions.binding import tool_binding
from langchain_mashagpt._functions.build import build_functions
from langchain_mashagpt._functions.names import WireNames
from langchain_mashagpt._functions.plan import CallPlan, ValidCall
from langchain_mashagpt._json import dumps

EMPTY: dict[str, Any] = {"type": "object", "properties": {}}
CITY: dict[str, Any] = {"type": "object", "properties": {"city": {"type": "string"}}}
WEATHER: dict[str, Any] = {"name": "get.weather", "description": "Weather.", "parameters": CITY}
LIBRARY: dict[str, Any] = {"name": "resolve-library-id", "parameters": EMPTY}
POGODA: dict[str, Any] = {
    "name": "погода",
    "description": "Погода.",
    "parameters": {
        "type": "object",
        "properties": {"zone": {"$ref": "#/$defs/Zone"}},
        "$defs": {"Zone": {"type": "string", "enum": ["UTC", "MSK"]}},
    },
}
PLAIN: dict[str, Any] = {"name": "plain", "parameters": EMPTY}
FINAL: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {"name": "final.answer", "description": "Final.", "schema": CITY},
}


class Answer(BaseModel):
    """The answer."""

    text: str = Field(description="What it is.")


def bound(
    tools: list[Any], tool_choice: Any = None, parallel: bool | None = None
) -> dict[str, Any]:
    """What `bind_tools(tools, tool_choice=…, parallel_tool_calls=…)` binds."""
    return tool_binding(tools, tool_choice, parallel, {})


CASES: dict[str, tuple[Any, dict[str, Any], CallPlan]] = {
    "plain_auto": (
        lambda: bound([PLAIN]),
        {
            "functions": [{"name": "plain", "parameters": {"type": "object", "properties": {}}}],
            "function_call": "auto",
        },
        CallPlan(),
    ),
    "odd_auto": (
        lambda: bound([WEATHER, LIBRARY, POGODA]),
        {
            "functions": [
                {
                    "name": "get_weather_f65d432881",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                    "description": "Weather.",
                },
                {
                    "name": "resolve_library_id_12df1a4fee",
                    "parameters": {"type": "object", "properties": {}},
                },
                {
                    "name": "pogoda_c1d5a89644",
                    "parameters": {
                        "type": "object",
                        "properties": {"zone": {"$ref": "#/$defs/Zone"}},
                        "$defs": {"Zone": {"type": "string", "enum": ["UTC", "MSK"]}},
                    },
                    "description": "Погода.",
                },
            ],
            "function_call": "auto",
        },
        CallPlan(
            user_names={
                "get_weather_f65d432881": "get.weather",
                "resolve_library_id_12df1a4fee": "resolve-library-id",
                "pogoda_c1d5a89644": "погода",
            }
        ),
    ),
    "odd_forced": (
        lambda: bound([WEATHER, LIBRARY, POGODA], "погода"),
        {
            "functions": [
                {
                    "name": "get_weather_f65d432881",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                    "description": "Weather.",
                },
                {
                    "name": "resolve_library_id_12df1a4fee",
                    "parameters": {"type": "object", "properties": {}},
                },
                {
                    "name": "pogoda_c1d5a89644",
                    "parameters": {
                        "type": "object",
                        "properties": {"zone": {"$ref": "#/$defs/Zone"}},
                        "$defs": {"Zone": {"type": "string", "enum": ["UTC", "MSK"]}},
                    },
                    "description": "Погода.",
                },
            ],
            "function_call": {"name": "pogoda_c1d5a89644"},
        },
        CallPlan(
            user_names={
                "get_weather_f65d432881": "get.weather",
                "resolve_library_id_12df1a4fee": "resolve-library-id",
                "pogoda_c1d5a89644": "погода",
            }
        ),
    ),
    "odd_forced_dict": (
        lambda: bound(
            [WEATHER, LIBRARY], {"type": "function", "function": {"name": "get.weather"}}
        ),
        {
            "functions": [
                {
                    "name": "get_weather_f65d432881",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                    "description": "Weather.",
                },
                {
                    "name": "resolve_library_id_12df1a4fee",
                    "parameters": {"type": "object", "properties": {}},
                },
            ],
            "function_call": {"name": "get_weather_f65d432881"},
        },
        CallPlan(
            user_names={
                "get_weather_f65d432881": "get.weather",
                "resolve_library_id_12df1a4fee": "resolve-library-id",
            }
        ),
    ),
    "dispatcher": (
        lambda: bound([WEATHER, LIBRARY, POGODA], "any"),
        {
            "functions": [
                {
                    "name": "select_tool",
                    "description": "Call exactly one of these tools by setting exactly one property, named after the tool, to that tool's arguments:\n"
                    "- get_weather_f65d432881: Weather.\n"
                    "- resolve_library_id_12df1a4fee\n"
                    "- pogoda_c1d5a89644: Погода.",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "get_weather_f65d432881": {
                                "type": "object",
                                "properties": {"city": {"type": "string"}},
                                "description": "Weather.",
                            },
                            "resolve_library_id_12df1a4fee": {"type": "object", "properties": {}},
                            "pogoda_c1d5a89644": {
                                "type": "object",
                                "properties": {"zone": {"type": "string", "enum": ["UTC", "MSK"]}},
                                "description": "Погода.",
                            },
                        },
                        "minProperties": 1,
                        "maxProperties": 1,
                    },
                }
            ],
            "function_call": {"name": "select_tool"},
        },
        CallPlan(
            user_names={
                "get_weather_f65d432881": "get.weather",
                "resolve_library_id_12df1a4fee": "resolve-library-id",
                "pogoda_c1d5a89644": "погода",
            },
            dispatcher=frozenset(
                ["get_weather_f65d432881", "pogoda_c1d5a89644", "resolve_library_id_12df1a4fee"]
            ),
        ),
    ),
    "required_one": (
        lambda: bound([WEATHER], True),
        {
            "functions": [
                {
                    "name": "get_weather_f65d432881",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                    "description": "Weather.",
                }
            ],
            "function_call": {"name": "get_weather_f65d432881"},
        },
        CallPlan(user_names={"get_weather_f65d432881": "get.weather"}),
    ),
    "none": (
        lambda: bound([WEATHER, LIBRARY], "none"),
        {
            "functions": [
                {
                    "name": "get_weather_f65d432881",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                    "description": "Weather.",
                },
                {
                    "name": "resolve_library_id_12df1a4fee",
                    "parameters": {"type": "object", "properties": {}},
                },
            ],
            "function_call": "none",
        },
        CallPlan(
            user_names={
                "get_weather_f65d432881": "get.weather",
                "resolve_library_id_12df1a4fee": "resolve-library-id",
            }
        ),
    ),
    "parallel_auto": (
        lambda: bound([WEATHER, LIBRARY], None, True),
        {
            "functions": [
                {
                    "name": "get_weather_f65d432881",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                    "description": "Weather.",
                },
                {
                    "name": "resolve_library_id_12df1a4fee",
                    "parameters": {"type": "object", "properties": {}},
                },
                {
                    "name": "multi_tool_use_parallel",
                    "description": "Call several functions at once: one `tool_uses` item per call.",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "tool_uses": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "recipient_name": {
                                            "type": "string",
                                            "enum": [
                                                "get_weather_f65d432881",
                                                "resolve_library_id_12df1a4fee",
                                            ],
                                        },
                                        "parameters": {"type": "object"},
                                    },
                                    "required": ["recipient_name", "parameters"],
                                },
                            }
                        },
                        "required": ["tool_uses"],
                    },
                },
            ],
            "function_call": "auto",
        },
        CallPlan(
            user_names={
                "get_weather_f65d432881": "get.weather",
                "resolve_library_id_12df1a4fee": "resolve-library-id",
            },
            batch=frozenset(["get_weather_f65d432881", "resolve_library_id_12df1a4fee"]),
        ),
    ),
    "parallel_required": (
        lambda: bound([WEATHER, POGODA], "required", True),
        {
            "functions": [
                {
                    "name": "multi_tool_use_parallel",
                    "description": "Call one or several of these tools at once: one `tool_uses` item per call, its `parameters` as that tool's `anyOf` branch says.\n"
                    "- get_weather_f65d432881: Weather.\n"
                    "- pogoda_c1d5a89644: Погода.",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "tool_uses": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "recipient_name": {
                                            "type": "string",
                                            "enum": ["get_weather_f65d432881", "pogoda_c1d5a89644"],
                                        },
                                        "parameters": {"type": "object"},
                                    },
                                    "required": ["recipient_name", "parameters"],
                                    "anyOf": [
                                        {
                                            "properties": {
                                                "recipient_name": {
                                                    "const": "get_weather_f65d432881"
                                                },
                                                "parameters": {
                                                    "type": "object",
                                                    "properties": {"city": {"type": "string"}},
                                                },
                                            }
                                        },
                                        {
                                            "properties": {
                                                "recipient_name": {"const": "pogoda_c1d5a89644"},
                                                "parameters": {
                                                    "type": "object",
                                                    "properties": {
                                                        "zone": {
                                                            "type": "string",
                                                            "enum": ["UTC", "MSK"],
                                                        }
                                                    },
                                                },
                                            }
                                        },
                                    ],
                                },
                            }
                        },
                        "required": ["tool_uses"],
                    },
                }
            ],
            "function_call": {"name": "multi_tool_use_parallel"},
        },
        CallPlan(
            user_names={"get_weather_f65d432881": "get.weather", "pogoda_c1d5a89644": "погода"},
            batch=frozenset(["get_weather_f65d432881", "pogoda_c1d5a89644"]),
        ),
    ),
    "parallel_forced": (
        lambda: bound([WEATHER, LIBRARY], "resolve-library-id", True),
        {
            "functions": [
                {
                    "name": "get_weather_f65d432881",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                    "description": "Weather.",
                },
                {
                    "name": "resolve_library_id_12df1a4fee",
                    "parameters": {"type": "object", "properties": {}},
                },
            ],
            "function_call": {"name": "resolve_library_id_12df1a4fee"},
        },
        CallPlan(
            user_names={
                "get_weather_f65d432881": "get.weather",
                "resolve_library_id_12df1a4fee": "resolve-library-id",
            }
        ),
    ),
    "response_format_alone": (
        lambda: {"temperature": 0.5, "response_format": FINAL},
        {
            "temperature": 0.5,
            "function_call": {"name": "final_answer_7550f5baa1"},
            "functions": [
                {
                    "name": "final_answer_7550f5baa1",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                    "description": "Final.",
                }
            ],
        },
        CallPlan(
            user_names={"final_answer_7550f5baa1": "final.answer"},
            text_function="final_answer_7550f5baa1",
        ),
    ),
    "response_format_beside_tools": (
        lambda: {**bound([WEATHER]), "response_format": Answer},
        {
            "functions": [
                {
                    "name": "get_weather_f65d432881",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                    "description": "Weather.",
                },
                {
                    "name": "Answer",
                    "parameters": {
                        "properties": {"text": {"description": "What it is.", "type": "string"}},
                        "required": ["text"],
                        "type": "object",
                    },
                    "description": "The answer.",
                },
            ],
            "function_call": "auto",
        },
        CallPlan(user_names={"get_weather_f65d432881": "get.weather"}, text_function="Answer"),
    ),
    "response_format_beside_dispatcher": (
        lambda: {**bound([WEATHER, LIBRARY], "any"), "response_format": FINAL},
        {
            "functions": [
                {
                    "name": "select_tool",
                    "description": "Call exactly one of these tools by setting exactly one property, named after the tool, to that tool's arguments:\n"
                    "- get_weather_f65d432881: Weather.\n"
                    "- resolve_library_id_12df1a4fee",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "get_weather_f65d432881": {
                                "type": "object",
                                "properties": {"city": {"type": "string"}},
                                "description": "Weather.",
                            },
                            "resolve_library_id_12df1a4fee": {"type": "object", "properties": {}},
                        },
                        "minProperties": 1,
                        "maxProperties": 1,
                    },
                },
                {
                    "name": "final_answer_7550f5baa1",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                    "description": "Final.",
                },
            ],
            "function_call": {"name": "select_tool"},
        },
        CallPlan(
            user_names={
                "get_weather_f65d432881": "get.weather",
                "resolve_library_id_12df1a4fee": "resolve-library-id",
                "final_answer_7550f5baa1": "final.answer",
            },
            dispatcher=frozenset(["get_weather_f65d432881", "resolve_library_id_12df1a4fee"]),
            text_function="final_answer_7550f5baa1",
        ),
    ),
    "structured_output": (
        lambda: bound([Answer], "Answer"),
        {
            "functions": [
                {
                    "name": "Answer",
                    "parameters": {
                        "properties": {"text": {"description": "What it is.", "type": "string"}},
                        "required": ["text"],
                        "type": "object",
                    },
                    "description": "The answer.",
                }
            ],
            "function_call": {"name": "Answer"},
        },
        CallPlan(),
    ),
    "bound_functions": (
        lambda: {
            "temperature": 0.5,
            "functions": [WEATHER, PLAIN],
            "function_call": {"name": "get.weather"},
            "top_p": 0.9,
        },
        {
            "temperature": 0.5,
            "functions": [
                {
                    "name": "get_weather_f65d432881",
                    "description": "Weather.",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                },
                {"name": "plain", "parameters": {"type": "object", "properties": {}}},
            ],
            "function_call": {"name": "get_weather_f65d432881"},
            "top_p": 0.9,
        },
        CallPlan(user_names={"get_weather_f65d432881": "get.weather"}),
    ),
    "bound_functions_parallel": (
        lambda: {"functions": [WEATHER, PLAIN], "parallel_tool_calls": True},
        {
            "functions": [
                {
                    "name": "get_weather_f65d432881",
                    "description": "Weather.",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                },
                {"name": "plain", "parameters": {"type": "object", "properties": {}}},
                {
                    "name": "multi_tool_use_parallel",
                    "description": "Call several functions at once: one `tool_uses` item per call.",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "tool_uses": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "recipient_name": {
                                            "type": "string",
                                            "enum": ["get_weather_f65d432881", "plain"],
                                        },
                                        "parameters": {"type": "object"},
                                    },
                                    "required": ["recipient_name", "parameters"],
                                },
                            }
                        },
                        "required": ["tool_uses"],
                    },
                },
            ],
            "function_call": "auto",
        },
        CallPlan(
            user_names={"get_weather_f65d432881": "get.weather"},
            batch=frozenset(["get_weather_f65d432881", "plain"]),
        ),
    ),
    "bound_functions_beside_tools": (
        lambda: {"functions": [WEATHER], **bound([LIBRARY], "resolve-library-id")},
        {
            "functions": [
                {
                    "name": "get_weather_f65d432881",
                    "description": "Weather.",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                },
                {
                    "name": "resolve_library_id_12df1a4fee",
                    "parameters": {"type": "object", "properties": {}},
                },
            ],
            "function_call": {"name": "resolve_library_id_12df1a4fee"},
        },
        CallPlan(
            user_names={
                "get_weather_f65d432881": "get.weather",
                "resolve_library_id_12df1a4fee": "resolve-library-id",
            }
        ),
    ),
    "function_call_left_over": (
        lambda: {"function_call": {"name": "get.weather"}, "tool_choice": "auto"},
        {"function_call": {"name": "get_weather_f65d432881"}},
        CallPlan(),
    ),
}


def wire_json(body: dict[str, Any]) -> str:
    """`body` as compact JSON in its key order, as the package encodes a request."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("case", list(CASES))
def test_the_builder_sends_the_bytes_it_always_sent(case: str) -> None:
    params, body, plan = CASES[case]
    payload = params()
    assert build_functions(payload) == plan
    assert dumps(payload).decode() == wire_json(body)


@pytest.mark.parametrize("case", list(CASES))
def test_the_builder_leaves_the_binding_alone(case: str) -> None:
    """A binding serves every request: building one request's functions must not change it."""
    params = CASES[case][0]()
    bound_before = copy.deepcopy(params)
    build_functions(dict(params))
    assert params == bound_before


def test_a_function_of_the_users_named_like_the_dispatcher_is_just_a_function() -> None:
    own = {"name": "select_tool", "parameters": {"type": "object", "properties": {"a.b": {}}}}
    payload = bound([own, PLAIN])
    plan = build_functions(payload)
    assert payload["functions"] == [own, PLAIN]  # no property renamed, no description added
    assert plan == CallPlan()
    assert plan.decode("plain", "{}") == [ValidCall("plain", {}, "{}")]


def test_a_description_is_sent_as_written_inside_the_dispatcher() -> None:
    """Only the dispatcher's own list names wire names; a tool's description is its author's."""
    described = {**WEATHER, "description": "Use it.\n- resolve-library-id: first"}
    payload = bound([described, LIBRARY], "any")
    build_functions(payload)
    (dispatcher,) = payload["functions"]
    assert dispatcher["description"].split("\n")[1:] == [
        "- get_weather_f65d432881: Use it.",
        "- resolve-library-id: first",
        "- resolve_library_id_12df1a4fee",
    ]


def test_two_names_going_on_the_wire_as_one_are_refused() -> None:
    names = WireNames()
    wire = names.wire("get.weather")
    assert names.wire("get.weather") == wire  # the same name again is fine
    with pytest.raises(ValueError, match="both go on the wire as"):
        names.wire(wire)
    assert names.renamed() == {wire: "get.weather"}
