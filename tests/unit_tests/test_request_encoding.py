"""What JSON cannot take is refused before sending, saying where; nothing goes out changed.

NaN and Infinity went out as `null`, `{1: "a", "1": "b"}` as one key twice; sets,
bytes and tuple keys raised a bare `TypeError`, a lone surrogate a bare
`UnicodeEncodeError`, a tool schema holding itself "Circular reference detected".
"""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from langchain_mashagpt import MashaGPTError, RequestEncodingError
from langchain_mashagpt._encodable import plain_json, suspect
from langchain_mashagpt._json import BODY, dumps
from tests.helpers import MockServer, Runner, completion

MODES = ["invoke", "stream"]


async def _call(run: Runner, model: Any, mode: str, prompt: Any = "Hi", **kwargs: Any) -> Any:
    if mode == "invoke":
        return await run.invoke(model, prompt, **kwargs)
    return await run.stream(model, prompt, **kwargs)


def _refused(info: pytest.ExceptionInfo[RequestEncodingError], *parts: str) -> str:
    text = str(info.value)
    for part in parts:
        assert part in text, text
    assert "Nothing was sent." in text
    assert isinstance(info.value, MashaGPTError | ValueError | TypeError)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None
    return text


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("value", "said"),
    [(float("nan"), "nan is not a JSON number"), (float("-inf"), "-inf is not a JSON number")],
)
async def test_nan_and_infinity_in_extra_body_are_refused_naming_the_field(
    server: MockServer, run: Runner, mode: str, value: float, said: str
) -> None:
    model = server.model()
    with pytest.raises(RequestEncodingError) as info:
        await _call(run, model, mode, extra_body={"metadata": {"scores": [1.0, value]}})
    _refused(info, "The body field 'metadata'", "at ['scores'][1]", said, "NaN or Infinity")
    assert server.requests == []


@pytest.mark.parametrize("mode", MODES)
async def test_nan_in_a_history_tool_call_names_the_message_and_the_call(
    server: MockServer, run: Runner, mode: str
) -> None:
    history = [
        HumanMessage("weather?"),
        AIMessage(
            "", tool_calls=[{"name": "get_weather", "args": {"t": float("inf")}, "id": "c1"}]
        ),
        ToolMessage("sunny", tool_call_id="c1"),
    ]
    with pytest.raises(RequestEncodingError) as info:
        await _call(run, server.model(), mode, history)
    _refused(info, "Message 1 (assistant), the arguments of its tool call 'get_weather' at ['t']")
    assert server.requests == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ({"meta": {1: "a", "1": "b"}}, "the keys 1 and '1' both become the JSON key '1'"),
        ({"meta": {True: "a", "true": "b"}}, "the keys True and 'true' both become"),
        ({"meta": {(1, 2): "a"}}, "the key (1, 2) is a tuple, and JSON keys are text"),
        ({"meta": {"tags": {"a", "b"}}}, "at ['tags']"),
        ({"meta": [b"raw"]}, "bytes is not a JSON type"),
    ],
    ids=["collision", "bool-collision", "tuple-key", "set", "bytes"],
)
async def test_keys_and_types_json_cannot_take_are_refused_naming_the_path(
    server: MockServer, run: Runner, mode: str, extra: dict[str, Any], said: str
) -> None:
    with pytest.raises(RequestEncodingError) as info:
        await _call(run, server.model(), mode, extra_body=extra)
    _refused(info, "The body field 'meta'", said)
    assert server.requests == []


