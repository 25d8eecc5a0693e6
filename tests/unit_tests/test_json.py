"""`_json.loads_exact`: a function call's arguments with every integer exact, under orjson's rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_mashagpt._json import dumps, loads, loads_exact
from tests.helpers import MockServer, Runner
from tests.unit_tests.helpers import sse_call


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"id": 18446744073709551616}', {"id": 2**64}),
        ('{"id": -9223372036854775809}', {"id": -(2**63) - 1}),
        ("[123456789012345678901234567890, 1.5]", [123456789012345678901234567890, 1.5]),
        ('{"id": 42}', {"id": 42}),  # no long digits: orjson, as before
        ('{"text": "call 1234567890123456789"}', {"text": "call 1234567890123456789"}),
    ],
)
def test_integers_beyond_64_bits_stay_exact(text: str, expected: Any) -> None:
    value = loads_exact(text)
    assert value == expected
    assert type(value) is type(expected)
    if isinstance(expected, dict) and "id" in expected:
        assert type(value["id"]) is int


@pytest.mark.parametrize(
    "text",
    [
        '{"id": 18446744073709551616, "x": NaN}',
        '{"id": 18446744073709551616, "x": Infinity}',
        '{"id": 18446744073709551616, "x": -Infinity}',
        '{"id": 18446744073709551616, "x": 1e400}',
        '{"id": 18446744073709551616,}',
        "[" * 100_000 + "18446744073709551616" + "]" * 100_000,
    ],
)
def test_the_exact_path_refuses_what_orjson_refuses(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is the parser's
        loads(text.replace("18446744073709551616", "1"))
    with pytest.raises(ValueError):  # noqa: PT011
        loads_exact(text)


async def test_a_tool_call_with_a_huge_id_arrives_exact(server: MockServer, run: Runner) -> None:
    raw = '{"order_id": 18446744073709551617}'
    server.json(
        {
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "function_call": {"name": "cancel", "arguments": raw},
                    },
                    "finish_reason": "function_call",
                }
            ],
        }
    )
    server.sse(sse_call("cancel", raw[:12], raw[12:]))  # the second request's answer
    model = server.model().bind_tools([{"name": "cancel", "parameters": {"type": "object"}}])
    message = await run.invoke(model, "cancel it")
    assert message.tool_calls[0]["args"] == {"order_id": 18446744073709551617}
    chunks = await run.stream(model, "cancel it")
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.tool_calls[0]["args"] == {"order_id": 18446744073709551617}


def test_integers_beyond_64_bits_go_out_exact() -> None:
    assert (
        dumps({"id": 2**64, "name": "Маша"}) == '{"id":18446744073709551616,"name":"Маша"}'.encode()
    )
    assert dumps({"id": 2**63 - 1}) == b'{"id":9223372036854775807}'  # orjson's own range
    with pytest.raises(ValueError, match="nan is not a JSON number"):
        dumps({"id": 2**64, "x": float("nan")})


async def test_a_history_with_a_huge_id_is_sent_exact(server: MockServer, run: Runner) -> None:
    server.json(
        {
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Done."},
                    "finish_reason": "stop",
                }
            ],
        }
    )
    history = [
        HumanMessage("cancel order 18446744073709551617"),
        AIMessage("", tool_calls=[{"name": "cancel", "args": {"order_id": 2**64 + 1}, "id": "c1"}]),
        ToolMessage("cancelled", tool_call_id="c1"),
    ]
    assert (await run.invoke(server.model(), history)).content == "Done."
    sent = json.loads(server.requests[0].content)
    call = sent["messages"][1]["function_call"]
    assert json.loads(call["arguments"]) == {"order_id": 18446744073709551617}
