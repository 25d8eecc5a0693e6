"""Parallel tool calls over the one-call protocol: the batch function, pure and through the model."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from langchain_mashagpt._convert.request import messages_to_wire
from langchain_mashagpt._functions.batch import (
    BATCH_NAME,
    batch_function,
    batch_tools,
    decode_batch,
)
from langchain_mashagpt._functions.outcome import invalid_args
from langchain_mashagpt._functions.schemas import DISPATCHER_NAME, function_call_for, functions_for
from tests.helpers import MockServer, Runner, completion, merge
from tests.unit_tests.helpers import without_ids

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
    assert "get_weather" not in lean["description"]  # the tools describe themselves
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
    assert alone["description"].endswith("\n- get_weather: Weather in a city.\n- get_time")
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


# ------------------------------------------------------------ through ChatMashaGPT


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return city


@tool
def get_time(zone: str) -> str:
    """Get the current time in a time zone."""
    return zone


CITIES = ("Moscow", "Paris", "Berlin")
THREE = batch(*({"recipient_name": "get_weather", "parameters": {"city": c}} for c in CITIES))
MIXED = batch(
    {"recipient_name": "get_weather", "parameters": {"city": "Moscow"}},
    {"recipient_name": "functions.get_time", "parameters": {"zone": "MSK"}},
    {"recipient_name": "rm_rf", "parameters": {"path": "/"}},
    {"recipient_name": "get_time", "parameters": ["UTC"]},
    {"recipient_name": "get_weather", "parameters": {"city": "Paris"}},
)


def answer(arguments: str, name: str = BATCH_NAME) -> dict[str, Any]:
    call = {"name": name, "arguments": arguments}
    return completion(None, function_call=call, finish_reason="function_call")


def sse_batch(arguments: str, cuts: list[int], name: str = BATCH_NAME) -> str:
    """A stream of one call of `name`, its arguments cut at `cuts`."""
    bounds = [0, *cuts, len(arguments)]
    pieces = [arguments[a:b] for a, b in itertools.pairwise(bounds)]
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": None}]
    deltas += [{"function_call": {"name": name[:5]}}, {"function_call": {"name": name[5:]}}]
    deltas += [{"function_call": {"arguments": piece}} for piece in pieces]
    events: list[dict[str, Any]] = [
        {"id": "chatcmpl-p", "model": "gpt-4o-mini", "choices": [{"index": 0, "delta": d}]}
        for d in deltas
    ]
    events.append(
        {
            "id": "chatcmpl-p",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "function_call"}],
        }
    )
    return "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"


async def test_bind_tools_offers_the_batch_function(server: MockServer, run: Runner) -> None:
    server.json(completion("ok"))
    model = server.model()
    await run.invoke(model.bind_tools([get_weather], parallel_tool_calls=True), "hi")
    await run.invoke(model.bind_tools([get_weather]), "hi")  # off by default
    field = server.model(parallel_tool_calls=True)
    await run.invoke(field.bind_tools([get_weather]), "hi")  # the model's field
    await run.invoke(field.bind_tools([get_weather], parallel_tool_calls=False), "hi")
    sent = [[f["name"] for f in body["functions"]] for body in server.bodies]
    assert sent == [
        ["get_weather", BATCH_NAME],
        ["get_weather"],
        ["get_weather", BATCH_NAME],
        ["get_weather"],
    ]
    assert all(body["function_call"] == "auto" for body in server.bodies)
    assert all("parallel_tool_calls" not in body for body in server.bodies)


async def test_required_sends_the_batch_function_alone(server: MockServer, run: Runner) -> None:
    server.json(answer(MIXED))
    bound = server.model().bind_tools(
        [get_weather, get_time], tool_choice="any", parallel_tool_calls=True
    )
    message = await run.invoke(bound, "weather and time")
    (function,) = server.body["functions"]
    assert function["name"] == BATCH_NAME
    assert DISPATCHER_NAME not in json.dumps(server.body)
    assert server.body["function_call"] == {"name": BATCH_NAME}
    assert [c["name"] for c in message.tool_calls] == ["get_weather", "get_time", "get_weather"]


async def test_a_batch_call_is_n_tool_calls_in_order(server: MockServer, run: Runner) -> None:
    server.json(answer(THREE))
    bound = server.model().bind_tools([get_weather], parallel_tool_calls=True)
    message = await run.invoke(bound, "weather in Moscow, Paris and Berlin")
    assert without_ids(message) == [
        {"name": "get_weather", "args": {"city": c}, "type": "tool_call"} for c in CITIES
    ]
    assert len({c["id"] for c in message.tool_calls}) == 3
    assert message.invalid_tool_calls == []
    assert message.usage_metadata is not None
    assert message.usage_metadata["total_tokens"] == 15
    assert message.response_metadata["finish_reason"] == "function_call"


async def test_invalid_items_stay_apart_from_valid_ones(server: MockServer, run: Runner) -> None:
    server.json(answer(MIXED))
    bound = server.model().bind_tools([get_weather, get_time], parallel_tool_calls=True)
    message = await run.invoke(bound, "go")
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [
        ("get_weather", {"city": "Moscow"}),
        ("get_time", {"zone": "MSK"}),
        ("get_weather", {"city": "Paris"}),
    ]
    invalid = message.invalid_tool_calls
    # A JSON object that is not a call gets the mark no lenient parser completes.
    assert [(c["name"], c["args"]) for c in invalid] == [
        ("rm_rf", '{"path":"/"}]'),
        ("get_time", '["UTC"]'),
    ]
    assert "none of the offered tools" in str(invalid[0]["error"])
    assert "not a JSON object" in str(invalid[1]["error"])
    ids = [c["id"] for c in [*message.tool_calls, *invalid]]
    assert len(set(ids)) == 5


@pytest.mark.parametrize("raw", ['{"tool_uses": [{"recipient_', '{"tool_uses": []}'])
async def test_a_broken_batch_call_is_one_invalid_call(
    server: MockServer, run: Runner, raw: str
) -> None:
    server.json(answer(raw))
    bound = server.model().bind_tools([get_weather], parallel_tool_calls=True)
    message = await run.invoke(bound, "go")
    assert message.tool_calls == []
    ((call,),) = [message.invalid_tool_calls]
    assert (call["name"], call["args"]) == (BATCH_NAME, invalid_args(raw))


async def test_a_direct_call_beside_the_batch_function_is_ordinary(
    server: MockServer, run: Runner
) -> None:
    server.json(answer('{"city": "Oslo"}', name="get_weather"))
    bound = server.model().bind_tools([get_weather], parallel_tool_calls=True)
    message = await run.invoke(bound, "weather in Oslo")
    assert without_ids(message) == [
        {"name": "get_weather", "args": {"city": "Oslo"}, "type": "tool_call"}
    ]


@pytest.mark.parametrize("cuts", [[], [1], [7, 30, 31, 60], list(range(1, 140, 3))])
async def test_streamed_batch_merges_to_the_invoked_calls(
    server: MockServer, run: Runner, cuts: list[int]
) -> None:
    server.sse(sse_batch(THREE, cuts))
    server.json(answer(THREE))
    bound = server.model().bind_tools([get_weather], parallel_tool_calls=True)
    chunks = await run.stream(bound, "weather")
    invoked = await run.invoke(bound, "weather")
    pieces = [c for chunk in chunks for c in chunk.tool_call_chunks]
    assert [c["index"] for c in pieces] == [0, 1, 2]  # held back, then all at once
    assert BATCH_NAME not in [c["name"] for c in pieces]
    assert len({c["id"] for c in pieces}) == 3
    total = merge(chunks)
    assert without_ids(total) == without_ids(invoked)
    assert total.invalid_tool_calls == invoked.invalid_tool_calls == []
    assert total.response_metadata["finish_reason"] == "function_call"


async def test_streamed_invalid_items_merge_to_invalid_calls(
    server: MockServer, run: Runner
) -> None:
    server.sse(sse_batch(MIXED, [10, 50]))
    server.json(answer(MIXED))
    bound = server.model().bind_tools([get_weather, get_time], parallel_tool_calls=True)
    total = merge(await run.stream(bound, "go"))
    invoked = await run.invoke(bound, "go")
    assert without_ids(total) == without_ids(invoked)
    assert [c["name"] for c in total.invalid_tool_calls] == ["rm_rf", "get_time"]


def test_history_goes_back_as_call_result_pairs_whatever_the_result_order() -> None:
    calls = [
        {"name": "get_weather", "args": {"city": c}, "id": f"call_{k}", "type": "tool_call"}
        for k, c in enumerate(CITIES)
    ]
    results = [
        ToolMessage(f"sun in {c}", tool_call_id=f"call_{k}", name="get_weather")
        for k, c in enumerate(CITIES)
    ]
    shuffled = [results[2], results[0], results[1]]
    wire = messages_to_wire([HumanMessage("weather?"), AIMessage("", tool_calls=calls), *shuffled])
    assert wire[0] == {"role": "user", "content": "weather?"}
    pairs = wire[1:]
    assert len(pairs) == 6  # three calls, three results: none dropped, none doubled
    for k, city in enumerate(CITIES):
        call, result = pairs[2 * k], pairs[2 * k + 1]
        assert call == {
            "role": "assistant",
            "content": None,
            "function_call": {
                "name": "get_weather",
                "arguments": json.dumps({"city": city}, separators=(",", ":")),
            },
        }
        assert result == {"role": "function", "name": "get_weather", "content": f"sun in {city}"}


async def test_an_agent_turn_round_trips(server: MockServer, run: Runner) -> None:
    """The calls of one batch answer, run and sent back: the request after is well formed."""
    server.json(answer(THREE)).json(completion("All sunny."))
    bound = server.model().bind_tools([get_weather], parallel_tool_calls=True)
    first = await run.invoke(bound, "weather")
    results = [
        ToolMessage(f"sun in {c['args']['city']}", tool_call_id=c["id"])
        for c in reversed(first.tool_calls)
    ]
    final = await run.invoke(bound, [HumanMessage("weather"), first, *results])
    assert final.content == "All sunny."
    sent = server.bodies[-1]["messages"]
    assert [m["role"] for m in sent] == ["user", *["assistant", "function"] * 3]
    assert [m["content"] for m in sent if m["role"] == "function"] == [
        f"sun in {c}" for c in CITIES
    ]


# ------------------------------------------------------------------ properties

_item = st.fixed_dictionaries(
    {
        "recipient_name": st.sampled_from(
            ["get_weather", "functions.get_time", "get_time", "rm_rf", "", 7]
        ),
        "parameters": st.one_of(
            st.dictionaries(st.sampled_from(["city", "zone"]), st.text(max_size=8), max_size=2),
            st.text(max_size=5),
            st.lists(st.integers(), max_size=2),
            st.none(),
        ),
    }
)
_arguments = st.one_of(
    st.lists(_item, min_size=1, max_size=4).map(lambda uses: json.dumps({"tool_uses": uses})),
    st.text(max_size=30),  # anything at all, JSON or not
)


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(arguments=_arguments, cuts=st.lists(st.integers(1, 200), max_size=6, unique=True))
def test_any_batch_answer_streams_exactly_as_invoked(arguments: str, cuts: list[int]) -> None:
    """Streamed and merged, any batch call gives the invoked calls; nothing is lost."""
    cuts = sorted(c for c in cuts if c < len(arguments))
    server = MockServer().sse(sse_batch(arguments, cuts)).json(answer(arguments))
    bound = server.model().bind_tools([get_weather, get_time], parallel_tool_calls=True)
    total = merge(list(bound.stream("go")))
    invoked = bound.invoke("go")
    assert without_ids(total) == without_ids(invoked)
    # names and args; the error text cannot ride on a chunk (LangChain's merge sets None)
    assert [(c["name"], c["args"]) for c in total.invalid_tool_calls] == [
        (c["name"], c["args"]) for c in invoked.invalid_tool_calls
    ]
    outcomes = len(invoked.tool_calls) + len(invoked.invalid_tool_calls)
    uses = decode_batch(arguments, frozenset({"get_weather", "get_time"}))
    assert outcomes == len(uses)  # one per item, or one for a broken batch
    ids = [c["id"] for c in [*total.tool_calls, *total.invalid_tool_calls]]
    assert len(set(ids)) == len(ids) == outcomes


async def test_tool_names_the_api_refuses_go_as_wire_names_in_the_batch(
    server: MockServer, run: Runner
) -> None:
    """`weather.get` goes on the wire renamed, in the batch function too, and comes back as is."""
    from langchain_mashagpt._functions.names import wire_name

    dotted = {**WEATHER, "name": "weather.get"}
    wire = wire_name("weather.get")
    uses = [{"recipient_name": wire, "parameters": {"city": c}} for c in ("Moscow", "Paris")]
    batch_answer = answer(json.dumps({"tool_uses": uses}))
    server.json(batch_answer).json(batch_answer).json(completion("Done."))
    for choice in (None, "any"):
        bound = server.model().bind_tools([dotted], tool_choice=choice, parallel_tool_calls=True)
        message = await run.invoke(bound, "weather")
        assert [(c["name"], c["args"]) for c in message.tool_calls] == [
            ("weather.get", {"city": "Moscow"}),
            ("weather.get", {"city": "Paris"}),
        ]
        batch_sent = server.bodies[-1]["functions"][-1]
        item = batch_sent["parameters"]["properties"]["tool_uses"]["items"]
        assert item["properties"]["recipient_name"]["enum"] == [wire]
        assert [b["properties"]["recipient_name"]["const"] for b in item.get("anyOf", [])] == (
            [wire] if choice else []
        )
    results = [ToolMessage("sun", tool_call_id=c["id"]) for c in message.tool_calls]
    await run.invoke(bound, [HumanMessage("weather"), message, *results])
    history = server.bodies[-1]["messages"]
    assert [m.get("name") or m.get("function_call", {}).get("name") for m in history[1:]] == [
        wire
    ] * 4


def test_rename_recipients_leaves_a_foreign_function_alone() -> None:
    from langchain_mashagpt._functions.batch import rename_recipients

    own = {"type": "object", "properties": {"tool_uses": {"type": "string"}}}
    assert rename_recipients(own, str.upper) == own
    lean = batch_function([WEATHER], with_schemas=False)["parameters"]
    renamed = rename_recipients(lean, str.upper)
    assert renamed["properties"]["tool_uses"]["items"]["properties"]["recipient_name"] == {
        "type": "string",
        "enum": ["GET_WEATHER"],
    }
    assert lean["properties"]["tool_uses"]["items"]["properties"]["recipient_name"]["enum"] == [
        "get_weather"
    ]  # a copy: the bound definition is not changed


async def test_parallel_without_tools_sends_no_batch_function(
    server: MockServer, run: Runner
) -> None:
    server.json(completion("ok"))
    await run.invoke(server.model(), "hi", parallel_tool_calls=True)
    await run.invoke(server.model(parallel_tool_calls=True).bind_tools([]), "hi")
    assert [("functions" in body, "function_call" in body) for body in server.bodies] == [
        (False, False),
        (False, False),
    ]