@pytest.mark.parametrize("mode", MODES)
async def test_a_lone_surrogate_names_the_message_by_its_index_in_the_input(
    server: MockServer, run: Runner, mode: str
) -> None:
    # The AI message's two calls make four wire messages: the input's index is named.
    calls = [{"name": "t", "args": {}, "id": "c1"}, {"name": "t", "args": {}, "id": "c2"}]
    history = [
        SystemMessage("Be brief."),
        AIMessage("", tool_calls=calls),
        ToolMessage("r1", tool_call_id="c1"),
        ToolMessage("r2", tool_call_id="c2"),
        HumanMessage("broken \ud83d text"),
    ]
    with pytest.raises(RequestEncodingError) as info:
        await _call(run, server.model(), mode, history)
    _refused(info, "Message 4 (user), its text", "lone surrogate '\\ud83d' at character 7")
    assert info.value.where == "message 4 (user), its text"
    assert server.requests == []


@pytest.mark.parametrize("mode", MODES)
async def test_a_tool_schema_that_contains_itself_names_the_tool(
    server: MockServer, run: Runner, mode: str
) -> None:
    node: dict[str, Any] = {"type": "object", "properties": {}}
    node["properties"]["child"] = node
    tools = [
        {"name": "fine", "parameters": {"type": "object", "properties": {}}},
        {"name": "tree", "description": "A tree.", "parameters": node},
    ]
    model = server.model().bind_tools(tools)
    with pytest.raises(RequestEncodingError) as info:
        await _call(run, model, mode)
    _refused(info, "Tool 'tree' (functions[1])", "contains itself", "$ref")
    assert server.requests == []


@pytest.mark.parametrize("mode", MODES)
async def test_what_json_can_take_goes_out_exactly(
    server: MockServer, run: Runner, mode: str
) -> None:
    if mode == "invoke":
        server.json(completion())
    else:
        server.sse('data: {"choices":[{"index":0,"delta":{"content":"ok"}}]}\n\ndata: [DONE]\n\n')
    extra = {"meta": {"n": None, "x": 1.5, 2: "two", "ok": ["Маша", 2**70]}}
    history = [
        HumanMessage("Hi"),
        AIMessage("", tool_calls=[{"name": "t", "args": {"v": None}, "id": "c"}]),
    ]
    history.append(ToolMessage("done", tool_call_id="c"))
    await _call(run, server.model(), mode, history, extra_body=extra, logit_bias={42: -5})
    body = json.loads(server.requests[0].content)
    assert body["meta"] == {"n": None, "x": 1.5, "2": "two", "ok": ["Маша", 2**70]}
    assert body["logit_bias"] == {"42": -5}
    assert json.loads(body["messages"][1]["function_call"]["arguments"]) == {"v": None}


def test_the_error_pickles_and_copies_with_its_place() -> None:
    with pytest.raises(RequestEncodingError) as info:
        dumps({"messages": [{"role": "user", "content": "x\udc80"}]}, BODY)
    for clone in (pickle.loads(pickle.dumps(info.value)), copy.deepcopy(info.value)):
        assert type(clone) is RequestEncodingError
        assert str(clone) == str(info.value)
        assert clone.where == "message 0 (user), its text"


def test_the_walk_finds_what_orjson_would_change_and_nothing_else() -> None:
    assert suspect({"a": [1, {"b": float("nan")}]})
    assert suspect({"a": {1: 0, "1": 0}})
    assert not suspect({"a": {1: 0, 2: 0}, "b": [None, "null", 1.5]})
    assert not suspect({"messages": [float("nan")], "x": 1}, "messages")  # the converter's own
    shared = {"type": "string"}  # one object twice is no cycle
    assert plain_json({"a": shared, "b": [shared]}) == {"a": shared, "b": [shared]}


@pytest.mark.parametrize("mode", MODES)
async def test_infinity_in_a_tool_schema_names_the_tool_and_the_path(
    server: MockServer, run: Runner, mode: str
) -> None:
    number = {"type": "number", "maximum": float("inf"), "default": None}
    tool = {"name": "rate", "parameters": {"type": "object", "properties": {"v": number}}}
    with pytest.raises(RequestEncodingError) as info:
        await _call(run, server.model().bind_tools([tool]), mode)
    _refused(info, "Tool 'rate' (functions[0]) at ['parameters']['properties']['v']['maximum']")
    assert server.requests == []
